/// WAHA's HTTP errors (shared/whatsapp-web-bridges.md §A.6, §A.5), as data: which `PigeonCause` each answer
/// of a bridge is. WAHA has no error codes of its own, so a rule matches the HTTP status and, where it
/// says so, a text in the body; rules are tried in order and the first that matches wins.
public struct BridgeErrorRule: Sendable, Hashable {
    /// The HTTP statuses the rule applies to.
    public var statuses: ClosedRange<Int>
    /// When set, the body must contain this text (case-insensitive).
    public var bodyContains: String?
    /// The cause the answer is.
    public var cause: PigeonCause

    public init(_ statuses: ClosedRange<Int>, bodyContains: String? = nil, _ cause: PigeonCause) {
        self.statuses = statuses
        self.bodyContains = bodyContains
        self.cause = cause
    }
}

extension ErrorTable {
    /// WAHA's answers, most specific first.
    public static let waha: [BridgeErrorRule] = [
        // GOWS fails the send itself: 500 {"exception":{"message":"2 UNKNOWN: server returned error 463"}}.
        BridgeErrorRule(400...599, bodyContains: "error 463", .bridgeRestricted),
        BridgeErrorRule(400...599, bodyContains: "account_restricted", .bridgeRestricted),
        // "Session status is not as expected. Try again later or restart the session" (not WORKING after 5 s).
        BridgeErrorRule(422...422, .bridgeSessionNotReady),
        BridgeErrorRule(401...401, .bridgeUnauthorized),
        BridgeErrorRule(403...403, .bridgeUnauthorized),
        BridgeErrorRule(404...404, .bridgeSessionNotFound),
        BridgeErrorRule(400...499, .bridgeRejected),
        BridgeErrorRule(500...599, .bridgeServerError),
    ]

    /// The cause of a bridge's answer `status` with `body` (a server error when no rule matches).
    public static func wahaCause(status: Int, body: String) -> PigeonCause {
        let lowered = body.lowercased()
        let rule = waha.first { rule in
            rule.statuses.contains(status) && (rule.bodyContains.map { lowered.contains($0.lowercased()) } ?? true)
        }
        return rule?.cause ?? .bridgeServerError
    }

    /// Error codes a WhatsApp Web bridge reports in a `message.ack` error (`error.code`), which Pigeon turns
    /// into a `failed` status like Meta's: not Meta codes (Meta has no 463), added to the table the webhook
    /// path classifies with.
    public static let webAckCodes: [Int: [ErrorRule]] = [
        463: [ErrorRule(.restricted, "Account restricted from new contacts (reachout timelock)")]
    ]

    /// A copy with `rules` added for codes the table does not name yet (an override of the same code wins).
    public func adding(_ extra: [Int: [ErrorRule]]) -> ErrorTable {
        overriding(extra.filter { rules[$0.key] == nil })
    }
}
