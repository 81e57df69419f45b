/// The database cannot take the operation right now (unreachable, restarting, out of disk): nothing the
/// operation would have written was written, unless the database committed just before it failed. Stores
/// throw it for such failures only (a bug or a refused constraint stays its own error); the API answers it
/// with `503` and `Retry-After`, and the engine's services try again on their next pass.
public struct StoreUnavailable: Error, CustomStringConvertible, Sendable {
    /// How long a client should wait before trying again (5 s).
    public static let retryAfter: Duration = .seconds(5)

    /// What the database said, for the log and the error message (never a password).
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "the database is unavailable: \(reason)" }
}
