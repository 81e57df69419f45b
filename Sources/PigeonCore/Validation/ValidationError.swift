/// A request that cannot be accepted, with a stable `code` and a message that says what to fix.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Machine-readable reason, such as `invalid_to`.
    public var code: String
    /// What was wrong and how to fix it.
    public var message: String
    /// Whether the request is malformed, or well-formed but names something that cannot be used.
    public var kind: Kind

    /// What kind of problem a `ValidationError` is (the API answers 400 and 422).
    public enum Kind: Sendable, Hashable {
        /// The request itself is wrong: a missing field, a value of the wrong shape.
        case invalid
        /// The request is well-formed but names something that does not exist or cannot be used here (an
        /// unknown media library key, an asset of the wrong type, a URL that could not be fetched).
        case unusable
    }

    public init(_ code: String, _ message: String, kind: Kind = .invalid) {
        self.code = code
        self.message = message
        self.kind = kind
    }

    public var description: String { "\(code): \(message)" }
}
