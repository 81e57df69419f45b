import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small JSON-over-HTTP client for tests.
public final class JSONClient: Sendable {
    /// A response: status and parsed JSON body (empty when not a JSON object).
    public struct Reply: Sendable {
        public let status: Int
        public let text: String
        /// The response headers, names lowercased.
        public var headers: [String: String] = [:]
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }

        public subscript(key: String) -> Any? { json[key] }
        /// `error.code` of an error response.
        public var error: String? { (json["error"] as? [String: Any])?["code"] as? String }
        /// `history` of a message response.
        public var history: [[String: Any]] { json["history"] as? [[String: Any]] ?? [] }
    }

    /// The process-wide client: needs no shutdown, so a failing test cannot leak it.
    public var http: HTTPClient { HTTPClient.shared }

    public init() {}

    public func call(
        _ method: HTTPMethod, _ url: String, json body: String? = nil, headers: [String: String] = [:], bearer: String? = nil,
        contentType: String? = "application/json", timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        try await call(
            method, url, bytes: body.map { ByteBuffer(string: $0) }, headers: headers, bearer: bearer, contentType: contentType,
            timeout: timeout)
    }

    /// Sends `bytes` (any content) and returns the status and body text.
    public func call(
        _ method: HTTPMethod, _ url: String, bytes body: ByteBuffer?, headers: [String: String] = [:], bearer: String? = nil,
        contentType: String?, timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if body != nil, let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var reply = Reply(status: Int(response.status.code), text: String(buffer: bytes))
        for header in response.headers { reply.headers[header.name.lowercased()] = header.value }
        return reply
    }
}
