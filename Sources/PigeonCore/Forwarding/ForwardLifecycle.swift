import Foundation

/// The forward state machine: `transition(state, event, now)` is a pure function, the one place where the
/// rules for forwards live. Stores apply its result with writes guarded by the state they read.
///
/// ```
/// queued ──claim──> sending ──delivered (2xx)──> delivered
///    ^                 │ failed, budget left ──> retry_scheduled ──claim──> sending
///    │                 │ lease expired (worker died) ──> retry_scheduled (due at once)
///    │                 └ failed, budget spent ──> failed ──operator retry──> queued (fresh budget)
/// ```
/// Only the oldest unfinished forward of a key is claimable (the store's query): a key's events arrive in order.
public enum ForwardLifecycle {
    /// What the last error says when a worker died mid-delivery.
    public static let leaseExpiredError = "the worker stopped before the outcome was known"

    /// Applies `event` to `state` at `now`; nil when the event is not allowed in that state (nothing changes).
    public static func transition(_ state: ForwardState, _ event: ForwardEvent, now: Date) -> ForwardState? {
        var next = state
        switch event {
        case .claim(let owner, let leaseUntil):
            guard state.status == .queued || state.status == .retryScheduled else { return nil }
            next.status = .sending
            next.attempts += 1
            next.leaseOwner = owner
            next.leaseExpiresAt = leaseUntil
        case .finished(let outcome, let owner):
            guard state.status == .sending, state.leaseOwner == owner else { return nil }
            next.leaseOwner = nil
            next.leaseExpiresAt = nil
            switch outcome {
            case .delivered:
                next.status = .delivered
                next.nextAttemptAt = nil
                next.deliveredAt = now
            case .retry(let at, let error, let httpStatus):
                next.status = .retryScheduled
                next.nextAttemptAt = at
                next.lastError = error
                next.lastHTTPStatus = httpStatus ?? state.lastHTTPStatus
            case .deadLetter(let error, let httpStatus):
                next.status = .failed
                next.nextAttemptAt = nil
                next.lastError = error
                next.lastHTTPStatus = httpStatus ?? state.lastHTTPStatus
            }
        case .leaseExpired:
            guard state.status == .sending, let expiry = state.leaseExpiresAt, expiry < now else { return nil }
            next.status = .retryScheduled
            next.nextAttemptAt = now
            next.leaseOwner = nil
            next.leaseExpiresAt = nil
            next.lastError = leaseExpiredError
        case .retriedByOperator:
            guard state.status == .failed else { return nil }
            next.status = .queued
            next.attempts = 0
            next.nextAttemptAt = now
        }
        return next
    }
}

/// What can happen to a forward.
public enum ForwardEvent: Sendable, Hashable {
    /// A worker takes it, leased until `leaseUntil`.
    case claim(owner: String, leaseUntil: Date)
    /// The worker `owner` that claimed it knows how the delivery ended.
    case finished(ForwardOutcome, owner: String)
    /// Its lease ran out while it was being sent (the worker died).
    case leaseExpired
    /// `POST /v1/forwards/{id}/retry` on a dead-lettered forward.
    case retriedByOperator
}

/// The part of a forward the lifecycle changes.
public struct ForwardState: Sendable, Hashable {
    public var status: ForwardStatus
    /// Delivery attempts so far.
    public var attempts: Int
    public var nextAttemptAt: Date?
    /// The worker sending it, while `sending`.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// What went wrong last time.
    public var lastError: String?
    public var lastHTTPStatus: Int?
    public var deliveredAt: Date?

    public init(
        status: ForwardStatus, attempts: Int, nextAttemptAt: Date?, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil,
        lastError: String? = nil, lastHTTPStatus: Int? = nil, deliveredAt: Date? = nil
    ) {
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.lastHTTPStatus = lastHTTPStatus
        self.deliveredAt = deliveredAt
    }

    /// A forward just queued at `now`.
    public static func new(now: Date) -> ForwardState { ForwardState(status: .queued, attempts: 0, nextAttemptAt: now) }
}
