import ArgumentParser
import PigeonServer

/// `pigeon api-key`: prints the API key generated at first start.
struct APIKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key", abstract: "Print the API key Pigeon generated and stored in the database.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let config = try options.load()
        if config.apiKey != nil {
            print("PIGEON_API_KEY is set; Pigeon uses that key.")
            return
        }
        guard let key = try await PigeonRuntime.storedAPIKey(config) else {
            print("no key stored yet: `pigeon serve` generates one at first start")
            return
        }
        print(key)
    }
}
