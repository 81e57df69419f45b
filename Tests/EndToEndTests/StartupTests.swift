import Foundation
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
}
