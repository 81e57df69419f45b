import Foundation

/// A configured sender: a Cloud API number or a web session, its pool, limits, sealed credentials and
/// health. Stored by both stores; the rules that change it live in `SenderLifecycle` and `SenderChange`.
public struct SenderRecord: Sendable, Hashable {
    /// Meta's phone number id (Cloud API), or the operator's name for a web session.
    public var id: String
    /// How it reaches WhatsApp.
    public var kind: SenderKind
    /// The pool pooled messages are routed in (default `"default"`).
    public var pool: String
    /// Its pacing.
    public var limits: SenderLimits
    /// What is not secret about how to reach it.
    public var settings: SenderSettings
    /// Its credentials, sealed (`SecretSealing`).
    public var sealedSecrets: [UInt8]
    /// Its status and the counts behind it.
    public var health: SenderHealth
    /// What Meta last said about a Cloud API number.
    public var numberHealth: NumberHealth
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    public init(
        id: String, kind: SenderKind, pool: String, limits: SenderLimits, settings: SenderSettings, sealedSecrets: [UInt8],
        health: SenderHealth, numberHealth: NumberHealth = NumberHealth(), createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.pool = pool
        self.limits = limits
        self.settings = settings
        self.sealedSecrets = sealedSecrets
        self.health = health
        self.numberHealth = numberHealth
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The pool messages go to when they name neither a sender nor a pool.
    public static let defaultPool = "default"

    /// Whether it takes messages now.
    public var sends: Bool { health.status.sends }
}

/// The non-secret part of how a sender is reached.
public struct SenderSettings: Sendable, Hashable, Codable {
    /// The WhatsApp Business Account id of a Cloud API number, if given.
    public var wabaID: String?
    /// The business portfolio a Cloud API number belongs to, if given: numbers of one portfolio share the
    /// messaging tier's budget (without it, the WABA stands for the portfolio).
    public var portfolioID: String?
    /// The WAHA server's base URL (web sessions).
    public var bridgeURL: String?
    /// The session's name on the WAHA server (web sessions).
    public var session: String?

    public init(wabaID: String? = nil, portfolioID: String? = nil, bridgeURL: String? = nil, session: String? = nil) {
        self.wabaID = wabaID
        self.portfolioID = portfolioID
        self.bridgeURL = bridgeURL
        self.session = session
    }
}

/// What Meta's health check last reported for a Cloud API number.
public struct NumberHealth: Sendable, Hashable, Codable {
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    public var qualityRating: String?
    /// The messaging tier, such as `TIER_1K`.
    public var messagingLimit: String?
    /// `AVAILABLE`, `LIMITED` or `BLOCKED`.
    public var healthStatus: String?
    /// When it was last checked.
    public var checkedAt: Date?

    public init(qualityRating: String? = nil, messagingLimit: String? = nil, healthStatus: String? = nil, checkedAt: Date? = nil) {
        self.qualityRating = qualityRating
        self.messagingLimit = messagingLimit
        self.healthStatus = healthStatus
        self.checkedAt = checkedAt
    }
}
