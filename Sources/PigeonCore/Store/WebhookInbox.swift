import Foundation

/// A webhook body as Meta posted it, stored before Pigeon answers 200.
public struct RawWebhook: Sendable, Hashable {
    /// Store order.
    public var seq: Int64
    /// The body, byte for byte.
    public var body: Data
    /// When it arrived.
    public var receivedAt: Date

    public init(seq: Int64, body: Data, receivedAt: Date) {
        self.seq = seq
        self.body = body
        self.receivedAt = receivedAt
    }
}

/// What became of a status event.
public enum EventOutcome: String, Sendable, Hashable, Codable {
    /// Not matched to a message yet (unknown id), or its message had an attempt in flight: tried again later.
    case pending
    /// It moved its message.
    case applied
    /// Recorded only: it changed nothing (a late or repeated status, `played`, a failure after delivery).
    case recorded
    /// No message matched it within the matching period.
    case unmatched
}

/// One status Meta reported for a message, as stored.
public struct MessageEvent: Sendable, Hashable {
    /// The report.
    public var report: StatusReport
    /// When Pigeon received it.
    public var receivedAt: Date
    /// What it did.
    public var outcome: EventOutcome

    public init(report: StatusReport, receivedAt: Date, outcome: EventOutcome) {
        self.report = report
        self.receivedAt = receivedAt
        self.outcome = outcome
    }
}

/// A status that moved a message, returned so the engine can carry out effects and log.
public struct SettledStatus: Sendable, Hashable {
    /// The message before the change.
    public var message: MessageRecord
    /// Its new state.
    public var state: MessageState
    /// Effects to carry out (pausing or slowing a sender).
    public var effects: [LifecycleEffect]
    /// The report that moved it.
    public var report: StatusReport

    public init(message: MessageRecord, state: MessageState, effects: [LifecycleEffect], report: StatusReport) {
        self.message = message
        self.state = state
        self.effects = effects
        self.report = report
    }
}

/// What is waiting in the webhook and forwarding pipeline.
public struct IntakeStats: Sendable, Hashable {
    /// Webhook bodies stored but not processed yet.
    public var unprocessedWebhooks: Int
    /// Status events waiting for their message (unknown id, or an attempt in flight).
    public var pendingEvents: Int
    /// Forwards queued, in flight or scheduled for a retry.
    public var forwardsWaiting: Int
    /// Forwards dead-lettered (`GET /v1/forwards?status=failed`).
    public var forwardsFailed: Int

    public init(unprocessedWebhooks: Int, pendingEvents: Int, forwardsWaiting: Int, forwardsFailed: Int) {
        self.unprocessedWebhooks = unprocessedWebhooks
        self.pendingEvents = pendingEvents
        self.forwardsWaiting = forwardsWaiting
        self.forwardsFailed = forwardsFailed
    }
}

/// Durable intake of Meta's webhooks and the status events they carry.
public protocol WebhookInbox: Sendable {
    /// Stores a webhook body unprocessed; returns once it is durable.
    func saveWebhook(_ body: Data, receivedAt: Date) async throws

    /// In one transaction: stores a webhook body as processed (with `webhook.problemSummary`) and settles what
    /// it carries by `settle`'s rules. Returns once durable. When it throws nothing was stored: store the body
    /// with `saveWebhook` for a later `settle`.
    func receiveWebhook(
        _ body: Data, carrying webhook: MetaWebhook, receivedAt: Date, forwarding: Bool,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus]

    /// Up to `limit` stored webhooks not yet processed, oldest first.
    func unprocessedWebhooks(limit: Int) async throws -> [RawWebhook]

    /// In one transaction: stores `reports` as events (a repeated (wamid, status) is dropped), matches each to
    /// its message by wamid or else by callback data (a Pigeon message id), applies what `decide` returns,
    /// and marks the webhooks `processed` done, with their `problems` (nil when none). A report with no
    /// message yet, or told to wait, stays pending until `settlePending` places it. With `forwarding`, every
    /// new status and every `inbound` message not seen before is queued for the application, in the same
    /// transaction.
    func settle(
        _ reports: [StatusReport], inbound: [InboundMessage], processed: [(seq: Int64, problems: String?)], now: Date,
        forwarding: Bool, decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus]

    /// Tries again up to `limit` pending events that are due (backing off per event); events still unmatched
    /// after `giveUpAfter` are marked `unmatched`.
    func settlePending(
        now: Date, limit: Int, giveUpAfter: Duration,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus]

    /// What is waiting in the webhook and forwarding pipeline, for `/v1/stats`.
    func intakeStats() async throws -> IntakeStats

    /// The status events of a message, in the order Meta timestamped them.
    func events(of id: MessageID) async throws -> [MessageEvent]

    /// Deletes processed webhook bodies received before `cutoff` (and delivered forwards, and the record of
    /// inbound messages seen); returns how many bodies.
    func purgeWebhooks(before cutoff: Date, limit: Int) async throws -> Int
}
