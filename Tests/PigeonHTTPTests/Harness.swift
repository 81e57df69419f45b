import Foundation
import Hummingbird
import Logging
import MetaSimulator
import NIOCore
import NIOHTTP1
import PigeonCore
import PigeonEngine
import PigeonHTTP
import PigeonSQLite
import PigeonServer
import PigeonTestSupport
import Prometheus
import Testing
import WhatsAppCloud

/// A live Pigeon API and a live simulator on loopback ports, a real database (an SQLite file or a PostgreSQL
/// database) and a manual clock.
/// The engine's services do not run on their own: tests drive `dispatcher.runOnce()` and move the clock.
final class Harness: Sendable {
    static let apiKey = "test-api-key-0123456789"
    static let sender = "100000000000001"
    static let webhookVerifyToken = "verify-me-123"
    static let appSecret = "test-app-secret"
    static let forwardSecret = "test-forward-secret"
    static let alertSecret = "test-alert-secret"

    let clock: ManualClock
    let simulator: MetaSimulator
    let store: any PigeonStore
    /// The database `store` is on; `database.open()` gives another store on it, as another process has.
    let database: TemporaryDatabase
    /// Where the media library keeps its bytes.
    let mediaBytes: any MediaBytes
    let engine: Engine
    let apiURL: String
    let simulatorURL: String
    let client = JSONClient()
    /// Seals sender credentials; another engine on `database` needs the same one.
    let sealer: SecretSealer
    /// The application's webhook handler, when forwarding.
    let app: AppReceiver?
    /// The alert webhook's receiver, when alerts are posted.
    let alertReceiver: AppReceiver?

    private init(
        clock: ManualClock, simulator: MetaSimulator, store: any PigeonStore, database: TemporaryDatabase, mediaBytes: any MediaBytes,
        engine: Engine, apiURL: String, simulatorURL: String, app: AppReceiver?, alertReceiver: AppReceiver?, sealer: SecretSealer
    ) {
        self.alertReceiver = alertReceiver
        self.sealer = sealer
        self.database = database
        self.mediaBytes = mediaBytes
        self.app = app
        self.simulator = simulator
        self.clock = clock
        self.store = store
        self.engine = engine
        self.apiURL = apiURL
        self.simulatorURL = simulatorURL
    }

    struct Options {
        var schedule: [Duration] = [.seconds(1), .seconds(1)]
        var inDoubtAfter: Duration = .seconds(60)
        var requestTimeout: Duration = .seconds(10)
        var leaseTimeout: Duration = .seconds(30)
        /// Whether the webhook verify token and app secret are configured.
        var webhookSecrets = true
        /// Forward events to an `AppReceiver` (signed with `forwardSecret`).
        var forwarding = false
        /// Register media from plain http URLs too (as the sandbox does).
        var plainHTTPMedia = false
        /// The media refresh job's settings.
        var mediaRefresh = MediaRefreshJob.Configuration()
        /// The bearer token `GET /metrics` asks for (nil: open).
        var metricsToken: String?
        /// Post alerts to an `AppReceiver` (`alertReceiver`), signed with `alertSecret`.
        var alertWebhook = false

        /// Sends time out after 1 s (a loaded test machine answers well within it) and an in-doubt attempt is
        /// resent after 60 s.
        static var quickTimeouts: Options {
            var options = Options()
            // Long enough for an answer on a loaded machine (the whole suite runs at once), short for a test.
            options.requestTimeout = .seconds(2)
            options.inDoubtAfter = .seconds(60)
            return options
        }
    }

    /// Sends one message whose first attempt times out (the simulator answers after 4 s): it is in doubt.
    func sendInDoubt() async throws -> String {
        try await script(#"{"times": 1, "delay_ms": 4000}"#)
        let id = try await send()
        try await dispatch()
        #expect(try await outcomes(id) == ["in_doubt"])
        return id
    }

    /// Runs `body` with a fresh harness, then stops both servers.
    static func run(
        _ kind: StoreKind = .sqlite, _ options: Options = Options(), _ body: (Harness) async throws -> Void
    )
        async throws
    {
        let logger = RunningServer.quietLogger
        let database = try TemporaryDatabase(kind)
        let store = try await database.open()
        let mediaBytes = database.mediaBytes(store)
        let simulator = MetaSimulator()
        let clock = ManualClock()
        let simulatorServer = await RunningServer(logger: logger) { onRunning in
            simulator.application(port: 0, logger: logger, onRunning: onRunning)
        }
        let client = try CloudAPIClient(
            configuration: .init(baseURL: simulatorServer.url, accessToken: "test-token", requestTimeout: options.requestTimeout))
        let app = options.forwarding ? await AppReceiver.start() : nil
        let forwarder = app.map { WebhookForwarder(url: $0.url, secret: forwardSecret) }
        let alertReceiver = options.alertWebhook ? await AppReceiver.start() : nil
        let alerter = alertReceiver.map { WebhookForwarder(url: $0.url, secret: alertSecret, signatureHeader: "X-Pigeon-Signature-256") }
        var config = ServerConfiguration()
        config.metaAccessToken = "test-token"
        config.metaPhoneNumberID = sender
        config.retrySchedule = options.schedule
        config.inDoubtAfter = options.inDoubtAfter
        config.leaseTimeout = options.leaseTimeout
        config.mediaPlainHTTP = options.plainHTTPMedia
        let sealer = SecretSealer.random()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = PigeonMetrics.durationBuckets
        // Requests wait for the simulated bridge's answers, and the drop-in endpoint for a first attempt's
        // outcome, however loaded the machine (2 s each in production).
        let engine = try await EngineFactory.buildEngine(
            config, store: store,
            parts: .init(
                transport: client, mediaBytes: mediaBytes, forwarder: forwarder, clock: clock,
                workerID: "test-worker", mediaRefresh: options.mediaRefresh, random: { 0.5 }, sealer: sealer,
                senderActionWait: .seconds(60), metrics: PigeonMetrics(factory: factory), alerter: alerter),
            logger: logger)
        let apiServer = await RunningServer(logger: logger) { onRunning in
            Application(
                router: PigeonAPI.router(
                    engine: engine, apiKey: apiKey, webhookVerifyToken: options.webhookSecrets ? webhookVerifyToken : nil,
                    metaAppSecret: options.webhookSecrets ? appSecret : nil, inlineSendTimeout: .seconds(30), graphProxy: client,
                    metrics: MetricsExport(registry: registry, token: options.metricsToken)),
                server: PigeonAPI.server,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: logger)
        }
        let harness = Harness(
            clock: clock, simulator: simulator, store: store, database: database, mediaBytes: mediaBytes, engine: engine,
            apiURL: apiServer.url, simulatorURL: simulatorServer.url, app: app, alertReceiver: alertReceiver, sealer: sealer)
        var failure: (any Error)?
        do {
            try await body(harness)
        } catch {
            failure = error
        }
        await apiServer.stop()
        await simulatorServer.stop()
        await app?.server.stop()
        try? await forwarder?.shutdown()
        try? await alerter?.shutdown()
        await alertReceiver?.server.stop()
        try? await client.shutdown()
        await database.close()
        if let failure { throw failure }
    }

    /// A second Pigeon on this harness's database, as another process has: its own store connections, worker
    /// name and HTTP client (shut the client down when done), the same clock and sealing key.
    func otherPigeon(workerID: String = "other-worker") async throws -> (Engine, CloudAPIClient) {
        let client = try CloudAPIClient(configuration: .init(baseURL: simulatorURL, accessToken: "test-token"))
        var config = ServerConfiguration()
        config.metaAccessToken = "test-token"
        config.metaPhoneNumberID = Harness.sender
        let store = try await database.open()
        let other = try await EngineFactory.buildEngine(
            config, store: store,
            parts: .init(
                transport: client, mediaBytes: database.mediaBytes(store), clock: clock, workerID: workerID, sealer: sealer,
                senderActionWait: .seconds(60)),
            logger: RunningServer.quietLogger)
        return (other, client)
    }

    /// Calls the Pigeon API (or, with `base`, another server).
    func call(
        _ method: HTTPMethod, _ path: String, json body: String? = nil, headers: [String: String] = [:],
        auth: String? = Harness.apiKey, contentType: String? = "application/json", base: String? = nil
    ) async throws -> JSONClient.Reply {
        try await client.call(method, (base ?? apiURL) + path, json: body, headers: headers, bearer: auth, contentType: contentType)
    }

    /// Posts a text message and returns its id.
    func send(to: String = "+15550001111", extra: String = "") async throws -> String {
        let reply = try await call(.POST, "/v1/messages", json: #"{"to": "\#(to)", "type": "text", "text": {"body": "hello"}\#(extra)}"#)
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply["id"] as? String)
    }

    /// Reads a message.
    func message(_ id: String) async throws -> JSONClient.Reply {
        try await call(.GET, "/v1/messages/\(id)")
    }

    /// Scripts the simulator through its control API.
    func script(_ rule: String) async throws {
        let reply = try await call(.POST, "/_sim/rules", json: rule, auth: nil, base: simulatorURL)
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// Runs every due message once.
    @discardableResult
    func dispatch() async throws -> Int { try await engine.dispatcher.runOnce() }

    /// Posts a webhook body to `/webhooks/meta`, signed with the app secret unless `signature` says otherwise.
    func webhook(_ body: String, signature: String? = nil, signed: Bool = true) async throws -> JSONClient.Reply {
        let header = signature ?? MetaSignature.header(for: body, secret: Harness.appSecret)
        return try await call(.POST, "/webhooks/meta", json: body, headers: signed ? ["X-Hub-Signature-256": header] : [:], auth: nil)
    }

    /// Applies every stored webhook and due pending event; returns how many moved a message.
    @discardableResult
    func processWebhooks() async throws -> Int { try await engine.webhooks.runOnce() }

    /// The status events of a message.
    func events(_ id: String) async throws -> [[String: Any]] {
        try await message(id)["events"] as? [[String: Any]] ?? []
    }

    /// The outcomes in a message's history.
    func outcomes(_ id: String) async throws -> [String] {
        try await message(id).history.map { $0["outcome"] as! String }
    }

    /// Has the simulator report statuses to this harness's webhook endpoint.
    func simulatorReports(_ options: String = "") async throws {
        let reply = try await call(
            .POST, "/_sim/webhooks", json: #"{"url": "\#(apiURL)/webhooks/meta", "secret": "\#(Harness.appSecret)", "delay_ms": 0\#(options)}"#,
            auth: nil, base: simulatorURL)
        #expect(reply.status == 201, "\(reply.text)")
        #expect(!reply.text.contains(Harness.appSecret), "the control API showed the secret")
    }

    /// Processes webhooks as they arrive until `id` reaches `status` (the simulator posts them in the
    /// background, sometimes before the send's outcome is recorded: such a status waits a second on the
    /// injected clock); gives up after five seconds.
    func processUntil(_ id: String, is status: String) async throws -> Bool {
        for _ in 0..<100 {
            clock.advance(by: .seconds(1))
            try await processWebhooks()
            if try await message(id)["status"] as? String == status { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
