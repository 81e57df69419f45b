import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import PigeonCore

/// Fetches media from https URLs (and http ones when allowed: the sandbox) with AsyncHTTPClient: up to 5
/// redirects followed, each checked like the first URL; 10 s to connect (a failed connection is not
/// retried: the caller hears at once), 120 s for the whole download, redirects included.
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
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    /// Closes its own client, if it has one.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// Redirects followed at most.
    static let maxRedirects = 5

    public func fetch(_ url: URL, limit: Int) async throws -> (data: Data, contentType: String?) {
        guard fetches(url) else { throw FetchError(description: "\(url.absoluteString) is not a URL this Pigeon fetches") }
        var current = url
        let deadline = NIODeadline.now() + .seconds(120)
        for _ in 0...Self.maxRedirects {
            let response: HTTPClientResponse
            do {
                response = try await client.execute(HTTPClientRequest(url: current.absoluteString), deadline: deadline)
            } catch {
                throw FetchError(description: "could not fetch \(current.absoluteString): \(error)")
            }
            // Redirects are followed here, so each target is checked like the first URL (no https → http).
            if (300..<400).contains(response.status.code), let location = response.headers.first(name: "Location") {
                _ = try? await response.body.collect(upTo: 1 << 16)
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL, fetches(next) else {
                    throw FetchError(description: "\(current.absoluteString) redirected to \(location), which this Pigeon does not fetch")
                }
                current = next
                continue
            }
            guard (200..<300).contains(response.status.code) else {
                throw FetchError(description: "\(current.absoluteString) answered HTTP \(response.status.code)")
            }
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw FetchError(description: "\(current.absoluteString) is larger than \(limit) bytes")
            }
            let contentType = response.headers.first(name: "Content-Type")?.split(separator: ";").first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return (Data(buffer: body), contentType)
        }
        throw FetchError(description: "\(url.absoluteString) redirected more than \(Self.maxRedirects) times")
    }
}
