/// The data table from Meta error code to `ErrorRule`, built from Meta's error-code reference.
///
/// Lookup order: rules for the exact code (a rule with `detailsContains` first, when the details match),
/// then code ranges, else `nil` (the classifier treats unknown codes as transient).
public struct ErrorTable: Sendable {
    /// Rules by exact code; several rules for one code are tried in order.
    public private(set) var rules: [Int: [ErrorRule]]
    /// Rules for ranges of codes, tried after exact codes.
    public private(set) var ranges: [(range: ClosedRange<Int>, rule: ErrorRule)]

    public init(rules: [Int: [ErrorRule]], ranges: [(range: ClosedRange<Int>, rule: ErrorRule)] = []) {
        self.rules = rules
        self.ranges = ranges
    }

    /// The rule for `code` with these `details`, or `nil` when the table does not know the code.
    public func rule(code: Int, details: String?) -> ErrorRule? {
        if let candidates = rules[code] {
            let lowered = details?.lowercased()
            if let specific = candidates.first(where: { rule in
                guard let needle = rule.detailsContains?.lowercased(), let lowered else { return false }
                return lowered.contains(needle)
            }) {
                return specific
            }
            if let general = candidates.first(where: { $0.detailsContains == nil }) { return general }
        }
        return ranges.first(where: { $0.range.contains(code) })?.rule
    }

    /// A copy where each code in `overrides` is replaced by the given rules.
    public func overriding(_ overrides: [Int: [ErrorRule]]) -> ErrorTable {
        var copy = self
        for (code, rules) in overrides { copy.rules[code] = rules }
        return copy
    }

    /// Every code the table names exactly.
    public var codes: [Int] { rules.keys.sorted() }
}
