import ArgumentParser
import Foundation
import NIOHTTP1

/// `pigeon campaign …`: campaigns on a running server, through its API.
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Create, import, start, watch and export campaigns on a running Pigeon.",
        discussion: "Talks to the API at --url with the key in PIGEON_API_KEY.",
        subcommands: [
            CampaignCreate.self, CampaignImport.self, CampaignStart.self, CampaignPause.self, CampaignResume.self, CampaignCancel.self,
            CampaignStatus.self, CampaignExport.self, CampaignList.self,
        ])
}

/// Where the server is.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's base URL.") var url = "http://127.0.0.1:8080"

    /// Runs `body` with a client for the server.
    func with<T>(_ body: (APIClient) async throws -> T) async throws -> T { try await APIClient.with(url: url, body) }
}

/// `pigeon campaign create`: a draft campaign; prints its id.
struct CampaignCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a campaign (a draft) and print its id.")

    @OptionGroup var client: ClientOptions
    @Option(help: "Its name.") var name: String
    @Option(help: "The message as JSON (without \"to\"), or @file with it; {{variable}} placeholders are filled per recipient.")
    var message: String
    @Option(help: "The sender every message goes from.") var senderId: String?
    @Option(help: "The pool the messages go to (default: default).") var senderPool: String?
    @Option(help: "Most sends per local day (default: the sender's messaging tier).") var dailySendLimit: Int?
    @Option(help: "The first day it sends, yyyy-MM-dd (default: today).") var startDate: String?
    @Option(help: "The IANA time zone its days and window are in (default: UTC).") var timeZone: String?
    @Option(help: "Local sending hours, HH:MM-HH:MM, such as 09:00-18:00.") var window: String?
    @Option(help: "Later days that may retry a failed recipient (default: 3).") var maxRetries: Int?

    func run() async throws {
        var body: [String: Any] = ["name": name, "message": try Self.message(message)]
        body["sender_id"] = senderId
        body["sender_pool"] = senderPool
        body["daily_send_limit"] = dailySendLimit
        body["start_date"] = startDate
        body["time_zone"] = timeZone
        body["max_retries"] = maxRetries
        if let window {
            let parts = window.split(separator: "-").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--window takes HH:MM-HH:MM, such as 09:00-18:00") }
            body["send_window"] = ["from": parts[0], "to": parts[1]]
        }
        let campaign = try await client.with { try await $0.json(.POST, "/v1/campaigns", body: body) }
        print(campaign["id"] as? String ?? "")
        FileHandle.standardError.write(
            Data(
                "created a \(campaign["status"] ?? "draft") campaign: \(campaign["daily_send_limit"] ?? "?") a day from \(campaign["start_date"] ?? "?") (\(campaign["time_zone"] ?? "UTC"))\n"
                    .utf8))
    }

    /// The message object from JSON text or `@file`.
    static func message(_ text: String) throws -> Any {
        var data = Data(text.utf8)
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read --message file \(path)") }
            data = contents
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), object is [String: Any] else {
            throw ValidationError(#"--message must be a JSON object, such as {"type": "text", "text": {"body": "Hi {{name}}"}}"#)
        }
        return object
    }
}

/// `pigeon campaign import ID FILE`: streams a CSV (or JSON) file of recipients with a progress bar.
struct CampaignImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import recipients from a CSV file (a phone column and one per variable) or a JSON file.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
    @Argument(help: "The file: .csv, or .json with {\"recipients\": [...]}.") var file: String

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int else {
            throw ValidationError("cannot read \(file)")
        }
        let progress = ImportProgress(total: size)
        let type = url.pathExtension.lowercased() == "json" ? "application/json" : "text/csv"
        let answer = try await client.with { api in
            try await api.upload("/v1/campaigns/\(id)/recipients", file: url, contentType: type, progress: { progress.sent($0) })
        }
        progress.finish()
        print("added \(answer["added"] ?? 0), duplicates \(answer["duplicates"] ?? 0), invalid \(answer["invalid_count"] ?? 0)")
        for problem in (answer["invalid"] as? [[String: Any]] ?? []).prefix(20) {
            print("  line \(problem["line"] ?? "?"): \(problem["error"] ?? "")")
        }
    }
}

/// `pigeon campaign start|pause|resume|cancel ID`: one operator action, named by the command.
protocol CampaignActionCommand: AsyncParsableCommand {
    var client: ClientOptions { get }
    var id: String { get }
}

extension CampaignActionCommand {
    func run() async throws {
        let (verb, id) = (Self.configuration.commandName ?? "", id)
        let campaign = try await client.with { try await $0.json(.POST, "/v1/campaigns/\(id)/\(verb)") }
        print("\(id): \(campaign["status"] ?? "?")")
    }
}

/// `pigeon campaign start ID`.
struct CampaignStart: CampaignActionCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a draft campaign.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
}

/// `pigeon campaign pause ID`.
struct CampaignPause: CampaignActionCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a campaign.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
}

/// `pigeon campaign resume ID`.
struct CampaignResume: CampaignActionCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused campaign.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
}

/// `pigeon campaign cancel ID`.
struct CampaignCancel: CampaignActionCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a campaign: what is pending is skipped.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
}

/// `pigeon campaign export ID`: every recipient as CSV.
struct CampaignExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write every recipient (status, attempts, failure, message ids) as CSV.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
    @Option(name: .shortAndLong, help: "The file to write (default: standard output).") var output: String?

    func run() async throws {
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) else {
                throw ValidationError("cannot write \(output)")
            }
            handle = file
        } else {
            handle = .standardOutput
        }
        try await client.with { try await $0.download("/v1/campaigns/\(id)/recipients.csv", to: handle) }
        if output != nil { try handle.close() }
    }
}

/// `pigeon campaign list`.
struct CampaignList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List campaigns, newest first.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.with { api in
            var cursor: String?
            repeat {
                let page = try await api.json(.GET, "/v1/campaigns?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""))
                for campaign in page["campaigns"] as? [[String: Any]] ?? [] {
                    print("\(campaign["id"] ?? "")  \(campaign["status"] ?? "")  \(campaign["name"] ?? "")")
                }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
        }
    }
}
