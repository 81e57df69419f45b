import Foundation
import Logging
import PigeonCore

/// What the API does with campaigns, their recipients and the opt-out list. The rules it applies live in
/// PigeonCore (`CampaignLifecycle`, `CampaignRetryRule`, `PhoneNumber`, `Placeholders`); the day's sends
/// are the `CampaignScheduler`'s.
public final class CampaignService: Sendable {
    let store: any PigeonStore
    let messages: MessageService
    public let clock: any PigeonClock
    let logger: Logger
    /// Which failures a later day retries.
    public let rule: CampaignRetryRule
    /// Which Meta verdicts pause a whole campaign.
    public let brakes: CampaignBrakes
    /// Notified when a campaign gets work now (started, resumed, recipients added), so this process's
    /// scheduler looks at once instead of at its next interval.
    public let wake = WakeSignal()
    /// Rows stored per transaction while importing.
    public static let importBatch = 2000

    public init(
        store: any PigeonStore, messages: MessageService, clock: any PigeonClock, logger: Logger, rule: CampaignRetryRule = .standard,
        brakes: CampaignBrakes = .standard
    ) {
        self.store = store
        self.messages = messages
        self.clock = clock
        self.logger = logger
        self.rule = rule
        self.brakes = brakes
    }

    /// Creates a campaign (a `draft`) from a validated request. Throws `ValidationError` when its sender or
    /// pool does not exist.
    public func create(_ draft: CampaignDraft) async throws -> CampaignRecord {
        let now = clock.now()
        var limit = draft.dailySendLimit
        if let id = draft.senderID {
            guard let sender = try await messages.senders.sender(id) else {
                throw ValidationError(
                    "unknown_sender", "no sender has the id \(id); create it with POST /v1/senders or list them with GET /v1/senders",
                    kind: .unusable)
            }
            limit = limit ?? MessagingTier.dailyRecipients(sender.numberHealth.messagingLimit)
        } else {
            let pool = draft.pool ?? SenderRecord.defaultPool
            let members = try await messages.senders.reload().filter { $0.pool == pool }
            guard !members.isEmpty else {
                throw ValidationError(
                    "no_sender_in_pool", "pool \(pool) has no senders; add one with POST /v1/senders {\"pool\": \"\(pool)\", …}",
                    kind: .unusable)
            }
            limit = limit ?? members.compactMap { MessagingTier.dailyRecipients($0.numberHealth.messagingLimit) }.min()
        }
        let campaign = CampaignRecord(
            id: "cmp_" + MessageID.generate(now: now).rawValue.dropFirst(4), name: draft.name, message: draft.message,
            senderID: draft.senderID, pool: draft.senderID == nil ? draft.pool ?? SenderRecord.defaultPool : nil,
            dailySendLimit: limit ?? CampaignRequestValidator.fallbackDailyLimit,
            startDate: draft.startDate ?? LocalCalendar(timeZone: draft.timeZone).day(now), timeZone: draft.timeZone,
            sendWindow: draft.sendWindow, maxRetries: draft.maxRetries, createdAt: now, updatedAt: now)
        try await store.insertCampaign(campaign)
        logger.info("campaign created", metadata: ["campaign": "\(campaign.id)", "daily_send_limit": "\(campaign.dailySendLimit)"])
        return campaign
    }

    /// One campaign, or nil.
    public func campaign(_ id: String) async throws -> CampaignRecord? { try await store.campaign(id) }

    /// A page of campaigns, newest first.
    public func campaigns(limit: Int, cursor: Int64?) async throws -> (campaigns: [CampaignRecord], next: Int64?) {
        try await store.campaigns(limit: limit, cursor: cursor)
    }

    /// A campaign's recipients counted.
    /// Every campaign `include` keeps, newest first, read page by page.
    public func all(where include: (CampaignRecord) -> Bool) async throws -> [CampaignRecord] {
        var found: [CampaignRecord] = []
        var cursor: Int64?
        repeat {
            let page = try await store.campaigns(limit: 500, cursor: cursor)
            found += page.campaigns.filter(include)
            cursor = page.next
        } while cursor != nil
        return found
    }

    public func counts(_ id: String) async throws -> RecipientCounts { try await store.recipientCounts(of: id, rule: rule) }

    /// Applies an operator's or the scheduler's action; nil when there is no such campaign. Throws
    /// `CampaignRefusal` when the action does not apply in the campaign's status. A pause keeps `reason`
    /// (and the Meta `code` behind it, `CampaignBrakes`); cancelling skips what was pending; resuming a
    /// campaign Meta's template verdict paused sends again the recipients that verdict failed.
    public func act(_ action: CampaignAction, on id: String, reason: String? = nil, code: Int? = nil) async throws -> CampaignRecord? {
        let now = clock.now()
        guard
            let (before, after) = try await store.updateCampaign(
                id, now: now,
                { campaign in
                    guard let next = CampaignLifecycle.next(campaign.status, action) else {
                        throw CampaignRefusal(message: CampaignLifecycle.refusal(campaign.status, action))
                    }
                    var campaign = campaign
                    campaign.status = next
                    campaign.pauseReason = next == .paused ? reason ?? "operator" : nil
                    campaign.pauseCode = next == .paused ? code : nil
                    if action == .start || action == .resume { campaign.resumedAt = now }
                    return campaign
                })
        else { return nil }
        if after.status == .cancelled {
            let skipped = try await store.skipPending(id, reason: .campaignCancelled, now: now)
            logger.info("campaign cancelled", metadata: ["campaign": "\(id)", "skipped": "\(skipped)"])
        } else {
            logger.info(
                "campaign \(action.rawValue)", metadata: ["campaign": "\(id)", "from": "\(before.status.rawValue)", "to": "\(after.status.rawValue)"])
        }
        if after.status.isActive { wake.notify() }
        if action == .resume, brakes.brake(code: before.pauseCode)?.scope == .template {
            var rearmed = 0
            for code in brakes.codes(.template).sorted() {
                rearmed += try await store.rearmRecipients(id, matching: RecipientFilter(errorCode: code), today: after.calendar.day(now), now: now)
            }
            logger.info("campaign recipients held by the template re-armed", metadata: ["campaign": "\(id)", "count": "\(rearmed)"])
        }
        return after
    }

    /// Applies Meta's verdict on a template to the campaigns sending it: a pause or a disabling pauses the
    /// active ones (`CampaignBrakes`), a reinstatement resumes the ones a template brake paused. Returns the
    /// ids of the campaigns it changed.
    @discardableResult
    public func templateStatus(_ update: TemplateStatusUpdate) async throws -> [String] {
        guard let verdict = CampaignBrakes.verdict(update.event) else { return [] }
        var changed: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await store.campaigns(limit: 500, cursor: cursor)
            for campaign in page.campaigns where Self.templateName(of: campaign) == update.name {
                switch verdict {
                case .stop(let code):
                    guard campaign.status.isActive, let brake = brakes.brake(code: code) else { continue }
                    logger.error(
                        "campaign paused by Meta", metadata: ["campaign": "\(campaign.id)", "code": "\(code)", "template": "\(update.name)"])
                    _ = try await act(.pause, on: campaign.id, reason: "\(brake.pauseReason) (template \(update.name))", code: code)
                case .reinstated:
                    guard campaign.status == .paused, brakes.brake(code: campaign.pauseCode)?.scope == .template else { continue }
                    _ = try await act(.resume, on: campaign.id)
                }
                changed.append(campaign.id)
            }
            cursor = page.next
        } while cursor != nil
        return changed
    }

    /// The name of the template `campaign` sends, if it sends one.
    static func templateName(of campaign: CampaignRecord) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(campaign.message.utf8))) as? [String: Any]
        return (object?["template"] as? [String: Any])?["name"] as? String
    }

    /// The placeholders `campaign`'s message uses: every imported row needs a value for each.
    public func placeholders(of campaign: CampaignRecord) -> Set<String> {
        Placeholders.names(in: (try? JSONSerialization.jsonObject(with: Data(campaign.message.utf8))) ?? [:])
    }

    /// Checks one imported row: its number made E.164 and each of `placeholders` given a value.
    public func recipient(phone: String, variables: [String: String], placeholders: Set<String>) throws(ValidationError) -> NewRecipient {
        let number = try PhoneNumber.normalize(phone)
        let missing = placeholders.subtracting(variables.keys).sorted()
        guard missing.isEmpty else {
            throw ValidationError(
                "missing_variable", "no value for \(missing.map { "{{\($0)}}" }.joined(separator: ", ")), which the message uses")
        }
        return NewRecipient(phone: number, variables: variables)
    }

    /// Stores checked recipients (at most `importBatch` per call); per input, whether it was added (false:
    /// the number is already in the campaign). Nil when there is no such campaign.
    public func add(_ recipients: [NewRecipient], to campaign: CampaignRecord) async throws -> [Bool]? {
        guard !recipients.isEmpty else { return [] }
        let results = try await store.addRecipients(
            campaign.id, recipients, maxRetries: campaign.maxRetries, now: clock.now(),
            schedule: { campaign.scheduledDay(forPosition: $0) })
        if campaign.status == .completed, results?.contains(true) == true { _ = try await act(.rearm, on: campaign.id) }
        if campaign.status.isActive { wake.notify() }
        return results
    }

    /// A page of a campaign's recipients.
    public func recipients(
        of id: String, status: RecipientStatus?, limit: Int, cursor: Int64?
    ) async throws -> (recipients: [CampaignRecipient], next: Int64?) {
        try await store.recipients(of: id, status: status, limit: limit, cursor: cursor)
    }

    /// Re-arms the failed recipients matching `filter` for another send today; returns how many. A
    /// completed campaign is scheduled again.
    public func rearm(_ campaign: CampaignRecord, matching filter: RecipientFilter) async throws -> Int {
        let now = clock.now()
        let count = try await store.rearmRecipients(campaign.id, matching: filter, today: campaign.calendar.day(now), now: now)
        if count > 0, campaign.status == .completed { _ = try await act(.rearm, on: campaign.id) }
        if count > 0 { wake.notify() }
        logger.info("campaign recipients re-armed", metadata: ["campaign": "\(campaign.id)", "count": "\(count)"])
        return count
    }

    /// Puts a number on the opt-out list (`source` says who asked).
    public func optOut(_ phone: String, source: String, keyword: String? = nil) async throws {
        try await store.addOptOuts([OptOut(phone: phone, source: source, keyword: keyword, createdAt: clock.now())])
    }

    /// Takes a number off the opt-out list; false when it was not on it.
    public func removeOptOut(_ phone: String) async throws -> Bool { try await store.removeOptOut(phone) }

    /// A page of the opt-out list, newest first.
    public func optOuts(limit: Int, cursor: Int64?) async throws -> (optOuts: [OptOut], next: Int64?) {
        try await store.optOuts(limit: limit, cursor: cursor)
    }
}

/// An operator's campaign action that does not apply in the campaign's status (the API answers 409).
public struct CampaignRefusal: Error, Sendable {
    public let message: String
}
