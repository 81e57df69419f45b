import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Forwarding to the application: statuses and inbound messages in Meta's format, signed, durable, in order
/// per message, retried while the application is down, dead-lettered and retried by hand.
@Suite struct ForwardingTests {
    typealias Status = MetaWebhookBody.Status

    static var options: Harness.Options {
        var options = Harness.Options()
        options.forwarding = true
        return options
    }

    /// The statuses (`statuses[0]`) of every forwarded body, in arrival order.
    func forwardedStatuses(_ h: Harness) throws -> [[String: Any]] {
        try h.app!.received.compactMap { received in
            let object = try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any]
            let change = ((object?["entry"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first
            return ((change?["value"] as? [String: Any])?["statuses"] as? [[String: Any]])?.first
        }
    }

    @Test(arguments: StoreKind.available) func statusesAndInboundMessagesReachTheAppSignedInMetasFormatOnce(_ kind: StoreKind) async throws {
        try await Harness.run(kind, Self.options) { h in
            let id = try await h.send()
            try await h.dispatch()
            let wamid = try #require(try await h.message(id)["wamid"] as? String)
            let statuses = MetaWebhookBody.statuses([
                Status(wamid: wamid, status: "sent", timestamp: 1_800_000_001, callbackData: id),
                Status(wamid: wamid, status: "delivered", timestamp: 1_800_000_002, callbackData: id),
                Status(wamid: wamid, status: "read", timestamp: 1_800_000_003, callbackData: id),
            ])
            #expect(try await h.webhook(statuses).status == 200)
            #expect(try await h.webhook(statuses).status == 200, "Meta's retry of the same webhook")
            let inbound =
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"100000000000001"},"contacts":[{"profile":{"name":"Ann"},"wa_id":"15550001111"}],"messages":[{"from":"15550001111","id":"wamid.IN1","timestamp":"1800000004","type":"text","text":{"body":"thanks"}}]}}]}]}"#
            #expect(try await h.webhook(inbound).status == 200)
            #expect(try await h.webhook(inbound).status == 200)
            try await h.processWebhooks()
            while try await h.engine.forwarder!.runOnce() > 0 {}

            let received = h.app!.received
            #expect(received.count == 4, "\(received.map(\.body))")
            for item in received {
                #expect(item.signature == MetaSignature.header(for: item.body, secret: Harness.forwardSecret), "a forward was not signed")
            }
            let forwarded = try forwardedStatuses(h)
            #expect(forwarded.map { $0["status"] as? String } == ["sent", "delivered", "read"])
            #expect(forwarded.allSatisfy { $0["id"] as? String == wamid })
            #expect(forwarded.first?["biz_opaque_callback_data"] as? String == id)
            #expect(received.contains { $0.body.contains(#""wamid.IN1""#) && $0.body.contains(#""thanks""#) })
            let page = try await h.call(.GET, "/v1/forwards?status=delivered")
            #expect((page["forwards"] as? [[String: Any]])?.count == 4)
        }
    }

    @Test(arguments: StoreKind.available) func whileTheAppIsDownEventsWaitAndArriveLaterInOrder(_ kind: StoreKind) async throws {
        try await Harness.run(kind, Self.options) { h in
            let id = try await h.send()
            try await h.dispatch()
            let wamid = try #require(try await h.message(id)["wamid"] as? String)
            h.app!.setFailing(true)
            for (offset, status) in ["sent", "delivered", "read"].enumerated() {
                let body = MetaWebhookBody.statuses([Status(wamid: wamid, status: status, timestamp: 1_800_000_000 + offset, callbackData: id)])
                #expect(try await h.webhook(body).status == 200)
                try await h.processWebhooks()
                try await h.engine.forwarder!.runOnce()
            }
            #expect(h.app!.received.isEmpty)
            let waiting = try await h.call(.GET, "/v1/forwards")
            let listed = try #require(waiting["forwards"] as? [[String: Any]])
            #expect(
                listed.compactMap { $0["status"] as? String }.sorted() == ["queued", "queued", "retry_scheduled"],
                "only the oldest of a message is tried")
            #expect(listed.contains { ($0["last_http_status"] as? Int) == 503 })

            h.app!.setFailing(false)
            h.clock.advance(by: .seconds(1))
            for _ in 0..<3 { try await h.engine.forwarder!.runOnce() }
            #expect(try forwardedStatuses(h).map { $0["status"] as? String } == ["sent", "delivered", "read"])
        }
    }

    @Test(arguments: StoreKind.available) func anUnreachableAppDeadLettersTheForwardAndItCanBeRetried(_ kind: StoreKind) async throws {
        try await Harness.run(kind, Self.options) { h in
            h.app!.setFailing(true)
            let body = MetaWebhookBody.statuses([Status(wamid: "wamid.orphan", status: "delivered")])
            #expect(try await h.webhook(body).status == 200)
            try await h.processWebhooks()
            for _ in 0..<3 {
                try await h.engine.forwarder!.runOnce()
                h.clock.advance(by: .seconds(1))
            }
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats["forwards"] as? [String: Int]) == ["waiting": 0, "failed": 1])
            #expect((stats["webhooks"] as? [String: Int]) == ["unprocessed": 0, "pending_events": 1], "the orphan status waits for its message")
            let failed = try await h.call(.GET, "/v1/forwards?status=failed")
            let forward = try #require((failed["forwards"] as? [[String: Any]])?.first)
            #expect(forward["attempts"] as? Int == 3)
            #expect((forward["last_error"] as? String)?.contains("503") == true)
            let id = try #require(forward["id"] as? Int)
            #expect(try await h.call(.POST, "/v1/forwards/\(id)/retry").status == 200)
            #expect(try await h.call(.POST, "/v1/forwards/\(id)/retry").status == 409)
            #expect(try await h.call(.POST, "/v1/forwards/999/retry").status == 404)
            #expect(try await h.call(.GET, "/v1/forwards?status=nope").status == 400)
            h.app!.setFailing(false)
            #expect(try await h.engine.forwarder!.runOnce() == 1)
            #expect(h.app!.received.count == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aDropInMessageAnsweredWithPigeonsIDKeepsThatIDInForwardedStatuses(_ kind: StoreKind) async throws {
        try await Harness.run(kind, Self.options) { h in
            try await h.script(#"{"to": "15550001111", "times": 1, "error": {"code": 131000, "http_status": 500}}"#)
            let reply = try await DropInTests().post(h)
            let id = try #require(((reply["messages"] as? [[String: Any]])?.first)?["id"] as? String)
            #expect(id.hasPrefix("msg_"))
            h.clock.advance(by: .seconds(1))
            try await h.dispatch()
            let wamid = try #require(try await h.message(id)["wamid"] as? String)
            #expect(try await h.webhook(MetaWebhookBody.statuses([Status(wamid: wamid, status: "delivered", callbackData: id)])).status == 200)
            try await h.processWebhooks()
            try await h.engine.forwarder!.runOnce()
            #expect(try forwardedStatuses(h).map { $0["id"] as? String } == [id])
        }
    }
}
