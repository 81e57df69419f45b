import Foundation

/// The recorded end of one attempt: the new state the lifecycle computed and the attempt's outcome.
public struct AttemptCompletion: Sendable, Hashable {
    /// The message.
    public var messageID: MessageID
    /// The message's insertion sequence (its row key).
    public var seq: Int64
    /// The lease owner that made the attempt; the write applies only if it still holds the lease.
    public var owner: String
    /// The state the message was claimed in (the row as this attempt found it).
    public var claimed: MessageState
    /// The state to write.
    public var state: MessageState
    /// How the attempt ended.
    public var outcome: AttemptOutcome
    /// The failure, if any.
    public var error: Classification?
    /// When the attempt was claimed.
    public var startedAt: Date
    /// When the outcome was known.
    public var finishedAt: Date
    /// Call duration in milliseconds.
    public var durationMs: Int
    /// The media library ids the attempt sent, if its message names assets.
    public var media: MediaUse?
    /// The sender the attempt went out through.
    public var senderID: String

    public init(
        messageID: MessageID, seq: Int64, owner: String, claimed: MessageState, state: MessageState,
        outcome: AttemptOutcome, error: Classification?, startedAt: Date, finishedAt: Date, durationMs: Int, media: MediaUse? = nil,
        senderID: String
    ) {
        self.senderID = senderID
        self.media = media
        self.messageID = messageID
        self.seq = seq
        self.owner = owner
        self.claimed = claimed
        self.state = state
        self.outcome = outcome
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
    }

    /// The attempt number.
    public var attempt: Int { claimed.attempts }
}
