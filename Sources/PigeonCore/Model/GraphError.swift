/// A Graph API error as Meta returns it (`{"error": {...}}`), parsed into typed fields.
public struct GraphError: Sendable, Hashable, Codable, Error {
    /// `error.code`: the number the classifier branches on.
    public var code: Int
    /// Meta's title (from `error.message`, without the `(#code)` prefix); informational only.
    public var title: String
    /// `error.error_data.details`: the specific cause, when Meta gives one.
    public var details: String?
    /// `error.fbtrace_id`, for Meta support.
    public var fbtraceID: String?
    /// `error.is_transient`, when present.
    public var isTransient: Bool?
    /// The HTTP status the error came with; recorded, never branched on.
    public var httpStatus: Int?

    public init(
        code: Int, title: String, details: String? = nil, fbtraceID: String? = nil, isTransient: Bool? = nil,
        httpStatus: Int? = nil
    ) {
        self.code = code
        self.title = title
        self.details = details
        self.fbtraceID = fbtraceID
        self.isTransient = isTransient
        self.httpStatus = httpStatus
    }
}
