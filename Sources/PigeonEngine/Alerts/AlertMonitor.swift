import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Raises and resolves alerts: every look (each 30 s, only while this process leads) it reads the facts
/// `AlertRule` judges, finds the conditions that hold, and records with `AlertBook` which alerts open, stay
/// open and resolve. An opened alert is logged at error level and counted in `pigeon_alerts_total`; a
/// resolved one is logged at notice level. With an alert webhook, each opened and resolved alert is queued
/// for it in the same transaction (`AlertBody`), and its forwarder woken.
public struct AlertMonitor: Service {
    let store: any PigeonStore
    let health: HealthCheck
    let campaigns: CampaignService
    let rule: AlertRule
    /// Webhooks refused for a wrong signature (recorded by the webhook routes of this process).
    public let forgedSignatures: WindowCount
    let metrics: PigeonMetrics
    let clock: any PigeonClock
    let leadership: Leadership
    let logger: Logger
    /// The alert forwarder's signal, when an alert webhook is set.
    let delivery: WakeSignal?
    /// How often it looks.
    public static let interval: Duration = .seconds(30)

    public init(
        store: any PigeonStore, service: MessageService, campaigns: CampaignService, rule: AlertRule = .standard, clock: any PigeonClock,
        leadership: Leadership, logger: Logger, delivery: WakeSignal? = nil
    ) {
        self.delivery = delivery
        self.store = store
        self.health = HealthCheck(service: service, rule: rule.health)
        self.campaigns = campaigns
        self.rule = rule
        self.forgedSignatures = WindowCount(window: rule.forgedWindow, clock: clock)
        self.metrics = service.metrics
        self.clock = clock
        self.leadership = leadership
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(every: Self.interval, clock: clock, logger: logger, name: "alert monitor", leadership: leadership) { now in
            _ = try await runOnce(now: now)
        }
    }

    /// One look: returns what changed.
    @discardableResult
    public func runOnce(now: Date) async throws -> AlertBook.Changes {
        let (facts, _) = await health.read(now: now)
        guard facts.databaseReachable else { return AlertBook.Changes() }
        let paused = try await campaigns.all { $0.status == .paused && $0.pauseCode != nil }.map {
            (id: $0.id, reason: $0.pauseReason ?? "paused by Meta")
        }
        let alertFacts = AlertFacts(
            health: facts, campaignsPausedByMeta: paused,
            mediaUploadFailures: try await store.mediaUploadFailures(since: now.addingTimeInterval(-rule.mediaWindow)),
            forgedSignatures: forgedSignatures.count(now))
        var changes = AlertBook.reconcile(
            open: try await store.openAlerts(), holding: rule.conditions(alertFacts), now: now,
            newID: { "alt_\(MessageID.generate(now: now).rawValue.dropFirst(4))" })
        let notify: (@Sendable (Alert) -> Data)? = delivery == nil ? nil : AlertBody.json
        changes.opened = try await store.recordAlerts(changes, notify: notify)
        if !changes.opened.isEmpty || !changes.resolved.isEmpty { delivery?.notify() }
        for alert in changes.opened {
            metrics.alertOpened(alert.kind)
            logger.error(
                "alert raised: \(alert.message)", metadata: ["alert": "\(alert.id)", "kind": "\(alert.kind.rawValue)", "subject": "\(alert.subject)"])
        }
        for alert in changes.resolved {
            logger.notice("alert resolved", metadata: ["alert": "\(alert.id)", "kind": "\(alert.kind.rawValue)", "subject": "\(alert.subject)"])
        }
        return changes
    }
}
