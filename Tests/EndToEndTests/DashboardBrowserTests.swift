import Foundation
import NIOHTTP1
import PigeonTestSupport
import Testing

/// The dashboard in a real browser: headless Chromium driven by Selenium (`Tests/Browser/dashboard_walk.py`)
/// against a sandboxed `pigeon serve` seeded with sent, retrying and failed messages, a paired and an unpaired
/// web session and a running campaign. It signs in, finds the dead letters with their codes, retries one
/// (confirming the dialog) and sees it leave the list and reach `sent`, opens a message's history, and
/// saves screenshots (`PIGEON_SCREENSHOTS`, default a temporary directory). `.ci/run` installs Chromium,
/// chromedriver and Selenium; elsewhere the test is skipped unless `PIGEON_REQUIRE_BROWSER` is set.
@Suite struct DashboardBrowserTests {
    static let python = ClientLibraryTests.python
    static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["PIGEON_REQUIRE_BROWSER"] != nil
    static let key = "browser-test-key-0123456789"

    static var available: Bool {
        guard let python, chromedriver != nil else { return false }
        let probe = Process()
        probe.executableURL = python
        probe.arguments = ["-c", "import selenium"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    @Test(.enabled(if: required || available, "Chromium, chromedriver or Selenium is missing (.ci/run installs them)"))
    func anOperatorRetriesADeadLetterInTheBrowser() async throws {
        let python = try #require(Self.python, "PIGEON_REQUIRE_BROWSER is set but .build/python-clients/bin/python is missing")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-browser-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try PigeonProcess(
            environment: [
                "PIGEON_DATABASE_URL": directory.appendingPathComponent("pigeon.sqlite").path, "PIGEON_API_KEY": Self.key, "PIGEON_PORT": "0",
                "PIGEON_LOG_FORMAT": "json",
            ], logURL: directory.appendingPathComponent("serve.log"))
        let url = "http://127.0.0.1:\(try await child.start())"
        let log = (try? String(contentsOf: child.logURL, encoding: .utf8)) ?? ""
        let sandbox = log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { ($0["msg"] as? String)?.hasPrefix("SANDBOX MODE") == true }
        let simulator = try #require(sandbox?["simulator"] as? String, "no SANDBOX MODE line: \(log.prefix(2000))")
        let client = JSONClient()
        let call = { (method: HTTPMethod, path: String, body: String?) in try await client.call(method, url + path, json: body, bearer: Self.key) }

        // Seed: two dead letters, one retrying, one sent, an unpaired web session, a running campaign.
        for rule in [
            #"{"to": "+15550003333", "times": 1, "error": {"code": 132001}}"#, #"{"to": "+15550004444", "times": 1, "error": {"code": 131026}}"#,
            #"{"to": "+15550005555", "times": 1000, "error": {"code": 131000, "http_status": 500}}"#,
        ] {
            #expect(try await client.call(.POST, simulator + "/_sim/rules", json: rule, bearer: nil).status == 201)
        }
        var ids: [String: String] = [:]
        for phone in ["+15550001111", "+15550003333", "+15550004444", "+15550005555"] {
            let reply = try await call(.POST, "/v1/messages", #"{"to": "\#(phone)", "text": {"body": "hello"}}"#)
            ids[phone] = try #require(reply["id"] as? String, "\(reply.text)")
        }
        let unpaired = try await call(
            .POST, "/v1/senders",
            #"{"kind": "web_session", "id": "web-unpaired", "pool": "spare", "delay": null, "daily_cap": null, "bridge": {"url": "\#(simulator)", "session": "unpaired", "webhook_secret": "unpaired-secret"}}"#
        )
        #expect(unpaired.status == 201, "\(unpaired.text)")
        // Logged out with its session forgotten: it waits for a QR code scan.
        #expect(try await call(.POST, "/v1/senders/web-unpaired/disconnect", #"{"forget_session": true}"#).status == 200)
        try await eventually("web-unpaired waits for pairing", timeout: .seconds(30)) {
            try await call(.GET, "/v1/senders/web-unpaired", nil)["status"] as? String == "needs_pairing"
        }
        let campaign = try await call(
            .POST, "/v1/campaigns",
            #"{"name": "Onboarding", "sender_id": "100000000000001", "daily_send_limit": 1000, "message": {"type": "text", "text": {"body": "Welcome"}}}"#
        )
        let campaignID = try #require(campaign["id"] as? String, "\(campaign.text)")
        _ = try await call(
            .POST, "/v1/campaigns/\(campaignID)/recipients", #"{"recipients": [{"phone": "+15550006666"}, {"phone": "+15550007777"}]}"#)
        #expect(try await call(.POST, "/v1/campaigns/\(campaignID)/start", nil).status == 200)
        let failed = [ids["+15550003333"]!, ids["+15550004444"]!]
        try await eventually("the two dead letters failed and one retrying", timeout: .seconds(30)) {
            var statuses: [String] = []
            for id in failed + [ids["+15550005555"]!] { statuses.append(try await call(.GET, "/v1/messages/\(id)", nil)["status"] as? String ?? "") }
            return statuses == ["failed", "failed", "retry_scheduled"]
        }

        let shots =
            ProcessInfo.processInfo.environment["PIGEON_SCREENSHOTS"].map(URL.init(fileURLWithPath:))
            ?? directory.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let (status, text) = try PythonScript.run(
            python, "Tests/Browser/dashboard_walk.py",
            environment: [
                "PIGEON_URL": url, "PIGEON_API_KEY": Self.key, "FAILED": "\(failed[0])=132001,\(failed[1])=131026", "RETRY": failed[0],
                "SCREENSHOTS": shots.path, "CHROMEDRIVER": Self.chromedriver ?? "/usr/bin/chromedriver",
            ])
        #expect(status == 0, "\(text)")
        #expect(text.components(separatedBy: "ok ").count - 1 >= 10, "\(text)")
        for name in ["dashboard-overview.png", "dashboard-dead-letters.png"] {
            #expect(FileManager.default.fileExists(atPath: shots.appendingPathComponent(name).path), "no screenshot \(name)")
        }
        #expect(child.terminate() == 0)
    }
}
