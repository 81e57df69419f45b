import ArgumentParser
import PigeonServer

/// `pigeon serve`: runs the API and the engine.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API and the delivery engine (sandboxed when no Meta credentials are set).")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let config = try options.load()
        LogSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        try await PigeonRuntime.serve(config)
    }
}
