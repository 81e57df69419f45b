import ArgumentParser
import PigeonServer

/// `pigeon migrate`: creates or upgrades the database schema and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let config = try options.load()
        let opened = try await PigeonRuntime.openStore(config)
        await opened.close()
        print("database ready: \(opened.location)")
    }
}
