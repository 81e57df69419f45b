import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// End-to-end delivery over loopback: API → SQLite → dispatcher → simulator, with a manual clock.
@Suite struct DeliveryTests {
    @Test(arguments: StoreKind.available) func aMessageIsSentWithItsIDAsCallbackData(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let id = try await h.send()
            #expect(try await h.message(id)["status"] as? String == "queued")
            #expect(try await h.dispatch() == 1)
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "sent")
            #expect((reply["wamid"] as? String)?.hasPrefix("wamid.") == true)
            #expect(reply.history.count == 1)
            #expect(reply.history.first?["outcome"] as? String == "sent")
            let received = h.simulator.received
            #expect(received.count == 1)
            #expect(received.first?.callbackData == id)
            #expect(received.first?.phoneNumberID == Harness.sender)
            #expect(received.first?.body.contains(#""messaging_product":"whatsapp""#) == true)
        }
    }

    @Test(arguments: StoreKind.available) func transientErrorsAreRetriedWithBackoffUntilSent(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550001111", "times": 2, "error": {"code": 131000, "http_status": 500}}"#)
            let id = try await h.send()
            #expect(try await h.dispatch() == 1)
            let first = try await h.message(id)
            #expect(first["status"] as? String == "retry_scheduled")
            #expect((first["last_error"] as? [String: Any])?["class"] as? String == "transient")
            #expect(try await h.dispatch() == 0, "a retry ran before its time")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "sent")
            #expect(try await h.outcomes(id) == ["error", "error", "sent"])
            #expect(reply.history.first?["error_code"] as? Int == 131000)
            #expect(reply.history.first?["http_status"] as? Int == 500)
        }
    }

    @Test(arguments: StoreKind.available) func permanentErrorsDeadLetterAfterOneAttempt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550001111", "error": {"code": 131026, "title": "Message undeliverable"}}"#)
            let id = try await h.send()
            try await h.dispatch()
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "failed")
            #expect(reply["failure_reason"] as? String == "permanent_error")
            let error = reply["last_error"] as? [String: Any]
            #expect(error?["code"] as? Int == 131026)
            #expect(error?["class"] as? String == "permanent")
            #expect(error?["title"] as? String == "Message undeliverable")
            #expect(reply.history.count == 1)
            h.clock.advance(by: .seconds(3600))
            #expect(try await h.dispatch() == 0)
        }
    }

    @Test(arguments: StoreKind.available) func anExhaustedBudgetDeadLettersWithRetriesExhausted(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"error": {"code": 131000, "http_status": 500}}"#)
            let id = try await h.send(extra: #", "max_attempts": 2"#)
            try await h.dispatch()
            h.clock.advance(by: .seconds(1))
            try await h.dispatch()
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "failed")
            #expect(reply["failure_reason"] as? String == "retries_exhausted")
            #expect(reply["attempts"] as? Int == 2)
            #expect(reply["max_attempts"] as? Int == 2)
        }
    }

    @Test(arguments: StoreKind.available) func throttlingPacesTheSenderWithoutSpendingTheBudget(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"times": 1, "error": {"code": 130429, "title": "Rate limit hit"}}"#)
            let id = try await h.send(extra: #", "max_attempts": 1"#)
            try await h.dispatch()
            let paced = try await h.message(id)
            #expect(paced["status"] as? String == "retry_scheduled")
            #expect(paced["counted_attempts"] as? Int == 0)
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats["throttled_senders"] as? [[String: Any]])?.first?["id"] as? String == Harness.sender)
            h.clock.advance(by: .milliseconds(500))
            #expect(try await h.dispatch() == 0, "the throttled sender was not held")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "sent")
            #expect(reply["counted_attempts"] as? Int == 0)
            #expect(try await h.outcomes(id) == ["error", "sent"])
        }
    }

    @Test(arguments: StoreKind.available) func aPairLimitDelaysOnlyThatRecipient(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550001111", "times": 2, "error": {"code": 131056}}"#)
            let limited = try await h.send(to: "+15550001111")
            let other = try await h.send(to: "+15550002222")
            #expect(try await h.dispatch() == 2)
            #expect(try await h.message(other)["status"] as? String == "sent")
            #expect(try await h.message(limited)["status"] as? String == "retry_scheduled")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            h.clock.advance(by: .seconds(3))
            #expect(try await h.dispatch() == 0, "the second pair-limit wait is 4 s")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            let reply = try await h.message(limited)
            #expect(reply["status"] as? String == "sent")
            #expect(reply["counted_attempts"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.available) func aSenderLevelErrorPausesTheSenderUntilResumed(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"times": 1, "error": {"code": 190, "http_status": 401, "title": "Access token has expired"}}"#)
            let first = try await h.send()
            try await h.dispatch()
            #expect(try await h.message(first)["status"] as? String == "queued")
            let second = try await h.send(to: "+15550002222")
            #expect(try await h.dispatch() == 0, "a paused sender sent")
            let stats = try await h.call(.GET, "/v1/stats")
            let paused = try #require((stats["paused_senders"] as? [[String: Any]])?.first)
            #expect(paused["id"] as? String == Harness.sender)
            #expect(paused["error_code"] as? Int == 190)
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/resume").status == 200)
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/resume").status == 409)
            #expect(try await h.dispatch() == 2)
            #expect(try await h.message(first)["status"] as? String == "sent")
            #expect(try await h.message(second)["status"] as? String == "sent")
            #expect(try await h.message(first)["counted_attempts"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.available) func aTimeoutLeavesTheAttemptInDoubtAndItIsResentAfterTheQuietPeriod(_ kind: StoreKind) async throws {
        try await Harness.run(kind, .quickTimeouts) { h in
            let id = try await h.sendInDoubt()
            #expect(try await h.message(id)["status"] as? String == "retry_scheduled")
            h.clock.advance(by: .seconds(59))
            #expect(try await h.dispatch() == 0)
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            #expect(try await h.outcomes(id) == ["in_doubt", "sent"])
        }
    }

    @Test(arguments: StoreKind.available) func aDroppedConnectionIsInDoubtAndABareGatewayErrorIsTransient(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550001111", "times": 1, "drop": true}"#)
            try await h.script(#"{"to": "+15550002222", "times": 1, "http_status": 502}"#)
            let dropped = try await h.send(to: "+15550001111")
            let gateway = try await h.send(to: "+15550002222")
            try await h.dispatch()
            #expect(try await h.outcomes(dropped) == ["in_doubt"])
            let reply = try await h.message(gateway)
            #expect((reply["last_error"] as? [String: Any])?["class"] as? String == "transient")
            #expect((reply["last_error"] as? [String: Any])?["http_status"] as? Int == 502)
        }
    }

    @Test(arguments: StoreKind.available) func anExpiredLeaseIsReclaimedAsInDoubtWhileTheServiceRuns(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let id = try await h.send()
            let claimed = try await h.engine.dispatcher.claim(limit: 10, now: h.clock.now())
            #expect(claimed.count == 1)
            h.clock.advance(by: .seconds(29))
            #expect(try await h.engine.reaper.runOnce(now: h.clock.now()) == 0)
            h.clock.advance(by: .seconds(2))
            #expect(try await h.engine.reaper.runOnce(now: h.clock.now()) == 1)
            #expect(try await h.message(id)["status"] as? String == "retry_scheduled")
            h.clock.advance(by: .seconds(60))
            #expect(try await h.dispatch() == 1)
            #expect(try await h.outcomes(id) == ["in_doubt", "sent"])
        }
    }

    @Test(arguments: StoreKind.available) func retentionPurgesEndedMessagesOnlyAfterTheRetentionPeriod(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let cancelled = try await h.send()
            let kept = try await h.send(to: "+15550002222")
            #expect(try await h.call(.POST, "/v1/messages/\(cancelled)/cancel").status == 200)
            h.clock.advance(by: .seconds(29 * 86400))
            #expect(try await h.engine.retention.runOnce(now: h.clock.now()) == 0)
            h.clock.advance(by: .seconds(2 * 86400))
            #expect(try await h.engine.retention.runOnce(now: h.clock.now()) == 1)
            #expect(try await h.message(cancelled).status == 404)
            #expect(try await h.message(kept).status == 200)
        }
    }
}
