import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Deletes `failed` and `cancelled` messages (with their history) once they are older than the retention
/// period, never earlier. Other statuses are kept. Webhook bodies, once processed, are kept for the same
/// period (their events stay with their messages).
public struct RetentionJob: Service {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// How long ended messages are kept (default 30 days).
        public var retention: Duration
        /// How often to purge (default 1 hour).
        public var interval: Duration
        /// Most messages deleted per transaction (default 1,000).
        public var batchSize: Int

        public static let defaultRetentionDays = 30
        public static let defaultInterval: Duration = .seconds(3600)
        public static let defaultBatchSize = 1000

        public init(
            retention: Duration = .seconds(Int64(Configuration.defaultRetentionDays) * 86400),
            interval: Duration = Configuration.defaultInterval, batchSize: Int = Configuration.defaultBatchSize
        ) {
            self.retention = retention
            self.interval = interval
            self.batchSize = batchSize
        }
    }

    /// The statuses that are purged.
    public static let purgedStatuses: [MessageStatus] = [.failed, .cancelled]

    let store: any MessageAdministration & WebhookInbox
    let clock: any PigeonClock
    let configuration: Configuration
    let logger: Logger
    /// Runs only while this process leads.
    let leadership: Leadership

    public init(
        store: any MessageAdministration & WebhookInbox, clock: any PigeonClock, configuration: Configuration, leadership: Leadership,
        logger: Logger
    ) {
        self.leadership = leadership
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(every: configuration.interval, clock: clock, logger: logger, name: "retention", leadership: leadership) { now in
            _ = try await runOnce(now: now)
        }
    }

    /// One pass: deletes every ended message last changed before `now` minus the retention; returns how many.
    public func runOnce(now: Date) async throws -> Int {
        let cutoff = now.adding(.zero - configuration.retention)
        let total = try await Periodic.drain(batchSize: configuration.batchSize) {
            try await store.purge(statuses: Self.purgedStatuses, before: cutoff, limit: configuration.batchSize)
        }
        if total > 0 { logger.info("purged ended messages past retention", metadata: ["count": "\(total)"]) }
        let webhooks = try await Periodic.drain(batchSize: configuration.batchSize) {
            try await store.purgeWebhooks(before: cutoff, limit: configuration.batchSize)
        }
        if webhooks > 0 { logger.info("purged processed webhook bodies past retention", metadata: ["count": "\(webhooks)"]) }
        return total
    }
}
