import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Returns messages whose lease expired (their worker died or hung) to the queue while the service runs.
/// The unfinished attempt is marked `in_doubt`, and the message is resent after the in-doubt quiet period.
public struct LeaseReaper: Service {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// How often to look for expired leases (default 2 s).
        public var interval: Duration
        /// Most messages reclaimed per transaction (default 500).
        public var batchSize: Int

        public static let defaultInterval: Duration = .seconds(2)
        public static let defaultBatchSize = 500

        public init(interval: Duration = Configuration.defaultInterval, batchSize: Int = Configuration.defaultBatchSize) {
            self.interval = interval
            self.batchSize = batchSize
        }
    }

    let store: any MessageQueue
    let lifecycle: Lifecycle
    let clock: any PigeonClock
    let signal: WakeSignal
    let configuration: Configuration
    let logger: Logger
    let random: @Sendable () -> Double
    /// Runs only while this process leads.
    let leadership: Leadership
    let metrics: PigeonMetrics

    public init(
        store: any MessageQueue, lifecycle: Lifecycle, clock: any PigeonClock, signal: WakeSignal,
        configuration: Configuration = Configuration(), leadership: Leadership, logger: Logger, metrics: PigeonMetrics = .disabled,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.metrics = metrics
        self.leadership = leadership
        self.store = store
        self.lifecycle = lifecycle
        self.clock = clock
        self.signal = signal
        self.configuration = configuration
        self.logger = logger
        self.random = random
    }

    public func run() async throws {
        try await Periodic.run(every: configuration.interval, clock: clock, logger: logger, name: "lease reaper", leadership: leadership) { now in
            _ = try await runOnce(now: now)
        }
    }

    /// One pass: reclaims every expired lease; returns how many messages were reclaimed.
    public func runOnce(now: Date) async throws -> Int {
        let lifecycle = self.lifecycle
        let random = self.random
        let total = try await Periodic.drain(batchSize: configuration.batchSize) {
            try await store.reclaimExpiredLeases(now: now, limit: configuration.batchSize) { record in
                lifecycle.transition(record.state, .leaseExpired(jitter: random()), now: now).state
            }
        }
        metrics.reclaimed(total)
        if total > 0 {
            logger.warning(
                "reclaimed messages whose lease expired; their last attempt is in doubt and will be resent after the quiet period",
                metadata: ["count": "\(total)"])
            signal.notify()
        }
        return total
    }
}
