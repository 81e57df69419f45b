import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The calls `pigeon bench` makes to Pigeon's API.
struct BenchAPI: Sendable {
    let http: HTTPClient
    let url: String
    let key: String

    private func request(_ path: String, method: HTTPMethod = .GET, body: String? = nil) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    /// Posts `count` messages (one request); true when accepted.
    func post(count: Int, index: Int) async throws -> Bool {
        func message(_ n: Int) -> String {
            #"{"to": "+1555\#(String(format: "%07d", (index * 1000 + n) % 10_000_000))", "type": "text", "text": {"body": "bench \#(index)-\#(n)"}}"#
        }
        if count == 1 {
            return try await request("/v1/messages", method: .POST, body: message(0)).0 == 202
        }
        let items = (0..<count).map(message).joined(separator: ",")
        return try await request("/v1/messages/batch", method: .POST, body: #"{"messages": [\#(items)]}"#).0 == 202
    }

    /// Messages that reached a final status (sent or later, failed, cancelled).
    func settledCount() async throws -> Int {
        let counts = try await statusCounts()
        return ["sent", "delivered", "read", "failed", "cancelled"].reduce(0) { $0 + (counts[$1] ?? 0) }
    }

    /// Messages per status, from `/v1/stats`.
    func statusCounts() async throws -> [String: Int] {
        let (status, data) = try await request("/v1/stats")
        guard status == 200, let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let counts = stats["messages"] as? [String: Int]
        else { throw BenchError("GET /v1/stats answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))") }
        return counts
    }

    /// The wamid of up to `limit` messages in `status`, newest first.
    func wamids(status: String, limit: Int) async throws -> [String] {
        var wamids: [String] = []
        var cursor: String?
        repeat {
            let (code, data) = try await request("/v1/messages?status=\(status)&limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard code == 200, let page = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw BenchError("listing messages answered \(code)")
            }
            wamids += (page["messages"] as? [[String: Any]] ?? []).compactMap { $0["wamid"] as? String }
            cursor = page["next_cursor"] as? String
        } while cursor != nil && wamids.count < limit
        return Array(wamids.prefix(limit))
    }

    /// Posts a webhook body to `/webhooks/meta` with its signature; returns the HTTP status.
    func postWebhook(_ body: String, signature: String) async throws -> Int {
        var request = HTTPClientRequest(url: url + "/webhooks/meta")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Hub-Signature-256", value: signature)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Calls `body` with (created_at, sent_at or updated_at) of every message in `status` created after `createdAfter`.
    func forEachMessage(status: String, createdAfter: Date, _ body: (Date, Date) -> Void) async throws {
        var cursor: String?
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        repeat {
            let (code, data) = try await request("/v1/messages?status=\(status)&limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard code == 200, let page = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw BenchError("listing messages answered \(code)")
            }
            var reachedOlder = false
            for message in page["messages"] as? [[String: Any]] ?? [] {
                guard let created = (message["created_at"] as? String).flatMap({ try? format.parse($0) }) else { continue }
                if created < createdAfter.addingTimeInterval(-1) {
                    reachedOlder = true
                    break
                }
                let end = ((message["sent_at"] as? String) ?? (message["updated_at"] as? String)).flatMap { try? format.parse($0) }
                body(created, end ?? created)
            }
            cursor = reachedOlder ? nil : page["next_cursor"] as? String
        } while cursor != nil
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
