import Foundation
import GRDB
import PigeonTestSupport
import Testing

/// The media library across a real stop and start of `pigeon serve` (sandbox: its simulator takes uploads).
@Suite struct MediaRestartTests {
    static let apiKey = "media-restart-key-0123456789"
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-media-\(UUID().uuidString)")
    let client = JSONClient()

    var databasePath: String { directory.appendingPathComponent("pigeon.sqlite").path }

    func start(_ run: Int) async throws -> (PigeonProcess, String) {
        let child = try PigeonProcess(
            environment: [
                "PIGEON_DATABASE_URL": databasePath, "PIGEON_API_KEY": Self.apiKey, "PIGEON_PORT": "0", "PIGEON_LOG_LEVEL": "notice",
            ],
            logURL: directory.appendingPathComponent("serve-\(run).log"))
        let port = try await child.start()
        return (child, "http://127.0.0.1:\(port)")
    }

    func asset(_ url: String) async throws -> [String: Any] {
        let reply = try await client.call(.GET, url + "/v1/media/onboarding-video-hi", bearer: Self.apiKey)
        return try #require((reply["senders"] as? [[String: Any]])?.first, "\(reply.text)")
    }

    @Test func aStartAfterFortyDaysStoppedUploadsExpiredMediaAgainAtOnce() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let (first, url) = try await start(1)
        let (body, contentType) = MultipartBody.make(
            [("key", "onboarding-video-hi")], file: (Array(repeating: 42, count: 100_000), "video/mp4", "welcome.mp4"))
        let created = try await client.call(.POST, url + "/v1/media", bytes: body, bearer: Self.apiKey, contentType: contentType)
        #expect(created.status == 201, "\(created.text)")
        let registered = try await asset(url)
        let firstID = try #require(registered["media_id"] as? String)
        #expect(first.terminate() == 0)

        // Forty days pass while Pigeon is stopped: the id expired ten days ago.
        let fortyDays: Int64 = 40 * 86_400_000
        let queue = try DatabaseQueue(path: databasePath)
        try await queue.write { db in
            try db.execute(
                sql: "UPDATE media_uploads SET uploaded_at = uploaded_at - ?, expires_at = expires_at - ?", arguments: [fortyDays, fortyDays])
        }
        try queue.close()

        let (second, restartedURL) = try await start(2)
        defer { _ = second.terminate() }
        var sender: [String: Any] = [:]
        for _ in 0..<200 {
            sender = try await asset(restartedURL)
            if (sender["history"] as? [[String: Any]])?.count == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let history = try #require(sender["history"] as? [[String: Any]])
        #expect(history.map { $0["reason"] as? String } == ["registered", "proactive"], "no refresh at start-up: \(sender)")
        #expect(history.last?["old_media_id"] as? String == firstID)
        #expect(sender["media_id"] as? String == history.last?["new_media_id"] as? String)
        let expires = try #require(sender["expires_at"] as? String)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expiry = try #require(formatter.date(from: expires))
        #expect(expiry > Date().addingTimeInterval(29 * 86_400), "the fresh id's expiry is \(expires)")
    }
}
