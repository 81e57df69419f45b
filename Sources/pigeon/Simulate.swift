import ArgumentParser
import Foundation
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
    @Option(
        name: .customLong("webhook-url"), help: "Report sent, delivered and read by webhook to this URL (e.g. http://127.0.0.1:8080/webhooks/meta).")
    var webhookURL: String?
    @Option(name: .customLong("webhook-secret"), help: "The app secret the webhooks are signed with (default: PIGEON_META_APP_SECRET).")
    var webhookSecret: String?

    func run() async throws {
        LogSetup.bootstrap(format: .text, level: "info")
        let logger = Logger(label: "pigeon.simulator")
        let simulator = MetaSimulator(logger: logger)
        if let webhookURL {
            guard let secret = webhookSecret ?? ProcessInfo.processInfo.environment["PIGEON_META_APP_SECRET"] else {
                throw ValidationError("--webhook-url needs --webhook-secret (or PIGEON_META_APP_SECRET) to sign the webhooks")
            }
            simulator.sendWebhooks(SimulatorWebhooks(url: webhookURL, secret: secret))
        }
        let app = simulator.application(host: host, port: port, logger: logger) { port in
            logger.notice("simulator listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
