/// Where a web session is reached: its WAHA bridge's base URL and API key, the session's name, and whether
/// a typing indicator goes before each message.
public struct BridgeEndpoint: Sendable, Hashable {
    public var baseURL: String
    public var apiKey: String?
    public var session: String
    public var typing: Bool

    public init(baseURL: String, apiKey: String?, session: String, typing: Bool = false) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.session = session
        self.typing = typing
    }

    /// The session name used when a sender names none (WAHA's default session).
    public static let defaultSession = "default"
}

extension SenderRecord {
    /// Where this web session is reached with `secrets`; nil for a Cloud API number.
    public func bridge(_ secrets: SenderSecrets) -> BridgeEndpoint? {
        guard kind == .webSession, let url = settings.bridgeURL else { return nil }
        return BridgeEndpoint(
            baseURL: url, apiKey: secrets.bridgeAPIKey, session: settings.session ?? BridgeEndpoint.defaultSession, typing: limits.typing)
    }
}
