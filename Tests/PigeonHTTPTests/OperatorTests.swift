import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Operator actions and idempotency over the HTTP API.
@Suite struct OperatorTests {
    @Test(arguments: StoreKind.available) func aFailedMessageCanBeRetriedOnceWithAFreshBudget(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"times": 1, "error": {"code": 131026}}"#)
            let id = try await h.send()
            try await h.dispatch()
            let retried = try await h.call(.POST, "/v1/messages/\(id)/retry")
            #expect(retried.status == 200)
            #expect(retried["status"] as? String == "queued")
            #expect(retried["counted_attempts"] as? Int == 0)
            let again = try await h.call(.POST, "/v1/messages/\(id)/retry")
            #expect(again.status == 409)
            #expect(again.error == "invalid_state")
            try await h.dispatch()
            #expect(try await h.message(id)["status"] as? String == "sent")
            #expect(try await h.outcomes(id) == ["error", "sent"])
            #expect(try await h.call(.POST, "/v1/messages/msg_01M84Y9705QVX80B3DNA48DCDS/retry").status == 404)
        }
    }

    @Test(arguments: StoreKind.available) func bulkRetryRequeuesTheFailedMessagesThatMatch(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550001111", "times": 3, "error": {"code": 132001}}"#)
            try await h.script(#"{"to": "+15550002222", "times": 1, "error": {"code": 131026}}"#)
            let template = [try await h.send(), try await h.send(), try await h.send()]
            let other = try await h.send(to: "+15550002222")
            try await h.dispatch()
            let stats = try await h.call(.GET, "/v1/stats")
            #expect(stats["dead_letter"] as? Int == 4)
            let bulk = try await h.call(.POST, "/v1/messages/retry", json: #"{"error_code": 132001}"#)
            #expect(bulk.status == 200)
            #expect(bulk["requeued"] as? Int == 3)
            for id in template { #expect(try await h.message(id)["status"] as? String == "queued") }
            #expect(try await h.message(other)["status"] as? String == "failed")
            let byClass = try await h.call(.POST, "/v1/messages/retry", json: #"{"class": "permanent"}"#)
            #expect(byClass["requeued"] as? Int == 1)
            let none = try await h.call(.POST, "/v1/messages/retry", json: #"{"error_code": 1}"#)
            #expect(none["requeued"] as? Int == 0)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"status": "sent"}"#).status == 400)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"class": "sometimes"}"#).status == 400)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"since": "yesterday"}"#).status == 400)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"since": "2026-02-30T10:00:00Z"}"#).status == 400)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"since": "2096-02-29T10:00:00Z"}"#).status == 200)
            #expect(try await h.call(.POST, "/v1/messages/retry", json: #"{"codes": 1}"#).status == 400)
            let everything = try await h.call(.POST, "/v1/messages/retry", contentType: nil)
            #expect(everything.status == 200)
        }
    }

    @Test(arguments: StoreKind.available) func cancelAndDelete(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let id = try await h.send()
            let cancelled = try await h.call(.POST, "/v1/messages/\(id)/cancel")
            #expect(cancelled.status == 200)
            #expect(cancelled["status"] as? String == "cancelled")
            #expect(try await h.dispatch() == 0)
            #expect(try await h.call(.POST, "/v1/messages/\(id)/cancel").status == 409)
            #expect(try await h.call(.DELETE, "/v1/messages/\(id)").status == 200)
            #expect(try await h.message(id).status == 404)
            #expect(try await h.call(.DELETE, "/v1/messages/\(id)").status == 404)
            #expect(try await h.call(.POST, "/v1/messages/not-an-id/cancel").status == 404)
        }
    }

    @Test(arguments: StoreKind.available) func anIdempotentReplayReturnsTheOriginalAndADifferentBodyConflicts(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let body = #"{"to": "+15550001111", "type": "text", "text": {"body": "hi"}, "idempotency_key": "order-42"}"#
            let first = try await h.call(.POST, "/v1/messages", json: body)
            #expect(first.status == 202)
            let replay = try await h.call(.POST, "/v1/messages", json: body)
            #expect(replay.status == 200)
            #expect(replay["id"] as? String == first["id"] as? String)
            let reordered = try await h.call(
                .POST, "/v1/messages", json: #"{"idempotency_key": "order-42", "text": {"body": "hi"}, "type": "text", "to": "+15550001111"}"#)
            #expect(reordered.status == 200)
            let different = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "type": "text", "text": {"body": "bye"}, "idempotency_key": "order-42"}"#)
            #expect(different.status == 422)
            #expect(different.error == "idempotency_conflict")

            let viaHeader = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, headers: ["Idempotency-Key": "hdr-1"])
            let viaHeaderAgain = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, headers: ["Idempotency-Key": "hdr-1"])
            #expect(viaHeader.status == 202)
            #expect(viaHeaderAgain.status == 200)
            #expect(viaHeaderAgain["id"] as? String == viaHeader["id"] as? String)
            let mismatch = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "hi"}, "idempotency_key": "a"}"#,
                headers: ["Idempotency-Key": "b"])
            #expect(mismatch.status == 422)
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats["messages"] as? [String: Any])?["queued"] as? Int == 2)
        }
    }

    @Test(arguments: StoreKind.available) func batchesAreStoredInOneGoWithPerItemResults(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let items = (0..<5).map { #"{"to": "+1555000000\#($0)", "text": {"body": "n\#($0)"}}"# }
            let keyed = #"{"to": "+15550009999", "text": {"body": "k"}, "idempotency_key": "batch-k"}"#
            let batch = try await h.call(.POST, "/v1/messages/batch", json: #"{"messages": [\#((items + [keyed, keyed]).joined(separator: ","))]}"#)
            #expect(batch.status == 202)
            let results = try #require(batch["results"] as? [[String: Any]])
            #expect(results.count == 7)
            #expect(results.prefix(6).allSatisfy { $0["result"] as? String == "created" })
            #expect(results[6]["result"] as? String == "replayed")
            #expect(results[6]["id"] as? String == results[5]["id"] as? String)
            #expect(try await h.dispatch() == 6)

            let invalid = try await h.call(.POST, "/v1/messages/batch", json: #"{"messages": [\#(items[0]), {"to": "x"}]}"#)
            #expect(invalid.status == 400)
            let problems = (invalid.json["error"] as? [String: Any])?["items"] as? [[String: Any]]
            #expect(problems?.first?["index"] as? Int == 1)
            #expect(problems?.first?["code"] as? String == "invalid_to")
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats["messages"] as? [String: Any])?["queued"] as? Int == 0, "an invalid batch stored something")
        }
    }

    @Test(arguments: StoreKind.available) func listingFiltersByStatusAndPagesWithACursor(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"to": "+15550002222", "error": {"code": 131026}}"#)
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await h.send()) }
            let failed = try await h.send(to: "+15550002222")
            try await h.dispatch()
            let page1 = try await h.call(.GET, "/v1/messages?status=sent&limit=3")
            let cursor = try #require(page1["next_cursor"] as? String)
            let page2 = try await h.call(.GET, "/v1/messages?status=sent&limit=3&cursor=\(cursor)")
            let listed = ((page1["messages"] as? [[String: Any]] ?? []) + (page2["messages"] as? [[String: Any]] ?? [])).map { $0["id"] as! String }
            #expect(listed == ids.reversed())
            #expect(page2["next_cursor"] is NSNull)
            let failures = try await h.call(.GET, "/v1/messages?status=failed")
            #expect((failures["messages"] as? [[String: Any]])?.map { $0["id"] as! String } == [failed])
            #expect(try await h.call(.GET, "/v1/messages?status=lost").status == 400)
            #expect(try await h.call(.GET, "/v1/messages?limit=0").status == 400)
            #expect(try await h.call(.GET, "/v1/messages?limit=5000").status == 400)
            #expect(try await h.call(.GET, "/v1/messages?cursor=abc").status == 400)
        }
    }

    @Test(arguments: StoreKind.available) func healthIsPublicAndEverythingElseNeedsTheKey(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            #expect(try await h.call(.GET, "/healthz", auth: nil).status == 200)
            #expect(try await h.call(.GET, "/readyz", auth: nil).status == 200)
            #expect(try await h.call(.GET, "/v1/stats", auth: nil).status == 401)
            #expect(try await h.call(.GET, "/openapi.yaml", auth: nil).status == 401)
            let document = try await h.call(.GET, "/openapi.yaml")
            #expect(document.status == 200)
            #expect(document.text.hasPrefix("openapi: 3.1"))
            for path in [
                "/v1/messages", "/v1/messages/batch", "/v1/messages/{id}", "/v1/messages/{id}/retry", "/v1/messages/retry",
                "/v1/messages/{id}/cancel", "/v1/senders/{id}/resume", "/v1/stats", "/healthz", "/readyz",
            ] {
                #expect(document.text.contains("  \(path):"), "the OpenAPI document lacks \(path)")
            }
        }
    }
}
