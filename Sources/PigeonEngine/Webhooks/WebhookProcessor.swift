import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Turns Meta's webhooks into status events on their messages. `receive` is where the HTTP layer hands a
/// verified body: it is stored and its statuses settled through `StatusSettlement` in one group-committed
/// transaction, and 200 is answered only after that commit. A body that could not be settled then is stored
/// unprocessed and `run` settles it later, in batches; `run` also places events that arrived before their
/// message was known once it is.
public struct WebhookProcessor: Service {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// Longest wait between passes when nothing wakes the processor (default 1 s): pending events are
        /// tried again on this beat.
        public var interval: Duration
        /// Most webhooks or pending events handled per transaction (default 500).
        public var batchSize: Int
        /// How long an event may wait for its message before it is marked unmatched (default 7 days, as long
        /// as Meta keeps retrying a webhook).
        public var giveUpAfter: Duration

        /// Whether statuses and inbound messages are queued for the application (`PIGEON_FORWARD_URL` is set).
        public var forwarding: Bool
        /// The words that put a customer who sends one on the opt-out list.
        public var optOutKeywords: OptOutKeywords

        public init(
            interval: Duration = .seconds(1), batchSize: Int = 500, giveUpAfter: Duration = .seconds(7 * 86_400),
            forwarding: Bool = false, optOutKeywords: OptOutKeywords = .standard
        ) {
            self.optOutKeywords = optOutKeywords
            self.interval = interval
            self.batchSize = batchSize
            self.giveUpAfter = giveUpAfter
            self.forwarding = forwarding
        }
    }

    let store: any WebhookInbox & CampaignStore
    let settlement: StatusSettlement
    let effects: EffectRunner
    let clock: any PigeonClock
    /// Notified when a webhook is stored unprocessed.
    let signal: WakeSignal
    /// The dispatcher's signal, for messages a status made due again.
    let dispatch: WakeSignal
    /// The forwarder's signal, when forwarding is on.
    let forwards: WakeSignal?
    let configuration: Configuration
    let logger: Logger
    let mediaErrors: MediaErrorMonitor?
    let random: @Sendable () -> Double
    /// The settlement pass runs only while this process leads (bodies are settled as they arrive anyway).
    let leadership: Leadership
    /// Applies Meta's template verdicts to the campaigns sending them.
    let campaigns: CampaignService?
    let metrics: PigeonMetrics

    init(
        store: any WebhookInbox & CampaignStore, settlement: StatusSettlement, effects: EffectRunner, clock: any PigeonClock,
        signal: WakeSignal, dispatch: WakeSignal, forwards: WakeSignal?, configuration: Configuration, leadership: Leadership,
        logger: Logger, mediaErrors: MediaErrorMonitor? = nil, campaigns: CampaignService? = nil, metrics: PigeonMetrics = .disabled,
        random: @escaping @Sendable () -> Double
    ) {
        self.metrics = metrics
        self.leadership = leadership
        self.campaigns = campaigns
        self.mediaErrors = mediaErrors
        self.forwards = forwards
        self.store = store
        self.settlement = settlement
        self.effects = effects
        self.clock = clock
        self.signal = signal
        self.dispatch = dispatch
        self.configuration = configuration
        self.logger = logger
        self.random = random
    }

    /// Stores a verified webhook body durably and settles what it carries; returns once the body is durable.
    /// Should settling fail, the body is still stored, unprocessed, for the next pass of `run`.
    public func receive(_ body: Data) async throws {
        let webhook = MetaWebhook(parsing: body)
        logProblems(of: webhook, seq: nil)
        let now = clock.now()
        let settled: [SettledStatus]
        do {
            try await recordOptOuts(webhook.inbound, now: now)
            settled = try await store.receiveWebhook(
                body, carrying: webhook, receivedAt: now, forwarding: configuration.forwarding, decide: decide(now: now))
        } catch {
            logger.error("settling a webhook failed; it is stored for another try", metadata: ["error": "\(error)"])
            try await store.saveWebhook(body, receivedAt: now)
            signal.notify()
            return
        }
        _ = await handle(settled)
        if configuration.forwarding && (!webhook.statuses.isEmpty || !webhook.inbound.isEmpty) { forwards?.notify() }
        // Checked in the background: Meta is answered as soon as the body is durable.
        let (effects, updates) = (effects, webhook.accountUpdates)
        if !updates.isEmpty { Task { for update in updates { await effects.accountUpdate(update) } } }
        for update in webhook.templateUpdates { await templateStatus(update) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if await leadership.leads() { _ = try await runOnce() }
                } catch {
                    logger.error("processing webhooks failed; will try again", metadata: ["error": "\(error)"])
                }
                await Waiting.untilSignal(signal, orDeadline: clock.now().adding(configuration.interval), clock: clock)
            }
        }
    }

    /// Puts the senders of opt-out keywords on the opt-out list, before their webhook is settled (a repeat
    /// changes nothing, so a webhook settled again after a crash is harmless).
    private func recordOptOuts(_ inbound: [InboundMessage], now: Date) async throws {
        let keywords = configuration.optOutKeywords
        let optOuts = inbound.compactMap { message -> OptOut? in
            guard let text = message.text, keywords.matches(text), let phone = try? PhoneNumber.normalize("+" + message.from) else { return nil }
            return OptOut(phone: phone, source: "keyword", keyword: text.trimmingCharacters(in: .whitespacesAndNewlines), createdAt: now)
        }
        guard !optOuts.isEmpty else { return }
        try await store.addOptOuts(optOuts)
        for optOut in optOuts { logger.info("number opted out", metadata: ["keyword": "\(optOut.keyword ?? "")"]) }
    }

    /// One pass: every stored webhook, then every pending event that is due. Returns how many statuses
    /// moved a message.
    public func runOnce() async throws -> Int {
        var moved = 0
        while true {
            let webhooks = try await store.unprocessedWebhooks(limit: configuration.batchSize)
            guard !webhooks.isEmpty else { break }
            var reports: [StatusReport] = []
            var inbound: [InboundMessage] = []
            var processed: [(seq: Int64, problems: String?)] = []
            for webhook in webhooks {
                let parsed = MetaWebhook(parsing: webhook.body)
                reports += parsed.statuses
                inbound += parsed.inbound
                logProblems(of: parsed, seq: webhook.seq)
                processed.append((webhook.seq, parsed.problemSummary))
            }
            let now = clock.now()
            try await recordOptOuts(inbound, now: now)
            moved += await handle(
                try await store.settle(
                    reports, inbound: inbound, processed: processed, now: now, forwarding: configuration.forwarding,
                    decide: decide(now: now)))
            if configuration.forwarding && (!reports.isEmpty || !inbound.isEmpty) { forwards?.notify() }
            if webhooks.count < configuration.batchSize { break }
        }
        let now = clock.now()
        moved += await handle(
            try await store.settlePending(
                now: now, limit: configuration.batchSize, giveUpAfter: configuration.giveUpAfter, decide: decide(now: now)))
        return moved
    }

    /// Applies a template verdict; a failure is logged (the body stays stored with the others).
    private func templateStatus(_ update: TemplateStatusUpdate) async {
        logger.notice("Meta reported a template status", metadata: ["template": "\(update.name)", "event": "\(update.event)"])
        do {
            try await campaigns?.templateStatus(update)
        } catch {
            logger.error("applying a template status to campaigns failed", metadata: ["template": "\(update.name)", "error": "\(error)"])
        }
    }

    private func logProblems(of webhook: MetaWebhook, seq: Int64?) {
        guard let problems = webhook.problemSummary else { return }
        logger.warning(
            "a signed webhook was malformed; it is stored and what could be read was applied",
            metadata: ["webhook": "\(seq.map(String.init) ?? "new")", "problems": "\(problems)"])
    }

    private func decide(now: Date) -> @Sendable (MessageRecord, StatusReport) -> StatusDecision {
        let settlement = self.settlement
        let random = self.random
        return { message, report in
            settlement.decide(
                message.state, report, now: now, jitter: random(), refreshesMedia: MediaReferences.mayContain(message.payload))
        }
    }

    private func handle(_ settled: [SettledStatus]) async -> Int {
        var wake = false
        for change in settled {
            await effects.carryOut(change.effects, sender: change.message.senderID, now: clock.now())
            if MessageStatus.claimable.contains(change.state.status) { wake = true }
            if let status = MessageStatus(rawValue: change.report.status) { metrics.webhookEvent(status) }
            if change.state.status == .failed, change.message.state.status != .failed { metrics.deadLettered(change.state.failureReason) }
            if change.report.isFailure {
                let classification = settlement.classification(of: change.report)
                if classification.errorClass == .media { mediaErrors?.recordReportedMediaError(now: clock.now()) }
                logger.warning(
                    "Meta reported a sent message failed",
                    metadata: change.message.logMetadata.merging([
                        "code": "\(classification.code.map(String.init) ?? "-")", "class": "\(classification.errorClass.rawValue)",
                        "status": "\(change.state.status.rawValue)",
                    ]) { $1 })
            }
        }
        if wake { dispatch.notify() }
        return settled.count
    }
}
