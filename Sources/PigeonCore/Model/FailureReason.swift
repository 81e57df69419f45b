/// Why a message ended in the dead-letter state (`failed`).
public enum FailureReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// Meta rejected it for a reason no retry can fix (for example 131026, 132001).
    case permanentError = "permanent_error"
    /// Every attempt of its budget failed with errors that could have been transient.
    case retriesExhausted = "retries_exhausted"
}
