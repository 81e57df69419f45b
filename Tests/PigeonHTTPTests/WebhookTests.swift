import Foundation
import GRDB
import PigeonCore
import PigeonTestSupport
import Testing

/// Meta's webhooks over loopback: the handshake, signatures on the raw body, durable intake, and statuses
/// settling messages through the lifecycle (never downgrading, deduplicated, async failures classified).
@Suite struct WebhookTests {
    typealias Status = MetaWebhookBody.Status

    /// Sends one message and returns its id and wamid.
    func sent(_ h: Harness) async throws -> (id: String, wamid: String) {
        let id = try await h.send()
        try await h.dispatch()
        let wamid = try #require(try await h.message(id)["wamid"] as? String)
        return (id, wamid)
    }

    @Test(arguments: StoreKind.available) func theHandshakeEchoesTheChallengeOnlyForTheRightToken(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let ok = try await h.call(
                .GET, "/webhooks/meta?hub.mode=subscribe&hub.verify_token=\(Harness.webhookVerifyToken)&hub.challenge=1158201444",
                auth: nil)
            #expect(ok.status == 200)
            #expect(ok.text == "1158201444")
            let wrong = try await h.call(.GET, "/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", auth: nil)
            #expect(wrong.status == 403)
            #expect(wrong.error == "invalid_verify_token")
            let mode = try await h.call(
                .GET, "/webhooks/meta?hub.mode=unsubscribe&hub.verify_token=\(Harness.webhookVerifyToken)&hub.challenge=1", auth: nil)
            #expect(mode.status == 403)
        }
    }

    @Test(arguments: StoreKind.available) func missingAndForgedSignaturesAreRefusedAndChangeNothing(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let (id, wamid) = try await sent(h)
            let body = MetaWebhookBody.statuses([Status(wamid: wamid, status: "read")])
            let missing = try await h.webhook(body, signed: false)
            #expect(missing.status == 401)
            #expect(missing.error == "missing_signature")
            let forged = try await h.webhook(body, signature: MetaSignature.header(for: body, secret: "not-the-secret"))
            #expect(forged.status == 403)
            #expect(forged.error == "invalid_signature")
            let tampered = try await h.webhook(
                body.replacingOccurrences(of: "read", with: "failed"), signature: MetaSignature.header(for: body, secret: Harness.appSecret))
            #expect(tampered.status == 403)
            #expect(try await h.processWebhooks() == 0)
            #expect(try await h.message(id)["status"] as? String == "sent")
            #expect(try await h.events(id).isEmpty)

            let valid = try await h.webhook(body)
            #expect(valid.status == 200)
            #expect(try await h.processWebhooks() == 0, "the status was settled before the 200")
            #expect(try await h.message(id)["status"] as? String == "read")
        }
    }

    @Test(arguments: StoreKind.available) func withoutAnAppSecretIntakeRefusesEveryPost(_ kind: StoreKind) async throws {
        var options = Harness.Options()
        options.webhookSecrets = false
        try await Harness.run(kind, options) { h in
            let body = MetaWebhookBody.statuses([Status(wamid: "wamid.x", status: "read")])
            let reply = try await h.webhook(body)
            #expect(reply.status == 503)
            #expect(reply.error == "webhooks_not_configured")
            let handshake = try await h.call(.GET, "/webhooks/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1", auth: nil)
            #expect(handshake.status == 403)
        }
    }

    @Test(arguments: StoreKind.available) func statusesClimbTheHierarchyAreDeduplicatedAndNeverGoDown(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let (id, wamid) = try await sent(h)
            // Out of order and repeated, as Meta does: read first, then delivered, sent, and read again.
            let body = MetaWebhookBody.statuses([
                Status(wamid: wamid, status: "read", timestamp: 1_800_000_003),
                Status(wamid: wamid, status: "delivered", timestamp: 1_800_000_002),
            ])
            #expect(try await h.webhook(body).status == 200)
            #expect(try await h.webhook(body).status == 200)
            #expect(try await h.webhook(MetaWebhookBody.statuses([Status(wamid: wamid, status: "sent", timestamp: 1_800_000_001)])).status == 200)
            #expect(try await h.processWebhooks() == 0, "the status was settled before the 200")
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "read")
            let events = try await h.events(id)
            #expect(events.map { $0["status"] as? String } == ["sent", "delivered", "read"])
            #expect(events.map { $0["outcome"] as? String } == ["recorded", "recorded", "applied"])
            #expect(events.first?["timestamp"] as? String == "2027-01-15T08:00:01.000Z")
            #expect((events.first?["pricing"] as? [String: Any])?["category"] as? String == "utility")
        }
    }

    @Test(arguments: StoreKind.available) func anAsyncTransientFailureIsRetriedUntilSent(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let (id, wamid) = try await sent(h)
            #expect(try await h.webhook(MetaWebhookBody.statuses([Status(wamid: wamid, status: "failed", errorCode: 131000)])).status == 200)
            try await h.processWebhooks()
            let failed = try await h.message(id)
            #expect(failed["status"] as? String == "retry_scheduled")
            #expect((failed["last_error"] as? [String: Any])?["code"] as? Int == 131000)
            #expect((failed["last_error"] as? [String: Any])?["class"] as? String == "transient")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            let resent = try await h.message(id)
            #expect(resent["status"] as? String == "sent")
            #expect(resent["wamid"] as? String != wamid)
            #expect(try await h.outcomes(id) == ["sent", "sent"])
            #expect(h.simulator.received.count == 2)
        }
    }

    @Test(arguments: StoreKind.available) func anAsyncPermanentFailureDeadLettersAndAFailureAfterDeliveryIsOnlyRecorded(
        _ kind: StoreKind
    ) async throws {
        try await Harness.run(kind) { h in
            let (first, firstWamid) = try await sent(h)
            let (second, secondWamid) = try await sent(h)
            let body = MetaWebhookBody.statuses([
                Status(wamid: firstWamid, status: "failed", errorCode: 131026),
                Status(wamid: secondWamid, status: "delivered"),
                Status(wamid: secondWamid, status: "failed", errorCode: 131026),
            ])
            #expect(try await h.webhook(body).status == 200)
            try await h.processWebhooks()
            let dead = try await h.message(first)
            #expect(dead["status"] as? String == "failed")
            #expect(dead["failure_reason"] as? String == "permanent_error")
            #expect((dead["last_error"] as? [String: Any])?["code"] as? Int == 131026)
            let delivered = try await h.message(second)
            #expect(delivered["status"] as? String == "delivered")
            #expect(try await h.events(second).map { $0["outcome"] as? String } == ["applied", "recorded"])
            h.clock.advance(by: .seconds(3600))
            #expect(try await h.dispatch() == 0)
        }
    }

    @Test(arguments: StoreKind.available) func anInDoubtAttemptIsSettledByItsStatusAndNeverResent(_ kind: StoreKind) async throws {
        try await Harness.run(kind, .quickTimeouts) { h in
            let id = try await h.sendInDoubt()
            // Meta did get it: its status names the wamid Pigeon never saw, and Pigeon's id as callback data.
            let body = MetaWebhookBody.statuses([Status(wamid: "wamid.from-meta", status: "delivered", callbackData: id)])
            #expect(try await h.webhook(body).status == 200)
            #expect(try await h.processWebhooks() == 0, "the status was settled before the 200")
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "delivered")
            #expect(reply["wamid"] as? String == "wamid.from-meta")
            h.clock.advance(by: .seconds(120))
            #expect(try await h.dispatch() == 0)
            // The simulator records the timed-out request when its delayed answer goes out.
            try await eventually("the delayed answer recorded", timeout: .seconds(10)) { h.simulator.received.count >= 1 }
            #expect(h.simulator.received.count == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aStatusForAMessageInFlightWaitsForItsOutcome(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let id = try await h.send()
            let claimed = try await h.store.claim(
                limit: 1, owner: "other", now: h.clock.now(), leaseUntil: h.clock.now().addingTimeInterval(30), excludedSenders: [])
            let record = try #require(claimed.first)
            #expect(
                try await h.webhook(MetaWebhookBody.statuses([Status(wamid: "wamid.early", status: "delivered", callbackData: id)])).status == 200)
            #expect(try await h.processWebhooks() == 0)
            #expect(try await h.message(id)["status"] as? String == "sending")
            #expect(try await h.events(id).isEmpty)

            let lifecycle = Lifecycle()
            let sent = lifecycle.transition(record.state, .accepted(wamid: "wamid.early"), now: h.clock.now()).state!
            _ = try await h.store.complete(
                [
                    AttemptCompletion(
                        messageID: record.id, seq: record.seq, owner: "other", claimed: record.state, state: sent, outcome: .sent,
                        error: nil, startedAt: h.clock.now(), finishedAt: h.clock.now(), durationMs: 3,
                        senderID: record.senderID)
                ],
                now: h.clock.now())
            #expect(try await h.processWebhooks() == 0, "a pending event was tried again before its backoff")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.processWebhooks() == 1)
            #expect(try await h.message(id)["status"] as? String == "delivered")
            #expect(try await h.events(id).map { $0["outcome"] as? String } == ["applied"])
        }
    }

    @Test func aWebhookThatCannotBeSettledIsStillStoredAndSettledLater() async throws {
        try await Harness.run { h in
            let (id, wamid) = try await sent(h)
            // A second connection to the same file makes every event insert fail, as a broken disk page might.
            let database = try DatabaseQueue(path: h.database.path)
            try await database.write {
                try $0.execute(sql: "CREATE TRIGGER refuse_events BEFORE INSERT ON message_events BEGIN SELECT RAISE(ABORT, 'injected'); END")
            }
            #expect(try await h.webhook(MetaWebhookBody.statuses([Status(wamid: wamid, status: "read")])).status == 200)
            #expect(try await h.message(id)["status"] as? String == "sent")
            #expect(try await h.store.unprocessedWebhooks(limit: 10).count == 1, "the acknowledged body was not kept")
            await #expect(throws: (any Error).self, "the background pass settled it while events could not be stored") {
                try await h.processWebhooks()
            }
            try await database.write { try $0.execute(sql: "DROP TRIGGER refuse_events") }
            #expect(try await h.processWebhooks() == 1)
            #expect(try await h.message(id)["status"] as? String == "read")
            #expect(try await h.store.unprocessedWebhooks(limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func aSignedButMalformedWebhookIsAcknowledgedStoredAndHarmless(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let (id, wamid) = try await sent(h)
            let malformed =
                #"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"status":"read"},"#
                + #"{"id":"\#(wamid)","status":"delivered","timestamp":"1800000000"}]}}]}]}"#
            #expect(try await h.webhook(malformed).status == 200)
            #expect(try await h.webhook("not json at all").status == 200)
            #expect(try await h.processWebhooks() == 0, "the status was settled before the 200")
            #expect(try await h.message(id)["status"] as? String == "delivered")
            #expect(try await h.store.unprocessedWebhooks(limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func theSimulatorReportsSignedStatusesAndTheLoopCloses(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.simulatorReports(#", "duplicate": true, "reorder": true"#)
            let id = try await h.send()
            try await h.dispatch()
            #expect(try await h.processUntil(id, is: "read"))
            // The simulator posts in the background: wait (up to 5 s) for the reordered and duplicated rest.
            var events = try await h.events(id)
            for _ in 0..<100 where events.count < 3 {
                try await Task.sleep(for: .milliseconds(50))
                h.clock.advance(by: .seconds(1))
                try await h.processWebhooks()
                events = try await h.events(id)
            }
            try await Task.sleep(for: .milliseconds(200))  // duplicates of the last webhooks, which must change nothing
            try await h.processWebhooks()
            events = try await h.events(id)
            #expect(Set(events.compactMap { $0["status"] as? String }) == ["sent", "delivered", "read"])
            #expect(events.count == 3, "duplicates were stored as events")
            #expect(try await h.message(id)["status"] as? String == "read")
        }
    }

    @Test(arguments: StoreKind.available) func theSimulatorsAsyncFailureDeadLettersThroughTheWebhook(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.simulatorReports()
            try await h.script(#"{"to": "+15550001111", "times": 1, "async_error": {"code": 131026, "title": "Message undeliverable"}}"#)
            let id = try await h.send()
            try await h.dispatch()
            #expect(try await h.processUntil(id, is: "failed"))
            let reply = try await h.message(id)
            #expect((reply["history"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["sent"], "Meta accepted it first")
            #expect(reply["failure_reason"] as? String == "permanent_error")
            #expect((reply["last_error"] as? [String: Any])?["title"] as? String == "Message undeliverable")
            #expect(try await h.events(id).last?["status"] as? String == "failed")
        }
    }
}
