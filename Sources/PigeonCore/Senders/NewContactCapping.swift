import Foundation

/// WhatsApp's quota of new chats for a web session (WAHA `me.messageCapping`, shared/whatsapp-web-bridges.md
/// §A.7): how close the account is to the number of new contacts it may message in the current cycle.
public struct NewContactCapping: Sendable, Hashable {
    /// `NONE`, `FIRST_WARNING`, `SECOND_WARNING` or `CAPPED` (new chats blocked).
    public var status: String
    /// The cycle's quota; -1 for no cap.
    public var totalQuota: Int
    /// New chats used in the cycle.
    public var usedQuota: Int
    /// When the cycle ends.
    public var cycleEnd: Date?

    public init(status: String, totalQuota: Int, usedQuota: Int, cycleEnd: Date?) {
        self.status = status
        self.totalQuota = totalQuota
        self.usedQuota = usedQuota
        self.cycleEnd = cycleEnd
    }

    /// How many new contacts may still be messaged this cycle: none when `CAPPED`, no limit (nil) when the
    /// quota is -1, else what is left of it.
    public var remaining: Int? {
        if status == "CAPPED" { return 0 }
        if totalQuota < 0 { return nil }
        return max(0, totalQuota - usedQuota)
    }
}
