import Foundation
import PigeonTestSupport
import Testing

/// Cloud API client libraries that no one here wrote (pywa and heyoo, from PyPI), pointed at a sandboxed
/// `pigeon serve` by changing only their base URL, send a text and a template message and get Meta's
/// shapes back. `.ci/run` installs them into `.build/python-clients`; elsewhere the test is skipped
/// unless `PIGEON_REQUIRE_CLIENT_LIBRARIES` is set, which makes their absence a failure.
@Suite struct ClientLibraryTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python: URL? = {
        let environment = ProcessInfo.processInfo.environment
        let candidate =
            environment["PIGEON_CLIENTS_PYTHON"].map(URL.init(fileURLWithPath:))
            ?? packageRoot.appendingPathComponent(".build/python-clients/bin/python")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }()
    static let required = ProcessInfo.processInfo.environment["PIGEON_REQUIRE_CLIENT_LIBRARIES"] != nil

    @Test(.enabled(if: python != nil || required, "pywa and heyoo are not installed (.ci/run installs them into .build/python-clients)"))
    func pywaAndHeyooSendThroughTheDropInEndpoint() async throws {
        let python = try #require(Self.python, "PIGEON_REQUIRE_CLIENT_LIBRARIES is set but .build/python-clients/bin/python is missing")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-clients-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = "client-library-key-0123456789"
        let child = try PigeonProcess(
            environment: [
                "PIGEON_DATABASE_URL": directory.appendingPathComponent("pigeon.sqlite").path, "PIGEON_API_KEY": key,
                "PIGEON_PORT": "0", "PIGEON_LOG_LEVEL": "notice",
            ], logURL: directory.appendingPathComponent("serve.log"))
        let port = try await child.start()

        let (status, text) = try PythonScript.run(
            python, "Tests/ClientLibraries/send_with_clients.py",
            environment: ["PIGEON_URL": "http://127.0.0.1:\(port)", "PIGEON_API_KEY": key, "PIGEON_PHONE_ID": "100000000000001"])
        #expect(status == 0, "\(text)")
        #expect(text.components(separatedBy: "\nok ").count + (text.hasPrefix("ok ") ? 1 : 0) >= 5, "\(text)")
        #expect(child.terminate() == 0)
    }
}
