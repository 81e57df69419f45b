/// Meta's signals that stop a whole campaign rather than one recipient: the one rule deciding when a
/// campaign pauses itself (the README shows this table). A template Meta paused or disabled fails every
/// recipient the same way, and a number Meta restricted for spam should not be pushed harder; the campaign
/// pauses with the reason shown, and what failed that way is sent again when it resumes.
public struct CampaignBrakes: Sendable, Hashable {
    /// What a brake code is about.
    public enum Scope: String, Sendable, Hashable {
        /// The campaign's template: seen as recipients failing with the code. Meta reinstating the
        /// template resumes the campaign.
        case template
        /// The number sending it: seen as its sender paused with the code.
        case sender
    }

    /// One brake: why the campaign stopped, for people.
    public struct Brake: Sendable, Hashable {
        public var code: Int
        public var scope: Scope
        public var reason: String

        public init(code: Int, scope: Scope, reason: String) {
            self.code = code
            self.scope = scope
            self.reason = reason
        }

        /// The campaign's `pause_reason`: the code, then what happened.
        public var pauseReason: String { "\(code): \(reason)" }
    }

    public var brakes: [Int: Brake]

    public init(_ brakes: [Brake]) {
        self.brakes = Dictionary(uniqueKeysWithValues: brakes.map { ($0.code, $0) })
    }

    /// The brakes Pigeon uses.
    public static let standard = CampaignBrakes([
        Brake(code: 132015, scope: .template, reason: "Meta paused the template for low quality"),
        Brake(code: 132016, scope: .template, reason: "Meta disabled the template"),
        Brake(code: 131048, scope: .sender, reason: "Meta restricted the number for spam"),
    ])

    /// The codes of one scope.
    public func codes(_ scope: Scope) -> Set<Int> { Set(brakes.values.filter { $0.scope == scope }.map(\.code)) }

    /// The brake for `code`, or nil when that code does not stop a campaign.
    public func brake(code: Int?) -> Brake? { code.flatMap { brakes[$0] } }

    /// What Meta's verdict on a template (a `message_template_status_update` event) means for the
    /// campaigns sending it.
    public enum TemplateVerdict: Sendable, Hashable {
        /// Stop them, as the brake with this code does.
        case stop(code: Int)
        /// Resume the ones a template brake paused.
        case reinstated
    }

    /// The verdict an event carries, or nil for one that changes nothing here.
    public static func verdict(_ event: String) -> TemplateVerdict? {
        switch event.uppercased() {
        case "PAUSED": .stop(code: 132015)
        case "DISABLED": .stop(code: 132016)
        case "APPROVED", "REINSTATED": .reinstated
        default: nil
        }
    }
}
