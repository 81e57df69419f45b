import Foundation
import PigeonTestSupport
import Testing

/// `pigeon serve` as a user starts it.
@Suite struct StartupTests {
    /// Runs `pigeon serve` to its exit with `environment`; returns the exit status and everything it printed.
    func runToExit(_ environment: [String: String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = try PigeonProcess.binary()
        process.arguments = ["serve"]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PIGEON_") }.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func anInvalidValueStopsStartUpAndNamesTheVariable() throws {
        let (status, output) = try runToExit(["PIGEON_PORT": "eighty"])
        #expect(status != 0)
        #expect(output.contains("PIGEON_PORT"), "\(output)")
        let (retryStatus, retryOutput) = try runToExit(["PIGEON_RETRY_SCHEDULE": "5 minutes"])
        #expect(retryStatus != 0)
        #expect(retryOutput.contains("PIGEON_RETRY_SCHEDULE"), "\(retryOutput)")
    }

    @Test func theSandboxStartsWithoutCredentialsAndPrintsTheKeyOnceOnTheConsole() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-start-\(UUID().uuidString)")
        let environment = [
            "PIGEON_DATABASE_URL": directory.appendingPathComponent("p.sqlite").path, "PIGEON_PORT": "0", "PIGEON_LOG_LEVEL": "notice",
        ]
        for run in 1...2 {
            let child = try PigeonProcess(environment: environment, logURL: directory.appendingPathComponent("serve-\(run).log"))
            _ = try await child.start()
            #expect(child.terminate() == 0)
            let log = try String(contentsOf: child.logURL, encoding: .utf8)
            #expect(log.contains("SANDBOX MODE"))
            let printedKey = log.range(of: #"pgn_[0-9a-f]{48}"#, options: .regularExpression) != nil
            #expect(printedKey == (run == 1), "the generated key must be printed at the first start only")
        }
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func jsonLogsKeepTheTextUnderMsgAndAMessagesIDUnderMessageID() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-json-\(UUID().uuidString)")
        let key = "json-log-key-0123456789abcdef"
        let environment = [
            "PIGEON_DATABASE_URL": directory.appendingPathComponent("p.sqlite").path, "PIGEON_PORT": "0", "PIGEON_LOG_FORMAT": "json",
            "PIGEON_API_KEY": key,
        ]
        let child = try PigeonProcess(environment: environment, logURL: directory.appendingPathComponent("serve.log"))
        let url = "http://127.0.0.1:\(try await child.start())"
        let text = { (try? String(contentsOf: child.logURL, encoding: .utf8)) ?? "" }
        let lines = {
            text().split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let sandbox = try #require(lines().first { ($0["msg"] as? String)?.hasPrefix("SANDBOX MODE") == true }, "\(text().prefix(2000))")
        let simulator = try #require(sandbox["simulator"] as? String)
        let client = JSONClient()
        let rule = try await client.call(
            .POST, simulator + "/_sim/rules", json: #"{"to": "+15550001111", "times": 1, "error": {"code": 131000, "http_status": 500}}"#,
            bearer: nil)
        #expect(rule.status == 201, "\(rule.text)")
        let sent = try await client.call(.POST, url + "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "hi"}}"#, bearer: key)
        let id = try #require(sent["id"] as? String, "\(sent.text)")
        try await eventually("the failed attempt logged") {
            lines().contains { $0["msg"] as? String == "attempt failed; message requeued" && $0["message_id"] as? String == id }
        }
        let line = try #require(lines().first { $0["message_id"] as? String == id && $0["msg"] as? String == "attempt failed; message requeued" })
        #expect(line["attempt"] as? String == "1" && line["sender"] as? String == "100000000000001", "\(line)")
        #expect(line["code"] as? String == "131000" && line["level"] as? String == "info" && line["ts"] is String, "\(line)")
        #expect(!text().contains(key), "the API key was logged")
        #expect(child.terminate() == 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
