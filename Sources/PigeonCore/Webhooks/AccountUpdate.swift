import Foundation

/// A Cloud API webhook about a business account or its numbers rather than a message
/// (shared/whatsapp-web-bridges.md §D.3): `account_update` (a violation, a ban, a restriction, a
/// reinstatement), `phone_number_quality_update` and `business_capability_update`. Each makes Pigeon read the
/// health of the account's numbers again at once; a ban (`DISABLED_UPDATE` with a `waba_ban_state` of
/// `DISABLE` or `SCHEDULE_FOR_DISABLE`) takes the account's numbers out of sending before that.
public struct AccountUpdate: Sendable, Hashable {
    /// The webhook's `field`.
    public var field: String
    /// The WhatsApp Business Account (`entry.id`).
    public var wabaID: String?
    /// `value.event`, such as `DISABLED_UPDATE` or `ACCOUNT_RESTRICTION`.
    public var event: String?
    /// `value.ban_info.waba_ban_state`, for a ban.
    public var banState: String?

    /// The fields read as account updates.
    public static let fields: Set<String> = ["account_update", "phone_number_quality_update", "business_capability_update"]

    public init(field: String, wabaID: String?, event: String?, banState: String?) {
        self.field = field
        self.wabaID = wabaID
        self.event = event
        self.banState = banState
    }

    /// What it means for each of the account's numbers before their health is read again: a ban, or nothing.
    public var senderEvent: SenderEvent? {
        guard event == "DISABLED_UPDATE", let state = banState, ["DISABLE", "SCHEDULE_FOR_DISABLE"].contains(state) else { return nil }
        return .banned(reason: "Meta reports the business account is banned (account_update DISABLED_UPDATE, \(state))")
    }
}
