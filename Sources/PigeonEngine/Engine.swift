import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// The engine's parts wired together: the service the API calls and the long-running services that move
/// messages. `serve` runs `services`; tests call each part's `runOnce` instead.
public final class Engine: Sendable {
    /// Settings of the whole engine, with named defaults.
    public struct Options: Sendable {
        /// Retry timing, in-doubt quiet period, throttle requeue delay.
        public var policy: DeliveryPolicy
        /// The classification table.
        public var errorTable: ErrorTable
        /// Dispatcher settings.
        public var dispatcher: DispatcherConfiguration
        /// Lease reaper settings.
        public var reaper: LeaseReaper.Configuration
        /// Retention settings.
        public var retention: RetentionJob.Configuration
        /// Webhook processing settings.
        public var webhooks: WebhookProcessor.Configuration
        /// Where and how events are forwarded to the application; nil when they are not.
        public var forwarding: (transport: any ForwardTransport, configuration: Forwarder.Configuration)?
        /// Where the media library keeps its bytes and how it uploads them; nil when it is unavailable.
        public var media: (files: any MediaBytes, uploader: any MediaUploader)?
        /// When assets are uploaded again before Meta's expiry.
        public var mediaRefresh: MediaRefreshJob.Configuration
        /// Fetches assets registered by URL; nil refuses registration by URL.
        public var mediaFetcher: (any MediaFetcher)?
        /// The sender used when a message names none.
        public var defaultSenderID: String
        /// Seals and opens sender credentials.
        public var sealer: any SecretSealing
        /// The sender rules (reconnect schedule, stability period).
        public var senderLifecycle: SenderLifecycle
        /// Carries out bridge and health-check actions; nil when there is none.
        public var senderControl: (any SenderControl)?
        /// How often web sessions are checked at their bridge.
        public var sessionCheckInterval: SessionCheckInterval
        /// Sends web sessions' messages through their bridges; nil leaves them waiting.
        public var webTransport: (any MessageTransport)?
        /// How long API requests and the sender monitor wait for a bridge's or Meta's answer to a sender
        /// action (`SenderService.actionWait`).
        public var senderActionWait: Duration
        /// Where the engine's counters and histograms go.
        public var metrics: PigeonMetrics
        /// Posts alerts to `PIGEON_ALERT_WEBHOOK_URL`, when set (its forwarder's destination is `alerts`).
        public var alerting: (transport: any ForwardTransport, configuration: Forwarder.Configuration)?

        public init(
            policy: DeliveryPolicy = DeliveryPolicy(), errorTable: ErrorTable = .meta,
            dispatcher: DispatcherConfiguration = DispatcherConfiguration(workerID: Engine.makeWorkerID()),
            reaper: LeaseReaper.Configuration = .init(), retention: RetentionJob.Configuration = .init(),
            webhooks: WebhookProcessor.Configuration = .init(),
            forwarding: (transport: any ForwardTransport, configuration: Forwarder.Configuration)? = nil,
            media: (files: any MediaBytes, uploader: any MediaUploader)? = nil,
            mediaRefresh: MediaRefreshJob.Configuration = .init(), mediaFetcher: (any MediaFetcher)? = nil, defaultSenderID: String,
            sealer: any SecretSealing = SecretSealer.random(), senderLifecycle: SenderLifecycle = SenderLifecycle(),
            senderControl: (any SenderControl)? = nil, sessionCheckInterval: SessionCheckInterval = .default,
            webTransport: (any MessageTransport)? = nil, senderActionWait: Duration = SenderService.defaultActionWait,
            metrics: PigeonMetrics = .disabled,
            alerting: (transport: any ForwardTransport, configuration: Forwarder.Configuration)? = nil
        ) {
            self.alerting = alerting
            self.metrics = metrics
            self.senderActionWait = senderActionWait
            self.webTransport = webTransport
            self.sessionCheckInterval = sessionCheckInterval
            self.sealer = sealer
            self.senderLifecycle = senderLifecycle
            self.senderControl = senderControl
            self.mediaRefresh = mediaRefresh
            self.mediaFetcher = mediaFetcher
            self.forwarding = forwarding
            self.media = media
            self.policy = policy
            self.errorTable = errorTable
            self.dispatcher = dispatcher
            self.reaper = reaper
            self.retention = retention
            self.webhooks = webhooks
            self.defaultSenderID = defaultSenderID
        }
    }

    /// What the API calls.
    public let service: MessageService
    /// The configured senders.
    public let senders: SenderService
    /// Reloads senders and ticks their lifecycles.
    public let senderMonitor: SenderMonitor
    /// Sends due messages.
    public let dispatcher: Dispatcher
    /// Reclaims expired leases.
    public let reaper: LeaseReaper
    /// Purges ended messages past retention.
    public let retention: RetentionJob
    /// Receives Meta's webhooks and applies the statuses they carry.
    public let webhooks: WebhookProcessor
    /// Delivers events to the application, when forwarding is configured.
    public let forwarder: Forwarder?
    /// The media library, when it is available.
    public let media: MediaService?
    /// Uploads media again before it expires, when the media library is available.
    public let mediaRefresh: MediaRefreshJob?
    /// Sends and media errors over the last hour.
    public let mediaErrors: MediaErrorMonitor
    /// Campaigns, their recipients and the opt-out list.
    public let campaigns: CampaignService
    /// Sends each campaign's day.
    public let campaignScheduler: CampaignScheduler
    /// Whether this process runs the periodic jobs now.
    public let leadership: Leadership
    /// Raises and resolves alerts.
    public let alerts: AlertMonitor
    /// Posts alerts to the alert webhook, when one is set.
    public let alertForwarder: Forwarder?
    /// Wakes the dispatcher when another process queues work, when the store can tell.
    let workListener: WorkListener?

    public init(
        store: any PigeonStore, transport: any MessageTransport, clock: any PigeonClock, options: Options, logger: Logger,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        let lifecycle = Lifecycle(policy: options.policy)
        let signal = WakeSignal()
        let pacer = SenderPacer()
        let classifier = ErrorClassifier(table: options.errorTable.adding(ErrorTable.webAckCodes))
        let webhookSignal = WakeSignal()
        let waiters = OutcomeWaiters()
        let leadership = Leadership(election: store, workerID: options.dispatcher.workerID, logger: logger)
        self.leadership = leadership
        workListener = (store as? any WorkNotifications).map { WorkListener(notifications: $0, signal: signal) }
        let senders = SenderService(
            store: store, lifecycle: options.senderLifecycle, messages: lifecycle, sealer: options.sealer, clock: clock, signal: signal,
            control: options.senderControl, logger: logger, actionWait: options.senderActionWait)
        self.senders = senders
        senderMonitor = SenderMonitor(
            senders: senders, clock: clock, sessionCheckInterval: options.sessionCheckInterval, leadership: leadership, random: random,
            logger: logger)
        service = MessageService(
            store: store, senders: senders, lifecycle: lifecycle, clock: clock, signal: signal, pacer: pacer, waiters: waiters,
            defaultSenderID: options.defaultSenderID, metrics: options.metrics)
        let campaigns = CampaignService(store: store, messages: service, clock: clock, logger: logger)
        self.campaigns = campaigns
        campaignScheduler = CampaignScheduler(
            store: store, campaigns: campaigns, messages: service, clock: clock, leadership: leadership, logger: logger)
        let alertSignal = WakeSignal()
        alertForwarder = options.alerting.map {
            Forwarder(
                store: store, transport: $0.transport, clock: clock, signal: alertSignal, configuration: $0.configuration, logger: logger,
                random: random)
        }
        alerts = AlertMonitor(
            store: store, service: service, campaigns: campaigns, clock: clock, leadership: leadership, logger: logger,
            delivery: alertForwarder == nil ? nil : alertSignal)
        let mediaErrors = MediaErrorMonitor(clock: clock, logger: logger)
        self.mediaErrors = mediaErrors
        media = options.media.map {
            MediaService(
                store: store, files: $0.files, uploader: $0.uploader, tokens: { senders.accessToken(for: $0) },
                fetcher: options.mediaFetcher, clock: clock,
                configuration: .init(
                    defaultSenderID: options.defaultSenderID, owner: options.dispatcher.workerID, retry: options.policy.retry),
                logger: logger, metrics: options.metrics)
        }
        mediaRefresh = media.map {
            MediaRefreshJob(
                store: store, media: $0, clock: clock, configuration: options.mediaRefresh, leadership: leadership, logger: logger)
        }
        var dispatching = options.dispatcher
        let sending: any MessageTransport
        if let web = options.webTransport {
            sending = SenderRoutedTransport(cloud: transport, web: web)
            dispatching.transportKinds.insert(.webSession)
        } else {
            sending = transport
        }
        dispatcher = Dispatcher(
            store: store, senders: senders, transport: sending, lifecycle: lifecycle,
            classifier: classifier, pacer: pacer, clock: clock, signal: signal,
            configuration: dispatching, logger: logger, waiters: waiters, media: media, mediaErrors: mediaErrors,
            metrics: options.metrics, random: random)
        reaper = LeaseReaper(
            store: store, lifecycle: lifecycle, clock: clock, signal: signal, configuration: options.reaper, leadership: leadership,
            logger: logger, metrics: options.metrics, random: random)
        retention = RetentionJob(
            store: store, clock: clock, configuration: options.retention, leadership: leadership, logger: logger)
        let forwardSignal = WakeSignal()
        forwarder = options.forwarding.map {
            Forwarder(
                store: store, transport: $0.transport, clock: clock, signal: forwardSignal, configuration: $0.configuration,
                logger: logger, metrics: options.metrics, random: random)
        }
        var webhookOptions = options.webhooks
        webhookOptions.forwarding = options.forwarding != nil
        webhooks = WebhookProcessor(
            store: store, settlement: StatusSettlement(lifecycle: lifecycle, classifier: classifier),
            effects: EffectRunner(senders: senders, pacer: pacer, logger: logger), clock: clock, signal: webhookSignal,
            dispatch: signal, forwards: forwarder == nil ? nil : forwardSignal, configuration: webhookOptions,
            leadership: leadership, logger: logger,
            mediaErrors: mediaErrors, campaigns: campaigns, metrics: options.metrics, random: random)
    }

    /// The long-running services, in start order.
    public var services: [any Service] {
        [leadership, senderMonitor, reaper, retention, webhooks, dispatcher, campaignScheduler, alerts] + (forwarder.map { [$0] } ?? [])
            + (mediaRefresh.map { [$0] } ?? []) + (alertForwarder.map { [$0] } ?? [])
            + (workListener.map { [$0] } ?? [])
    }

    /// A lease owner name unique to this process: host, pid and a random suffix.
    public static func makeWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt16.random(in: 0...UInt16.max))"
    }
}
