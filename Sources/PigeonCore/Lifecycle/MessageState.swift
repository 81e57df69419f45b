import Foundation

/// The part of a message that the lifecycle reads and writes.
public struct MessageState: Sendable, Hashable {
    /// Current status.
    public var status: MessageStatus
    /// Attempts started so far, counted or not (the length of the history).
    public var attempts: Int
    /// Attempts that count against `maxAttempts` (throttling, pair limits and paused senders do not count).
    public var countedAttempts: Int
    /// The attempt budget.
    public var maxAttempts: Int
    /// When the next attempt is due; `nil` when none is planned.
    public var nextAttemptAt: Date?
    /// Why the message is `failed`.
    public var failureReason: FailureReason?
    /// Meta's id once accepted.
    public var wamid: String?
    /// Consecutive pair-rate-limit errors (X in 4^X).
    public var pairLevel: Int
    /// True once a media error has been retried.
    public var mediaRetried: Bool
    /// True once an in-doubt attempt was resent beyond the budget.
    public var inDoubtGraceUsed: Bool
    /// The worker holding the lease while `sending`.
    public var leaseOwner: String?
    /// When that lease runs out unless renewed.
    public var leaseExpiresAt: Date?
    /// The last failure, if any.
    public var lastError: Classification?

    public init(
        status: MessageStatus = .queued, attempts: Int = 0, countedAttempts: Int = 0, maxAttempts: Int,
        nextAttemptAt: Date? = nil, failureReason: FailureReason? = nil, wamid: String? = nil, pairLevel: Int = 0,
        mediaRetried: Bool = false, inDoubtGraceUsed: Bool = false, leaseOwner: String? = nil,
        leaseExpiresAt: Date? = nil, lastError: Classification? = nil
    ) {
        self.status = status
        self.attempts = attempts
        self.countedAttempts = countedAttempts
        self.maxAttempts = maxAttempts
        self.nextAttemptAt = nextAttemptAt
        self.failureReason = failureReason
        self.wamid = wamid
        self.pairLevel = pairLevel
        self.mediaRetried = mediaRetried
        self.inDoubtGraceUsed = inDoubtGraceUsed
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
    }

    /// A newly accepted message, due at once.
    public static func new(maxAttempts: Int, now: Date) -> MessageState {
        MessageState(status: .queued, maxAttempts: maxAttempts, nextAttemptAt: now)
    }
}
