import Foundation
import Testing

/// Every kind of bad input gets a clear 4xx with `{"error": {"code", "message"}}` and changes nothing.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var path = "/v1/messages"
        var body: String?
        var contentType: String? = "application/json"
        var auth: String? = Harness.apiKey
        var status: Int
        var code: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", body: #"{"to": "+15550001111", "#, status: 400, code: "malformed_json"),
        Case(
            name: "wrong content type", body: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, contentType: "text/plain", status: 415,
            code: "unsupported_content_type"),
        Case(
            name: "no content type", body: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, contentType: nil, status: 415,
            code: "unsupported_content_type"),
        Case(name: "empty body", body: "", status: 400, code: "empty_body"),
        Case(name: "array body", body: "[]", status: 400, code: "invalid_body"),
        Case(name: "unknown type", body: #"{"to": "+15550001111", "type": "hologram", "hologram": {}}"#, status: 400, code: "unsupported_type"),
        Case(name: "missing to", body: #"{"type": "text", "text": {"body": "hi"}}"#, status: 400, code: "missing_to"),
        Case(name: "malformed to", body: #"{"to": "call me", "type": "text", "text": {"body": "hi"}}"#, status: 400, code: "invalid_to"),
        Case(name: "missing text", body: #"{"to": "+15550001111", "type": "text"}"#, status: 400, code: "missing_content"),
        Case(
            name: "oversized body", body: #"{"to": "+15550001111", "text": {"body": "\#(String(repeating: "a", count: 300_000))"}}"#, status: 413,
            code: "body_too_large"),
        Case(
            name: "bad max_attempts", body: #"{"to": "+15550001111", "text": {"body": "hi"}, "max_attempts": -1}"#, status: 400,
            code: "invalid_max_attempts"),
        Case(
            name: "media with id and media_key", body: #"{"to": "+15550001111", "type": "image", "image": {"id": "1", "media_key": "logo"}}"#,
            status: 400, code: "invalid_media"),
        Case(
            name: "malformed media_key", body: #"{"to": "+15550001111", "type": "image", "image": {"media_key": "a b"}}"#, status: 400,
            code: "invalid_media_key"),
        Case(
            name: "unknown media_key", body: #"{"to": "+15550001111", "type": "image", "image": {"media_key": "never-registered"}}"#, status: 422,
            code: "unknown_media_key"),
        Case(
            name: "unknown media_key in a template header",
            body:
                #"{"to": "+15550001111", "type": "template", "template": {"name": "welcome", "language": {"code": "en"}, "components": [{"type": "header", "parameters": [{"type": "video", "video": {"media_key": "never-registered"}}]}]}}"#,
            status: 422, code: "unknown_media_key"),
        Case(name: "missing key", body: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, auth: nil, status: 401, code: "missing_api_key"),
        Case(
            name: "wrong key", body: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, auth: "wrong-key-0123456789", status: 401,
            code: "invalid_api_key"),
        Case(name: "batch without messages", path: "/v1/messages/batch", body: #"{"items": []}"#, status: 400, code: "invalid_batch"),
        Case(name: "empty batch", path: "/v1/messages/batch", body: #"{"messages": []}"#, status: 400, code: "invalid_batch_size"),
        Case(
            name: "too many batch items", path: "/v1/messages/batch",
            body: #"{"messages": [\#(Array(repeating: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, count: 1001).joined(separator: ","))]}"#,
            status: 400, code: "invalid_batch_size"),
        Case(name: "unknown route", path: "/v1/nothing", body: "{}", status: 404, code: "not_found"),
    ]

    @Test func aMethodAPathDoesNotServeIsA405NamingTheOnesItDoes() async throws {
        try await Harness.run(.sqlite) { h in
            let trace = try await h.call(.TRACE, "/v1/stats", contentType: nil)
            #expect(trace.status == 405, "\(trace.text)")
            #expect(trace.error == "method_not_allowed")
            #expect(trace.headers["allow"] == "GET")
            let put = try await h.call(.PUT, "/v1/messages", json: "{}")
            #expect(put.status == 405)
            #expect(put.headers["allow"] == "GET, POST")
            #expect(try await h.call(.HEAD, "/healthz", contentType: nil).status == 200)
            #expect(try await h.call(.TRACE, "/no/such/path/here", contentType: nil).status == 404)
        }
    }

    @Test(arguments: cases)
    func badInputIsRejectedClearlyAndStoresNothing(_ testCase: Case) async throws {
        try await Harness.run { h in
            let reply = try await h.call(.POST, testCase.path, json: testCase.body, auth: testCase.auth, contentType: testCase.contentType)
            #expect(reply.status == testCase.status, "\(reply.text.prefix(300))")
            #expect(reply.error == testCase.code, "\(reply.text.prefix(300))")
            let message = (reply.json["error"] as? [String: Any])?["message"] as? String
            #expect((message?.count ?? 0) > 10, "the message does not say what to fix")
            let stats = try await h.call(.GET, "/v1/stats")
            let counts = try #require(stats["messages"] as? [String: Int])
            #expect(counts.values.reduce(0, +) == 0, "bad input changed the store")
        }
    }
}
