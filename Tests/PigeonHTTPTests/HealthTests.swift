import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// `GET /v1/health` over HTTP on both stores: the verdict moves with what happens to the messages and the
/// senders, and says which conditions decided it.
@Suite struct HealthTests {
    static func codes(_ reply: JSONClient.Reply) -> [String] {
        (reply["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test(arguments: StoreKind.available) func theVerdictFollowsDeadLettersAndAPausedSenderWithDueMessages(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            #expect(try await h.call(.GET, "/v1/health", auth: nil).status == 401)
            let first = try await h.call(.GET, "/v1/health")
            #expect(first.status == 200 && first["overall"] as? String == "healthy", "\(first.text)")
            let sender = try #require((first["senders"] as? [String: Any])?[Harness.sender] as? [String: Any], "\(first.text)")
            #expect(sender["status"] as? String == "connected" && sender["throttled"] as? Bool == false, "\(first.text)")

            // A permanent error dead-letters a message: a warning for the next hour.
            try await h.script(#"{"times": 1, "error": {"code": 132001}}"#)
            _ = try await h.send()
            try await h.dispatch()
            let warned = try await h.call(.GET, "/v1/health")
            #expect(warned.status == 200 && warned["overall"] as? String == "warning", "\(warned.text)")
            #expect(Self.codes(warned) == ["dead_letters_grew"], "\(warned.text)")
            #expect((warned["queue"] as? [String: Any])?["failed"] as? Int == 1, "\(warned.text)")
            h.clock.advance(by: .seconds(3601))
            #expect(try await h.call(.GET, "/v1/health")["overall"] as? String == "healthy")

            // The only sender paused with a message due: nothing can send it.
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/pause").status == 200)
            _ = try await h.send()
            let critical = try await h.call(.GET, "/v1/health")
            #expect(critical.status == 503 && critical["overall"] as? String == "critical", "\(critical.text)")
            #expect(Self.codes(critical) == ["no_sender_for_due_messages", "sender_paused"], "\(critical.text)")
            // Left waiting over five minutes, the message adds its own reason.
            h.clock.advance(by: .seconds(301))
            #expect(
                Self.codes(try await h.call(.GET, "/v1/health")) == ["no_sender_for_due_messages", "sender_paused", "oldest_due_message_waiting"])
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/resume").status == 200)
            try await h.dispatch()
            let healed = try await h.call(.GET, "/v1/health")
            #expect(healed.status == 200 && healed["overall"] as? String == "healthy", "\(healed.text)")
        }
    }
}
