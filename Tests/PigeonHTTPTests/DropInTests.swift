import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// The drop-in Cloud API endpoint: an app that calls `POST /{version}/{phone_number_id}/messages` gets Meta's
/// own shapes back, with Pigeon's durability behind them.
@Suite struct DropInTests {
    static let path = "/v23.0/\(Harness.sender)/messages"
    static let text =
        #"{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15550001111", "type": "text", "text": {"body": "hi"}}"#

    /// Posts `body` to the drop-in endpoint while running the dispatcher, as `serve` would.
    func post(_ h: Harness, _ body: String = DropInTests.text, path: String = DropInTests.path) async throws -> JSONClient.Reply {
        try await withThrowingTaskGroup(of: JSONClient.Reply?.self) { group in
            group.addTask { try await h.call(.POST, path, json: body) }
            group.addTask {
                for _ in 0..<200 {
                    try await h.dispatch()
                    try await Task.sleep(for: .milliseconds(10))
                }
                return nil
            }
            let reply = try await group.next()!!
            group.cancelAll()
            return reply
        }
    }

    @Test(arguments: StoreKind.available) func anAcceptedMessageAnswersMetasShapeWithTheRealWamid(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let reply = try await post(h)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply["messaging_product"] as? String == "whatsapp")
            let wamid = try #require(((reply["messages"] as? [[String: Any]])?.first)?["id"] as? String)
            #expect(wamid.hasPrefix("wamid."))
            #expect(((reply["contacts"] as? [[String: Any]])?.first)?["input"] as? String == "15550001111")
            let received = try #require(h.simulator.received.first)
            #expect(received.wamid == wamid)
            #expect(received.phoneNumberID == Harness.sender)
            let stored = try await h.message(try #require(received.callbackData))
            #expect(stored["status"] as? String == "sent")
            #expect(stored["wamid"] as? String == wamid)
        }
    }

    @Test(arguments: StoreKind.available) func aRepeatedIdempotencyKeyIsAnsweredFromTheStoredMessage(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let keyed = #"{"messaging_product": "whatsapp", "to": "15550001111", "idempotency_key": "order-7", "text": {"body": "hi"}}"#
            let first = try await post(h, keyed)
            #expect(first.status == 200, "\(first.text)")
            let wamid = try #require(((first["messages"] as? [[String: Any]])?.first)?["id"] as? String)
            let again = try await post(h, keyed)
            #expect(again.status == 200, "\(again.text)")
            #expect(((again["messages"] as? [[String: Any]])?.first)?["id"] as? String == wamid)
            #expect(h.simulator.received.count == 1, "a replay sends nothing")
            let other = try await post(
                h, #"{"messaging_product": "whatsapp", "to": "15550002222", "idempotency_key": "order-7", "text": {"body": "hi"}}"#)
            #expect(other.status == 422, "\(other.text)")
            let error = try #require(other["error"] as? [String: Any])
            #expect(error["code"] as? Int == 100)
            #expect(h.simulator.received.count == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aPermanentRejectionAnswersMetasErrorAndStatus(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(
                #"{"to": "15550001111", "error": {"code": 131026, "http_status": 400, "title": "Message undeliverable", "details": "not on WhatsApp"}}"#
            )
            let reply = try await post(h)
            #expect(reply.status == 400)
            let error = try #require(reply["error"] as? [String: Any])
            #expect(error["code"] as? Int == 131026)
            #expect(error["message"] as? String == "(#131026) Message undeliverable")
            #expect((error["error_data"] as? [String: Any])?["details"] as? String == "not on WhatsApp")
        }
    }

    @Test(arguments: StoreKind.available) func aTransientFailureKeepsTheMessageQueuedUnderPigeonsID(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "15550001111", "times": 1, "error": {"code": 131000, "http_status": 500}}"#)
            let reply = try await post(h)
            #expect(reply.status == 200, "\(reply.text)")
            let id = try #require(((reply["messages"] as? [[String: Any]])?.first)?["id"] as? String)
            #expect(id.hasPrefix("msg_"))
            #expect(try await h.message(id)["status"] as? String == "retry_scheduled")
            h.clock.advance(by: .seconds(1))
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(id)["status"] as? String == "sent")
        }
    }

    @Test(arguments: StoreKind.available) func badInputAndAuthFailuresLookLikeMetasErrors(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let missingTo = try await h.call(.POST, Self.path, json: #"{"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}"#)
            #expect(missingTo.status == 400)
            #expect((missingTo["error"] as? [String: Any])?["code"] as? Int == 100)
            let product = try await h.call(
                .POST, Self.path, json: #"{"messaging_product": "sms", "to": "15550001111", "type": "text", "text": {"body": "x"}}"#)
            #expect((product["error"] as? [String: Any])?["code"] as? Int == 100)
            let noKey = try await h.call(.POST, Self.path, json: Self.text, auth: nil)
            #expect(noKey.status == 401)
            #expect((noKey["error"] as? [String: Any])?["code"] as? Int == 190)
            let badPhone = try await h.call(.POST, "/v23.0/not-a-number/messages", json: Self.text)
            #expect(badPhone.status == 400)
            #expect((badPhone["error"] as? [String: Any])?["type"] as? String == "OAuthException")
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats["messages"] as? [String: Int])?.values.reduce(0, +) == 0, "bad input stored something")
        }
    }

    @Test(arguments: StoreKind.available) func mediaUploadsAndLookupsPassThroughToMetaWithPigeonsToken(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let boundary = "test-boundary"
            let form =
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello media\r\n"
                + "--\(boundary)--\r\n"
            let upload = try await h.call(
                .POST, "/v23.0/\(Harness.sender)/media", json: form, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(upload.status == 200, "\(upload.text)")
            let id = try #require(upload["id"] as? String)
            let lookup = try await h.call(.GET, "/v23.0/\(id)")
            #expect(lookup.status == 200, "\(lookup.text)")
            #expect(lookup["id"] as? String == id)
            #expect((lookup["file_size"] as? Int ?? 0) > 0)
            let missing = try await h.call(.GET, "/v23.0/999")
            #expect(missing.status == 400)
            #expect((missing["error"] as? [String: Any])?["code"] as? Int == 100)
            #expect(try await h.call(.GET, "/v23.0/\(id)", auth: nil).status == 401, "a lookup went through without the API key")
            #expect(try await h.call(.GET, "/v1/messages").status == 200, "the pass-through shadowed the message listing")
        }
    }
}
