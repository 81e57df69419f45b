import AsyncHTTPClient
import Foundation
import NIOFoundationCompat
import PigeonCore
import PigeonTestSupport
import Testing

/// Sending through web sessions against the simulator's WAHA bridge, on both stores: messages go out through
/// the bridge, its acks (posted to `/webhooks/waha`, signed) settle them and reach the application in Meta's
/// format, a 463 restricts the sender without a restart and the message waits for the restriction's end on
/// the same sender, existing chats keep flowing while new contacts wait, and a bridge that refuses a send
/// moves the sender's pooled messages to another session.
@Suite struct WebSendTests {
    let sessions = WebSessionTests()

    /// Adds web session `id` with no pause between messages and its simulated bridge's webhooks pointed at
    /// Pigeon, signed with the sender's webhook secret.
    func addSession(_ h: Harness, _ id: String = "support-1") async throws {
        try await sessions.addSession(h, id)
        let patched = try await h.call(.PATCH, "/v1/senders/\(id)", json: #"{"delay": null}"#)
        #expect(patched.status == 200, "\(patched.text)")
        try await sessions.script(h, #"{"webhook_url": "\#(h.apiURL)/webhooks/waha", "webhook_hmac": "whsec"}"#, id: id)
    }

    func send(_ h: Harness, to: String, pool: String = "web") async throws -> String {
        let reply = try await h.call(.POST, "/v1/messages", json: #"{"to": "\#(to)", "text": {"body": "hello \#(to)"}, "pool": "\#(pool)"}"#)
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply["id"] as? String)
    }

    func status(_ h: Harness, _ id: String) async throws -> String? {
        try await h.message(id)["status"] as? String
    }

    func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

    /// Waits for something the bridge's webhooks bring about, running the webhook processor's pass as its
    /// service would, a second later each time: an ack that came before its send's outcome was recorded
    /// waits, pending, to be tried again.
    func arrives(_ h: Harness, _ what: String, _ condition: () async throws -> Bool) async throws {
        try await eventually(what) {
            if try await condition() { return true }
            h.clock.advance(by: .seconds(1))
            _ = try await h.engine.webhooks.runOnce()
            return try await condition()
        }
    }

    @Test(arguments: StoreKind.available) func aWebSessionSendsThroughItsBridgeAndItsAcksSettleTheMessage(_ kind: StoreKind) async throws {
        var options = Harness.Options()
        options.forwarding = true
        try await Harness.run(kind, options) { h in
            try await addSession(h)
            let id = try await send(h, to: "+15550001111")
            #expect(try await h.dispatch() == 1)
            #expect(h.simulator.received.isEmpty, "a web session's message went to the Cloud API")
            let sent = try #require((try await sessions.bridge(h))["sent"] as? [[String: Any]])
            #expect(sent.count == 1 && sent.first?["chat_id"] as? String == "15550001111@c.us", "\(sent)")
            #expect(sent.first?["path"] as? String == "/api/sendText" && sent.first?["text"] as? String == "hello +15550001111")
            try await arrives(h, "the DEVICE ack") { try await status(h, id) == "delivered" }
            let view = try await h.message(id)
            #expect((view["wamid"] as? String)?.hasPrefix("true_15550001111@c.us_") == true, "\(view.text)")
            let attempts = try #require(view["history"] as? [[String: Any]])
            #expect(attempts.map { $0["sender_id"] as? String } == ["support-1"])
            let app = try #require(h.app)
            try await arrives(h, "the forwarded statuses") {
                _ = try await h.engine.forwarder?.runOnce()
                return app.received.count >= 2
            }
            let bodies = app.received.map(\.body)
            #expect(bodies.allSatisfy { $0.contains("\"statuses\"") && $0.contains("support-1") }, "\(bodies)")
        }
    }

    @Test(arguments: StoreKind.available) func aMessageReceivedByTheSessionIsForwardedInMetasFormat(_ kind: StoreKind) async throws {
        var options = Harness.Options()
        options.forwarding = true
        try await Harness.run(kind, options) { h in
            try await addSession(h)
            let inbound = try await h.call(
                .POST, "/_sim/waha/sessions/support-1/inbound", json: #"{"from": "15550002222", "body": "hi there", "name": "Ana"}"#,
                auth: nil, base: h.simulatorURL)
            #expect(inbound.status == 201)
            let app = try #require(h.app)
            try await arrives(h, "the forwarded message") {
                _ = try await h.engine.forwarder?.runOnce()
                return !app.received.isEmpty
            }
            let body = try #require(app.received.first?.body)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let value = (((object["entry"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first?["value"]) as? [String: Any]
            let message = (value?["messages"] as? [[String: Any]])?.first
            #expect(object["object"] as? String == "whatsapp_business_account")
            #expect(message?["from"] as? String == "15550002222" && (message?["text"] as? [String: Any])?["body"] as? String == "hi there", "\(body)")
            #expect((value?["metadata"] as? [String: Any])?["phone_number_id"] as? String == "support-1")
            #expect(((value?["contacts"] as? [[String: Any]])?.first?["profile"] as? [String: Any])?["name"] as? String == "Ana")
        }
    }

    @Test(arguments: StoreKind.available) func aStopSentToAWebSessionPutsTheNumberOnTheOptOutList(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            let inbound = try await h.call(
                .POST, "/_sim/waha/sessions/support-1/inbound", json: #"{"from": "15550004444", "body": " Unsubscribe\n"}"#, auth: nil,
                base: h.simulatorURL)
            #expect(inbound.status == 201)
            try await arrives(h, "the opt-out") {
                let list = try await h.call(.GET, "/v1/opt-outs")
                return (list["opt_outs"] as? [[String: Any]])?.first?["phone"] as? String == "+15550004444"
            }
            let list = try await h.call(.GET, "/v1/opt-outs")
            #expect((list["opt_outs"] as? [[String: Any]])?.first?["source"] as? String == "keyword", "\(list.text)")
        }
    }
}

extension WebSendTests {
    @Test(arguments: StoreKind.available) func a463RestrictsTheSenderExistingChatsFlowAndNewContactsWaitOnIt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await addSession(h, "support-2")
            let until = h.clock.now().addingTimeInterval(3600)
            try await sessions.script(h, #"{"restricted_until": \#(Int(until.timeIntervalSince1970))}"#)
            try await sessions.script(h, #"{"status": "STOPPED", "start_fails": 99}"#, id: "support-2")
            try await h.engine.senders.check("support-2")
            // A contact who wrote to the session has a chat with it.
            let wrote = try await h.call(
                .POST, "/_sim/waha/sessions/support-1/inbound", json: #"{"from": "15550003333", "body": "hello"}"#, auth: nil,
                base: h.simulatorURL)
            #expect(wrote.status == 201)
            let cold = try await send(h, to: "+15550001111")
            #expect(try await h.dispatch() == 1)
            try await arrives(h, "the 463 error ack") { try await status(h, cold) == "retry_scheduled" }
            var view = try await sessions.sender(h)
            #expect(view["status"] as? String == "restricted", "\(view.text)")
            #expect(view["restricted_until"] as? String == iso(until), "\(view.text)")
            let bridge = try await sessions.bridge(h)
            #expect(bridge["restarts"] as? Int == 0 && bridge["logouts"] as? Int == 0, "a restriction restarted the session: \(bridge.text)")
            #expect((try await h.message(cold))["sender_id"] as? String == "support-1", "the restricted message moved to another sender")

            let warm = try await send(h, to: "+15550003333")
            let colder = try await send(h, to: "+15550004444")
            h.clock.advance(by: .seconds(400))
            try await h.dispatch()
            try await h.dispatch()
            let warmStatus = try await status(h, warm) ?? ""
            #expect(["sent", "delivered"].contains(warmStatus), "a message to an existing chat did not flow: \(warmStatus)")
            let held = try await h.message(colder)
            #expect(held["status"] as? String == "retry_scheduled", "\(held.text)")
            #expect(held["next_attempt_at"] as? String == iso(until), "\(held.text)")
            let sentWhileRestricted = (try await sessions.bridge(h))["sent"] as? [Any]
            #expect(sentWhileRestricted?.count == 2, "a new contact was messaged while restricted")

            h.clock.advance(by: .seconds(3600))
            try await sessions.script(h, #"{"restricted_until": 0}"#)
            try await sessions.nextCheck(h, after: 0)
            view = try await sessions.sender(h)
            #expect(view["status"] as? String == "connected", "\(view.text)")
            try await h.dispatch()
            try await h.dispatch()
            for id in [cold, colder] {
                let message = try await h.message(id)
                #expect(["sent", "delivered"].contains(message["status"] as? String ?? ""), "\(message.text)")
                #expect(message["sender_id"] as? String == "support-1")
            }
        }
    }

    @Test(arguments: StoreKind.available) func aSessionTheBridgeSaysIsNotReadyHandsItsPooledMessagesToAnother(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await addSession(h, "support-2")
            try await sessions.script(h, #"{"send_status": 422, "send_fails": 99}"#)
            var ids: [String] = []
            for n in 0..<4 { ids.append(try await send(h, to: "+1555000100\(n)")) }
            var onFirst = 0
            for id in ids where try await h.message(id)["sender_id"] as? String == "support-1" { onFirst += 1 }
            for _ in 0..<6 { try await h.dispatch() }
            let view = try await sessions.sender(h)
            #expect(view["status"] as? String == "disconnected", "\(view.text)")
            for id in ids {
                try await arrives(h, "message \(id) sent by support-2") { ["sent", "delivered"].contains(try await status(h, id) ?? "") }
                #expect((try await h.message(id))["sender_id"] as? String == "support-2")
            }
            let sent = (try await sessions.bridge(h, "support-2"))["sent"] as? [Any]
            #expect(sent?.count == 4, "each message was sent once by the healthy session")
            let stats = try await h.call(.GET, "/v1/stats")
            let first = (stats["senders"] as? [[String: Any]])?.first { $0["id"] as? String == "support-1" }
            // The message whose send the bridge refused moved too, once it was queued again.
            #expect(first?["failovers"] as? Int == onFirst && stats["failovers"] as? Int == onFirst, "\(stats.text)")
            #expect(first?["status"] as? String == "disconnected" && first?["last_failure_reason"] is String)
        }
    }
}

extension WebSendTests {
    @Test(arguments: StoreKind.available) func aSessionWaitingForPairingShowsItsQRCodeAndAsksForAPairingCode(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            let paired = try await h.call(.GET, "/v1/senders/support-1/qr")
            #expect(paired.status == 409 && paired.error == "not_waiting_for_pairing", "\(paired.text)")
            let forgotten = try await h.call(.POST, "/v1/senders/support-1/disconnect", json: #"{"forget_session": true}"#)
            #expect((forgotten["pairing"] as? [String: Any])?["step"] as? String == "qr_code", "\(forgotten.text)")
            var request = HTTPClientRequest(url: h.apiURL + "/v1/senders/support-1/qr")
            request.headers.add(name: "Authorization", value: "Bearer \(Harness.apiKey)")
            let image = try await h.client.http.execute(request, timeout: .seconds(30))
            let png = Data(buffer: try await image.body.collect(upTo: 1 << 20))
            #expect(image.status == .ok && image.headers.first(name: "Content-Type") == "image/png")
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
            let value = try await h.call(.GET, "/v1/senders/support-1/qr", headers: ["Accept": "application/json"])
            #expect((value["value"] as? String)?.isEmpty == false, "\(value.text)")
            let code = try await h.call(.POST, "/v1/senders/support-1/pairing-code", json: #"{"phone_number": "+15550009999"}"#)
            #expect(code.status == 200 && code["code"] as? String == "SIMU-9999", "\(code.text)")
            let bad = try await h.call(.POST, "/v1/senders/support-1/pairing-code", json: #"{"phone_number": "call me"}"#)
            #expect(bad.status == 400 && bad.error == "invalid_phone_number")
            let cloud = try await h.call(.GET, "/v1/senders/\(Harness.sender)/qr")
            #expect(cloud.status == 409 && cloud.error == "not_a_web_session")

            let scanned = try await h.call(.POST, "/_sim/waha/sessions/support-1/pair", auth: nil, base: h.simulatorURL)
            #expect(scanned.status == 201)
            try await arrives(h, "the WORKING status webhook") { try await sessions.sender(h)["status"] as? String == "connected" }
            #expect(try await sessions.sender(h)["pairing"] is NSNull)
        }
    }

    @Test(arguments: StoreKind.available) func aSendRefusedWith463ByTheBridgeRestrictsTheSenderWithoutARetry(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            let until = Int(h.clock.now().timeIntervalSince1970) + 7200
            try await sessions.script(h, #"{"restricted_until": \#(until), "restriction_errors": "sync"}"#)
            let id = try await send(h, to: "+15550001111")
            #expect(try await h.dispatch() == 1)
            let message = try await h.message(id)
            #expect(message["status"] as? String == "retry_scheduled", "\(message.text)")
            #expect((message["last_error"] as? [String: Any])?["class"] as? String == "restricted")
            let view = try await sessions.sender(h)
            #expect(view["status"] as? String == "restricted", "\(view.text)")
            h.clock.advance(by: .seconds(301))
            #expect(try await h.dispatch() == 1)
            let sentAfter = (try await sessions.bridge(h))["sent"] as? [Any] ?? []
            #expect(sentAfter.isEmpty, "the 463 was retried on the restricted sender")
            let held = try await h.message(id)
            #expect(held["status"] as? String == "retry_scheduled" && held["next_attempt_at"] as? String == view["restricted_until"] as? String)
            #expect((try await sessions.bridge(h))["restarts"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.available) func aUsedUpNewContactQuotaHoldsNewContactsUntilTheCycleEnds(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            let cycleEnd = Int(h.clock.now().timeIntervalSince1970) + 5000
            try await sessions.script(h, #"{"capping": {"status": "SECOND_WARNING", "total": 10, "used": 9, "cycle_end": \#(cycleEnd)}}"#)
            try await sessions.nextCheck(h)
            #expect(try await sessions.sender(h)["new_contact_quota"] as? Int == 1)
            let first = try await send(h, to: "+15550001111")
            let second = try await send(h, to: "+15550002222")
            try await h.dispatch()
            try await h.dispatch()
            var held: [JSONClient.Reply] = []
            for id in [first, second] {
                let message = try await h.message(id)
                if message["status"] as? String == "retry_scheduled" { held.append(message) }
            }
            #expect(held.count == 1, "not exactly one of two new contacts was held by a quota of one")
            #expect((held.first?["last_error"] as? [String: Any])?["cause"] as? String == "pigeon.new_contact_quota_used")
            #expect(held.first?["next_attempt_at"] as? String == iso(Date(timeIntervalSince1970: Double(cycleEnd))))
            let sent = (try await sessions.bridge(h))["sent"] as? [Any] ?? []
            #expect(sent.count == 1, "a new contact past the quota was messaged")
        }
    }
}
