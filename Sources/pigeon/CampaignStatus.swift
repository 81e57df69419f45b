import ArgumentParser
import Foundation

/// `pigeon campaign status ID [--watch]`: the campaign's counters, once or refreshed until interrupted.
struct CampaignStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print a campaign's status and counters; with --watch, refresh them until interrupted.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The campaign's id.") var id: String
    @Flag(help: "Refresh until interrupted (Ctrl-C).") var watch = false
    @Option(help: "Seconds between refreshes with --watch.") var every: Double = 2

    func run() async throws {
        guard every > 0 else { throw ValidationError("--every must be more than 0 seconds") }
        let (watch, every, id) = (watch, every, id)
        try await client.with { api in
            repeat {
                let text = Self.render(try await api.json(.GET, "/v1/campaigns/\(id)"))
                // With --watch, the screen is cleared and redrawn in place.
                print(watch ? "\u{1B}[H\u{1B}[2J" + text : text)
                fflush(nil)
                if watch { try await Task.sleep(for: .seconds(every)) }
            } while watch
        }
    }

    /// The counters as a few lines of text.
    static func render(_ campaign: [String: Any]) -> String {
        func number(_ key: String) -> Int { campaign[key] as? Int ?? 0 }
        let total = number("recipients")
        let done = ["sent", "delivered", "read"].reduce(0) { $0 + number($1) }
        var lines = [
            "\(campaign["id"] ?? "")  \(campaign["name"] ?? "")  \(campaign["status"] ?? "")",
            "recipients \(ImportProgress.grouped(total))  "
                + ["pending", "sending", "sent", "delivered", "read", "failed", "skipped"].map { "\($0) \(ImportProgress.grouped(number($0)))" }
                .joined(separator: "  "),
            "reached \(total > 0 ? done * 100 / total : 0)%  retries scheduled \(number("retries_scheduled"))  today \(number("sent_today"))/\(number("daily_send_limit")) (remaining \(number("remaining_today")))",
        ]
        if let reason = campaign["pause_reason"] as? String { lines.append("paused: \(reason)") }
        let codes = (campaign["failed_by_error_code"] as? [[String: Any]] ?? []).map { entry in
            let code = (entry["error_code"] as? Int).map(String.init) ?? "none"
            return "\(code) ×\(entry["count"] ?? 0)"
        }
        if !codes.isEmpty { lines.append("failed by error code: " + codes.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
