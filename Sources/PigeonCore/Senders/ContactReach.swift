import Foundation

/// Whether a sender may message a recipient now, or the message must wait: a restricted sender (463,
/// reachout timelock) and one whose new-contact quota is used up still message contacts it has a chat with
/// (it received a message from them, or delivered one to them), but messages to new contacts wait for the
/// restriction or the cycle to end, on the same sender (the same content from the next number invites the
/// same restriction).
public enum ContactReach {
    /// How long a message to a new contact waits when the quota's cycle end is unknown.
    public static let unknownCycleWait: Duration = .seconds(3600)

    /// Whether the answer can depend on the recipient: only then need its chat history be looked up.
    public static func limits(_ sender: SenderRecord, now: Date) -> Bool {
        restriction(sender, now: now) != nil || sender.health.newContactQuota != nil
    }

    /// Why and until when a message from `sender` to a recipient must wait, or nil when it may go now.
    /// `knownContact`: the sender has a chat with the recipient; `newContactsSent`: new contacts this
    /// process messaged since the quota was last read from the bridge.
    public static func hold(_ sender: SenderRecord, knownContact: Bool, newContactsSent: Int, now: Date) -> (until: Date, cause: PigeonCause)? {
        guard !knownContact else { return nil }
        if let until = restriction(sender, now: now) { return (until, .senderRestricted) }
        if let quota = sender.health.newContactQuota, quota - newContactsSent <= 0 {
            let end = sender.health.quotaCycleEnd.flatMap { $0 > now ? $0 : nil } ?? now.adding(unknownCycleWait)
            return (end, .newContactQuotaUsed)
        }
        return nil
    }

    private static func restriction(_ sender: SenderRecord, now: Date) -> Date? {
        guard sender.health.status == .restricted, let until = sender.health.restrictedUntil, until > now else { return nil }
        return until
    }

    /// The form phone numbers are kept in for chat history: digits only (`+1 415…` and `1415…@c.us` match).
    public static func contactKey(_ phone: String) -> String {
        String(phone.prefix { $0 != "@" }.filter(\.isNumber))
    }
}
