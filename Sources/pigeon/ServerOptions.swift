import ArgumentParser
import Foundation
import PigeonServer

/// Flags that mirror the most used environment variables.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (PIGEON_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (PIGEON_PORT, default 8080; 0 picks a free one).")
    var port: Int?
    @Option(name: .customLong("database-url"), help: "SQLite file path or sqlite:///abs/path (PIGEON_DATABASE_URL).")
    var databaseURL: String?

    /// The environment with the flags applied, parsed; exits with the message on invalid values.
    func load() throws -> ServerConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if let host { environment["PIGEON_HOST"] = host }
        if let port { environment["PIGEON_PORT"] = String(port) }
        if let databaseURL { environment["PIGEON_DATABASE_URL"] = databaseURL }
        do {
            return try ServerConfiguration.load(environment: environment)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }
}
