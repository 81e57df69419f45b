/// Which failures a later day of a campaign may fix: the one rule deciding whether a failed recipient is
/// retried (the README shows this table). Everything else (a missing template, an invalid parameter, a
/// number that is not on WhatsApp) is a fault in the message or the list: the recipient stays `failed` and
/// is counted by error code, so the operator fixes it once and re-arms the ones it hit.
public struct CampaignRetryRule: Sendable, Hashable {
    /// Error codes a later day may get past, with why.
    public var codes: [Int: String]
    /// Error classes a later day may get past.
    public var classes: Set<ErrorClass>
    /// Failure reasons a later day may get past.
    public var reasons: Set<FailureReason>

    public init(codes: [Int: String], classes: Set<ErrorClass>, reasons: Set<FailureReason>) {
        self.codes = codes
        self.classes = classes
        self.reasons = reasons
    }

    /// The rule Pigeon uses.
    public static let standard = CampaignRetryRule(
        codes: [
            131049: "Meta's per-user marketing limit (\"healthy ecosystem\"): Meta says wait at least 24 h",
            131026: "undeliverable now (the phone may be off, out of date or not accept the message yet)",
            131047: "the customer-service window closed: a later day's template send may still go",
        ],
        classes: [.transient, .throttled, .inDoubt, .pairLimited],
        reasons: [.retriesExhausted])

    /// Whether a later day may retry a recipient whose message failed this way.
    public func allows(code: Int?, errorClass: ErrorClass?, reason: FailureReason?) -> Bool {
        if let code, codes[code] != nil { return true }
        if let errorClass, classes.contains(errorClass) { return true }
        if let reason, reasons.contains(reason) { return true }
        return false
    }

    /// The rule as a SQL condition over a recipient row's `error_code`, `error_class` and `failure_reason`
    /// (every value is Pigeon's own: nothing from a request is inlined), for the stores.
    public var sqlCondition: String {
        var terms: [String] = []
        if !codes.isEmpty { terms.append("error_code IN (\(codes.keys.sorted().map(String.init).joined(separator: ", ")))") }
        if !classes.isEmpty { terms.append("error_class IN (\(classes.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))") }
        if !reasons.isEmpty { terms.append("failure_reason IN (\(reasons.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))") }
        return terms.isEmpty ? "FALSE" : "(" + terms.joined(separator: " OR ") + ")"
    }

    /// The SQL condition for a recipient row a later day retries: failed, retries left, and a failure this
    /// rule lets another day try.
    public var sqlRetryable: String { "status = 'failed' AND sends <= max_retries AND \(sqlCondition)" }
}
