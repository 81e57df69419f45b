import ArgumentParser
import Hummingbird
import Logging
import MetaSimulator
import PigeonServer

/// `pigeon simulate`: runs the fake Graph API on its own.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fake of Meta's Graph API for tests and demos (control API under /_sim).")

    @Option(help: "Port to listen on.")
    var port: Int = 18090
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    func run() async throws {
        LogSetup.bootstrap(format: .text, level: "info")
        let logger = Logger(label: "pigeon.simulator")
        let app = MetaSimulator().application(host: host, port: port, logger: logger) { port in
            logger.notice("simulator listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
