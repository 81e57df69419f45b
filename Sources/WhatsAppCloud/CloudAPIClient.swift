import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL
import PigeonCore

/// Meta's WhatsApp Cloud API. Message sends, the hot path, run on a lean pool of keep-alive HTTP/1.1
/// connections (`HTTP1ConnectionPool`); everything else (media upload) on AsyncHTTPClient.
///
/// Failures never throw from `send`: a Graph error body becomes `.graphError`, a failure to connect or to
/// write the request `.notDelivered`, and a timeout or lost connection after the request went out `.inDoubt`.
public final class CloudAPIClient: MessageTransport {
    /// The configuration in use.
    public let configuration: CloudAPIConfiguration
    private let http: HTTPClient
    private let pool: HTTP1ConnectionPool
    private let authorization: String
    /// Largest response body read (bytes).
    static let maxResponseBytes = HTTP1ConnectionPool.maxResponseBytes

    /// A client with its own connections; call `shutdown()` when done. Throws when the base URL is not
    /// an http(s) URL or TLS cannot be set up.
    public convenience init(configuration: CloudAPIConfiguration) throws {
        try self.init(configuration: configuration, tlsConfiguration: nil)
    }

    init(configuration: CloudAPIConfiguration, tlsConfiguration: TLSConfiguration?) throws {
        self.configuration = configuration
        authorization = "Bearer \(configuration.accessToken)"
        pool = try HTTP1ConnectionPool(
            baseURL: configuration.baseURL, maxConnections: configuration.maxConnections,
            requestTimeout: Self.timeAmount(configuration.requestTimeout),
            connectTimeout: Self.timeAmount(configuration.connectTimeout), tlsConfiguration: tlsConfiguration)
        var httpConfiguration = HTTPClient.Configuration()
        if let tlsConfiguration { httpConfiguration.tlsConfiguration = tlsConfiguration }
        httpConfiguration.timeout = .init(
            connect: Self.timeAmount(configuration.connectTimeout), read: Self.timeAmount(configuration.requestTimeout))
        httpConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        httpConfiguration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.timeInterval * 1e9))
    }

    /// Closes every connection; sends still running end in doubt.
    public func shutdown() async throws {
        pool.shutdown()
        try await http.shutdown()
    }

    /// Runs one AsyncHTTPClient request with the configured timeout.
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await http.execute(request, timeout: Self.timeAmount(configuration.requestTimeout))
    }

    public func send(_ message: OutboundMessage, completion: @escaping @Sendable (SendOutcome) -> Void) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4)
        let token = message.accessToken
        headers.add(name: "Authorization", value: token == nil || token == configuration.accessToken ? authorization : "Bearer \(token!)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "X-Msg-Id", value: message.id.rawValue)
        let request = HTTP1Request(
            path: "/\(configuration.apiVersion)/\(message.senderID)/messages", headers: headers,
            body: Self.requestBody(for: message))
        pool.execute(request) { result in
            switch result {
            case .response(let status, let body): completion(GraphResponseParser.sendOutcome(status: status, body: body))
            case .notSent(let reason): completion(.notDelivered(reason: reason))
            case .unknown(let reason): completion(.inDoubt(reason: reason))
            }
        }
    }

    /// The JSON body Meta receives: the stored payload (a JSON object) with `messaging_product` and Pigeon's id
    /// as `biz_opaque_callback_data` inserted at its start.
    static func requestBody(for message: OutboundMessage) -> ByteBuffer {
        var payload = message.payload.utf8[...]
        while let first = payload.first, first != UInt8(ascii: "{") { payload = payload.dropFirst() }
        payload = payload.dropFirst()
        let isEmptyObject = payload.first(where: { $0 != UInt8(ascii: " ") }) == UInt8(ascii: "}")
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 96)
        buffer.writeStaticString(#"{"messaging_product":"whatsapp","biz_opaque_callback_data":""#)
        buffer.writeString(message.id.rawValue)
        buffer.writeStaticString(isEmptyObject ? #"""# : #"","#)
        buffer.writeBytes(payload)
        return buffer
    }
}
