/// Passes a Graph API request through to Meta with Pigeon's access token (the drop-in media endpoints):
/// the caller's path, method and body go out unchanged, and Meta's answer comes back unchanged.
public protocol GraphProxy: Sendable {
    /// Sends `method` `path` (such as `/v23.0/123/media`, with its query) with `body`; returns Meta's answer.
    func forward(method: String, path: String, contentType: String?, body: [UInt8]) async throws -> GraphProxyResponse
}

/// Meta's answer to a passed-through request.
public struct GraphProxyResponse: Sendable, Hashable {
    /// The HTTP status.
    public var status: Int
    /// The `Content-Type` header, if any.
    public var contentType: String?
    /// The body, unchanged.
    public var body: [UInt8]

    public init(status: Int, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
