import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Keeps the senders moving with time: every `interval` it reads every sender from the store (so changes
/// made by other instances reach this one's send path) and ticks each one whose lifecycle has something
/// due (a reconnect attempt, the end of a restriction, a stability period reached). The tick is applied in
/// the store's transaction, so of several instances only one carries out a due reconnect. Each pass also
/// moves pooled messages still waiting on a sender that does not send (one in doubt, once its in-doubt
/// period ends; one another instance could not move). The instance
/// that leads also checks each Cloud API number's health every `numberCheckInterval` (Meta rate-limits
/// these reads), which is how a number paused by an expired token resumes once its token works again, and
/// each web session's status at its bridge every 25–40 s (`PIGEON_SESSION_HEALTH_INTERVAL`), which is how a
/// session that dropped is noticed and restarted, or logged out on its third logged-out drop in a row.
public struct SenderMonitor: Service {
    /// How often it looks (default 1 s).
    public static let defaultInterval: Duration = .seconds(1)
    /// How often a Cloud API number's health is read from Meta (default 5 minutes).
    public static let defaultNumberCheckInterval: Duration = .seconds(300)

    let senders: SenderService
    let clock: any PigeonClock
    let interval: Duration
    let numberCheckInterval: Duration
    let sessionCheckInterval: SessionCheckInterval
    let leadership: Leadership?
    let random: @Sendable () -> Double
    let logger: Logger

    public init(
        senders: SenderService, clock: any PigeonClock, interval: Duration = SenderMonitor.defaultInterval,
        numberCheckInterval: Duration = SenderMonitor.defaultNumberCheckInterval,
        sessionCheckInterval: SessionCheckInterval = .default, leadership: Leadership?,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, logger: Logger
    ) {
        self.sessionCheckInterval = sessionCheckInterval
        self.random = random
        self.senders = senders
        self.clock = clock
        self.interval = interval
        self.numberCheckInterval = numberCheckInterval
        self.leadership = leadership
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(every: interval, clock: clock, logger: logger, name: "sender monitor") { now in
            try await runOnce(now: now)
        }
    }

    /// One pass at `now`; returns the ids of the senders it ticked or checked.
    @discardableResult
    public func runOnce(now: Date) async throws -> [String] {
        var touched: [String] = []
        let leads = await leadership?.leads() ?? true
        let all = try await senders.reload()
        for pool in Set(all.map(\.pool)) where !PoolRouting.stalled(pool: pool, in: all).isEmpty {
            try await senders.reroute(pool)
        }
        for record in all {
            if senders.lifecycle.transition(record.health, .tick, now: now).health != record.health {
                try await senders.apply(.tick, to: record.id)
                touched.append(record.id)
            }
            if leads, numberCheckDue(record, now: now) {
                try await senders.check(record.id)
                touched.append(record.id)
            }
            if leads, sessionCheckDue(record, now: now) {
                try await senders.check(record.id, next: sessionCheckInterval.next(after: now, random: random()))
                touched.append(record.id)
            }
        }
        return touched
    }

    /// Whether `record` is a web session whose next check is due, and that is not held back by an operator or
    /// disabled.
    func sessionCheckDue(_ record: SenderRecord, now: Date) -> Bool {
        guard record.kind == .webSession, record.health.status != .disabled, record.health.pauseReason != .operator else { return false }
        return record.health.nextCheckAt.map { $0 <= now } ?? true
    }

    /// Whether `record` is a Cloud API number whose health was last read over `numberCheckInterval` ago and
    /// that is not held back by an operator (paused, disabled).
    func numberCheckDue(_ record: SenderRecord, now: Date) -> Bool {
        guard record.kind == .cloudAPI, record.health.status != .disabled, record.health.pauseReason != .operator else { return false }
        guard let checked = record.numberHealth.checkedAt else { return true }
        return checked.adding(numberCheckInterval) <= now
    }
}
