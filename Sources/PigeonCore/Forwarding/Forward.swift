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

/// Where a forward goes: the application (`PIGEON_FORWARD_URL`: statuses and inbound messages) or the
/// alert webhook (`PIGEON_ALERT_WEBHOOK_URL`). Each has its own forwarder; both are retried and
/// dead-lettered alike.
public enum ForwardDestination: String, Sendable, Hashable, Codable, CaseIterable {
    case app
    case alerts
}

/// One event to POST to the application (in Meta's webhook format) or to the alert webhook, signed.
public struct ForwardRecord: Sendable, Hashable {
    /// Store order; the id in the API.
    public var id: Int64
    /// Where it goes.
    public var destination: ForwardDestination
    /// Forwards with the same key are delivered in order (see `ForwardRouting`).
    public var key: String
    /// The body to POST, byte for byte.
    public var body: Data
    /// Where it stands (see `ForwardLifecycle`).
    public var state: ForwardState
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, destination: ForwardDestination = .app, key: String, body: Data, state: ForwardState, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.destination = destination
        self.key = key
        self.body = body
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var status: ForwardStatus { state.status }
    public var attempts: Int { state.attempts }
    public var nextAttemptAt: Date? { state.nextAttemptAt }
    public var lastError: String? { state.lastError }
    public var lastHTTPStatus: Int? { state.lastHTTPStatus }
    public var deliveredAt: Date? { state.deliveredAt }
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
