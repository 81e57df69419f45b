import Foundation
import MetaSimulator
import PigeonTestSupport
import Testing

/// A campaign's day under `kill -9`: the child is killed while the scheduler stores the day's sends and
/// while they go out, then again right after failed recipients are re-armed, and restarted on the same
/// database each time. No recipient may be lost, and none may reach Meta twice unless an in-doubt attempt
/// explains it.
extension CrashTests {
    static let campaignRecipients = 900

    /// A time zone where it is about noon now, and a window in it that ends within two minutes, so the
    /// scheduler releases the whole day at its first looks.
    static func closingWindow(now: Date = Date()) -> (zone: String, from: String, to: String) {
        let hour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now).hour!
        let offset = 12 - hour
        let zone = offset == 0 ? "UTC" : "Etc/GMT\(offset > 0 ? "-" : "+")\(abs(offset))"
        let local = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: zone)!, from: now)
        let minutes = local.hour! * 60 + local.minute!
        func text(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }
        return (zone, text(minutes - 1), text(minutes + 2))
    }

    func campaignView(_ url: String, _ id: String) async throws -> JSONClient.Reply {
        try await client.call(.GET, url + "/v1/campaigns/\(id)", bearer: Self.apiKey)
    }

    /// Waits until `condition` holds for the campaign's view (or 150 s pass: the window spreads the day over
    /// up to three minutes); returns the last view.
    func waitForCampaign(_ url: String, _ id: String, _ condition: (JSONClient.Reply) -> Bool) async throws -> JSONClient.Reply {
        let deadline = ContinuousClock.now + .seconds(150)
        var view = try await campaignView(url, id)
        while !condition(view) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            view = try await campaignView(url, id)
        }
        return view
    }

    @Test(.serialized, arguments: StoreKind.available) func killNineDuringACampaignDayLosesNoRecipientAndSendsNoneTwice(
        _ kind: StoreKind
    ) async throws {
        let database = try TemporaryDatabase(kind)
        let directory = self.directory.appendingPathComponent("campaign-\(kind.rawValue)")
        let phones = (0..<Self.campaignRecipients).map { "+1555700\(String(format: "%04d", $0))" }
        // Every 20th recipient's first send fails for good (a missing template): re-armed by hand later.
        let refused = Set(stride(from: 0, to: phones.count, by: 20).map { phones[$0] })
        let (simulator, simulatorServer) = await startSimulator(
            rules: refused.map { SimulatorRule(to: String($0.dropFirst()), times: 1, error: .init(code: 132001, title: "Template missing")) })
        let env = environment(simulatorURL: simulatorServer.url, database: database)
        var child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-1.log"))
        var url = "http://127.0.0.1:\(try await child.start())"

        let window = Self.closingWindow()
        let created = try await client.call(
            .POST, url + "/v1/campaigns",
            json: #"""
                {"name": "crash", "sender_id": "123456789", "daily_send_limit": \#(phones.count + refused.count), "time_zone": "\#(window.zone)",
                 "send_window": {"from": "\#(window.from)", "to": "\#(window.to)"}, "message": {"type": "text", "text": {"body": "Hi {{name}}"}}}
                """#, bearer: Self.apiKey)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created["id"] as? String)
        let csv = "phone,name\n" + phones.map { "\($0),P\n" }.joined()
        let imported = try await client.call(
            .POST, url + "/v1/campaigns/\(id)/recipients", json: csv, bearer: Self.apiKey, contentType: "text/csv")
        #expect(imported["added"] as? Int == phones.count, "\(imported.text)")

        // Killed while the first look stores the day's sends or right after.
        #expect(try await client.call(.POST, url + "/v1/campaigns/\(id)/start", bearer: Self.apiKey).status == 200)
        try await Task.sleep(for: .milliseconds(Int.random(in: 20...150)))
        child.kill()

        // Killed while they go out.
        child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-2.log"))
        url = "http://127.0.0.1:\(try await child.start())"
        _ = try await waitForCampaign(url, id) { ($0["sent"] as? Int ?? 0) + ($0["read"] as? Int ?? 0) > 100 }
        child.kill()

        // Killed right after the refused recipients are re-armed.
        child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-3.log"))
        url = "http://127.0.0.1:\(try await child.start())"
        // (A refused send whose outcome died with the process is in doubt and sent again, and then goes.)
        var view = try await waitForCampaign(url, id) { $0["pending"] as? Int == 0 && $0["sending"] as? Int == 0 }
        let failed = view["failed"] as? Int ?? -1
        #expect(failed > 0 && failed <= refused.count, "\(view.text)")
        let rearmed = try await client.call(
            .POST, url + "/v1/campaigns/\(id)/recipients/retry", json: #"{"error_code": 132001}"#, bearer: Self.apiKey)
        #expect(rearmed["rearmed"] as? Int == failed, "\(rearmed.text)")
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...100)))
        child.kill()

        child = try PigeonProcess(environment: env, logURL: directory.appendingPathComponent("serve-final.log"))
        url = "http://127.0.0.1:\(try await child.start())"
        view = try await waitForCampaign(url, id) { $0["status"] as? String == "completed" }
        let reached = ["sent", "delivered", "read"].reduce(0) { $0 + (view[$1] as? Int ?? 0) }
        #expect(view["status"] as? String == "completed" && reached == phones.count, "recipients were lost: \(view.text)")
        let parts = ["pending", "sending", "sent", "delivered", "read", "failed", "skipped"].map { view[$0] as? Int ?? -1 }
        #expect(parts.reduce(0, +) == phones.count, "the counters do not add up: \(view.text)")

        var accepted: [String: [String]] = [:]
        for request in simulator.received where request.responseStatus == 200 {
            accepted[request.to.map { $0.hasPrefix("+") ? $0 : "+" + $0 } ?? "", default: []].append(request.callbackData ?? "")
        }
        let missing = Set(phones).subtracting(accepted.keys)
        #expect(missing.isEmpty, "\(missing.count) recipients never reached Meta, such as \(missing.sorted().prefix(3))")
        for (phone, messages) in accepted where messages.count > 1 {
            #expect(Set(messages).count == 1, "\(phone) got two different campaign messages: \(messages)")
            let history = try await client.call(.GET, url + "/v1/messages/\(messages[0])", bearer: Self.apiKey).history
            let outcomes = history.compactMap { $0["outcome"] as? String }
            #expect(outcomes.contains("in_doubt"), "\(phone) reached Meta \(messages.count) times without an in-doubt attempt: \(outcomes)")
        }
        #expect(child.terminate() == 0)
        await simulatorServer.stop()
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
