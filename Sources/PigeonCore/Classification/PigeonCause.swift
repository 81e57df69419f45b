/// Pigeon's own failure causes: failures no Meta error code describes (the network, a missing answer, the
/// media library). Each has a stable code (`pigeon.…`, shown in the API as `cause`), and its class and title
/// come from `ErrorTable.pigeon`, so no other file decides how such a failure is classified.
public enum PigeonCause: String, Sendable, Hashable, Codable, CaseIterable {
    /// The connection to Meta never opened or broke before the request was written.
    case networkError = "pigeon.network_error"
    /// Meta (or a proxy before it) answered an HTTP error without a Graph error body.
    case httpErrorWithoutBody = "pigeon.http_error"
    /// The request was written but no answer came (timeout, dropped connection).
    case noResponse = "pigeon.no_response"
    /// The worker sending the message stopped before recording the outcome.
    case leaseExpired = "pigeon.lease_expired"
    /// A `failed` status webhook that carried no error.
    case failedStatusWithoutError = "pigeon.failed_status_without_error"
    /// The message names a media library asset, but this transport cannot upload media.
    case mediaUnsupported = "pigeon.media_unsupported"
    /// The media library could not be read (a store error while resolving the message's assets).
    case mediaUnavailable = "pigeon.media_unavailable"
    /// The message names a media library asset that was deleted.
    case mediaDeleted = "pigeon.media_deleted"
    /// Uploading an asset the message names failed (before its first send).
    case mediaUploadFailed = "pigeon.media_upload_failed"
    /// Uploading an asset again after Meta rejected its media id failed.
    case mediaRefreshUploadFailed = "pigeon.media_refresh_upload_failed"

    /// The classification of a failure with this cause.
    public func classification(details: String?, httpStatus: Int? = nil) -> Classification {
        let rule = ErrorTable.pigeon[self]!
        return Classification(
            errorClass: rule.errorClass, code: nil, title: rule.title, details: details, httpStatus: httpStatus, cause: self)
    }
}
