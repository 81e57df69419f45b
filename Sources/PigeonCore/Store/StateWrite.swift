import Foundation

/// One lifecycle change to write: message `seq` from `old` (what the caller read) to `new`.
public struct StateWrite: Sendable {
    public var seq: Int64
    public var old: MessageState
    public var new: MessageState
    /// When set, the write applies only while this worker holds the lease for attempt `old.attempts`.
    public var leaseOwner: String?

    public init(seq: Int64, old: MessageState, new: MessageState, leaseOwner: String? = nil) {
        self.seq = seq
        self.old = old
        self.new = new
        self.leaseOwner = leaseOwner
    }
}

/// One finished attempt for the history.
public struct AttemptRow: Sendable {
    public var seq: Int64
    public var number: Int
    public var startedAt: Date
    public var outcome: AttemptOutcome
    public var error: Classification?
    public var finishedAt: Date
    public var durationMs: Int?
    /// The sender the attempt went out through.
    public var senderID: String

    public init(
        seq: Int64, number: Int, startedAt: Date, outcome: AttemptOutcome, error: Classification?, finishedAt: Date, durationMs: Int?,
        senderID: String
    ) {
        self.senderID = senderID
        self.seq = seq
        self.number = number
        self.startedAt = startedAt
        self.outcome = outcome
        self.error = error
        self.finishedAt = finishedAt
        self.durationMs = durationMs
    }
}
