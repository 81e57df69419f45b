import Foundation

/// What the alert rule looks at: the health facts, the campaigns Meta paused, and the recent media upload
/// failures and forged webhook signatures.
public struct AlertFacts: Sendable {
    public var health: HealthFacts
    /// Campaigns paused by a Meta verdict (132015, 132016, 131048), with the pause reason.
    public var campaignsPausedByMeta: [(id: String, reason: String)]
    /// Media uploads that failed in the rule's window.
    public var mediaUploadFailures: Int
    /// Webhooks refused for a wrong signature in the rule's forged-signature window.
    public var forgedSignatures: Int

    public init(
        health: HealthFacts, campaignsPausedByMeta: [(id: String, reason: String)] = [], mediaUploadFailures: Int = 0,
        forgedSignatures: Int = 0
    ) {
        self.health = health
        self.campaignsPausedByMeta = campaignsPausedByMeta
        self.mediaUploadFailures = mediaUploadFailures
        self.forgedSignatures = forgedSignatures
    }
}

/// Which conditions raise an alert (`GET /v1/alerts`, the alert webhook): the health rule's retry rate
/// and dead letters (same thresholds: `HealthRule`), a sender needing re-authentication or a QR scan or
/// out of reconnection attempts, a campaign Meta paused, media uploads failing, and a burst of forged
/// webhook signatures. An alert stays open while its condition holds and resolves itself when it clears.
public struct AlertRule: Sendable {
    public var health: HealthRule
    /// The window media upload failures are counted over.
    public var mediaWindow: TimeInterval
    /// The window forged signatures are counted over, and how many in it make a burst.
    public var forgedWindow: TimeInterval
    public var forgedBurst: Int

    public init(health: HealthRule = .standard, mediaWindow: TimeInterval = 15 * 60, forgedWindow: TimeInterval = 5 * 60, forgedBurst: Int = 10) {
        self.health = health
        self.mediaWindow = mediaWindow
        self.forgedWindow = forgedWindow
        self.forgedBurst = forgedBurst
    }

    public static let standard = AlertRule()

    /// The conditions that hold now.
    public func conditions(_ facts: AlertFacts) -> [AlertCondition] {
        var found: [AlertCondition] = []
        let system = "system"
        if let rate = health.retryRate(facts.health) {
            found.append(
                AlertCondition(
                    kind: .retryRateHigh, subject: system,
                    message:
                        "\(HealthRule.percent(rate)) of the last \(Int(health.window / 60)) minutes' attempts were retries (threshold \(HealthRule.percent(health.retryRateThreshold)))"
                ))
        }
        if facts.health.deadLetteredLastHour > 0 {
            found.append(
                AlertCondition(
                    kind: .deadLettersGrew, subject: system,
                    message: "\(facts.health.deadLetteredLastHour) messages were dead-lettered in the last hour"))
        }
        for sender in facts.health.senders.sorted(by: { $0.id < $1.id }) {
            switch (sender.health.status, sender.health.pauseReason) {
            case (.paused, .senderError(let code, let title)):
                found.append(
                    AlertCondition(
                        kind: .senderNeedsReauthentication, subject: sender.id,
                        message: "sender \(sender.id) was paused by Meta's \(code) (\(title)): renew its credentials, then resume it"))
            case (.needsPairing, _):
                found.append(
                    AlertCondition(kind: .senderNeedsPairing, subject: sender.id, message: "sender \(sender.id) waits for a QR code scan"))
            case (.needsAttention, _):
                found.append(
                    AlertCondition(
                        kind: .senderReconnectsExhausted, subject: sender.id,
                        message: "sender \(sender.id) needs attention\(sender.health.lastFailureReason.map { ": \($0)" } ?? "")"))
            default: break
            }
        }
        for campaign in facts.campaignsPausedByMeta.sorted(by: { $0.id < $1.id }) {
            found.append(
                AlertCondition(kind: .campaignPausedByMeta, subject: campaign.id, message: "campaign \(campaign.id) paused: \(campaign.reason)"))
        }
        if facts.mediaUploadFailures > 0 {
            found.append(
                AlertCondition(
                    kind: .mediaRefreshFailed, subject: system,
                    message: "\(facts.mediaUploadFailures) media uploads failed in the last \(Int(mediaWindow / 60)) minutes"))
        }
        if facts.forgedSignatures >= forgedBurst {
            found.append(
                AlertCondition(
                    kind: .forgedWebhookSignatures, subject: system,
                    message: "\(facts.forgedSignatures) webhooks with a wrong signature in the last \(Int(forgedWindow / 60)) minutes"))
        }
        return found
    }
}

/// How stored alerts change with the conditions that hold now: a condition with no open alert opens one,
/// one that still holds is seen again (its message brought up to date), and an open alert whose condition
/// no longer holds is resolved.
public enum AlertBook {
    /// What a look changes.
    public struct Changes: Sendable, Hashable {
        public var opened: [Alert] = []
        public var seen: [Alert] = []
        public var resolved: [Alert] = []

        public init(opened: [Alert] = [], seen: [Alert] = [], resolved: [Alert] = []) {
            self.opened = opened
            self.seen = seen
            self.resolved = resolved
        }

        public var isEmpty: Bool { opened.isEmpty && seen.isEmpty && resolved.isEmpty }
    }

    public static func reconcile(open: [Alert], holding: [AlertCondition], now: Date, newID: () -> String) -> Changes {
        var changes = Changes()
        let openByKey = Dictionary(open.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let holdingKeys = Set(holding.map(\.key))
        for condition in holding {
            if var alert = openByKey[condition.key] {
                alert.lastSeenAt = now
                alert.message = condition.message
                changes.seen.append(alert)
            } else {
                changes.opened.append(
                    Alert(
                        id: newID(), kind: condition.kind, subject: condition.subject, status: .open, message: condition.message, firstSeenAt: now,
                        lastSeenAt: now, resolvedAt: nil))
            }
        }
        for alert in open where !holdingKeys.contains(alert.key) {
            var resolved = alert
            resolved.status = .resolved
            resolved.resolvedAt = now
            changes.resolved.append(resolved)
        }
        return changes
    }
}
