import Foundation
import MetaSimulator
import PigeonTestSupport
import Synchronization
import Testing

/// Child `pigeon serve` processes under load, killed with SIGKILL and restarted on the same database (an
/// SQLite file, or a PostgreSQL database several instances share).
@Suite(.serialized) struct CrashTests {
    static let apiKey = "crash-test-key-0123456789"
    /// Messages to this number are rejected permanently by the simulator (131026).
    static let unreachable = "+15559990000"

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-crash-\(UUID().uuidString)")
    let client = JSONClient()

    func environment(simulatorURL: String, database: TemporaryDatabase) -> [String: String] {
        [
            "PIGEON_DATABASE_URL": database.url, "PIGEON_MEDIA_DIR": directory.appendingPathComponent("media").path,
            "PIGEON_API_KEY": Self.apiKey, "PIGEON_PORT": "0", "PIGEON_META_ACCESS_TOKEN": "crash-test-token",
            "PIGEON_META_PHONE_NUMBER_ID": "123456789", "PIGEON_META_BASE_URL": simulatorURL,
            "PIGEON_RETRY_SCHEDULE": "50ms", "PIGEON_LEASE_TIMEOUT": "1s", "PIGEON_IN_DOUBT_AFTER": "300ms",
            "PIGEON_LOG_LEVEL": "notice",
        ]
    }

    /// Posts batches and single messages until cancelled; remembers every id answered with 202.
    final class Load: Sendable {
        let accepted = Mutex<[String: String]>([:])
        var count: Int { accepted.withLock { $0.count } }

        func run(client: JSONClient, url: String, worker: Int) async {
            var round = 0
            while !Task.isCancelled {
                round += 1
                let recipients = (0..<10).map { index -> String in
                    index == 3 && round % 5 == 0 ? CrashTests.unreachable : "+1555\(String(format: "%03d", worker))\(String(format: "%04d", index))"
                }
                let items = recipients.map { #"{"to": "\#($0)", "text": {"body": "load \#(round)"}}"# }
                guard
                    let reply = try? await client.call(
                        .POST, url + "/v1/messages/batch", json: #"{"messages": [\#(items.joined(separator: ","))]}"#,
                        bearer: CrashTests.apiKey, timeout: .seconds(5)),
                    reply.status == 202, let results = reply["results"] as? [[String: Any]]
                else { continue }
                accepted.withLock { accepted in
                    for (result, to) in zip(results, recipients) {
                        accepted[result["id"] as! String] = to == CrashTests.unreachable ? "failed" : "sent"
                    }
                }
                if let single = try? await client.call(
                    .POST, url + "/v1/messages", json: #"{"to": "+15550000\#(worker)01", "text": {"body": "single"}}"#,
                    bearer: CrashTests.apiKey, timeout: .seconds(5)), single.status == 202, let id = single["id"] as? String
                {
                    accepted.withLock { $0[id] = "sent" }
                }
            }
        }
    }

    /// Applies load to `urls` until `load` has `target` accepted messages (or 60 s pass), then stops it.
    func drive(_ load: Load, urls: [String], until target: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, url) in urls.enumerated() {
                for worker in 0..<2 { group.addTask { await load.run(client: client, url: url, worker: index * 2 + worker) } }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while load.count < target && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            group.cancelAll()
        }
    }

    /// Waits until no message is queued, sending or scheduled for retry (or 90 s pass).
    func waitUntilSettled(_ url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let stats = try await client.call(.GET, url + "/v1/stats", bearer: Self.apiKey)
            let counts = stats["messages"] as? [String: Int] ?? [:]
            if counts["queued", default: 1] + counts["sending", default: 1] + counts["retry_scheduled", default: 1] == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("messages did not settle within 90 s")
    }

    /// Every message's status and attempt outcomes, read through the API.
    func allMessages(_ url: String) async throws -> [String: String] {
        var statuses: [String: String] = [:]
        var cursor: String?
        repeat {
            let page = try await client.call(
                .GET, url + "/v1/messages?limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""), bearer: Self.apiKey)
            for message in page["messages"] as? [[String: Any]] ?? [] {
                statuses[message["id"] as! String] = message["status"] as? String
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return statuses
    }

    /// Checks that every accepted message ended as expected and that any message Meta got twice had an in-doubt attempt.
    func verify(_ load: Load, simulator: MetaSimulator, url: String) async throws {
        let accepted = load.accepted.withLock { $0 }
        let statuses = try await allMessages(url)
        let lost = accepted.filter { statuses[$0.key] == nil }
        #expect(lost.isEmpty, "\(lost.count) accepted messages are missing")
        let wrong = accepted.filter { statuses[$0.key] != nil && statuses[$0.key] != $0.value }
        #expect(wrong.isEmpty, "\(wrong.count) messages ended wrongly, e.g. \(wrong.prefix(3)) → \(wrong.prefix(3).map { statuses[$0.key] ?? "" })")

        var deliveries: [String: Int] = [:]
        for request in simulator.received where request.responseStatus == 200 {
            deliveries[request.callbackData ?? "", default: 0] += 1
        }
        for (id, count) in deliveries where count > 1 {
            let history = try await client.call(.GET, url + "/v1/messages/\(id)", bearer: Self.apiKey).history
            let outcomes = history.compactMap { $0["outcome"] as? String }
            #expect(outcomes.contains("in_doubt"), "message \(id) reached Meta \(count) times without an in-doubt attempt: \(outcomes)")
        }
        let sentNeverDelivered = accepted.filter { $0.value == "sent" && deliveries[$0.key] == nil }
        #expect(sentNeverDelivered.isEmpty, "\(sentNeverDelivered.count) messages are sent but Meta never got them")
    }

    /// The simulator, answering by `rules` first.
    func startSimulator(rules: [SimulatorRule] = []) async -> (MetaSimulator, RunningServer) {
        let simulator = MetaSimulator()
        for rule in rules { simulator.addRule(rule) }
        simulator.addRule(SimulatorRule(to: Self.unreachable, error: .init(code: 131026, title: "Message undeliverable")))
        simulator.addRule(SimulatorRule(delayMs: 5))
        let logger = RunningServer.quietLogger
        let server = await RunningServer(logger: logger) { onRunning in
            simulator.application(port: 0, logger: logger, onRunning: onRunning)
        }
        return (simulator, server)
    }

    @Test(.serialized, arguments: StoreKind.available) func killNineUnderLoadLosesNothingAcrossRestarts(_ kind: StoreKind) async throws {
        let database = try TemporaryDatabase(kind)
        let directory = self.directory.appendingPathComponent(kind.rawValue)
        let (simulator, simulatorServer) = await startSimulator()
        let env = environment(simulatorURL: simulatorServer.url, database: database)
        let load = Load()
        for crash in 1...2 {
            let child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-\(crash).log"))
            let port = try await child.start()
            try await drive(load, urls: ["http://127.0.0.1:\(port)"], until: crash * 800)
            child.kill()
        }
        let survivor = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-final.log"))
        let url = "http://127.0.0.1:\(try await survivor.start())"
        try await drive(load, urls: [url], until: load.count + 100)
        try await waitUntilSettled(url)
        try await verify(load, simulator: simulator, url: url)
        #expect(survivor.terminate() == 0, "SIGTERM did not shut down cleanly")
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// How many of `processes`' logs say they took the lead.
    func leadsTaken(_ processes: [PigeonProcess]) -> [Int] {
        processes.map { process in
            ((try? String(contentsOf: process.logURL, encoding: .utf8)) ?? "").components(separatedBy: "took the lead").count - 1
        }
    }

    /// Waits (up to `timeout`) until `condition` holds.
    func eventually(_ timeout: Duration = .seconds(15), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        return condition()
    }

    @Test(.serialized, arguments: StoreKind.available) func threeInstancesShareABacklogAndSendEachMessageExactlyOnce(_ kind: StoreKind) async throws {
        let database = try TemporaryDatabase(kind)
        let directory = self.directory.appendingPathComponent(kind.rawValue)
        let (simulator, simulatorServer) = await startSimulator()
        var env = environment(simulatorURL: simulatorServer.url, database: database)
        // Nothing crashes here: with the default lease no attempt can be taken for dead on a loaded machine, so
        // every message must reach Meta exactly once (a 1 s lease would let a slow outcome count as in doubt).
        env["PIGEON_LEASE_TIMEOUT"] = "30s"
        env["PIGEON_IN_DOUBT_AFTER"] = "5m"
        let instances = try (0..<3).map { try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("shared-\($0).log")) }
        var urls: [String] = []
        for instance in instances { urls.append("http://127.0.0.1:\(try await instance.start())") }
        var accepted = Set<String>()
        for round in 0..<3 {
            let items = (0..<1000).map { #"{"to": "+1555\#(String(format: "%07d", round * 1000 + $0))", "text": {"body": "backlog"}}"# }
            let reply = try await client.call(
                .POST, urls[round] + "/v1/messages/batch", json: #"{"messages": [\#(items.joined(separator: ","))]}"#, bearer: Self.apiKey,
                timeout: .seconds(30))
            #expect(reply.status == 202, "\(reply.text.prefix(300))")
            for result in reply["results"] as? [[String: Any]] ?? [] { accepted.insert(result["id"] as! String) }
        }
        #expect(accepted.count == 3000)
        try await waitUntilSettled(urls[0])
        let statuses = try await allMessages(urls[1])
        #expect(accepted.allSatisfy { statuses[$0] == "sent" }, "not every message of the backlog was sent")
        var deliveries: [String: Int] = [:]
        for request in simulator.received where request.responseStatus == 200 { deliveries[request.callbackData ?? "", default: 0] += 1 }
        #expect(
            accepted.allSatisfy { deliveries[$0] == 1 }, "a message reached Meta twice, or never: \(deliveries.filter { $0.value != 1 }.prefix(3))")
        #expect(try await eventually { leadsTaken(instances).reduce(0, +) == 1 }, "the lead: \(leadsTaken(instances))")
        for instance in instances { #expect(instance.terminate() == 0) }
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test(.serialized, arguments: StoreKind.available) func killingTheLeaderUnderLoadLeavesTheOthersToFinishItsWork(_ kind: StoreKind) async throws {
        let database = try TemporaryDatabase(kind)
        let directory = self.directory.appendingPathComponent(kind.rawValue)
        let (simulator, simulatorServer) = await startSimulator()
        let env = environment(simulatorURL: simulatorServer.url, database: database)
        let load = Load()
        let instances = try (0..<3).map { try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("kill-\($0).log")) }
        var urls: [String] = []
        for instance in instances { urls.append("http://127.0.0.1:\(try await instance.start())") }
        #expect(try await eventually { leadsTaken(instances).reduce(0, +) == 1 }, "the lead: \(leadsTaken(instances))")
        let leader = leadsTaken(instances).firstIndex(of: 1) ?? 0
        try await drive(load, urls: urls, until: 1500)
        instances[leader].kill()
        let survivors = instances.indices.filter { $0 != leader }
        #expect(
            try await eventually { survivors.map { leadsTaken(instances)[$0] }.reduce(0, +) == 1 },
            "no survivor took the lead: \(leadsTaken(instances))")
        try await waitUntilSettled(urls[survivors[0]])
        try await verify(load, simulator: simulator, url: urls[survivors[0]])
        for index in survivors { #expect(instances[index].terminate() == 0) }
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test(.serialized, arguments: StoreKind.available) func aStatusWebhookSettlesTheAttemptOfAKilledProcessAndItIsNeverResent(
        _ kind: StoreKind
    ) async throws {
        let database = try TemporaryDatabase(kind)
        let directory = self.directory.appendingPathComponent(kind.rawValue)
        let simulator = MetaSimulator()
        // Meta takes 3 s to answer this send: the child is killed while the call is in flight.
        simulator.addRule(SimulatorRule(times: 1, delayMs: 3000))
        let logger = RunningServer.quietLogger
        let simulatorServer = await RunningServer(logger: logger) { onRunning in
            simulator.application(port: 0, logger: logger, onRunning: onRunning)
        }
        var env = environment(simulatorURL: simulatorServer.url, database: database)
        env["PIGEON_META_APP_SECRET"] = "crash-app-secret"
        env["PIGEON_IN_DOUBT_AFTER"] = "10m"
        let child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("killed.log"))
        let first = "http://127.0.0.1:\(try await child.start())"
        let sent = try await client.call(
            .POST, first + "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "in flight"}}"#, bearer: Self.apiKey)
        let id = try #require(sent["id"] as? String)
        let deadline = ContinuousClock.now + .seconds(10)
        var inFlight = ""
        while inFlight != "sending" && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            inFlight = try await client.call(.GET, first + "/v1/messages/\(id)", bearer: Self.apiKey)["status"] as? String ?? ""
        }
        #expect(inFlight == "sending")
        try await Task.sleep(for: .milliseconds(500))  // the request is now inside the simulator's 3 s delay
        child.kill()

        let survivor = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("survivor.log"))
        let url = "http://127.0.0.1:\(try await survivor.start())"
        var status = ""
        while status != "retry_scheduled" && ContinuousClock.now < deadline + .seconds(10) {
            status = try await client.call(.GET, url + "/v1/messages/\(id)", bearer: Self.apiKey)["status"] as? String ?? ""
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status == "retry_scheduled", "the killed attempt was not reclaimed as in doubt")

        // Meta did accept it: the status names Pigeon's id as callback data and a wamid Pigeon never saw.
        let body = MetaWebhookBody.statuses([.init(wamid: "wamid.after-crash", status: "delivered", callbackData: id)])
        let reply = try await client.call(
            .POST, url + "/webhooks/meta", json: body,
            headers: ["X-Hub-Signature-256": MetaSignature.header(for: body, secret: "crash-app-secret")])
        #expect(reply.status == 200)
        var message = try await client.call(.GET, url + "/v1/messages/\(id)", bearer: Self.apiKey)
        while message["status"] as? String != "delivered" && ContinuousClock.now < deadline + .seconds(20) {
            try await Task.sleep(for: .milliseconds(50))
            message = try await client.call(.GET, url + "/v1/messages/\(id)", bearer: Self.apiKey)
        }
        #expect(message["status"] as? String == "delivered")
        #expect(message["wamid"] as? String == "wamid.after-crash")
        #expect(message.history.compactMap { $0["outcome"] as? String } == ["in_doubt"])
        // The simulator records the killed request once its 3 s delay is over; nothing may follow it.
        while simulator.received.isEmpty && ContinuousClock.now < deadline + .seconds(25) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(simulator.received.count == 1, "the settled message was sent again")
        #expect(survivor.terminate() == 0)
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// PostgreSQL stopped as by a crash (`pg_ctl stop -m immediate`) under load, then started again: meanwhile
    /// the API answers 503 with Retry-After (never a 500 or a hang), /readyz fails and /healthz does not, and
    /// every message accepted before and after is sent.
    @Test func aDatabaseOutageUnderLoadAnswers503AndLosesNothing() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        let server = try PostgresTestServer.startCluster()  // of its own: stopping it must not break other tests
        let database = try TemporaryDatabase(.postgres, server: server)
        let directory = self.directory.appendingPathComponent("outage")
        let (simulator, simulatorServer) = await startSimulator()
        var env = environment(simulatorURL: simulatorServer.url, database: database)
        env["PIGEON_LOG_LEVEL"] = "info"
        let child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("outage.log"))
        let url = "http://127.0.0.1:\(try await child.start())"
        let accepted = Mutex<Set<String>>([])
        let answers = Mutex<[Int: Int]>([:])
        let retryAfter = Mutex<Set<String>>([])
        let load = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                guard
                    let reply = try? await client.call(
                        .POST, url + "/v1/messages", json: #"{"to": "+1555\#(String(format: "%07d", round))", "text": {"body": "outage"}}"#,
                        bearer: Self.apiKey, timeout: .seconds(30))
                else { continue }
                answers.withLock { $0[reply.status, default: 0] += 1 }
                if reply.status == 202, let id = reply["id"] as? String { accepted.withLock { _ = $0.insert(id) } }
                if reply.status == 503 { retryAfter.withLock { _ = $0.insert(reply.headers["retry-after"] ?? "") } }
            }
        }
        #expect(try await eventually { accepted.withLock { $0.count } >= 200 })
        try server.stopImmediately()
        // A request whose transaction was under way when the server died waits for it at most 10 s; the next
        // ones are refused within 2 s each.
        #expect(
            try await eventually(.seconds(40)) { answers.withLock { $0[503] ?? 0 } >= 3 },
            "no 503 while the database was down: \(answers.withLock { $0 })")
        #expect(try await client.call(.GET, url + "/readyz").status == 503)
        #expect(try await client.call(.GET, url + "/healthz").status == 200)
        let health = try await client.call(.GET, url + "/v1/health", bearer: Self.apiKey)
        let reasons = (health["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(health.status == 503 && health["overall"] as? String == "critical" && reasons == ["database_unreachable"], "\(health.text)")
        try server.restart()
        let before = accepted.withLock { $0.count }
        #expect(try await eventually(.seconds(30)) { accepted.withLock { $0.count } >= before + 200 }, "no message accepted after the restart")
        load.cancel()
        _ = await load.result
        #expect(try await client.call(.GET, url + "/readyz").status == 200)
        let seen = answers.withLock { $0 }
        #expect(Set(seen.keys).isSubset(of: [202, 503]), "answers while the database was down: \(seen)")
        #expect(retryAfter.withLock { $0 } == ["5"], "503 without Retry-After: \(retryAfter.withLock { $0 })")
        try await waitUntilSettled(url)
        let statuses = try await allMessages(url)
        let lost = accepted.withLock { $0 }.filter { statuses[$0] != "sent" }
        #expect(lost.isEmpty, "\(lost.count) accepted messages were not sent, e.g. \(Array(lost.prefix(3)).map { ($0, statuses[$0] ?? "missing") })")
        let delivered = Set(simulator.received.filter { $0.responseStatus == 200 }.compactMap(\.callbackData))
        let undelivered = accepted.withLock { $0 }.subtracting(delivered)
        #expect(undelivered.isEmpty, "\(undelivered.count) accepted messages never reached Meta")
        #expect(child.terminate() == 0)
        await simulatorServer.stop()
        try? server.stopImmediately()
        try? FileManager.default.removeItem(at: directory)
    }
}
