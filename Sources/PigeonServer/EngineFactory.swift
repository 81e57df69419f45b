import Foundation
import Logging
import PigeonCore
import PigeonEngine
import WebBridge
import WhatsAppCloud

/// The one composition root: the engine `pigeon serve` runs and the tests drive, built from a configuration
/// and a store (any `PigeonStore`: SQLite or PostgreSQL).
public enum EngineFactory {
    /// What a caller supplies beyond the configuration: the parts `serve` makes from it and tests replace.
    public struct Parts: Sendable {
        /// Sends messages (the Cloud API client; it also uploads media when it is a `MediaUploader`).
        public var transport: any MessageTransport
        /// Where the media library keeps its bytes; nil turns the library off.
        public var mediaBytes: (any MediaBytes)?
        /// Posts forwarded events to the application, when `PIGEON_FORWARD_URL` is set.
        public var forwarder: (any ForwardTransport)?
        /// The clock every service reads.
        public var clock: any PigeonClock
        /// Lease owner names of this process (dispatcher and media uploads; the forwarder adds `-forwarder`).
        public var workerID: String
        /// Overrides the media refresh job's settings (its `refreshBefore` comes from the configuration otherwise).
        public var mediaRefresh: MediaRefreshJob.Configuration?
        /// The random source for jitter.
        public var random: @Sendable () -> Double
        /// Seals sender credentials (`PigeonRuntime.sealer` in `serve`).
        public var sealer: any SecretSealing
        /// Sends web sessions' messages (WAHA by default).
        public var webTransport: any MessageTransport
        /// How long API requests and the sender monitor wait for a sender action (`SenderService.actionWait`).
        public var senderActionWait: Duration
        /// Where the engine's counters and histograms go.
        public var metrics: PigeonMetrics
        /// Posts alerts, when `PIGEON_ALERT_WEBHOOK_URL` is set.
        public var alerter: (any ForwardTransport)?

        public init(
            transport: any MessageTransport, mediaBytes: (any MediaBytes)?, forwarder: (any ForwardTransport)? = nil,
            clock: any PigeonClock = SystemClock(), workerID: String = Engine.makeWorkerID(),
            mediaRefresh: MediaRefreshJob.Configuration? = nil,
            random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
            sealer: any SecretSealing = SecretSealer.random(), webTransport: any MessageTransport = WAHATransport(),
            senderActionWait: Duration = SenderService.defaultActionWait, metrics: PigeonMetrics = .disabled,
            alerter: (any ForwardTransport)? = nil
        ) {
            self.alerter = alerter
            self.metrics = metrics
            self.senderActionWait = senderActionWait
            self.webTransport = webTransport
            self.sealer = sealer
            self.transport = transport
            self.mediaBytes = mediaBytes
            self.forwarder = forwarder
            self.clock = clock
            self.workerID = workerID
            self.mediaRefresh = mediaRefresh
            self.random = random
        }
    }

    /// The controls of both kinds of senders: Cloud API numbers are checked through `transport` when it is the
    /// Cloud API client; web sessions through their WAHA bridge.
    static func senderControls(transport: any MessageTransport, errorTable: ErrorTable, clock: any PigeonClock) -> SenderControls {
        var controls: [SenderKind: any SenderControl] = [.webSession: WebSessionControl()]
        if let client = transport as? CloudAPIClient {
            controls[.cloudAPI] = CloudNumberControl(classifier: ErrorClassifier(table: errorTable), clock: clock) {
                await client.checkNumber($0, accessToken: $1, now: $2)
            }
        }
        return SenderControls(controls)
    }

    /// The engine for `config` on `store`, with the Cloud API number of `PIGEON_META_PHONE_NUMBER_ID` (or the
    /// sandbox's) stored as a sender in the default pool and every sender read.
    public static func buildEngine(
        _ config: ServerConfiguration, store: any PigeonStore, parts: Parts, errorTable: ErrorTable = .meta, logger: Logger
    ) async throws -> Engine {
        let retry = RetryPolicy(schedule: config.retrySchedule)
        let options = Engine.Options(
            policy: DeliveryPolicy(retry: retry, inDoubtAfter: config.inDoubtAfter),
            errorTable: errorTable,
            dispatcher: DispatcherConfiguration(
                workerID: parts.workerID, maxInFlight: config.maxInFlight, leaseTimeout: config.leaseTimeout),
            retention: .init(retention: .seconds(Int64(config.retentionDays) * 86400)),
            webhooks: .init(optOutKeywords: config.optOutKeywords),
            forwarding: parts.forwarder.map { forwarder in
                (
                    forwarder,
                    Forwarder.Configuration(workerID: parts.workerID + "-forwarder", retry: retry, leaseTimeout: config.leaseTimeout)
                )
            },
            media: parts.mediaBytes.flatMap { files in (parts.transport as? any MediaUploader).map { (files, $0) } },
            mediaRefresh: parts.mediaRefresh ?? .init(refreshBefore: config.mediaRefreshBefore),
            mediaFetcher: HTTPMediaFetcher(allowsPlainHTTP: config.isSandbox || config.mediaPlainHTTP),
            defaultSenderID: config.defaultSenderID, sealer: parts.sealer,
            senderLifecycle: SenderLifecycle(reconnectSchedule: config.reconnectSchedule, stableAfter: config.sessionStableAfter),
            senderControl: senderControls(transport: parts.transport, errorTable: errorTable, clock: parts.clock),
            sessionCheckInterval: config.sessionHealthInterval, webTransport: parts.webTransport, senderActionWait: parts.senderActionWait,
            metrics: parts.metrics,
            alerting: parts.alerter.map { alerter in
                (
                    alerter,
                    Forwarder.Configuration(
                        workerID: parts.workerID + "-alerts", retry: retry, leaseTimeout: config.leaseTimeout, destination: .alerts)
                )
            })
        let engine = Engine(store: store, transport: parts.transport, clock: parts.clock, options: options, logger: logger, random: parts.random)
        try await engine.senders.ensureCloudSender(config.defaultSenderID, accessToken: config.metaAccessToken)
        try await engine.senders.reload()
        return engine
    }
}
