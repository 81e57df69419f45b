import Foundation
import PigeonCore

/// Reads what `HealthRule` looks at (the store's queue and counters, the senders, the pacer's holds) and
/// returns its verdict with those facts: the one answer behind `GET /v1/health` and the dashboard. A store
/// that does not answer is the `critical` verdict, never an error.
public struct HealthCheck: Sendable {
    let service: MessageService
    let rule: HealthRule

    public init(service: MessageService, rule: HealthRule = .standard) {
        self.service = service
        self.rule = rule
    }

    /// The verdict now.
    public func run() async -> HealthReport {
        let now = service.clock.now()
        let (facts, queue) = await read(now: now)
        return HealthReport(health: rule.evaluate(facts), senders: facts.senders, throttled: facts.throttled, queue: queue, at: now)
    }

    /// The facts at `now`, with the messages per status (nil, and the database unreachable, when the store
    /// did not answer).
    func read(now: Date) async -> (HealthFacts, queue: [MessageStatus: Int]?) {
        let throttled = Set(service.pacer.holds(now: now).keys)
        do {
            let delivery = try await service.store.stats(windowStart: now.addingTimeInterval(-rule.window))
            let queue = try await service.store.queueHealth(now: now, deadLetteredSince: now.addingTimeInterval(-3600))
            let senders = try await service.senders.reload()
            let known = Dictionary(uniqueKeysWithValues: senders.map { ($0.id, $0) })
            var due: [DueRoute: Int] = [:]
            for (sender, count) in queue.dueBySender {
                due[known[sender].map { .pool($0.pool) } ?? .sender(sender), default: 0] += count
            }
            let facts = HealthFacts(
                databaseReachable: true, senders: senders, throttled: throttled, due: due,
                oldestDueWait: queue.oldestDueAt.map { now.timeIntervalSince($0) }, attempts: delivery.attemptsInWindow,
                retries: delivery.retriesInWindow, deadLetteredLastHour: queue.deadLettered)
            return (facts, delivery.counts)
        } catch {
            return (HealthFacts(databaseReachable: false, senders: service.senders.all, throttled: throttled), nil)
        }
    }
}

/// A health verdict with the facts shown beside it.
public struct HealthReport: Sendable {
    public var health: Health
    /// Every sender, by id.
    public var senders: [SenderRecord]
    /// Senders a rate limit holds back now.
    public var throttled: Set<String>
    /// Messages per status; nil when the store did not answer.
    public var queue: [MessageStatus: Int]?
    /// When it was read.
    public var at: Date
}
