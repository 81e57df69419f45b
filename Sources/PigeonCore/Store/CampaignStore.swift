import Foundation

/// Campaigns, their recipients and the opt-out list. Rules stay out of the store: the retry rule arrives as
/// data (`CampaignRetryRule`), the day's plan and each recipient's message are made by the caller, and a
/// recipient follows its message's status (`RecipientStatus.following`) in the transaction of every change
/// of that message.
public protocol CampaignStore: Sendable {
    /// Stores a new campaign.
    func insertCampaign(_ campaign: CampaignRecord) async throws
    /// One campaign, or nil.
    func campaign(_ id: String) async throws -> CampaignRecord?
    /// A page of campaigns, newest first, after `cursor` (the last page's `next`).
    func campaigns(limit: Int, cursor: Int64?) async throws -> (campaigns: [CampaignRecord], next: Int64?)
    /// Reads campaign `id`, passes it to `change` and writes back what it returns, in one transaction that
    /// holds the row; nil when there is no such campaign. An error thrown by `change` changes nothing.
    func updateCampaign(
        _ id: String, now: Date, _ change: @escaping @Sendable (CampaignRecord) throws -> CampaignRecord
    ) async throws -> (before: CampaignRecord, after: CampaignRecord)?

    /// Adds `recipients` to campaign `id` in one transaction: a phone already in the campaign (or earlier in
    /// `recipients`) is a duplicate and is not added; each added one is scheduled for `schedule(position)`
    /// (its 0-based position among all the campaign's imports) with `maxRetries`. Returns, per input, whether
    /// it was added; nil when there is no such campaign.
    func addRecipients(
        _ id: String, _ recipients: [NewRecipient], maxRetries: Int, now: Date, schedule: @escaping @Sendable (Int) -> String
    ) async throws -> [Bool]?
    /// A page of campaign `id`'s recipients in import order, after `cursor`, optionally of one status.
    func recipients(
        of id: String, status: RecipientStatus?, limit: Int, cursor: Int64?
    ) async throws -> (recipients: [CampaignRecipient], next: Int64?)
    /// Campaign `id`'s recipients counted by status, with the failed ones `rule` lets a later day retry
    /// (`retries_scheduled`) and the failed ones counted by error code.
    func recipientCounts(of id: String, rule: CampaignRetryRule) async throws -> RecipientCounts
    /// How much work campaign `id` has on local day `today`, each count at most `cap`: pending recipients
    /// scheduled for it or earlier, and failed ones `rule` lets a later day retry that failed before
    /// `retryBefore` with retries left.
    func campaignWork(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, cap: Int
    ) async throws -> (scheduled: Int, retries: Int)
    /// Up to `limit` recipients to send now, the scheduled ones first (by day, then import order), then the
    /// retries (oldest failure first); each says whether its number opted out.
    func campaignCandidates(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, limit: Int
    ) async throws -> [(recipient: CampaignRecipient, optedOut: Bool)]
    /// In one transaction: unless campaign `id`'s stored day differs from `expected` (then nothing changes
    /// and nil is returned), skips `skips`, and for each send whose recipient is still as it was read (same
    /// status and message) and not opted out, moves it to `sending` with the new message (its earlier one
    /// kept in its history, its sends counted) and stores that message; then writes `day` with the sends
    /// counted in. Returns how many were sent and skipped.
    func sendCampaignWork(
        _ id: String, expected: CampaignDay, day: CampaignDay, sends: [CampaignSend], skips: [(seq: Int64, reason: SkipReason)],
        now: Date
    ) async throws -> CampaignSendResult?
    /// Moves campaign `id`'s failed recipients matching `filter` back to `pending`, scheduled for `today`,
    /// ready for another send: the message id moves to the earlier ones and the failure stays on record.
    /// Returns how many.
    func rearmRecipients(_ id: String, matching filter: RecipientFilter, today: String, now: Date) async throws -> Int
    /// The first of `codes` one of campaign `id`'s recipients failed with at or after `since`, or nil.
    func campaignFailure(of id: String, codes: Set<Int>, since: Date) async throws -> Int?
    /// How many different numbers the campaign messages stored at or after `since` for any of `senders` go
    /// to (failed and cancelled ones, which opened no conversation, not counted): what the portfolio's 24 h
    /// budget of unique recipients has spent.
    func campaignReach(senders: [String], since: Date) async throws -> Int
    /// Marks campaign `id`'s pending recipients `skipped` for `reason`; returns how many.
    func skipPending(_ id: String, reason: SkipReason, now: Date) async throws -> Int

    /// Puts numbers (E.164) on the opt-out list; numbers already on it stay as they were.
    func addOptOuts(_ optOuts: [OptOut]) async throws
    /// Takes a number off the list; false when it was not on it.
    func removeOptOut(_ phone: String) async throws -> Bool
    /// A page of the list, newest first, after `cursor`.
    func optOuts(limit: Int, cursor: Int64?) async throws -> (optOuts: [OptOut], next: Int64?)
    /// Which of `phones` are on the list.
    func optedOut(_ phones: [String]) async throws -> Set<String>
}

/// One recipient's next send: the recipient as read and its new message.
public struct CampaignSend: Sendable {
    public var recipient: CampaignRecipient
    public var message: NewMessage
    /// Whether it retries a failure (not a first send).
    public var isRetry: Bool

    public init(recipient: CampaignRecipient, message: NewMessage, isRetry: Bool) {
        self.recipient = recipient
        self.message = message
        self.isRetry = isRetry
    }
}

/// What `sendCampaignWork` did.
public struct CampaignSendResult: Sendable, Hashable {
    public var scheduled: Int
    public var retries: Int
    public var skipped: Int
    /// The day as written.
    public var day: CampaignDay

    public init(scheduled: Int, retries: Int, skipped: Int, day: CampaignDay) {
        self.scheduled = scheduled
        self.retries = retries
        self.skipped = skipped
        self.day = day
    }
}

/// A campaign's recipients counted.
public struct RecipientCounts: Sendable, Hashable {
    /// Recipients per status (every status present, zero when none).
    public var byStatus: [RecipientStatus: Int]
    /// Failed recipients a later day will retry.
    public var retriesScheduled: Int
    /// Failed recipients per error code (`nil` code: failed without one).
    public var failedByCode: [Int?: Int]

    public init(byStatus: [RecipientStatus: Int], retriesScheduled: Int, failedByCode: [Int?: Int]) {
        self.byStatus = Dictionary(uniqueKeysWithValues: RecipientStatus.allCases.map { ($0, byStatus[$0] ?? 0) })
        self.retriesScheduled = retriesScheduled
        self.failedByCode = failedByCode
    }

    /// All recipients.
    public var total: Int { byStatus.values.reduce(0, +) }
}

/// Which failed recipients a re-arm takes.
public struct RecipientFilter: Sendable, Hashable {
    public var errorCode: Int?
    public var errorClass: ErrorClass?
    /// Only recipients that failed at or after this time.
    public var since: Date?

    public init(errorCode: Int? = nil, errorClass: ErrorClass? = nil, since: Date? = nil) {
        self.errorCode = errorCode
        self.errorClass = errorClass
        self.since = since
    }
}

/// A number on the opt-out list.
public struct OptOut: Sendable, Hashable {
    public var seq: Int64
    /// E.164.
    public var phone: String
    /// `keyword` (the customer sent one), or `operator` (`POST /v1/opt-outs`).
    public var source: String
    /// The text that opted it out, for a keyword.
    public var keyword: String?
    public var createdAt: Date

    public init(seq: Int64 = 0, phone: String, source: String, keyword: String? = nil, createdAt: Date) {
        self.seq = seq
        self.phone = phone
        self.source = source
        self.keyword = keyword
        self.createdAt = createdAt
    }
}
