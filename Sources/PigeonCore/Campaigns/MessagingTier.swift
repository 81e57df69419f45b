/// Meta's messaging tiers: how many unique customers a business may start conversations with in a moving
/// 24 hours, as the health check reads them (`whatsapp_business_manager_messaging_limit`).
public enum MessagingTier {
    /// Unique recipients a day for each tier Meta names.
    public static let recipients: [String: Int] = [
        "TIER_50": 50, "TIER_250": 250, "TIER_1K": 1000, "TIER_2K": 2000, "TIER_10K": 10_000, "TIER_100K": 100_000,
        "TIER_UNLIMITED": SenderLimits.maxDailyCap,
    ]

    /// The daily recipients `tier` allows; nil when it is unknown.
    public static func dailyRecipients(_ tier: String?) -> Int? { tier.flatMap { recipients[$0] } }
}
