import ArgumentParser

/// The `pigeon` command.
@main
struct Pigeon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pigeon: a durable WhatsApp delivery engine.",
        discussion: "Configuration comes from PIGEON_* environment variables (see the README); flags override them.",
        subcommands: [Serve.self, Simulate.self, Migrate.self, APIKey.self, CampaignCommand.self, Bench.self, BenchWebhooks.self],
        defaultSubcommand: Serve.self)
}
