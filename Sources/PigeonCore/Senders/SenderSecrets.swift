/// A sender's credentials in the clear: only ever held in memory, stored sealed (`SenderRecord.sealedSecrets`),
/// never returned by the API or logged (its description hides every value).
public struct SenderSecrets: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A Cloud API number's access token.
    public var accessToken: String?
    /// The WAHA server's API key (`X-Api-Key`).
    public var bridgeAPIKey: String?
    /// The HMAC key of the session's WAHA webhook (`X-Webhook-Hmac`).
    public var webhookSecret: String?

    public init(accessToken: String? = nil, bridgeAPIKey: String? = nil, webhookSecret: String? = nil) {
        self.accessToken = accessToken
        self.bridgeAPIKey = bridgeAPIKey
        self.webhookSecret = webhookSecret
    }

    public var description: String { "SenderSecrets(redacted)" }
}

/// Seals and opens `SenderSecrets` for storage (AES-GCM in the engine); the store only sees sealed bytes.
public protocol SecretSealing: Sendable {
    /// The sealed form of `secrets`.
    func seal(_ secrets: SenderSecrets) throws -> [UInt8]
    /// The secrets in `sealed`; throws when they were sealed with another key or were altered.
    func open(_ sealed: [UInt8]) throws -> SenderSecrets
}
