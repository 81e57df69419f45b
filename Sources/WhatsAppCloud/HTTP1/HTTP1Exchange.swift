import NIOCore
import NIOHTTP1

/// One request to the pool's origin: the path (with query) and the headers besides `Host` and `Content-Length`.
struct HTTP1Request: Sendable {
    var method: HTTPMethod = .POST
    var path: String
    var headers: HTTPHeaders
    var body: ByteBuffer
}

/// What became of one request.
enum HTTP1Result: Sendable {
    /// A complete response.
    case response(status: Int, body: ByteBuffer)
    /// The request surely never reached the server whole (no connection, refused, write failed).
    case notSent(String)
    /// The request went out but no complete response came back (timeout, connection lost mid-exchange).
    case unknown(String)
}

/// A request waiting for, or running on, a connection; `complete` runs exactly once.
final class HTTP1Exchange: Sendable {
    let request: HTTP1Request
    let enqueuedAt: NIODeadline
    private let completion: @Sendable (HTTP1Result) -> Void

    init(request: HTTP1Request, completion: @escaping @Sendable (HTTP1Result) -> Void) {
        self.request = request
        self.enqueuedAt = .now()
        self.completion = completion
    }

    func complete(_ result: HTTP1Result) { completion(result) }
}

/// Scheme, host and port of the server a pool talks to, plus any path prefix of the base URL.
struct HTTP1Origin: Sendable, Hashable {
    var useTLS: Bool
    var host: String
    var port: Int
    var pathPrefix: String

    /// Parses `http://host[:port][/prefix]` or `https://…`; nil for anything else.
    init?(baseURL: String) {
        let lowered = baseURL.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            useTLS = true
            rest = baseURL.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            useTLS = false
            rest = baseURL.dropFirst("http://".count)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authority.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        pathPrefix = prefix
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            guard let port = after.isEmpty ? (useTLS ? 443 : 80) : Int(after.dropFirst()) else { return nil }
            self.port = port
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let port = Int(authority[authority.index(after: colon)...]) else { return nil }
            self.port = port
        } else {
            host = String(authority)
            port = useTLS ? 443 : 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }

    /// Whether `host` is a literal address (which TLS may not send as the server name).
    var isIPAddress: Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// The `Host` header value.
    var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (useTLS ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }
}
