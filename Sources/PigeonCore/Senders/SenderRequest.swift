import Foundation

/// A new sender as `POST /v1/senders` asks for it, validated.
public struct SenderDraft: Sendable {
    public var id: String
    public var kind: SenderKind
    public var pool: String
    public var limits: SenderLimits
    public var settings: SenderSettings
    public var secrets: SenderSecrets
    public var enabled: Bool

    public init(
        id: String, kind: SenderKind, pool: String, limits: SenderLimits, settings: SenderSettings, secrets: SenderSecrets, enabled: Bool
    ) {
        self.id = id
        self.kind = kind
        self.pool = pool
        self.limits = limits
        self.settings = settings
        self.secrets = secrets
        self.enabled = enabled
    }
}

/// A change to a sender as `PATCH /v1/senders/{id}` asks for it, validated; `nil` fields stay as they are.
public struct SenderPatch: Sendable {
    public var pool: String?
    /// `.some(nil)` removes the rate ceiling.
    public var rateLimit: Double??
    /// `.some(nil)` removes the cap.
    public var dailyCap: Int??
    public var timeZone: String?
    /// `.some(nil)` removes the pause between messages.
    public var delay: SenderLimits.DelayRange??
    public var typing: Bool?
    public var wabaID: String?
    public var portfolioID: String?
    public var accessToken: String?
    public var bridgeURL: String?
    public var bridgeAPIKey: String?
    public var session: String?
    public var webhookSecret: String?
    public var enabled: Bool?

    public init() {}

    /// Whether it replaces a credential (a paused sender is then checked again).
    public var replacesCredentials: Bool { accessToken != nil || bridgeAPIKey != nil }
}

/// Checks sender requests (`POST` and `PATCH /v1/senders`). Every rejection says what to fix; secrets
/// never appear in an error.
public enum SenderRequestValidator {
    /// Longest sender id, pool or session name.
    public static let maxNameLength = 64

    /// Validates a `POST /v1/senders` body.
    public static func draft(json: [UInt8]) throws(ValidationError) -> SenderDraft {
        var body = try object(json)
        guard let kindValue = body.removeValue(forKey: "kind") else {
            throw ValidationError("missing_kind", "kind is required: \"cloud_api\" or \"web_session\"")
        }
        guard let kindText = kindValue as? String, let kind = SenderKind(rawValue: kindText) else {
            throw ValidationError("invalid_kind", "kind must be \"cloud_api\" or \"web_session\"")
        }
        guard let idValue = body.removeValue(forKey: "id") else {
            throw ValidationError(
                "missing_id",
                kind == .cloudAPI
                    ? "id is required: the number's phone number id from Meta's WhatsApp Manager"
                    : "id is required: a name for the session, such as \"support-1\"")
        }
        let id = try name(idValue, field: "id", digitsOnly: kind == .cloudAPI)
        let patch = try patch(body: body, kind: kind)
        var limits = SenderLimits.defaults(for: kind)
        apply(patch, to: &limits)
        let settings = SenderSettings(
            wabaID: patch.wabaID, portfolioID: patch.portfolioID, bridgeURL: patch.bridgeURL, session: patch.session ?? "default")
        let secrets = SenderSecrets(accessToken: patch.accessToken, bridgeAPIKey: patch.bridgeAPIKey, webhookSecret: patch.webhookSecret)
        switch kind {
        case .cloudAPI:
            guard secrets.accessToken != nil else {
                throw ValidationError("missing_access_token", "access_token is required for a cloud_api sender: the number's access token")
            }
        case .webSession:
            guard settings.bridgeURL != nil else {
                throw ValidationError(
                    "missing_bridge", "bridge is required for a web_session sender: {\"url\", \"api_key\", \"session\", \"webhook_secret\"}")
            }
            guard secrets.webhookSecret != nil else {
                throw ValidationError(
                    "missing_webhook_secret",
                    "bridge.webhook_secret is required: the HMAC key set on the session's WAHA webhook pointing at /webhooks/waha")
            }
        }
        return SenderDraft(
            id: id, kind: kind, pool: patch.pool ?? SenderRecord.defaultPool, limits: limits, settings: settings, secrets: secrets,
            enabled: patch.enabled ?? true)
    }

    /// Validates a `PATCH /v1/senders/{id}` body for a sender of `kind`.
    public static func patch(json: [UInt8], kind: SenderKind) throws(ValidationError) -> SenderPatch {
        let body = try object(json)
        for field in ["id", "kind"] where body[field] != nil {
            throw ValidationError("immutable_field", "\(field) cannot be changed; delete the sender and create it again")
        }
        return try patch(body: body, kind: kind)
    }

    /// Applies the limits `patch` changes to `limits`.
    public static func apply(_ patch: SenderPatch, to limits: inout SenderLimits) {
        if let rate = patch.rateLimit { limits.rateLimit = rate }
        if let cap = patch.dailyCap { limits.dailyCap = cap }
        if let zone = patch.timeZone { limits.timeZone = zone }
        if let delay = patch.delay { limits.delay = delay }
        if let typing = patch.typing { limits.typing = typing }
    }

    private static let fields: [SenderKind: Set<String>] = [
        .cloudAPI: ["pool", "rate_limit", "daily_cap", "time_zone", "enabled", "access_token", "waba_id", "portfolio_id"],
        .webSession: ["pool", "rate_limit", "daily_cap", "time_zone", "enabled", "delay", "typing", "bridge"],
    ]

    private static func patch(body: [String: Any], kind: SenderKind) throws(ValidationError) -> SenderPatch {
        let allowed = fields[kind]!
        let known = fields.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        if let unknown = body.keys.sorted().first(where: { !known.contains($0) }) {
            throw ValidationError(
                "unknown_field", "\(unknown) is not a field of a sender; use \(known.sorted().joined(separator: ", "))")
        }
        if let other = body.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError(
                "not_for_this_kind", "\(other) does not apply to a \(kind.rawValue) sender; it takes \(allowed.sorted().joined(separator: ", "))",
                kind: .unusable)
        }
        var patch = SenderPatch()
        if let pool = body["pool"] { patch.pool = try name(pool, field: "pool", digitsOnly: false) }
        if let rate = body["rate_limit"], rate is NSNull {
            patch.rateLimit = .some(nil)
        } else if let rate = body["rate_limit"] {
            guard let number = rate as? NSNumber, !CanonicalJSON.isBoolean(number), number.doubleValue >= SenderLimits.minRateLimit,
                number.doubleValue <= SenderLimits.maxRateLimit
            else {
                throw ValidationError(
                    "invalid_rate_limit",
                    "rate_limit must be a number of messages per second from 0.001 to \(Int(SenderLimits.maxRateLimit)), or null for none")
            }
            patch.rateLimit = number.doubleValue
        }
        if let cap = body["daily_cap"] {
            if cap is NSNull {
                patch.dailyCap = .some(nil)
            } else {
                guard let number = cap as? NSNumber, !CanonicalJSON.isBoolean(number), number.doubleValue == number.doubleValue.rounded(),
                    (1...Double(SenderLimits.maxDailyCap)).contains(number.doubleValue)
                else {
                    throw ValidationError(
                        "invalid_daily_cap",
                        "daily_cap must be a whole number of messages per day from 1 to \(SenderLimits.maxDailyCap), or null for none")
                }
                patch.dailyCap = .some(number.intValue)
            }
        }
        if let zone = body["time_zone"] {
            guard let text = zone as? String, !text.isEmpty else {
                throw ValidationError("invalid_time_zone", "time_zone must be an IANA time zone, such as \"UTC\" or \"Europe/Berlin\"")
            }
            guard TimeZone(identifier: text) != nil else {
                throw ValidationError(
                    "unknown_time_zone", "time_zone \(text) is not a known IANA time zone; use one such as \"UTC\" or \"Europe/Berlin\"",
                    kind: .unusable)
            }
            patch.timeZone = text
        }
        if let enabled = body["enabled"] { patch.enabled = try bool(enabled, field: "enabled") }
        if let typing = body["typing"] { patch.typing = try bool(typing, field: "typing") }
        if let delay = body["delay"] { patch.delay = .some(try self.delay(delay)) }
        if let token = body["access_token"] { patch.accessToken = try secret(token, field: "access_token") }
        if let waba = body["waba_id"] { patch.wabaID = try name(waba, field: "waba_id", digitsOnly: true) }
        if let portfolio = body["portfolio_id"] { patch.portfolioID = try name(portfolio, field: "portfolio_id", digitsOnly: true) }
        if let bridge = body["bridge"] { try self.bridge(bridge, into: &patch) }
        return patch
    }

    private static func bridge(_ value: Any, into patch: inout SenderPatch) throws(ValidationError) {
        guard let bridge = value as? [String: Any] else {
            throw ValidationError("invalid_bridge", "bridge must be an object: {\"url\", \"api_key\", \"session\", \"webhook_secret\"}")
        }
        let allowed: Set<String> = ["url", "api_key", "session", "webhook_secret"]
        if let unknown = bridge.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError("unknown_field", "bridge.\(unknown) is not a field; use url, api_key, session, webhook_secret")
        }
        if let url = bridge["url"] {
            guard let text = url as? String, text.wholeMatch(of: bridgeURLPattern) != nil else {
                throw ValidationError(
                    "invalid_bridge", "bridge.url must be the WAHA server's http(s) URL without a query, such as \"http://127.0.0.1:3000\"")
            }
            guard let parsed = URL(string: text), parsed.host?.isEmpty == false, (parsed.port ?? 80) <= 65535 else {
                throw ValidationError("unusable_bridge_url", "bridge.url \(text) cannot be used: check its host and port", kind: .unusable)
            }
            patch.bridgeURL = text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        if let key = bridge["api_key"] { patch.bridgeAPIKey = try secret(key, field: "bridge.api_key") }
        if let session = bridge["session"] { patch.session = try name(session, field: "bridge.session", digitsOnly: false) }
        if let secret = bridge["webhook_secret"] { patch.webhookSecret = try self.secret(secret, field: "bridge.webhook_secret") }
    }

    private static func delay(_ value: Any) throws(ValidationError) -> SenderLimits.DelayRange? {
        if value is NSNull { return nil }
        guard let object = value as? [String: Any], object.count == 2, let min = object["min"] as? String,
            let max = object["max"] as? String, min.wholeMatch(of: durationPattern) != nil, max.wholeMatch(of: durationPattern) != nil
        else {
            throw ValidationError(
                "invalid_delay", "delay must be {\"min\": \"25s\", \"max\": \"40s\"} (a number and ms, s, m, h or d), or null for none")
        }
        guard let low = try? DurationParser.parse(min), let high = try? DurationParser.parse(max), low <= high, high <= .seconds(3600)
        else {
            throw ValidationError(
                "unusable_delay", "delay \(min)–\(max) cannot be used: each above 0, min at most max, max at most 1h", kind: .unusable)
        }
        return SenderLimits.DelayRange(min: low, max: high)
    }

    /// What `bridge.url` looks like (the OpenAPI document has the same pattern).
    nonisolated(unsafe) static let bridgeURLPattern = #/https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?/#
    /// What a duration in `delay` looks like (the OpenAPI document has the same pattern).
    nonisolated(unsafe) static let durationPattern = #/[0-9]{1,9}(\.[0-9]{1,3})?(ms|s|m|h|d)/#

    static func object(_ json: [UInt8]) throws(ValidationError) -> [String: Any] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed]) else {
            throw ValidationError("malformed_json", "the body is not valid JSON")
        }
        guard let object = value as? [String: Any] else {
            throw ValidationError("invalid_body", "the body must be a JSON object")
        }
        return object
    }

    private static func bool(_ value: Any, field: String) throws(ValidationError) -> Bool {
        guard CanonicalJSON.isBoolean(value), let flag = value as? Bool else {
            throw ValidationError("invalid_\(field)", "\(field) must be true or false")
        }
        return flag
    }

    private static func secret(_ value: Any, field: String) throws(ValidationError) -> String {
        guard let text = value as? String, (1...4096).contains(text.unicodeScalars.count),
            !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
        else {
            throw ValidationError(
                "invalid_secret", "\(field) must be a non-empty string without spaces or control characters, at most 4,096 characters")
        }
        return text
    }

    /// An id, pool or session name: ASCII letters, digits, `_` and `-` (or digits only), 1 to 64 characters,
    /// as `sender_id` and `pool` of a message take them (`MessageValidator.isSenderID`).
    private static func name(_ value: Any, field: String, digitsOnly: Bool) throws(ValidationError) -> String {
        let valid: (Character) -> Bool =
            digitsOnly ? { $0.isASCII && $0.isNumber } : { $0.isASCII && ($0.isLetter || $0.isNumber || "_-".contains($0)) }
        guard let text = value as? String, (1...maxNameLength).contains(text.unicodeScalars.count), text.allSatisfy(valid) else {
            throw ValidationError(
                "invalid_\(field.replacingOccurrences(of: "bridge.", with: ""))",
                digitsOnly
                    ? "\(field) must be Meta's numeric id: 1 to \(maxNameLength) digits"
                    : "\(field) must be 1 to \(maxNameLength) letters, digits, \"_\" or \"-\"")
        }
        return text
    }
}
