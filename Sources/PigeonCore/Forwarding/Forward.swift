import Foundation

/// Where a forward (an event POSTed to the application) stands.
public enum ForwardStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued
    case sending
    case retryScheduled = "retry_scheduled"
    case delivered
    /// Dead-lettered: the retry budget ran out; `POST /v1/forwards/{id}/retry` gives it a fresh one.
    case failed
}

/// One event to POST to the application, in Meta's webhook format, signed.
public struct ForwardRecord: Sendable, Hashable {
    /// Store order; the id in the API.
    public var id: Int64
    /// Forwards with the same key are delivered in order (a message's id, or the wamid).
    public var key: String
    /// The body to POST, byte for byte.
    public var body: Data
    public var status: ForwardStatus
    /// Delivery attempts so far.
    public var attempts: Int
    public var nextAttemptAt: Date?
    /// What went wrong last time.
    public var lastError: String?
    public var lastHTTPStatus: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var deliveredAt: Date?

    public init(
        id: Int64, key: String, body: Data, status: ForwardStatus, attempts: Int, nextAttemptAt: Date?, lastError: String?,
        lastHTTPStatus: Int?, createdAt: Date, updatedAt: Date, deliveredAt: Date?
    ) {
        self.id = id
        self.key = key
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.lastHTTPStatus = lastHTTPStatus
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deliveredAt = deliveredAt
    }
}

/// How a delivery attempt to the application ended, and what follows: the rules for forwards, in one place.
public enum ForwardOutcome: Sendable, Hashable {
    /// The application answered 2xx.
    case delivered
    /// Try again at `at`.
    case retry(at: Date, error: String, httpStatus: Int?)
    /// The budget is spent: dead-letter it.
    case deadLetter(error: String, httpStatus: Int?)

    /// The outcome of attempt `attempts` (1-based) that failed with `error`, under `policy`.
    public static func failure(
        attempts: Int, error: String, httpStatus: Int?, policy: RetryPolicy, now: Date, jitter: Double
    ) -> ForwardOutcome {
        guard attempts < policy.defaultMaxAttempts else { return .deadLetter(error: error, httpStatus: httpStatus) }
        return .retry(at: now.adding(policy.delay(afterAttempt: attempts, random: jitter)), error: error, httpStatus: httpStatus)
    }
}
