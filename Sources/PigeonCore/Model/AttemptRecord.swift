import Foundation

/// How an attempt ended.
public enum AttemptOutcome: String, Sendable, Codable, CaseIterable, Hashable {
    /// Recorded before the HTTP call; no outcome yet.
    case inFlight = "in_flight"
    /// Meta accepted the message.
    case sent
    /// Meta (or the network) reported an error; see the error fields.
    case error
    /// No answer: the request may or may not have reached Meta.
    case inDoubt = "in_doubt"
}

/// One attempt in a message's history.
public struct AttemptRecord: Sendable, Hashable {
    /// 1-based attempt number.
    public var number: Int
    /// When the attempt started (recorded before the HTTP call).
    public var startedAt: Date
    /// When its outcome was recorded.
    public var finishedAt: Date?
    /// How it ended.
    public var outcome: AttemptOutcome
    /// The failure, if it failed.
    public var error: Classification?
    /// How long the call took, in milliseconds.
    public var durationMs: Int?
    /// The sender it went out through (nil for attempts stored by an earlier version).
    public var senderID: String?

    public init(
        number: Int, startedAt: Date, finishedAt: Date?, outcome: AttemptOutcome, error: Classification?,
        durationMs: Int?, senderID: String? = nil
    ) {
        self.senderID = senderID
        self.number = number
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.error = error
        self.durationMs = durationMs
    }
}
