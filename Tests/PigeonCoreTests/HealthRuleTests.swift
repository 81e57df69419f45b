import Foundation
import PigeonCore
import Testing

/// The health rule, condition by condition: each level is reached by the conditions the README lists, the
/// worst decides, and `reasons` names them.
@Suite struct HealthRuleTests {
    static func sender(_ id: String, _ status: SenderStatus, pool: String = "default") -> SenderRecord {
        SenderRecord(
            id: id, kind: .cloudAPI, pool: pool, limits: .unpaced, settings: SenderSettings(), sealedSecrets: [],
            health: SenderHealth(status: status), createdAt: .distantPast, updatedAt: .distantPast)
    }

    static func verdict(_ facts: HealthFacts) -> (HealthLevel, [String]) {
        let health = HealthRule.standard.evaluate(facts)
        return (health.overall, health.reasons.map(\.code))
    }

    @Test func aWorkingSystemIsHealthy() {
        let facts = HealthFacts(
            databaseReachable: true, senders: [Self.sender("a", .connected), Self.sender("b", .disabled)], due: [.pool("default"): 5],
            oldestDueWait: 2, attempts: 1000, retries: 100)
        #expect(Self.verdict(facts) == (.healthy, []), "10 % retries is at the threshold, not above it")
    }

    @Test func anUnreachableDatabaseOrDueMessagesWithoutASenderAreCritical() {
        #expect(Self.verdict(HealthFacts(databaseReachable: false)) == (.critical, ["database_unreachable"]))
        let stranded = HealthFacts(
            databaseReachable: true, senders: [Self.sender("a", .needsPairing, pool: "web"), Self.sender("b", .connected)],
            due: [.pool("web"): 3, .pool("default"): 2, .sender("c"): 0])
        let health = HealthRule.standard.evaluate(stranded)
        #expect(health.overall == .critical)
        #expect(health.reasons.map(\.code) == ["no_sender_for_due_messages", "sender_needs_pairing"], "\(health.reasons)")
        #expect(health.reasons.first?.subject == "pool web" && health.reasons.first?.message.contains("3 messages") == true)
        let pinned = HealthFacts(databaseReachable: true, senders: [Self.sender("c", .paused)], due: [.sender("c"): 1])
        #expect(Self.verdict(pinned) == (.critical, ["no_sender_for_due_messages", "sender_paused"]))
    }

    @Test func aHighRetryRateDeadLettersOrASenderNeedingAHumanAreWarnings() {
        #expect(Self.verdict(HealthFacts(databaseReachable: true, attempts: 1000, retries: 101)) == (.warning, ["retry_rate_high"]))
        #expect(
            Self.verdict(HealthFacts(databaseReachable: true, attempts: 19, retries: 19)) == (.healthy, []),
            "too few attempts to judge a rate")
        #expect(Self.verdict(HealthFacts(databaseReachable: true, deadLetteredLastHour: 1)) == (.warning, ["dead_letters_grew"]))
        let attention = HealthFacts(databaseReachable: true, senders: [Self.sender("a", .needsAttention), Self.sender("b", .connected)])
        #expect(Self.verdict(attention) == (.warning, ["sender_needs_attention"]))
    }

    @Test func aSenderHeldBackOrALongWaitIsDegraded() {
        let senders = [
            Self.sender("a", .paused), Self.sender("b", .restricted), Self.sender("c", .disconnected), Self.sender("d", .connecting),
            Self.sender("e", .connected),
        ]
        let facts = HealthFacts(databaseReachable: true, senders: senders, throttled: ["e"], due: [.pool("default"): 4], oldestDueWait: 301)
        #expect(
            Self.verdict(facts)
                == (
                    .degraded,
                    [
                        "sender_paused", "sender_restricted", "sender_reconnecting", "sender_reconnecting", "sender_throttled",
                        "oldest_due_message_waiting",
                    ]
                ))
        #expect(Self.verdict(HealthFacts(databaseReachable: true, oldestDueWait: 300)) == (.healthy, []))
    }

    @Test func theWorstConditionDecidesAndComesFirst() {
        let facts = HealthFacts(
            databaseReachable: true, senders: [Self.sender("a", .paused, pool: "web")], due: [.pool("web"): 1], oldestDueWait: 900,
            deadLetteredLastHour: 2)
        let health = HealthRule.standard.evaluate(facts)
        #expect(health.overall == .critical)
        #expect(health.reasons.map(\.level) == [.critical, .warning, .degraded, .degraded])
    }
}

/// The funnel counters every store keeps per minute: accepted once, each delivery rank reached once.
@Suite struct FunnelCounterTests {
    @Test func aMoveUpTheRanksReachesEachRankItPassesOnce() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var counters = CounterChanges()
        counters.moved(from: nil, to: .queued, at: now)
        counters.moved(from: .sending, to: .sent, at: now)
        counters.moved(from: .sent, to: .read, at: now)
        counters.moved(from: .delivered, to: .read, at: now)
        counters.moved(from: .read, to: .read, at: now)
        counters.moved(from: .sending, to: .failed, at: now)
        counters.moved(from: .queued, to: nil)
        let minute = counters.minutes[now.millisecondsSince1970 / 60_000]
        #expect(minute?.accepted == 1 && minute?.sent == 1 && minute?.delivered == 1 && minute?.read == 2, "\(String(describing: minute))")
        #expect(counters.statuses[.queued] == 0 && counters.statuses[.read] == 2)
    }
}
