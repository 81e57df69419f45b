import Foundation

/// A business portfolio as campaigns see it: the Cloud API numbers that share one messaging tier's budget
/// of unique recipients per moving 24 h. Numbers are grouped by `portfolio_id`, else by `waba_id`, else
/// each stands alone; web sessions have no tier (their bridge's new-chat cap paces them instead).
public struct Portfolio: Sendable, Hashable {
    /// `portfolio:<id>`, `waba:<id>` or `sender:<id>`.
    public var key: String
    /// The ids of its numbers.
    public var senders: [String]
    /// Unique recipients per moving 24 h, from the highest tier any of its numbers reports; nil when none
    /// reports one (no shared budget then).
    public var limit: Int?

    /// The span Meta's tier counts unique recipients over.
    public static let window: TimeInterval = 24 * 3600

    /// The portfolio key of `sender`, or nil for a web session.
    public static func key(of sender: SenderRecord) -> String? {
        guard sender.kind == .cloudAPI else { return nil }
        if let id = sender.settings.portfolioID { return "portfolio:\(id)" }
        if let id = sender.settings.wabaID { return "waba:\(id)" }
        return "sender:\(sender.id)"
    }

    /// `senders` grouped into portfolios, by key.
    public static func group(_ senders: [SenderRecord]) -> [String: Portfolio] {
        var portfolios: [String: Portfolio] = [:]
        for sender in senders {
            guard let key = key(of: sender) else { continue }
            var portfolio = portfolios[key] ?? Portfolio(key: key, senders: [], limit: nil)
            portfolio.senders.append(sender.id)
            if let limit = MessagingTier.dailyRecipients(sender.numberHealth.messagingLimit) {
                portfolio.limit = max(portfolio.limit ?? 0, limit)
            }
            portfolios[key] = portfolio
        }
        return portfolios
    }
}
