/// How a sender reaches WhatsApp.
public enum SenderKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A phone number of Meta's Cloud API (`id` is Meta's phone number id).
    case cloudAPI = "cloud_api"
    /// A WhatsApp Web session run by a bridge (WAHA), paired by QR code.
    case webSession = "web_session"

    /// Message types a web session sends (WAHA's sendText, sendImage, sendVideo, sendFile); templates,
    /// interactive messages and the rest need a Cloud API number.
    public static let webSessionTypes: Set<String> = ["text", "image", "video", "document", "audio"]

    /// Whether a sender of this kind can ever send a message of Meta's `type`.
    public func sends(type: String) -> Bool {
        switch self {
        case .cloudAPI: true
        case .webSession: Self.webSessionTypes.contains(type)
        }
    }
}
