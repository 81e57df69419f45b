/// What a message asks of the sender that sends it: its type, and whether a web session can send it as
/// written (text, and media given by `link`; media given by Meta's `id` or a media library `media_key`
/// needs a Cloud API number). Nothing is parsed until a web session is asked.
public struct MessageNeeds: Sendable {
    /// Meta's message type.
    public var type: String
    /// The message object.
    public var payload: String

    public init(type: String, payload: String) {
        self.type = type
        self.payload = payload
    }

    /// Whether a web session can send it.
    public var webSendable: Bool {
        SenderKind.webSessionTypes.contains(type) && (type == "text" || WebSessionMessage.make(payload: payload, session: "") != nil)
    }
}
