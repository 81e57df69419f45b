import Foundation
import Testing

/// `pigeon campaign …` as a user runs it against a sandbox `pigeon serve`: create, import with progress,
/// start, status, export, and the server's refusals printed with a failing exit status.
@Suite struct CampaignCLITests {
    static let key = "cli-test-key-0123456789abcdef"

    /// Runs `pigeon` with `arguments` to its exit; returns the status, standard output and standard error.
    static func pigeon(_ arguments: [String], key: String? = key) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try PigeonProcess.binary()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PIGEON_") }
        environment["PIGEON_API_KEY"] = key
        process.environment = environment
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    @Test func aCampaignIsCreatedImportedStartedWatchedAndExportedFromTheCommandLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-cli-\(UUID().uuidString)")
        let server = try PigeonProcess(
            environment: [
                "PIGEON_DATABASE_URL": directory.appendingPathComponent("p.sqlite").path, "PIGEON_PORT": "0", "PIGEON_API_KEY": Self.key,
                "PIGEON_LOG_LEVEL": "notice",
            ],
            logURL: directory.appendingPathComponent("serve.log"))
        let port = try await server.start()
        defer { _ = server.terminate() }
        let url = "--url=http://127.0.0.1:\(port)"

        let created = try Self.pigeon([
            "campaign", "create", url, "--name", "cli", "--message", #"{"type": "text", "text": {"body": "Hi {{name}}"}}"#,
            "--daily-send-limit", "100", "--time-zone", "Europe/Berlin", "--window", "00:00-24:00",
        ])
        #expect(created.status == 0, "\(created.err)")
        let id = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("cmp_"), "create printed \(created.out)")
        #expect(created.err.contains("100 a day"), "\(created.err)")

        let csv = directory.appendingPathComponent("recipients.csv")
        let rows = (0..<2500).map { "+1555400\(String(format: "%04d", $0)),Person \($0)\n" }.joined()
        try Data(("phone,name\n" + rows + "not-a-number,X\n+15554000001,again\n").utf8).write(to: csv)
        let imported = try Self.pigeon(["campaign", "import", url, id, csv.path])
        #expect(imported.status == 0, "\(imported.err)")
        #expect(imported.out.contains("added 2500, duplicates 1, invalid 1"), "\(imported.out)")
        #expect(imported.out.contains("line 2502"), "the invalid row's line was not shown: \(imported.out)")
        #expect(imported.err.contains("100%") && imported.err.contains("rows/s"), "no progress shown: \(imported.err)")

        let started = try Self.pigeon(["campaign", "start", url, id])
        #expect(started.status == 0 && started.out.contains("scheduled"), "\(started.out) \(started.err)")
        let status = try Self.pigeon(["campaign", "status", url, id])
        #expect(status.status == 0, "\(status.err)")
        #expect(status.out.contains("recipients 2,500"), "\(status.out)")
        #expect(status.out.contains("today") && status.out.contains("/100"), "\(status.out)")

        let exported = directory.appendingPathComponent("export.csv")
        let export = try Self.pigeon(["campaign", "export", url, id, "--output", exported.path])
        #expect(export.status == 0, "\(export.err)")
        let lines = try String(contentsOf: exported, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2501 && lines[0].hasPrefix("phone,status"), "\(lines.prefix(2))")

        #expect(try Self.pigeon(["campaign", "pause", url, id]).status == 0)
        let again = try Self.pigeon(["campaign", "pause", url, id])
        #expect(again.status != 0 && again.err.contains("cannot pause") && again.err.contains("409"), "\(again.err)")
        let list = try Self.pigeon(["campaign", "list", url])
        #expect(list.out.contains("\(id)  paused  cli"), "\(list.out)")

        let unknown = try Self.pigeon(["campaign", "status", url, "cmp_nope"])
        #expect(unknown.status != 0 && unknown.err.contains("404"), "\(unknown.err)")
        let keyless = try Self.pigeon(["campaign", "list", url], key: nil)
        #expect(keyless.status != 0 && keyless.err.contains("PIGEON_API_KEY"), "\(keyless.err)")
        let away = try Self.pigeon(["campaign", "list", "--url=http://127.0.0.1:9"])
        #expect(away.status != 0 && away.err.contains("cannot reach Pigeon"), "\(away.err)")
    }
}
