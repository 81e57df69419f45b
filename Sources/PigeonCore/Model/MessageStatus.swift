/// Where a message is in its life. Stored as text; see `Lifecycle` for how each state is entered and left.
///
/// - `queued`: accepted and durable, waiting for a worker.
/// - `sending`: claimed by a worker under a lease; an attempt is in flight.
/// - `retry_scheduled`: the last attempt failed (or was in doubt) and another is due at `next_attempt_at`.
/// - `sent`, `delivered`, `read`: Meta accepted it, then reported it on the device, then read. Never moves down.
/// - `failed`: the dead-letter state, with a `FailureReason`. An operator may retry it.
/// - `cancelled`: an operator cancelled it before it was sent.
public enum MessageStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case queued
    case sending
    case retryScheduled = "retry_scheduled"
    case sent
    case delivered
    case read
    case failed
    case cancelled

    /// Rank in the delivery hierarchy (`sent` < `delivered` < `read`); `nil` for states outside it.
    public var deliveryRank: Int? {
        switch self {
        case .sent: 1
        case .delivered: 2
        case .read: 3
        default: nil
        }
    }

    /// States a worker may claim from.
    public static let claimable: [MessageStatus] = [.queued, .retryScheduled]
}
