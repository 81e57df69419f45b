import Foundation

/// Runs one of the repository's Python scripts (under `Tests/`) with the clients' interpreter and extra
/// environment, to its end; returns its exit status and everything it printed.
enum PythonScript {
    static func run(_ python: URL, _ path: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let script = Process()
        script.executableURL = python
        script.arguments = [ClientLibraryTests.packageRoot.appendingPathComponent(path).path]
        script.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        script.standardOutput = output
        script.standardError = output
        try script.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        return (script.terminationStatus, text)
    }
}
