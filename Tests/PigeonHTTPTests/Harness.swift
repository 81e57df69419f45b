import AsyncHTTPClient
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
import ServiceLifecycle
import Testing
import WhatsAppCloud

/// A live Pigeon API and a live simulator on loopback ports, a real SQLite file and a manual clock.
/// The engine's services do not run on their own: tests drive `dispatcher.runOnce()` and move the clock.
final class Harness: Sendable {
    static let apiKey = "test-api-key-0123456789"
    static let sender = "100000000000001"

    let clock: ManualClock
    let simulator: MetaSimulator
    let store: SQLiteStore
    let engine: Engine
    let apiURL: String
    let simulatorURL: String
    let http: HTTPClient

    private init(
        clock: ManualClock, simulator: MetaSimulator, store: SQLiteStore, engine: Engine, apiURL: String, simulatorURL: String, http: HTTPClient
    ) {
        self.simulator = simulator
        self.clock = clock
        self.store = store
        self.engine = engine
        self.apiURL = apiURL
        self.simulatorURL = simulatorURL
        self.http = http
    }

    struct Options {
        var schedule: [Duration] = [.seconds(1), .seconds(1)]
        var inDoubtAfter: Duration = .seconds(60)
        var requestTimeout: Duration = .seconds(10)
        var leaseTimeout: Duration = .seconds(30)
    }

    /// Runs `body` with a fresh harness, then stops both servers.
    static func run(_ options: Options = Options(), _ body: (Harness) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-http-\(UUID().uuidString)")
        let store = try SQLiteStore(path: directory.appendingPathComponent("pigeon.sqlite").path)
        let simulator = MetaSimulator()
        let clock = ManualClock()

        let (simulatorPorts, simulatorPort) = AsyncStream<Int>.makeStream()
        let simulatorGroup = ServiceGroup(
            services: [simulator.application(port: 0, logger: logger) { simulatorPort.yield($0) }], logger: logger)
        let simulatorTask = Task { try await simulatorGroup.run() }
        let simulatorURL = "http://127.0.0.1:\(await simulatorPorts.first { _ in true }!)"

        let client = CloudAPIClient(
            configuration: .init(baseURL: simulatorURL, accessToken: "test-token", requestTimeout: options.requestTimeout))
        let engine = Engine(
            store: store, transport: client, clock: clock,
            options: .init(
                policy: DeliveryPolicy(retry: RetryPolicy(schedule: options.schedule), inDoubtAfter: options.inDoubtAfter),
                dispatcher: DispatcherConfiguration(workerID: "test-worker", leaseTimeout: options.leaseTimeout),
                defaultSenderID: sender),
            logger: logger, random: { 0.5 })
        let (apiPorts, apiPort) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: PigeonAPI.router(service: engine.service, apiKey: apiKey),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { apiPort.yield($0.localAddress!.port!) }, logger: logger)
        let apiGroup = ServiceGroup(services: [app], logger: logger)
        let apiTask = Task { try await apiGroup.run() }
        let apiURL = "http://127.0.0.1:\(await apiPorts.first { _ in true }!)"

        let harness = Harness(clock: clock, simulator: simulator, store: store, engine: engine, apiURL: apiURL, simulatorURL: simulatorURL, http: HTTPClient())
        do {
            try await body(harness)
        } catch {
            await harness.stop(apiGroup, apiTask, simulatorGroup, simulatorTask, client)
            throw error
        }
        await harness.stop(apiGroup, apiTask, simulatorGroup, simulatorTask, client)
        try? FileManager.default.removeItem(at: directory)
    }

    private func stop(
        _ apiGroup: ServiceGroup, _ apiTask: Task<Void, any Error>, _ simulatorGroup: ServiceGroup,
        _ simulatorTask: Task<Void, any Error>, _ client: CloudAPIClient
    ) async {
        await apiGroup.triggerGracefulShutdown()
        _ = await apiTask.result
        await simulatorGroup.triggerGracefulShutdown()
        _ = await simulatorTask.result
        try? await client.shutdown()
        try? await http.shutdown()
    }

    /// A response: status and parsed JSON body (empty when not JSON).
    struct Reply {
        let status: Int
        let json: [String: Any]
        let text: String

        subscript(key: String) -> Any? { json[key] }
        var error: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var history: [[String: Any]] { json["history"] as? [[String: Any]] ?? [] }
    }

    /// Calls the Pigeon API.
    func call(
        _ method: HTTPMethod, _ path: String, json body: String? = nil, headers: [String: String] = [:],
        auth: String? = Harness.apiKey, contentType: String? = "application/json", base: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: (base ?? apiURL) + path)
        request.method = method
        if let auth { request.headers.add(name: "Authorization", value: "Bearer \(auth)") }
        if body != nil, let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let text = String(buffer: bytes)
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Reply(status: Int(response.status.code), json: json, text: text)
    }

    /// Posts a text message and returns its id.
    func send(to: String = "+15550001111", extra: String = "") async throws -> String {
        let reply = try await call(.POST, "/v1/messages", json: #"{"to": "\#(to)", "type": "text", "text": {"body": "hello"}\#(extra)}"#)
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply["id"] as? String)
    }

    /// Reads a message.
    func message(_ id: String) async throws -> Reply {
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

    /// The outcomes in a message's history.
    func outcomes(_ id: String) async throws -> [String] {
        try await message(id).history.map { $0["outcome"] as! String }
    }
}
