import Foundation

/// Something that happens to a message; the input of `Lifecycle.transition`.
public enum LifecycleEvent: Sendable, Hashable {
    /// A worker claims the message and starts an attempt under a lease.
    case claim(owner: String, leaseUntil: Date)
    /// Meta accepted the attempt.
    case accepted(wamid: String)
    /// The attempt failed; `jitter` is a random value in 0..<1 for the retry delay. `refreshesMedia`: the
    /// message names media library assets, so a media error is answered by uploading them again and
    /// retrying at once, and a second one dead-letters it with `media_refresh_failed`.
    case failed(Classification, jitter: Double, refreshesMedia: Bool = false)
    /// The dispatcher did not send the claimed message because its sender may not reach the recipient now
    /// (restricted, or its new-contact quota used up): it waits until `until`, budget untouched.
    case held(until: Date, Classification)
    /// The lease ran out before the worker recorded an outcome (it died): the attempt is in doubt.
    case leaseExpired(jitter: Double)
    /// A status reported by Meta (webhook): `sent`, `delivered` or `read`.
    case reported(MessageStatus, wamid: String?)
    /// Meta reported (webhook) that a message it had accepted failed; `jitter` and `refreshesMedia` as for
    /// `failed`.
    case reportedFailure(Classification, jitter: Double, refreshesMedia: Bool = false)
    /// Uploading a media library asset again after a media error failed: the message is dead-lettered
    /// with `media_refresh_failed`.
    case mediaRefreshFailed(Classification)
    /// An operator retries a dead-lettered message with a fresh budget (optionally a new size).
    case operatorRetry(maxAttempts: Int?)
    /// An operator cancels a message that has not been sent.
    case cancel

    /// A short name for logs and errors.
    public var name: String {
        switch self {
        case .claim: "claim"
        case .accepted: "accepted"
        case .failed: "failed"
        case .held: "held"
        case .leaseExpired: "lease_expired"
        case .reported: "reported"
        case .reportedFailure: "reported_failure"
        case .mediaRefreshFailed: "media_refresh_failed"
        case .operatorRetry: "retry"
        case .cancel: "cancel"
        }
    }
}
