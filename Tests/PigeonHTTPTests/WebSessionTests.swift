import Crypto
import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Web sessions against the simulator's WAHA bridge on both stores, time injected: the health check notices
/// drops, the first two logged-out drops in a row restart the session keeping its credentials and the third
/// logs it out, working for two minutes resets the count, force disconnect keeps or forgets the session, and
/// a session that does not come back is reconnected at 1, 2, 3, 4, 5 minutes and then needs attention.
@Suite struct WebSessionTests {
    /// Adds web session `id` whose bridge is the harness's simulator; returns its view.
    @discardableResult
    func addSession(_ h: Harness, _ id: String = "support-1") async throws -> JSONClient.Reply {
        let reply = try await h.call(
            .POST, "/v1/senders",
            json:
                #"{"kind": "web_session", "id": "\#(id)", "pool": "web", "bridge": {"url": "\#(h.simulatorURL)", "api_key": "waha-key", "session": "\#(id)", "webhook_secret": "whsec"}}"#
        )
        #expect(reply.status == 201, "\(reply.text)")
        return reply
    }

    /// Scripts the simulated session.
    func script(_ h: Harness, _ body: String, id: String = "support-1") async throws {
        let reply = try await h.call(.POST, "/_sim/waha/sessions/\(id)", json: body, auth: nil, base: h.simulatorURL)
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// What the simulated bridge was asked to do.
    func bridge(_ h: Harness, _ id: String = "support-1") async throws -> JSONClient.Reply {
        try await h.call(.GET, "/_sim/waha/sessions/\(id)", auth: nil, base: h.simulatorURL)
    }

    func sender(_ h: Harness, _ id: String = "support-1") async throws -> JSONClient.Reply {
        try await h.call(.GET, "/v1/senders/\(id)")
    }

    /// Moves the clock past the next session check and runs the sender monitor once.
    func nextCheck(_ h: Harness, after seconds: Int64 = 41) async throws {
        h.clock.advance(by: .seconds(seconds))
        try await h.engine.senderMonitor.runOnce(now: h.clock.now())
    }

    @Test func theSimulatedBridgeAnswersNullForTheAccountOfASessionThatIsNotWorking() async throws {
        // WAHA answers `null` there; the simulator once trapped writing a top-level null (Foundation's
        // JSONSerialization traps rather than throws), which took the whole test process down.
        try await Harness.run(.sqlite) { h in
            try await script(h, #"{"status": "FAILED"}"#, id: "down-1")
            let me = try await h.call(.GET, "/api/sessions/down-1/me", auth: nil, base: h.simulatorURL)
            #expect(me.status == 200 && me.text == "null", "\(me.text)")
        }
    }

    @Test(arguments: StoreKind.available) func twoLoggedOutDropsRestartKeepingTheSessionAndTheThirdLogsItOut(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let created = try await addSession(h)
            #expect(created["status"] as? String == "connected", "a paired session did not connect: \(created.text)")
            for drop in 1...2 {
                try await script(h, #"{"status": "FAILED"}"#)
                try await nextCheck(h)
                let view = try await sender(h)
                #expect(view["status"] as? String == "connected", "drop \(drop): \(view.text)")
                #expect(view["consecutive_failures"] as? Int == drop)
                let bridge = try await bridge(h)
                #expect(bridge["restarts"] as? Int == drop && bridge["logouts"] as? Int == 0, "drop \(drop): \(bridge.text)")
            }
            try await script(h, #"{"status": "FAILED"}"#)
            try await nextCheck(h)
            let view = try await sender(h)
            #expect(view["status"] as? String == "needs_pairing", "\(view.text)")
            #expect(try await bridge(h)["logouts"] as? Int == 1, "the third drop did not log out exactly once")
            try await nextCheck(h)
            #expect(try await bridge(h)["logouts"] as? Int == 1)
            #expect(try await sender(h)["status"] as? String == "needs_pairing")
        }
    }

    @Test(arguments: StoreKind.available) func workingForTwoMinutesResetsTheCountAndABriefOpenDoesNot(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await script(h, #"{"status": "FAILED"}"#)
            try await nextCheck(h)
            #expect(try await sender(h)["consecutive_failures"] as? Int == 1)
            try await nextCheck(h, after: 60)
            #expect(try await sender(h)["consecutive_failures"] as? Int == 1, "a minute of working reset the count")
            try await nextCheck(h, after: 61)
            #expect(try await sender(h)["consecutive_failures"] as? Int == 0, "two minutes of working did not reset the count")
            try await script(h, #"{"status": "FAILED"}"#)
            try await nextCheck(h)
            #expect(try await sender(h)["consecutive_failures"] as? Int == 1)
        }
    }

    @Test(arguments: StoreKind.available) func forceDisconnectKeepsTheSessionOrForgetsIt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            let stopped = try await h.call(.POST, "/v1/senders/support-1/disconnect")
            #expect(stopped["status"] as? String == "paused", "\(stopped.text)")
            #expect(try await bridge(h)["stops"] as? Int == 1)
            try await nextCheck(h, after: 600)
            #expect(try await sender(h)["status"] as? String == "paused", "a disconnected session was reconnected on its own")
            #expect(try await bridge(h)["starts"] as? Int == 1)
            let connected = try await h.call(.POST, "/v1/senders/support-1/connect")
            #expect(connected["status"] as? String == "connected", "\(connected.text)")
            let forgotten = try await h.call(.POST, "/v1/senders/support-1/disconnect", json: #"{"forget_session": true}"#)
            #expect(forgotten["status"] as? String == "needs_pairing" && forgotten["consecutive_failures"] as? Int == 0)
            #expect(try await bridge(h)["logouts"] as? Int == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aSessionThatStaysDownIsReconnectedOnTheScheduleThenNeedsAttention(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await script(h, #"{"status": "STOPPED", "start_fails": 10}"#)
            try await nextCheck(h)
            var view = try await sender(h)
            #expect(view["status"] as? String == "disconnected", "\(view.text)")
            #expect(view["consecutive_failures"] as? Int == 0, "a stopped session counted toward deletion")
            let starts = try await bridge(h)["starts"] as? Int ?? 0
            for (attempt, wait) in [60, 120, 180, 240, 300].enumerated() {
                try await nextCheck(h, after: Int64(wait - 1))
                #expect(try await bridge(h)["starts"] as? Int == starts + attempt, "attempt \(attempt + 1) came before \(wait) s")
                try await nextCheck(h, after: 1)
                #expect(try await bridge(h)["starts"] as? Int == starts + attempt + 1, "attempt \(attempt + 1) did not come at \(wait) s")
            }
            view = try await sender(h)
            #expect(view["status"] as? String == "needs_attention", "\(view.text)")
            try await nextCheck(h, after: 600)
            #expect(try await bridge(h)["starts"] as? Int == starts + 5, "reconnects went on after the schedule")
        }
    }

    @Test(arguments: StoreKind.available) func aSuccessOnTheThirdReconnectResetsTheAttempts(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await script(h, #"{"status": "STOPPED", "start_fails": 2}"#)
            try await nextCheck(h)
            for wait in [60, 120, 180] { try await nextCheck(h, after: Int64(wait)) }
            let view = try await sender(h)
            #expect(view["status"] as? String == "connected", "\(view.text)")
            #expect(view["reconnect_attempts"] as? Int == 0)
        }
    }
}

extension WebSessionTests {
    /// Posts a WAHA event to `/webhooks/waha`, signed with `secret` (nil: no signature header).
    func wahaEvent(_ h: Harness, _ body: String, secret: String?) async throws -> JSONClient.Reply {
        var headers: [String: String] = [:]
        if let secret {
            let mac = HMAC<SHA512>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            headers["X-Webhook-Hmac"] = mac.map { String(format: "%02x", $0) }.joined()
        }
        return try await h.call(.POST, "/webhooks/waha", json: body, headers: headers, auth: nil)
    }

    @Test(arguments: StoreKind.available) func aSignedSessionStatusEventIsActedOnAndAForgedOneChangesNothing(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSession(h)
            try await script(h, #"{"status": "FAILED"}"#)
            let failed =
                #"{"id": "evt_1", "timestamp": 1800000000000, "event": "session.status", "session": "support-1", "payload": {"name": "support-1", "status": "FAILED"}}"#
            let unsigned = try await wahaEvent(h, failed, secret: nil)
            #expect(unsigned.status == 401 && unsigned.error == "missing_signature")
            let forged = try await wahaEvent(h, failed, secret: "not-the-secret")
            #expect(forged.status == 403 && forged.error == "invalid_signature")
            #expect(try await sender(h)["consecutive_failures"] as? Int == 0, "a forged event changed the sender")
            #expect(try await bridge(h)["restarts"] as? Int == 0)

            let other = failed.replacingOccurrences(of: #""session": "support-1""#, with: #""session": "someone-else""#)
            #expect(try await wahaEvent(h, other, secret: "whsec").status == 200)
            #expect(try await sender(h)["consecutive_failures"] as? Int == 0, "another session's event was applied")

            let signed = try await wahaEvent(h, failed, secret: "whsec")
            #expect(signed.status == 200, "\(signed.text)")
            let view = try await sender(h)
            #expect(view["consecutive_failures"] as? Int == 1 && view["status"] as? String == "connected", "\(view.text)")
            #expect(try await bridge(h)["restarts"] as? Int == 1, "the drop reported by webhook did not restart the session")
        }
    }
}
