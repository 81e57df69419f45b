import Foundation
import PigeonCore

/// What each portfolio's messaging tier still allows during one look of the campaign scheduler: its limit
/// minus the different numbers its campaign messages went to in the last 24 h, read from the store once
/// per portfolio and lowered by every send the look queues.
struct PortfolioBudgets {
    let portfolios: [String: Portfolio]
    let store: any CampaignStore
    let since: Date
    var remaining: [String: Int] = [:]

    init(senders: [SenderRecord], store: any CampaignStore, now: Date) {
        self.portfolios = Portfolio.group(senders)
        self.store = store
        self.since = now.addingTimeInterval(-Portfolio.window)
    }

    /// The least any of `keys` still allows, or nil when none of them has a known limit.
    mutating func remaining(_ keys: Set<String>) async throws -> Int? {
        var least: Int?
        for key in keys {
            guard let portfolio = portfolios[key], let limit = portfolio.limit else { continue }
            if remaining[key] == nil {
                remaining[key] = max(0, limit - (try await store.campaignReach(senders: portfolio.senders, since: since)))
            }
            least = min(least ?? .max, remaining[key]!)
        }
        return least
    }

    /// Counts `count` sends against each of `keys`.
    mutating func spend(_ count: Int, in keys: Set<String>) {
        for key in keys where remaining[key] != nil { remaining[key]! -= count }
    }
}
