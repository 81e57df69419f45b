/// How a sender reaches WhatsApp.
public enum SenderKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A phone number of Meta's Cloud API (`id` is Meta's phone number id).
    case cloudAPI = "cloud_api"
    /// A WhatsApp Web session run by a bridge (WAHA), paired by QR code.
    case webSession = "web_session"

    /// Message types a web session sends (WAHA's sendText, sendImage, sendVideo, sendFile, sendVoice; media
    /// by `link`); templates, interactive messages and the rest need a Cloud API number.
    public static let webSessionTypes: Set<String> = ["text", "image", "video", "document", "audio"]

    /// What a sender-level failure of one of its sends means for a sender of this kind: a Cloud API number
    /// is paused (an expired token, a locked account: a human or a new token resumes it); a web session whose
    /// bridge refused the send (not `WORKING`, a refused key, no such session) is a drop that does not count:
    /// it goes on the reconnect schedule and its health check brings it back.
    public func event(forSenderError code: Int?, title: String) -> SenderEvent {
        switch self {
        case .cloudAPI: .senderError(code: code ?? 0, title: title)
        case .webSession: .dropped(reason: "the bridge refused a send: \(title)")
        }
    }

    /// Whether a sender of this kind can ever send a message that `needs` this.
    public func serves(_ needs: MessageNeeds) -> Bool {
        switch self {
        case .cloudAPI: true
        case .webSession: needs.webSendable
        }
    }
}
