/// Why a message ended in the dead-letter state (`failed`).
public enum FailureReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// Meta rejected it for a reason no retry can fix (for example 131026, 132001).
    case permanentError = "permanent_error"
    /// Every attempt of its budget failed with errors that could have been transient.
    case retriesExhausted = "retries_exhausted"
    /// It names a media library asset whose id Meta rejected, and uploading it again, or the one retry with
    /// the fresh id, failed too.
    case mediaRefreshFailed = "media_refresh_failed"
}
