/// Meta's verdict on a message template (`message_template_status_update`: approved, paused, disabled,
/// reinstated …), which pauses or resumes the campaigns sending it (`CampaignBrakes.verdict`).
public struct TemplateStatusUpdate: Sendable, Hashable {
    /// The field these webhooks come in.
    public static let field = "message_template_status_update"
    /// `value.message_template_name`.
    public var name: String
    /// `value.message_template_language`.
    public var language: String?
    /// `value.event`, such as `PAUSED` or `REINSTATED`.
    public var event: String
    /// `value.reason`, when Meta gives one.
    public var reason: String?

    public init(name: String, language: String?, event: String, reason: String?) {
        self.name = name
        self.language = language
        self.event = event
        self.reason = reason
    }

    /// The update a webhook change's `value` carries, or nil when it lacks a name or an event.
    public init?(value: [String: Any]) {
        guard let name = value["message_template_name"] as? String, let event = value["event"] as? String else { return nil }
        self.init(name: name, language: value["message_template_language"] as? String, event: event, reason: value["reason"] as? String)
    }
}
