import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Keeps the senders moving with time: every `interval` it reads every sender from the store (so changes
/// made by other instances reach this one's send path) and ticks each one whose lifecycle has something
/// due (a reconnect attempt, the end of a restriction, a stability period reached). The tick is applied in
/// the store's transaction, so of several instances only one carries out a due reconnect.
public struct SenderMonitor: Service {
    /// How often it looks (default 1 s).
    public static let defaultInterval: Duration = .seconds(1)

    let senders: SenderService
    let clock: any PigeonClock
    let interval: Duration
    let logger: Logger

    public init(senders: SenderService, clock: any PigeonClock, interval: Duration = SenderMonitor.defaultInterval, logger: Logger) {
        self.senders = senders
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(every: interval, clock: clock, logger: logger, name: "sender monitor") { now in
            try await runOnce(now: now)
        }
    }

    /// One pass at `now`; returns the ids of the senders it ticked.
    @discardableResult
    public func runOnce(now: Date) async throws -> [String] {
        var ticked: [String] = []
        for record in try await senders.reload()
        where senders.lifecycle.transition(record.health, .tick, now: now).health != record.health {
            try await senders.apply(.tick, to: record.id)
            ticked.append(record.id)
        }
        return ticked
    }
}
