import Foundation
import PigeonCore
import Testing

/// Which conditions raise alerts, and how open alerts follow them: opened once, seen while they hold,
/// resolved when they clear.
@Suite struct AlertRuleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func sender(_ id: String, _ status: SenderStatus, pause: SenderPauseReason? = nil) -> SenderRecord {
        SenderRecord(
            id: id, kind: .cloudAPI, pool: "default", limits: .unpaced, settings: SenderSettings(), sealedSecrets: [],
            health: SenderHealth(status: status, pauseReason: pause), createdAt: .distantPast, updatedAt: .distantPast)
    }

    @Test func eachConditionRaisesItsKindForItsSubject() {
        let senders = [
            Self.sender("a", .paused, pause: .senderError(code: 190, title: "Access token has expired")), Self.sender("b", .needsPairing),
            Self.sender("c", .needsAttention), Self.sender("d", .paused, pause: .operator), Self.sender("e", .connected),
        ]
        let facts = AlertFacts(
            health: HealthFacts(databaseReachable: true, senders: senders, attempts: 100, retries: 11, deadLetteredLastHour: 2),
            campaignsPausedByMeta: [(id: "cmp_1", reason: "132015: Meta paused the template")], mediaUploadFailures: 1, forgedSignatures: 10)
        let found = AlertRule.standard.conditions(facts)
        #expect(
            found.map(\.key) == [
                "retry_rate_high:system", "dead_letters_grew:system", "sender_needs_reauthentication:a", "sender_needs_pairing:b",
                "sender_reconnects_exhausted:c", "campaign_paused_by_meta:cmp_1", "media_refresh_failed:system",
                "forged_webhook_signatures:system",
            ], "\(found.map(\.key))")
        #expect(found[2].message.contains("190"), "\(found[2].message)")
        let quiet = AlertFacts(
            health: HealthFacts(databaseReachable: true, senders: [Self.sender("d", .paused, pause: .operator)], attempts: 100, retries: 10),
            forgedSignatures: 9)
        #expect(AlertRule.standard.conditions(quiet).isEmpty, "an operator's pause, 10 % retries or 9 forged signatures raised an alert")
    }

    @Test func anAlertOpensOnceStaysOpenWhileItsConditionHoldsAndResolvesWhenItClears() {
        let condition = AlertCondition(kind: .deadLettersGrew, subject: "system", message: "2 messages were dead-lettered in the last hour")
        var ids = 0
        let newID = {
            ids += 1
            return "alt_\(ids)"
        }
        let first = AlertBook.reconcile(open: [], holding: [condition], now: Self.t0, newID: newID)
        #expect(first.opened.map(\.id) == ["alt_1"] && first.seen.isEmpty && first.resolved.isEmpty)
        let opened = first.opened[0]
        #expect(opened.status == .open && opened.firstSeenAt == Self.t0 && opened.resolvedAt == nil)
        var later = condition
        later.message = "3 messages were dead-lettered in the last hour"
        let second = AlertBook.reconcile(open: [opened], holding: [later], now: Self.t0.addingTimeInterval(30), newID: newID)
        #expect(second.opened.isEmpty && second.seen.map(\.id) == ["alt_1"])
        #expect(second.seen[0].lastSeenAt == Self.t0.addingTimeInterval(30) && second.seen[0].message == later.message)
        let third = AlertBook.reconcile(open: [second.seen[0]], holding: [], now: Self.t0.addingTimeInterval(60), newID: newID)
        #expect(third.resolved.map(\.id) == ["alt_1"] && third.resolved[0].status == .resolved)
        #expect(third.resolved[0].resolvedAt == Self.t0.addingTimeInterval(60) && third.resolved[0].firstSeenAt == Self.t0)
        let again = AlertBook.reconcile(open: [], holding: [condition], now: Self.t0.addingTimeInterval(90), newID: newID)
        #expect(again.opened.map(\.id) == ["alt_2"], "a condition that comes back opens a new alert")
    }
}
