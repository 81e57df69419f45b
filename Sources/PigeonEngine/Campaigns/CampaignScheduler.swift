import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Sends each started campaign's day: every look (at least once a minute, only while this process leads)
/// it asks `CampaignPacing` how many sends are due now, takes that many recipients (scheduled ones first,
/// then failures `CampaignRetryRule` lets a later day retry), skips the opted-out, and stores each one's
/// message with its recipient's move to `sending` in one transaction that also writes the day's count,
/// guarded by the count it read, so no recipient is sent twice and no day exceeds its limit. Campaigns on
/// numbers of one portfolio share its messaging tier's budget of unique recipients per moving 24 h
/// (`Portfolio`). A campaign Meta stops (`CampaignBrakes`: a paused or disabled template, a number
/// restricted for spam) pauses itself with the reason; one with nothing pending, sending or retryable is
/// completed.
public struct CampaignScheduler: Service {
    let store: any PigeonStore
    let campaigns: CampaignService
    let messages: MessageService
    let clock: any PigeonClock
    let leadership: Leadership
    let logger: Logger
    /// How often it looks.
    public static let interval: Duration = .seconds(30)
    /// Most recipients stored in one transaction.
    public static let chunk = 1000

    public init(
        store: any PigeonStore, campaigns: CampaignService, messages: MessageService, clock: any PigeonClock, leadership: Leadership,
        logger: Logger
    ) {
        self.store = store
        self.campaigns = campaigns
        self.messages = messages
        self.clock = clock
        self.leadership = leadership
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(
            every: Self.interval, clock: clock, logger: logger, name: "campaign scheduler", leadership: leadership,
            wake: campaigns.wake
        ) {
            now in
            _ = try await runOnce(now: now)
        }
    }

    /// One look at every active campaign; returns how many messages it queued.
    @discardableResult
    public func runOnce(now: Date) async throws -> Int {
        var queued = 0
        var cursor: Int64?
        var budgets = PortfolioBudgets(senders: messages.senders.all, store: store, now: now)
        repeat {
            let page = try await store.campaigns(limit: 500, cursor: cursor)
            for campaign in page.campaigns where campaign.status.isActive {
                do {
                    if let (brake, detail) = try await brake(on: campaign) {
                        logger.error(
                            "campaign paused by Meta",
                            metadata: ["campaign": "\(campaign.id)", "code": "\(brake.code)", "reason": "\(brake.reason)", "detail": "\(detail)"])
                        _ = try await campaigns.act(.pause, on: campaign.id, reason: "\(brake.pauseReason) (\(detail))", code: brake.code)
                        continue
                    }
                    queued += try await look(at: campaign, now: now, budgets: &budgets)
                } catch let error as ValidationError {
                    logger.error(
                        "campaign paused: its messages cannot be sent",
                        metadata: ["campaign": "\(campaign.id)", "code": "\(error.code)", "error": "\(error.message)"])
                    _ = try await campaigns.act(.pause, on: campaign.id, reason: "\(error.code): \(error.message)")
                }
            }
            cursor = page.next
        } while cursor != nil
        return queued
    }

    /// The Meta verdict that stops `campaign`, if one came since it last started or resumed: a recipient
    /// failed with a template brake code, or a number it sends through paused with a sender brake code.
    private func brake(on campaign: CampaignRecord) async throws -> (CampaignBrakes.Brake, detail: String)? {
        let brakes = campaigns.brakes
        let since = campaign.resumedAt ?? campaign.createdAt
        if let code = try await store.campaignFailure(of: campaign.id, codes: brakes.codes(.template), since: since),
            let brake = brakes.brake(code: code)
        {
            return (brake, CampaignService.templateName(of: campaign).map { "template \($0)" } ?? "its message")
        }
        for sender in senders(of: campaign) where sender.health.status == .paused {
            guard case .senderError(let code, _) = sender.health.pauseReason, let brake = brakes.brake(code: code), brake.scope == .sender,
                (sender.health.lastFailureAt ?? .distantPast) >= since
            else { continue }
            return (brake, "sender \(sender.id)")
        }
        return nil
    }

    /// The senders `campaign` may send through: its own, or its pool's.
    private func senders(of campaign: CampaignRecord) -> [SenderRecord] {
        if let id = campaign.senderID { return messages.senders.cached(id).map { [$0] } ?? [] }
        let pool = campaign.pool ?? SenderRecord.defaultPool
        return messages.senders.all.filter { $0.pool == pool }
    }

    private func look(at campaign: CampaignRecord, now: Date, budgets: inout PortfolioBudgets) async throws -> Int {
        let rule = campaigns.rule
        let calendar = campaign.calendar
        let today = calendar.day(now)
        let retryBefore = calendar.startOfDay(now)
        let work = try await store.campaignWork(
            of: campaign.id, today: today, retryBefore: retryBefore, rule: rule, cap: campaign.dailySendLimit)
        let portfolios = Set(senders(of: campaign).compactMap(Portfolio.key(of:)))
        let budget = try await budgets.remaining(portfolios)
        let plan = CampaignPacing.plan(campaign, now: now, scheduled: work.scheduled, retries: work.retries, budget: budget)
        if let previous = campaign.day.day, previous != today {
            logger.info(
                "campaign day done",
                metadata: [
                    "campaign": "\(campaign.id)", "day": "\(previous)", "sent_scheduled": "\(campaign.day.sentScheduled)",
                    "sent_retries": "\(campaign.day.sent - campaign.day.sentScheduled)", "left_scheduled": "\(work.scheduled)",
                    "eligible_retries": "\(work.retries)",
                ])
        }
        var sent = 0
        if plan.release > 0 || plan.day != campaign.day {
            let template = (try? JSONSerialization.jsonObject(with: Data(campaign.message.utf8))) ?? [:]
            var (expected, day, left) = (campaign.day, plan.day, plan.release)
            // Stored in transactions of at most `chunk` recipients: a large release neither holds the
            // database long nor waits whole before its first message goes out.
            while true {
                let asked = min(left, Self.chunk)
                let candidates =
                    asked > 0
                    ? try await store.campaignCandidates(of: campaign.id, today: today, retryBefore: retryBefore, rule: rule, limit: asked) : []
                var skips: [(seq: Int64, reason: SkipReason)] = []
                var sends: [CampaignSend] = []
                for (recipient, optedOut) in candidates {
                    if optedOut {
                        skips.append((recipient.seq, .optedOut))
                    } else if let message = message(for: recipient, of: campaign, template: template) {
                        sends.append(CampaignSend(recipient: recipient, message: message, isRetry: recipient.status == .failed))
                    } else {
                        skips.append((recipient.seq, .invalidMessage))
                    }
                }
                let prepared = try await messages.prepare(sends.map(\.message))
                for index in sends.indices { sends[index].message = prepared[index] }
                guard
                    let result = try await store.sendCampaignWork(
                        campaign.id, expected: expected, day: day, sends: sends, skips: skips, now: now)
                else { return sent }
                let queued = result.scheduled + result.retries
                messages.metrics.accepted(queued)
                sent += queued
                budgets.spend(queued, in: portfolios)
                if queued > 0 { messages.signal.notify() }
                if queued > 0 || result.skipped > 0 {
                    logger.info(
                        "campaign sends queued",
                        metadata: [
                            "campaign": "\(campaign.id)", "scheduled": "\(result.scheduled)", "retries": "\(result.retries)",
                            "skipped": "\(result.skipped)", "sent_today": "\(result.day.sent)", "planned_today": "\(result.day.planned)",
                        ])
                }
                (expected, day, left) = (result.day, result.day, left - candidates.count)
                if left == 0 || candidates.count < asked { break }
            }
        }
        try await settleStatus(campaign, running: plan.running || sent > 0, work: work.scheduled + work.retries, now: now)
        return sent
    }

    /// Marks the campaign `running` or `scheduled` as it now is, or `completed` when nothing is pending,
    /// sending or retryable.
    private func settleStatus(_ campaign: CampaignRecord, running: Bool, work: Int, now: Date) async throws {
        var next: CampaignStatus = running ? .running : .scheduled
        if work == 0 {
            let counts = try await campaigns.counts(campaign.id)
            if counts.total > 0, counts.byStatus[.pending] == 0, counts.byStatus[.sending] == 0, counts.retriesScheduled == 0 {
                next = .completed
            }
        }
        guard next != campaign.status else { return }
        let status = next
        _ = try await store.updateCampaign(campaign.id, now: now) { current in
            var current = current
            if current.status.isActive { current.status = status }
            return current
        }
        if next == .completed { logger.info("campaign completed", metadata: ["campaign": "\(campaign.id)"]) }
    }

    /// The recipient's message: the campaign's with its placeholders filled and the recipient as `to`; nil
    /// when its values make a message that would be refused.
    private func message(for recipient: CampaignRecipient, of campaign: CampaignRecord, template: Any) -> NewMessage? {
        guard var object = Placeholders.fill(template, with: recipient.variables) as? [String: Any] else { return nil }
        object["to"] = recipient.phone
        if let sender = campaign.senderID { object["sender_id"] = sender } else { object["pool"] = campaign.pool ?? SenderRecord.defaultPool }
        do {
            let request = try MessageValidator().validate(object: object, path: "")
            return messages.newMessage(request, requestHash: nil)
        } catch {
            logger.warning(
                "campaign recipient skipped: its message is invalid",
                metadata: ["campaign": "\(campaign.id)", "recipient": "\(recipient.seq)", "error": "\(error)"])
            return nil
        }
    }
}
