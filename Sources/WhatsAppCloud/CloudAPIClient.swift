import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix
import PigeonCore

/// Meta's WhatsApp Cloud API over AsyncHTTPClient, with keep-alive connections and per-call timeouts.
///
/// Failures never throw from `send`: a Graph error body becomes `.graphError`, a failure to connect
/// `.notDelivered`, and a timeout or lost connection after the request went out `.inDoubt`.
public final class CloudAPIClient: MessageTransport {
    /// The configuration in use.
    public let configuration: CloudAPIConfiguration
    private let http: HTTPClient
    /// Largest response body read (bytes).
    static let maxResponseBytes = 1 << 20

    /// A client with its own connection pool; call `shutdown()` when done.
    public init(configuration: CloudAPIConfiguration) {
        self.configuration = configuration
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(
            connect: .nanoseconds(Int64(configuration.connectTimeout.timeInterval * 1e9)),
            read: .nanoseconds(Int64(configuration.requestTimeout.timeInterval * 1e9)))
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnections)
        httpConfiguration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Closes the connection pool.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    private var authorization: String { "Bearer \(configuration.accessToken)" }

    private func url(_ path: String) -> String {
        "\(configuration.baseURL)/\(configuration.apiVersion)/\(path)"
    }

    /// Runs one request with the configured timeout.
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await http.execute(request, timeout: .nanoseconds(Int64(configuration.requestTimeout.timeInterval * 1e9)))
    }

    public func send(_ message: OutboundMessage) async -> SendOutcome {
        var request = HTTPClientRequest(url: url("\(message.senderID)/messages"))
        request.method = .POST
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Msg-Id", value: message.id.rawValue)
        request.body = .bytes(Self.requestBody(for: message))
        do {
            let response = try await execute(request)
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            return GraphResponseParser.sendOutcome(status: Int(response.status.code), body: body)
        } catch {
            return Self.outcome(for: error)
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

    /// Maps a client error to not-delivered (the request surely never left) or in-doubt (it may have).
    static func outcome(for error: any Error) -> SendOutcome {
        let text = String(describing: error)
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .connectTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown,
                .tlsHandshakeTimeout, .getConnectionFromPoolTimeout, .socksHandshakeTimeout,
                .httpProxyHandshakeTimeout:
                return .notDelivered(reason: text)
            default:
                return .inDoubt(reason: text)
            }
        }
        if error is NIOConnectionError { return .notDelivered(reason: text) }
        if let ioError = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(ioError.errnoCode) {
            return .notDelivered(reason: text)
        }
        return .inDoubt(reason: text)
    }
}
