import Foundation

/// The part of a sender's record that its lifecycle changes: its status and the counts and times that
/// decide the next transition.
public struct SenderHealth: Sendable, Hashable, Codable {
    /// Where the sender stands.
    public var status: SenderStatus
    /// Logged-out drops in a row that did not reach `SenderLifecycle.stableAfter` of working in between.
    public var consecutiveFailures: Int
    /// When the last counted or uncounted failure happened.
    public var lastFailureAt: Date?
    /// What that failure was, for people.
    public var lastFailureReason: String?
    /// Reconnect attempts made since the sender last connected.
    public var reconnectAttempts: Int
    /// When the next reconnect attempt is due (while `disconnected`).
    public var nextReconnectAt: Date?
    /// Since when it has worked without a drop (while `connected` or `restricted`).
    public var workingSince: Date?
    /// When a restriction on new contacts ends (while `restricted`).
    public var restrictedUntil: Date?
    /// Why it is paused (while `paused`).
    public var pauseReason: SenderPauseReason?
    /// When its health is checked next (a web session's status at its bridge).
    public var nextCheckAt: Date?
    /// How many new contacts it may still message in the current cycle (WAHA `me.messageCapping`); nil for
    /// no limit.
    public var newContactQuota: Int?
    /// When the current new-contact cycle ends (and the quota renews).
    public var quotaCycleEnd: Date?
    /// What pairing it waits for (while `needs_pairing`).
    public var pairingStep: PairingStep?
    /// Waiting pooled messages moved off it to other senders of its pool since it was created (failovers).
    public var failovers: Int?
    /// Reconnects asked of its bridge since it was created (restarts after a logged-out drop and scheduled
    /// reconnect attempts), for `/v1/stats`.
    public var reconnects: Int?

    public init(
        status: SenderStatus = .connecting, consecutiveFailures: Int = 0, lastFailureAt: Date? = nil, lastFailureReason: String? = nil,
        reconnectAttempts: Int = 0, nextReconnectAt: Date? = nil, workingSince: Date? = nil, restrictedUntil: Date? = nil,
        pauseReason: SenderPauseReason? = nil
    ) {
        self.status = status
        self.consecutiveFailures = consecutiveFailures
        self.lastFailureAt = lastFailureAt
        self.lastFailureReason = lastFailureReason
        self.reconnectAttempts = reconnectAttempts
        self.nextReconnectAt = nextReconnectAt
        self.workingSince = workingSince
        self.restrictedUntil = restrictedUntil
        self.pauseReason = pauseReason
    }
}

/// Why a sender is paused.
public enum SenderPauseReason: Sendable, Hashable, Codable {
    /// An operator paused or disconnected it; it is not reconnected on its own.
    case `operator`
    /// A sender-level Meta error (such as 190, an expired token), with its code and title.
    case senderError(code: Int, title: String)
}
