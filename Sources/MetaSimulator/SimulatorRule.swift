/// A scripted behaviour of the simulator for matching send requests.
///
/// A rule matches send requests by recipient, type and/or a media id the message uses (absent fields match
/// everything), or, with `upload`, media uploads instead; it applies to the first
/// `times` matching requests (always, when `times` is absent); then it is used up and requests succeed.
/// It can answer a Graph error, a bare HTTP status, wait before answering, drop the connection, or accept
/// and later report an asynchronous failure by webhook.
public struct SimulatorRule: Codable, Sendable, Hashable {
    /// A Graph error to answer with.
    public struct GraphErrorSpec: Codable, Sendable, Hashable {
        /// Meta's error code.
        public var code: Int
        /// HTTP status (default 400).
        public var httpStatus: Int?
        /// Title (default: a generic one).
        public var title: String?
        /// `error_data.details`.
        public var details: String?

        public init(code: Int, httpStatus: Int? = nil, title: String? = nil, details: String? = nil) {
            self.code = code
            self.httpStatus = httpStatus
            self.title = title
            self.details = details
        }

        enum CodingKeys: String, CodingKey {
            case code
            case httpStatus = "http_status"
            case title, details
        }
    }

    /// Server-assigned id.
    public var id: Int?
    /// Only requests to this recipient (compared without `+`).
    public var to: String?
    /// Only requests of this message type.
    public var type: String?
    /// Only requests whose message uses this media id (in a media object or a template parameter).
    public var mediaID: String?
    /// The rule applies to media uploads (`POST …/media`) instead of sends: answer them with `error` or
    /// `http_status`.
    public var upload: Bool?
    /// How many matching requests it applies to; `nil` for all.
    public var times: Int?
    /// Answer with this Graph error.
    public var error: GraphErrorSpec?
    /// Answer with this HTTP status and a non-Graph body (such as a proxy's 502).
    public var httpStatus: Int?
    /// Wait this long before answering (or dropping).
    public var delayMs: Int?
    /// Close the connection without an answer.
    public var drop: Bool?
    /// Accept the message, then report it `failed` with this error by webhook (an asynchronous failure).
    public var asyncError: GraphErrorSpec?

    public init(
        to: String? = nil, type: String? = nil, mediaID: String? = nil, upload: Bool? = nil, times: Int? = nil,
        error: GraphErrorSpec? = nil, httpStatus: Int? = nil, delayMs: Int? = nil, drop: Bool? = nil, asyncError: GraphErrorSpec? = nil
    ) {
        self.to = to
        self.type = type
        self.mediaID = mediaID
        self.upload = upload
        self.times = times
        self.error = error
        self.httpStatus = httpStatus
        self.delayMs = delayMs
        self.drop = drop
        self.asyncError = asyncError
    }

    enum CodingKeys: String, CodingKey {
        case id, to, type, times, error, upload
        case mediaID = "media_id"
        case httpStatus = "http_status"
        case delayMs = "delay_ms"
        case drop
        case asyncError = "async_error"
    }

    func matches(to recipient: String?, type messageType: String?, mediaIDs: Set<String>) -> Bool {
        if upload == true { return false }
        if let to, Self.digits(to) != recipient.map(Self.digits) { return false }
        if let type, type != messageType { return false }
        if let mediaID, !mediaIDs.contains(mediaID) { return false }
        return true
    }

    /// The media ids a message body uses: every `id` of a nested object.
    static func mediaIDs(in value: Any, nested: Bool = false) -> Set<String> {
        var ids: Set<String> = []
        if let object = value as? [String: Any] {
            if nested, let id = object["id"] as? String { ids.insert(id) }
            for child in object.values { ids.formUnion(mediaIDs(in: child, nested: true)) }
        } else if let array = value as? [Any] {
            for child in array { ids.formUnion(mediaIDs(in: child, nested: true)) }
        }
        return ids
    }

    static func digits(_ text: String) -> String { text.filter(\.isNumber) }
}
