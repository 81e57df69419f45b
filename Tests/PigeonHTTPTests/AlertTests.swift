import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Alerts over HTTP on both stores: the monitor opens one when its condition appears, lists it at
/// `GET /v1/alerts`, counts it in the metrics, and resolves it when the condition clears.
@Suite struct AlertTests {
    static func alerts(_ h: Harness, _ query: String = "") async throws -> [[String: Any]] {
        let reply = try await h.call(.GET, "/v1/alerts\(query)")
        #expect(reply.status == 200, "\(reply.text)")
        return reply["alerts"] as? [[String: Any]] ?? []
    }

    @Test(arguments: StoreKind.available) func aDeadLetterAndForgedSignaturesRaiseAlertsThatResolveThemselves(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let monitor = h.engine.alerts
            #expect(try await monitor.runOnce(now: h.clock.now()).isEmpty)
            #expect(try await Self.alerts(h).isEmpty)

            try await h.script(#"{"times": 1, "error": {"code": 132001}}"#)
            _ = try await h.send()
            try await h.dispatch()
            for _ in 0..<10 {
                #expect(try await h.webhook(#"{"object": "whatsapp_business_account", "entry": []}"#, signature: "sha256=00").status == 403)
            }
            let raised = try await monitor.runOnce(now: h.clock.now())
            #expect(Set(raised.opened.map(\.kind)) == [.deadLettersGrew, .forgedWebhookSignatures], "\(raised.opened)")
            let open = try await Self.alerts(h, "?status=open")
            #expect(open.count == 2)
            let dead = try #require(open.first { $0["kind"] as? String == "dead_letters_grew" })
            #expect(dead["status"] as? String == "open" && dead["subject"] as? String == "system" && dead["resolved_at"] is NSNull)
            #expect((dead["message"] as? String)?.contains("1 messages were dead-lettered") == true, "\(dead)")
            let metrics = try PrometheusText(parsing: try await h.call(.GET, "/metrics", auth: nil).text)
            #expect(metrics.value("pigeon_alerts_total", ["kind": "dead_letters_grew"]) == 1)

            // Still holding a look later: the same alert, seen again; nothing new opens.
            h.clock.advance(by: .seconds(30))
            let again = try await monitor.runOnce(now: h.clock.now())
            #expect(again.opened.isEmpty && again.seen.count == 2)

            // Six minutes on the forged burst is over; an hour on the dead letter no longer counts.
            h.clock.advance(by: .seconds(360))
            #expect(try await monitor.runOnce(now: h.clock.now()).resolved.map(\.kind) == [.forgedWebhookSignatures])
            h.clock.advance(by: .seconds(3600))
            #expect(try await monitor.runOnce(now: h.clock.now()).resolved.map(\.kind) == [.deadLettersGrew])
            let all = try await Self.alerts(h)
            #expect(all.count == 2 && all.allSatisfy { $0["status"] as? String == "resolved" && $0["resolved_at"] is String }, "\(all)")
            #expect(try await h.call(.GET, "/v1/alerts?status=closed").status == 400)
        }
    }

    @Test(arguments: StoreKind.available) func eachOpenedAndResolvedAlertIsPostedSignedAndRetriedUntilTaken(_ kind: StoreKind) async throws {
        var options = Harness.Options()
        options.alertWebhook = true
        try await Harness.run(kind, options) { h in
            let receiver = try #require(h.alertReceiver)
            let forwarder = try #require(h.engine.alertForwarder)
            try await h.script(#"{"times": 1, "error": {"code": 132001}}"#)
            _ = try await h.send()
            try await h.dispatch()
            // The receiver is down at first: the alert waits in the queue and goes on a later try.
            receiver.setFailing(true)
            let opened = try #require(try await h.engine.alerts.runOnce(now: h.clock.now()).opened.first)
            #expect(try await forwarder.runOnce() == 1)
            #expect(receiver.received.isEmpty)
            h.clock.advance(by: .seconds(2))
            receiver.setFailing(false)
            #expect(try await forwarder.runOnce() == 1)
            let posted = try #require(receiver.received.first)
            #expect(
                posted.pigeonSignature == MetaSignature.header(for: posted.body, secret: Harness.alertSecret), "not signed with PIGEON_ALERT_SECRET")
            #expect(posted.signature == nil)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])
            #expect(body["id"] as? String == opened.id && body["kind"] as? String == "dead_letters_grew" && body["status"] as? String == "open")
            #expect(Set(body.keys) == ["id", "kind", "status", "subject", "message", "first_seen_at", "last_seen_at", "resolved_at"])

            h.clock.advance(by: .seconds(3600))
            #expect(try await h.engine.alerts.runOnce(now: h.clock.now()).resolved.count == 1)
            #expect(try await forwarder.runOnce() == 1)
            let resolved = try JSONSerialization.jsonObject(with: Data(try #require(receiver.received.last).body.utf8)) as? [String: Any]
            #expect(resolved?["id"] as? String == opened.id && resolved?["status"] as? String == "resolved" && resolved?["resolved_at"] is String)
            #expect(receiver.received.count == 2)
        }
    }
}
