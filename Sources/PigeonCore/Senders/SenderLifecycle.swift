import Foundation

/// The sender state machine: `transition(health, event, now)` is a pure function, the one place where the
/// rules for senders live (see `SenderStatus` for how each status is entered and left).
///
/// ```
///            ┌──────────── working ─────────────┐
///            v                                  │
/// connecting ──working──> connected ──restricted(until)──> restricted ──tick past until──> connected
///   ^   │                   │ logged out (1st, 2nd in a row) ──> connecting (restart, credentials kept)
///   │   │                   │ logged out (3rd in a row) ───────> needs_pairing (logout: credentials deleted)
///   │   │                   │ dropped (not counted) ───────────> disconnected
///   │   └─dropped──> disconnected ──tick at 1, 2, 3, 4, 5 min──> connecting (start) ──dropped──> …
///   │                            after the last attempt ──────> needs_attention (alert)
///   └──connect── paused (operator, or a sender-level error) <──pause / disconnect / sender error── any
/// working for `stableAfter` without a drop ──> the logged-out count returns to 0
/// banned ──> needs_attention;  enabled(false) ──> disabled ──enabled(true)──> connecting
/// ```
public struct SenderLifecycle: Sendable {
    /// The waits before each reconnect attempt of a `disconnected` sender (`PIGEON_RECONNECT_SCHEDULE`);
    /// once they are used up the sender needs attention.
    public var reconnectSchedule: [Duration]
    /// How long a session must work without a drop before its logged-out count returns to zero
    /// (`PIGEON_SESSION_STABLE_AFTER`).
    public var stableAfter: Duration
    /// The logged-out drop in a row that deletes the session's credentials (the ones before keep them).
    public var logoutAtFailure: Int
    /// How long a restriction lasts when WhatsApp does not say (a 463 answered without an end time): the
    /// session's health check corrects it when the bridge reports `reachoutTimelock` (default 1 hour).
    public var defaultRestriction: Duration

    /// The default reconnect schedule: 1, 2, 3, 4 and 5 minutes.
    public static let defaultReconnectSchedule: [Duration] = (1...5).map { .seconds($0 * 60) }
    /// The default stability period: 2 minutes.
    public static let defaultStableAfter: Duration = .seconds(120)

    public init(
        reconnectSchedule: [Duration] = SenderLifecycle.defaultReconnectSchedule, stableAfter: Duration = SenderLifecycle.defaultStableAfter,
        logoutAtFailure: Int = 3, defaultRestriction: Duration = .seconds(3600)
    ) {
        self.defaultRestriction = defaultRestriction
        self.reconnectSchedule = reconnectSchedule
        self.stableAfter = stableAfter
        self.logoutAtFailure = logoutAtFailure
    }

    /// The result of a transition: the new health and what to do about it.
    public struct Result: Sendable, Hashable {
        public var health: SenderHealth
        public var effects: [SenderEffect]
    }

    /// Applies `event` to `health` at `now`.
    public func transition(_ health: SenderHealth, _ event: SenderEvent, now: Date) -> Result {
        if health.status == .disabled {
            guard event == .enabled(true) else { return Result(health: health, effects: []) }
            var next = health
            next.status = .connecting
            next.reconnectAttempts = 0
            return Result(health: next, effects: [.startSession])
        }
        let operatorPaused = health.status == .paused && health.pauseReason == .operator
        var next = health
        var effects: [SenderEffect] = []
        /// Leaves a sending status: the sender's pooled messages go to the others.
        func leave(to status: SenderStatus) {
            if health.status.sends && !status.sends { effects.append(.reroute) }
            next.status = status
            next.workingSince = nil
            next.nextReconnectAt = nil
        }
        func failure(_ reason: String) {
            next.lastFailureAt = now
            next.lastFailureReason = reason
        }
        switch event {
        case .working:
            guard !operatorPaused, health.status != .connected, health.status != .restricted else { break }
            // A restriction outlives a reconnect: WhatsApp keeps it on the account.
            next.status = (health.restrictedUntil.map { $0 > now } ?? false) ? .restricted : .connected
            next.workingSince = now
            next.reconnectAttempts = 0
            next.nextReconnectAt = nil
            next.pauseReason = nil
        case .loggedOut(let reason):
            guard !operatorPaused, health.status != .needsPairing else { break }
            failure(reason)
            next.consecutiveFailures += 1
            if next.consecutiveFailures >= logoutAtFailure {
                leave(to: .needsPairing)
                next.consecutiveFailures = 0
                effects += [
                    .logoutSession,
                    .alert("the session was logged out \(logoutAtFailure) times in a row; its credentials were deleted: pair it again (QR code)"),
                ]
            } else {
                leave(to: .connecting)
                next.reconnects = (health.reconnects ?? 0) + 1
                effects.append(.restartSession)
            }
        case .dropped(let reason):
            // Already reconnecting: a check that finds the session still down keeps the schedule.
            guard !operatorPaused, ![.needsPairing, .needsAttention, .paused, .disconnected].contains(health.status) else { break }
            failure(reason)
            let attempts = health.status == .connecting ? health.reconnectAttempts : 0
            if attempts >= reconnectSchedule.count {
                leave(to: .needsAttention)
                effects.append(.alert("\(attempts) reconnect attempts failed (\(reason)): check the bridge and the phone, then connect it"))
            } else {
                leave(to: .disconnected)
                next.reconnectAttempts = attempts
                next.nextReconnectAt = now.adding(reconnectSchedule[attempts])
            }
        case .awaitingPairing:
            guard !operatorPaused else { break }
            leave(to: .needsPairing)
        case .restricted(let until):
            let current = health.restrictedUntil.flatMap { $0 > now ? $0 : nil }
            let end = until ?? current ?? now.adding(defaultRestriction)
            next.restrictedUntil = max(current ?? end, end)
            guard [.connected, .connecting, .restricted].contains(health.status) else { break }
            next.status = .restricted
            next.workingSince = health.workingSince ?? now
        case .senderError(let code, let title):
            guard !operatorPaused else { break }
            failure(title)
            leave(to: .paused)
            next.pauseReason = .senderError(code: code, title: title)
        case .banned(let reason):
            failure(reason)
            leave(to: .needsAttention)
            effects.append(.alert("the number is banned or blocked (\(reason)): it takes no more messages"))
        case .pause:
            leave(to: .paused)
            next.pauseReason = .operator
        case .resume:
            guard health.status == .paused else { break }
            next.status = .connected
            next.workingSince = now
            next.pauseReason = nil
        case .connect:
            guard !health.status.sends else { break }
            leave(to: .connecting)
            next.reconnectAttempts = 0
            next.pauseReason = nil
            effects.append(.startSession)
        case .disconnect(let forgetSession):
            if forgetSession {
                leave(to: .needsPairing)
                next.consecutiveFailures = 0
                next.pauseReason = nil
                effects.append(.logoutSession)
            } else {
                leave(to: .paused)
                next.pauseReason = .operator
                effects.append(.stopSession)
            }
        case .enabled(let enabled):
            guard !enabled else { break }
            leave(to: .disabled)
        case .tick:
            return tick(health, now: now)
        }
        return Result(health: next, effects: effects)
    }

    /// Time passing: a due reconnect attempt, the end of a restriction, a stability period reached.
    private func tick(_ health: SenderHealth, now: Date) -> Result {
        var next = health
        var effects: [SenderEffect] = []
        if health.status == .disconnected, let due = health.nextReconnectAt, due <= now {
            next.status = .connecting
            next.reconnectAttempts += 1
            next.reconnects = (health.reconnects ?? 0) + 1
            next.nextReconnectAt = nil
            effects.append(.startSession)
        }
        if health.status == .restricted, let until = health.restrictedUntil, until <= now {
            next.status = .connected
            next.restrictedUntil = nil
        }
        if next.status.sends, next.consecutiveFailures > 0, let since = next.workingSince, since.adding(stableAfter) <= now {
            next.consecutiveFailures = 0
        }
        return Result(health: next, effects: effects)
    }
}
