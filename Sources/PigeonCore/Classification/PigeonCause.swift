/// Pigeon's own failure causes: failures no Meta error code describes (the network, a missing answer, the
/// media library, a WhatsApp Web bridge's HTTP errors). Each has a stable code (`pigeon.…`, shown in the API as `cause`), and its class and title
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
    /// The sender is restricted from reaching new contacts and this recipient is one: held until it ends.
    case senderRestricted = "pigeon.sender_restricted"
    /// The sender's quota of new contacts for this cycle is used up (`messageCapping`): held until the cycle ends.
    case newContactQuotaUsed = "pigeon.new_contact_quota_used"
    /// WAHA: the session is not `WORKING` ("Session status is not as expected", 422).
    case bridgeSessionNotReady = "waha.session_not_ready"
    /// WAHA: the API key was refused (401, 403).
    case bridgeUnauthorized = "waha.unauthorized"
    /// WAHA: no such session on the bridge (404).
    case bridgeSessionNotFound = "waha.session_not_found"
    /// WAHA: WhatsApp refused the message with 463, the account is restricted from reaching new contacts.
    case bridgeRestricted = "waha.account_restricted"
    /// WAHA: the bridge refused the request itself (another 4xx): sending it again cannot help.
    case bridgeRejected = "waha.rejected"
    /// WAHA: the bridge failed (5xx without a 463).
    case bridgeServerError = "waha.server_error"

    /// The classification of a failure with this cause.
    public func classification(details: String?, httpStatus: Int? = nil) -> Classification {
        let rule = ErrorTable.pigeon[self]!
        return Classification(
            errorClass: rule.errorClass, code: nil, title: rule.title, details: details, httpStatus: httpStatus, cause: self)
    }
}
