/// Pigeon's own failure causes (see `PigeonCause`), with the class and title of each: the counterpart of
/// `ErrorTable.meta` for failures Meta gave no code for.
extension ErrorTable {
    /// The class and title of every `PigeonCause`.
    public static let pigeon: [PigeonCause: ErrorRule] = [
        // The request never reached Meta, or got no usable answer: worth trying again.
        .networkError: ErrorRule(.transient, "Network error"),
        .httpErrorWithoutBody: ErrorRule(.transient, "HTTP error without a Graph error body"),
        .failedStatusWithoutError: ErrorRule(.transient, "Failed status without an error"),
        // Meta may have received it: resend once after a quiet period.
        .noResponse: ErrorRule(.inDoubt, "No response (in doubt)"),
        .leaseExpired: ErrorRule(.inDoubt, "Lease expired (in doubt)"),
        // The media library: a passing store or upload failure is retried; what cannot change is not.
        .mediaUnavailable: ErrorRule(.transient, "Media library unavailable"),
        .mediaUploadFailed: ErrorRule(.transient, "Uploading media failed"),
        .mediaRefreshUploadFailed: ErrorRule(.media, "Uploading media again failed"),
        .mediaUnsupported: ErrorRule(.permanent, "Media library not supported by this transport"),
        .mediaDeleted: ErrorRule(.permanent, "Media asset deleted"),
        // Held by the dispatcher: the sender may not reach this recipient now; not an attempt that failed.
        .senderRestricted: ErrorRule(.restricted, "Sender restricted from new contacts"),
        .newContactQuotaUsed: ErrorRule(.restricted, "New-contact quota used up"),
        // A WhatsApp Web bridge (see `ErrorTable.waha` for which answer is which cause). A session that is not
        // ready, a refused key or a missing session is the sender's problem: it reconnects, its pooled messages
        // move, nothing is counted.
        .bridgeSessionNotReady: ErrorRule(.senderLevel, "Session not ready at the bridge"),
        .bridgeUnauthorized: ErrorRule(.senderLevel, "Bridge refused the API key"),
        .bridgeSessionNotFound: ErrorRule(.senderLevel, "Session not found at the bridge"),
        .bridgeRestricted: ErrorRule(.restricted, "Account restricted from new contacts (463)"),
        .bridgeRejected: ErrorRule(.permanent, "Bridge refused the message"),
        .bridgeServerError: ErrorRule(.transient, "Bridge server error"),
    ]
}
