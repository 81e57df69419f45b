/// A request that cannot be accepted, with a stable `code` and a message that says what to fix.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Machine-readable reason, such as `invalid_to`.
    public var code: String
    /// What was wrong and how to fix it.
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
