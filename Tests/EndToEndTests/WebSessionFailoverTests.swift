import Foundation
import MetaSimulator
import NIOHTTP1
import PigeonTestSupport
import Testing

/// The failures operators try by hand, with a child `pigeon serve` and two web sessions on the simulated WAHA
/// bridge, in real time: a session killed mid-send hands its messages to the other (each sent once), both
/// down leaves messages queued, and the one that reconnects sends them.
@Suite(.serialized) struct WebSessionFailoverTests {
    static let apiKey = "web-failover-key-0123456789"
    let client = JSONClient()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-web-\(UUID().uuidString)")

    func call(_ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> JSONClient.Reply {
        try await client.call(method, url, json: body, bearer: Self.apiKey)
    }

    func script(_ simulator: String, _ session: String, _ body: String) async throws {
        let reply = try await client.call(.POST, simulator + "/_sim/waha/sessions/\(session)", json: body, bearer: nil)
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// The chats the simulated session sent to, in order.
    func sent(_ simulator: String, _ session: String) async throws -> [String] {
        let reply = try await client.call(.GET, simulator + "/_sim/waha/sessions/\(session)", bearer: nil)
        return (reply["sent"] as? [[String: Any]] ?? []).compactMap { $0["chat_id"] as? String }
    }

    func counts(_ url: String) async throws -> [String: Int] {
        try await call(.GET, url + "/v1/stats")["messages"] as? [String: Int] ?? [:]
    }

    func enqueue(_ url: String, _ recipients: Range<Int>) async throws {
        let items = recipients.map { #"{"to": "+1555020\#(String(format: "%04d", $0))", "text": {"body": "n\#($0)"}, "pool": "web"}"# }
        let reply = try await call(.POST, url + "/v1/messages/batch", #"{"messages": [\#(items.joined(separator: ","))]}"#)
        #expect(reply.status == 202, "\(reply.text)")
    }

    @Test(.serialized, arguments: StoreKind.available) func aKilledSessionHandsOverBothDownWaitAndOneBackSends(_ kind: StoreKind) async throws {
        let database = try TemporaryDatabase(kind)
        let logger = RunningServer.quietLogger
        let simulator = MetaSimulator()
        let simulatorServer = await RunningServer(logger: logger) { onRunning in simulator.application(port: 0, logger: logger, onRunning: onRunning)
        }
        let sim = simulatorServer.url
        let env = [
            "PIGEON_DATABASE_URL": database.url, "PIGEON_API_KEY": Self.apiKey, "PIGEON_PORT": "0",
            "PIGEON_META_ACCESS_TOKEN": "web-test-token", "PIGEON_META_PHONE_NUMBER_ID": "123456789", "PIGEON_META_BASE_URL": sim,
            "PIGEON_SECRET_KEY": Data((0..<32).map { UInt8($0) }).base64EncodedString(), "PIGEON_SESSION_HEALTH_INTERVAL": "1s",
            "PIGEON_RECONNECT_SCHEDULE": "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s", "PIGEON_LOG_LEVEL": "notice",
        ]
        let child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("\(kind.rawValue)/serve.log"))
        let url = "http://127.0.0.1:\(try await child.start())"
        for session in ["web-a", "web-b"] {
            try await script(sim, session, #"{"webhook_url": "\#(url)/webhooks/waha", "webhook_hmac": "secret-\#(session)"}"#)
            let created = try await call(
                .POST, url + "/v1/senders",
                #"{"kind": "web_session", "id": "\#(session)", "pool": "web", "delay": null, "daily_cap": null, "bridge": {"url": "\#(sim)", "session": "\#(session)", "webhook_secret": "secret-\#(session)"}}"#
            )
            #expect(created.status == 201, "\(created.text)")
        }

        // web-a is killed (logged out, and it does not come back) after three sends.
        try await script(sim, "web-a", #"{"fail_after_sends": 3, "restart_fails": 1000, "start_fails": 1000}"#)
        try await enqueue(url, 0..<30)
        try await eventually("30 messages delivered", timeout: .seconds(60)) { try await counts(url)["delivered"] == 30 }
        let byA = try await sent(sim, "web-a")
        let byB = try await sent(sim, "web-b")
        #expect(byA.count == 3, "web-a sent \(byA.count) before it was killed")
        #expect(Set(byA + byB).count == 30 && byA.count + byB.count == 30, "a message was lost or sent twice: \(byA.count) + \(byB.count)")
        let a = try await call(.GET, url + "/v1/senders/web-a")
        #expect(a["status"] as? String != "connected", "\(a.text)")

        // Both down: new messages stay queued.
        try await script(sim, "web-b", #"{"status": "STOPPED", "start_fails": 1000, "restart_fails": 1000}"#)
        try await eventually("web-b noticed down", timeout: .seconds(60)) {
            try await call(.GET, url + "/v1/senders/web-b")["status"] as? String != "connected"
        }
        try await enqueue(url, 100..<105)
        try await Task.sleep(for: .seconds(3))
        let waiting = try await counts(url)
        #expect(waiting["queued", default: 0] + waiting["retry_scheduled", default: 0] == 5, "with both sessions down: \(waiting)")
        #expect(try await sent(sim, "web-a").count + sent(sim, "web-b").count == 30, "a message went out with both sessions down")

        // web-a reconnects: the waiting messages go out through it.
        try await script(sim, "web-a", #"{"start_fails": 0, "restart_fails": 0}"#)
        try await eventually("the 5 waiting messages delivered", timeout: .seconds(60)) { try await counts(url)["delivered"] == 35 }
        #expect(try await sent(sim, "web-a").count == 8)
        let stats = try await call(.GET, url + "/v1/stats")
        #expect((stats["failovers"] as? Int ?? 0) > 0 && (stats["reconnects"] as? Int ?? 0) > 0, "\(stats.text)")
        #expect(child.terminate() == 0)
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
