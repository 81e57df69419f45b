import Foundation

/// The message state machine: `transition(state, event, now)` is a pure function, the one place where
/// lifecycle rules live. Storage applies its result with writes guarded by the expected current status.
///
/// ```
/// queued ──claim──> sending ──accepted──> sent ──> delivered ──> read     (never moves down)
///    ^                 │ failed: transient/media/in doubt (budget left), throttled, pair-limited
///    │                 │   (a media error on a message naming library assets: re-upload, retry at once)
///    │                 ├──────────────> retry_scheduled ──claim──> sending
///    │                 │ failed: restricted (463: sender restricted, waits for its end, not counted);
///    │                 │   held (the sender may not reach this recipient now): waits, not counted
///    │                 │ failed: sender-level (sender paused, not counted)
///    └─────────────────┤
///                      │ failed: permanent, or budget exhausted
///                      └──────────────> failed ──operator retry──> queued
/// queued / retry_scheduled ──cancel──> cancelled
/// sent ──reported failure (webhook)──> as a failed attempt; after delivered or read it changes nothing
/// ```
public struct Lifecycle: Sendable {
    /// Timing rules for failures.
    public var policy: DeliveryPolicy

    public init(policy: DeliveryPolicy = DeliveryPolicy()) {
        self.policy = policy
    }

    /// Applies `event` to `state` at time `now`.
    public func transition(_ state: MessageState, _ event: LifecycleEvent, now: Date) -> Transition {
        switch event {
        case .claim(let owner, let leaseUntil):
            return Self.claim(state, owner: owner, leaseUntil: leaseUntil, now: now)
        case .accepted(let wamid):
            guard state.status == .sending else { return notSending(state, event) }
            var next = state.released()
            next.status = .sent
            next.wamid = wamid
            next.nextAttemptAt = nil
            next.pairLevel = 0
            next.failureReason = nil
            return .moved(next, effects: [])
        case .failed(let classification, let jitter, let refreshesMedia):
            guard state.status == .sending else { return notSending(state, event) }
            return failed(state.released(), classification, jitter: jitter, refreshesMedia: refreshesMedia, now: now)
        case .mediaRefreshFailed(let classification):
            guard state.status == .sending else { return notSending(state, event) }
            var next = state.released()
            next.lastError = classification
            next.countedAttempts += 1
            return deadLetter(next, .mediaRefreshFailed)
        case .held(let until, let classification):
            guard state.status == .sending else { return notSending(state, event) }
            var next = state.released()
            next.lastError = classification
            next.status = .retryScheduled
            next.nextAttemptAt = max(until, now)
            return .moved(next, effects: [])
        case .leaseExpired(let jitter):
            guard state.status == .sending else { return notSending(state, event) }
            let classification = PigeonCause.leaseExpired.classification(
                details: "the worker stopped before recording the outcome of this attempt")
            return failed(state.released(), classification, jitter: jitter, refreshesMedia: false, now: now)
        case .reported(let status, let wamid):
            return reported(state, status: status, wamid: wamid)
        case .reportedFailure(let classification, let jitter, let refreshesMedia):
            switch state.status {
            case .sent, .queued, .retryScheduled:
                return failed(state.released(), classification, jitter: jitter, refreshesMedia: refreshesMedia, now: now)
            case .delivered, .read, .failed, .cancelled:
                // Recorded as an event, never acted on: the message reached the user or is already settled.
                return .unchanged
            case .sending:
                return .rejected(reason: "an attempt is in flight; its outcome is recorded first")
            }
        case .operatorRetry(let maxAttempts):
            guard state.status == .failed else {
                return .rejected(reason: "only failed messages can be retried; this one is \(state.status.rawValue)")
            }
            var next = state
            next.status = .queued
            next.countedAttempts = 0
            next.maxAttempts = maxAttempts ?? state.maxAttempts
            next.failureReason = nil
            next.mediaRetried = false
            next.inDoubtGraceUsed = false
            next.pairLevel = 0
            next.nextAttemptAt = now
            return .moved(next, effects: [])
        case .cancel:
            guard MessageStatus.claimable.contains(state.status) else {
                let why = state.status == .sending ? "an attempt is in flight; try again in a moment" : "it is already \(state.status.rawValue)"
                return .rejected(reason: "only queued or retry_scheduled messages can be cancelled: \(why)")
            }
            var next = state
            next.status = .cancelled
            next.nextAttemptAt = nil
            return .moved(next, effects: [])
        }
    }

    /// The claim rule on its own: it depends on no policy, so stores apply it inside their claim transaction.
    public static func claim(_ state: MessageState, owner: String, leaseUntil: Date, now: Date) -> Transition {
        guard MessageStatus.claimable.contains(state.status) else {
            return .rejected(reason: "a \(state.status.rawValue) message cannot be claimed")
        }
        if let due = state.nextAttemptAt, due > now {
            return .rejected(reason: "the next attempt is not due yet")
        }
        var next = state
        next.status = .sending
        next.attempts += 1
        next.leaseOwner = owner
        next.leaseExpiresAt = leaseUntil
        return .moved(next, effects: [])
    }

    private func failed(
        _ state: MessageState, _ error: Classification, jitter: Double, refreshesMedia: Bool, now: Date
    ) -> Transition {
        var next = state
        next.lastError = error
        switch error.errorClass {
        case .transient:
            return counted(next, now: now, jitter: jitter, exhausted: .retriesExhausted)
        case .media:
            if next.mediaRetried {
                next.countedAttempts += 1
                return deadLetter(next, refreshesMedia ? .mediaRefreshFailed : .permanentError)
            }
            next.mediaRetried = true
            guard refreshesMedia else { return counted(next, now: now, jitter: jitter, exhausted: .retriesExhausted) }
            // The retry uploads the assets again first, so it need not wait.
            next.countedAttempts += 1
            guard next.countedAttempts < next.maxAttempts else { return deadLetter(next, .retriesExhausted) }
            next.status = .retryScheduled
            next.nextAttemptAt = now
            return .moved(next, effects: [])
        case .permanent:
            next.countedAttempts += 1
            return deadLetter(next, .permanentError)
        case .throttled:
            next.status = .retryScheduled
            next.nextAttemptAt = now.adding(policy.throttleRequeueDelay)
            return .moved(next, effects: [.slowSender(error)])
        case .pairLimited:
            next.status = .retryScheduled
            next.nextAttemptAt = now.adding(PairBackoff.delay(level: next.pairLevel))
            next.pairLevel += 1
            return .moved(next, effects: [])
        case .restricted:
            next.status = .retryScheduled
            next.nextAttemptAt = now.adding(policy.restrictedRequeueDelay)
            return .moved(next, effects: [.restrictSender(error)])
        case .senderLevel:
            next.status = .queued
            next.nextAttemptAt = now
            return .moved(next, effects: [.pauseSender(error)])
        case .inDoubt:
            next.countedAttempts += 1
            if next.countedAttempts >= next.maxAttempts {
                if next.inDoubtGraceUsed { return deadLetter(next, .retriesExhausted) }
                next.inDoubtGraceUsed = true
            }
            next.status = .retryScheduled
            next.nextAttemptAt = now.adding(policy.inDoubtAfter)
            return .moved(next, effects: [])
        }
    }

    private func counted(_ state: MessageState, now: Date, jitter: Double, exhausted: FailureReason) -> Transition {
        var next = state
        next.countedAttempts += 1
        guard next.countedAttempts < next.maxAttempts else { return deadLetter(next, exhausted) }
        next.status = .retryScheduled
        next.nextAttemptAt = now.adding(policy.retry.delay(afterAttempt: next.countedAttempts, random: jitter))
        return .moved(next, effects: [])
    }

    private func deadLetter(_ state: MessageState, _ reason: FailureReason) -> Transition {
        var next = state
        next.status = .failed
        next.failureReason = reason
        next.nextAttemptAt = nil
        return .moved(next, effects: [])
    }

    private func reported(_ state: MessageState, status: MessageStatus, wamid: String?) -> Transition {
        guard let rank = status.deliveryRank else {
            return .rejected(reason: "\(status.rawValue) is not a delivery status (sent, delivered or read)")
        }
        if let current = state.status.deliveryRank, current >= rank { return .unchanged }
        var next = state.released()
        next.status = status
        next.wamid = wamid ?? state.wamid
        next.nextAttemptAt = nil
        next.failureReason = nil
        return .moved(next, effects: [])
    }

    private func notSending(_ state: MessageState, _ event: LifecycleEvent) -> Transition {
        .rejected(reason: "\(event.name) applies to a sending message; this one is \(state.status.rawValue)")
    }
}

extension MessageState {
    /// This state with its lease dropped.
    func released() -> MessageState {
        var copy = self
        copy.leaseOwner = nil
        copy.leaseExpiresAt = nil
        return copy
    }
}
