import Foundation
import Testing

/// A `pigeon serve` child process with its own environment; its log goes to a file.
final class PigeonProcess {
    let process = Process()
    let logURL: URL
    private(set) var port: Int?

    /// The `pigeon` binary next to the test bundle (built by `swift test`), or `PIGEON_BINARY`.
    static func binary() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["PIGEON_BINARY"] { return URL(fileURLWithPath: explicit) }
        let candidates =
            [CommandLine.arguments.first, Bundle.main.executablePath].compactMap { $0 }.map {
                URL(fileURLWithPath: $0).deletingLastPathComponent()
            } + [Bundle.main.bundleURL.deletingLastPathComponent()]
        for directory in candidates {
            let url = directory.appendingPathComponent("pigeon")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw BinaryMissing(searched: candidates.map(\.path))
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "the pigeon binary was not found in \(searched); run `swift build` or set PIGEON_BINARY" }
    }

    init(environment: [String: String], logURL: URL) throws {
        self.logURL = logURL
        process.executableURL = try Self.binary()
        process.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PIGEON_") }
        env.merge(environment) { $1 }
        process.environment = env
        try FileManager.default.createDirectory(at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Files a server makes relative to its working directory (a generated secret key) stay with the test.
        process.currentDirectoryURL = logURL.deletingLastPathComponent()
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
    }

    /// Starts the process and waits (up to `timeout`) until it logs the port it listens on.
    func start(timeout: Duration = .seconds(60)) async throws -> Int {
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").last(where: { $0.contains("Pigeon listening on http://") }),
                let range = line.range(of: #"listening on http://127\.0\.0\.1:([0-9]+)"#, options: .regularExpression)
            {
                port = Int(line[range].split(separator: ":").last!)
                return port!
            }
            guard process.isRunning else { throw StartFailed(log: log) }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill()
        throw StartFailed(log: "no listening line within \(timeout)")
    }

    struct StartFailed: Error, CustomStringConvertible {
        let log: String
        var description: String { "pigeon serve did not start:\n\(log.suffix(3000))" }
    }

    /// A child is never left running, whatever path the test takes.
    deinit {
        if process.isRunning { kill() }
    }

    /// SIGKILL: no cleanup of any kind.
    func kill() {
        sendSignal(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

#if canImport(Glibc)
import Glibc
private func sendSignal(_ pid: Int32, _ signal: Int32) { _ = Glibc.kill(pid, signal) }
#else
import Darwin
private func sendSignal(_ pid: Int32, _ signal: Int32) { _ = Darwin.kill(pid, signal) }
#endif
