import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import PigeonCore

/// Fetches media from https URLs (and http ones when allowed: the sandbox) with AsyncHTTPClient: redirects
/// followed, 10 s to connect (a failed
/// connection is not retried: the caller hears at once), 120 s for the whole download.
public final class HTTPMediaFetcher: MediaFetcher {
    /// A fetch that did not give a usable body.
    public struct FetchError: Error, CustomStringConvertible {
        public var description: String
    }

    private let client: HTTPClient
    private let ownsClient: Bool
    public let allowsPlainHTTP: Bool

    /// The process-wide client with the system's trust roots (never shut down, like `HTTPClient.shared`).
    private static let shared = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration(tls: nil))

    /// Uses the process-wide client (the system's trust roots), or its own with `tlsConfiguration`;
    /// `allowsPlainHTTP` also takes http URLs (the sandbox does, so a local file server can serve assets).
    public init(tlsConfiguration: TLSConfiguration? = nil, allowsPlainHTTP: Bool = false) {
        self.allowsPlainHTTP = allowsPlainHTTP
        if let tlsConfiguration {
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(tls: tlsConfiguration))
            ownsClient = true
        } else {
            client = Self.shared
            ownsClient = false
        }
    }

    private static func configuration(tls: TLSConfiguration?) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        if let tls { configuration.tlsConfiguration = tls }
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// Closes its own client, if it has one.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    public func fetch(_ url: URL, limit: Int) async throws -> (data: Data, contentType: String?) {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(120))
        } catch {
            throw FetchError(description: "could not fetch \(url.absoluteString): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw FetchError(description: "\(url.absoluteString) answered HTTP \(response.status.code)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw FetchError(description: "\(url.absoluteString) is larger than \(limit) bytes")
        }
        let contentType = response.headers.first(name: "Content-Type")?.split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return (Data(buffer: body), contentType)
    }
}
