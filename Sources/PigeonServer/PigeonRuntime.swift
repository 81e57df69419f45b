import Foundation
import Hummingbird
import Logging
import MetaSimulator
import PigeonCore
import PigeonEngine
import PigeonHTTP
import PigeonPostgres
import PigeonSQLite
import Prometheus
import ServiceLifecycle
import WhatsAppCloud

/// `pigeon serve`: opens the store, settles the API key, starts the sandbox simulator when no Meta
/// credentials are set, and runs the API with the engine until SIGTERM or SIGINT.
public enum PigeonRuntime {
    /// The settings key of a generated API key.
    static let apiKeySetting = "api_key"

    public static func serve(
        _ config: ServerConfiguration, console: @escaping @Sendable (String) -> Void = Console.print
    )
        async throws
    {
        let logger = Logger(label: "pigeon")
        let errorTable = try config.errorTable()
        let opened = try await openStore(config, logger: logger)
        do {
            try await serve(config, opened: opened, errorTable: errorTable, logger: logger, console: console)
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    private static func serve(
        _ config: ServerConfiguration, opened: OpenedStore, errorTable: ErrorTable, logger: Logger,
        console: @escaping @Sendable (String) -> Void
    ) async throws {
        let apiKey = try await resolveAPIKey(config, store: opened.store, logger: logger, console: console)
        guard config.isSandbox else {
            let client = try CloudAPIClient(configuration: cloudConfiguration(config, baseURL: config.metaBaseURL, token: config.metaAccessToken!))
            logger.info("sending through Meta's Cloud API", metadata: ["base_url": "\(config.metaBaseURL)", "sender": "\(config.defaultSenderID)"])
            try await shuttingDown(client) {
                try await runAPI(config, store: opened, transport: client, errorTable: errorTable, apiKey: apiKey, logger: logger)
            }
            return
        }
        // The sandbox's simulator reports statuses by webhook, signed with the configured app secret or, when
        // there is none, with one made up for this run (kept in memory only).
        var config = config
        let secret = config.metaAppSecret ?? generateAPIKey()
        config.metaAppSecret = secret
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let meta = MetaSimulator(logger: Logger(label: "pigeon.sandbox"))
            let simulator = meta.application(port: 0, logger: Logger(label: "pigeon.sandbox")) { port in
                continuation.yield(port)
                continuation.finish()
            }
            let sandbox = ServiceGroup(services: [simulator], logger: logger)
            group.addTask { try await sandbox.run() }
            guard let port = await ports.first(where: { _ in true }) else { return }
            let baseURL = "http://127.0.0.1:\(port)"
            logger.warning(
                "SANDBOX MODE: PIGEON_META_ACCESS_TOKEN is not set, so messages go to Pigeon's built-in simulator and nothing reaches WhatsApp; the simulator reports sent, delivered and read by signed webhook to /webhooks/meta (and plays a paired WhatsApp Web session, sender sandbox-web in pool web, through /webhooks/waha). Set PIGEON_META_ACCESS_TOKEN and PIGEON_META_PHONE_NUMBER_ID to send for real.",
                metadata: ["simulator": "\(baseURL)", "sender": "\(config.defaultSenderID)"])
            let client = try CloudAPIClient(configuration: cloudConfiguration(config, baseURL: baseURL, token: "sandbox"))
            let webhookHost = ["0.0.0.0", "::"].contains(config.host) ? "127.0.0.1" : config.host
            try await shuttingDown(client) {
                try await runAPI(config, store: opened, transport: client, errorTable: errorTable, apiKey: apiKey, logger: logger) {
                    port, engine in
                    meta.sendWebhooks(SimulatorWebhooks(url: "http://\(webhookHost):\(port)/webhooks/meta", secret: secret))
                    meta.runBridgeSession(Sandbox.webSession, webhookURL: "http://\(webhookHost):\(port)/webhooks/waha", hmacKey: secret)
                    do {
                        try await Sandbox.ensureWebSession(engine.senders, bridgeURL: baseURL, webhookSecret: secret)
                    } catch {
                        logger.error("the sandbox's web session could not be set up", metadata: ["error": "\(error)"])
                    }
                }
            }
            await sandbox.triggerGracefulShutdown()
        }
    }

    /// Runs `body`, then shuts `client` down, also when `body` throws (a client dropped without a shutdown
    /// stops the process, which would hide the error, such as a wrong PIGEON_SECRET_KEY).
    static func shuttingDown(_ client: CloudAPIClient, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func cloudConfiguration(_ config: ServerConfiguration, baseURL: String, token: String) -> CloudAPIConfiguration {
        CloudAPIConfiguration(
            baseURL: baseURL, apiVersion: config.metaAPIVersion, accessToken: token, requestTimeout: config.metaTimeout,
            maxConnections: max(8, min(config.maxInFlight, CloudAPIConfiguration.defaultMaxConnections)))
    }

    /// An open store with what goes with it.
    public struct OpenedStore: Sendable {
        /// The store.
        public var store: any PigeonStore
        /// Where the database is, for the log (a PostgreSQL password masked).
        public var location: String
        /// Where the media library keeps its bytes.
        public var mediaBytes: any MediaBytes
        /// Services the store needs while Pigeon runs (SQLite's WAL checkpoints).
        public var services: [any Service]
        /// Closes the store's connections.
        public var close: @Sendable () async -> Void
    }

    /// Opens and migrates the configured store. A PostgreSQL server that refuses the credentials or has no
    /// such database stops start-up with a message naming `PIGEON_DATABASE_URL` (the password masked).
    public static func openStore(_ config: ServerConfiguration, logger: Logger = Logger(label: "pigeon")) async throws -> OpenedStore {
        switch config.database {
        case .sqlite(let path):
            let store = try SQLiteStore(path: path, synchronousFull: config.sqliteSynchronousFull)
            return OpenedStore(
                store: store, location: path,
                mediaBytes: config.mediaDirectory.map { MediaFiles(directory: URL(fileURLWithPath: $0, isDirectory: true)) }
                    ?? MediaFiles(besideDatabase: path),
                services: [CheckpointService(store: store, logger: logger)], close: {})
        case .postgres(let url):
            let store: PostgresStore
            do {
                store = try await PostgresStore.open(url, poolSize: config.databasePoolSize, logger: logger)
            } catch {
                throw ConfigurationError("PIGEON_DATABASE_URL", "could not open \(url): \(PostgresStore.describe(error))")
            }
            let mediaBytes: any MediaBytes
            if let directory = config.mediaDirectory {
                mediaBytes = MediaFiles(directory: URL(fileURLWithPath: directory, isDirectory: true))
            } else {
                mediaBytes = store
                await MediaFolderImport.run(into: store, now: Date(), logger: logger)
            }
            return OpenedStore(
                store: store, location: url.description, mediaBytes: mediaBytes, services: [], close: { await store.close() })
        }
    }

    /// The configured key, or the one stored in the database (generated and printed once at first start).
    static func resolveAPIKey(
        _ config: ServerConfiguration, store: some SettingsStore, logger: Logger, console: @Sendable (String) -> Void
    ) async throws -> String {
        if let key = config.apiKey { return key }
        let (key, created) = try await store.setting(apiKeySetting) { generateAPIKey() }
        if created {
            console(
                """
                ------------------------------------------------------------------
                Pigeon generated an API key for this database. It is shown once:

                    \(key)

                Send it as the header: Authorization: Bearer <key>
                Set PIGEON_API_KEY to choose your own; `pigeon api-key` shows this one again.
                ------------------------------------------------------------------
                """)
        } else {
            logger.info("using the API key generated at first start and stored in the database; `pigeon api-key` shows it")
        }
        return key
    }

    /// The stored generated key, if any.
    public static func storedAPIKey(_ config: ServerConfiguration) async throws -> String? {
        let opened = try await openStore(config)
        let (key, created) = try await opened.store.setting(apiKeySetting) { generateAPIKey() }
        await opened.close()
        return created ? nil : key
    }

    /// The settings key of a value sealed with the secret key, to tell at start-up that the key is the one
    /// the stored credentials were sealed with.
    static let secretKeyCheckSetting = "secret_key_check"

    /// The sealer for sender credentials: the key from `PIGEON_SECRET_KEY`, else from the key file (generated
    /// at first start). Refuses to start when the database's credentials were sealed with another key.
    static func sealer(_ config: ServerConfiguration, store: some SettingsStore, logger: Logger) async throws -> SecretSealer {
        let sealer: SecretSealer
        if let text = config.secretKey {
            sealer = SecretSealer(key: try SecretKeySource.parse(text))
        } else {
            let file = URL(fileURLWithPath: config.secretKeyFile)
            let (key, created) = try SecretKeySource.file(file)
            if created {
                logger.notice(
                    "generated the key that seals sender credentials; keep this file with the database (or set PIGEON_SECRET_KEY)",
                    metadata: ["file": "\(file.path)"])
            }
            if case .postgres = config.database {
                logger.warning(
                    "PIGEON_SECRET_KEY is not set: sender credentials are sealed with the key in \(file.path); every instance on this database needs the same key, so set PIGEON_SECRET_KEY on each"
                )
            }
            sealer = SecretSealer(key: key)
        }
        let check = (try? sealer.seal(SenderSecrets(webhookSecret: "pigeon"))) ?? []
        let (stored, _) = try await store.setting(secretKeyCheckSetting) { Data(check).base64EncodedString() }
        guard let bytes = Data(base64Encoded: stored), (try? sealer.open(Array(bytes))) != nil else {
            throw ConfigurationError(
                "PIGEON_SECRET_KEY",
                "the sender credentials in this database were sealed with another key; set PIGEON_SECRET_KEY (or restore \(config.secretKeyFile)) to the key used before"
            )
        }
        return sealer
    }

    static func generateAPIKey() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "pgn_" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func runAPI(
        _ config: ServerConfiguration, store opened: OpenedStore, transport: any MessageTransport, errorTable: ErrorTable,
        apiKey: String, logger: Logger, onRunning: @escaping @Sendable (Int, Engine) async -> Void = { _, _ in }
    ) async throws {
        let forwarder = config.forwardURL.map { url in
            WebhookForwarder(url: url, secret: config.forwardSecret ?? config.metaAppSecret ?? "")
        }
        if let url = config.forwardURL { logger.info("forwarding statuses and inbound messages", metadata: ["url": "\(url)"]) }
        let alerter = config.alertWebhookURL.map { url in
            WebhookForwarder(url: url, secret: config.alertSecret ?? "", signatureHeader: "X-Pigeon-Signature-256")
        }
        if let url = config.alertWebhookURL { logger.info("posting alerts", metadata: ["url": "\(url)"]) }
        let sealer = try await sealer(config, store: opened.store, logger: logger)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = PigeonMetrics.durationBuckets
        let engine = try await EngineFactory.buildEngine(
            config, store: opened.store,
            parts: .init(
                transport: transport, mediaBytes: opened.mediaBytes, forwarder: forwarder, sealer: sealer,
                metrics: PigeonMetrics(factory: factory), alerter: alerter),
            errorTable: errorTable, logger: logger)
        let host = config.host
        let app = Application(
            router: PigeonAPI.router(
                engine: engine, apiKey: apiKey, webhookVerifyToken: config.webhookVerifyToken,
                metaAppSecret: config.metaAppSecret, inlineSendTimeout: config.inlineSendTimeout,
                graphProxy: transport as? any GraphProxy, metrics: MetricsExport(registry: registry, token: config.metricsToken)),
            server: PigeonAPI.server,
            configuration: .init(address: .hostname(host, port: config.port), serverName: "pigeon"),
            services: opened.services + engine.services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                await onRunning(port, engine)
                logger.notice("Pigeon listening on http://\(host):\(port)", metadata: ["database": "\(opened.location)"])
            },
            logger: logger)
        try await ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
        try? await forwarder?.shutdown()
        try? await alerter?.shutdown()
        logger.notice("Pigeon stopped")
    }
}
