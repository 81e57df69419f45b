import Foundation
import PigeonCore
import PigeonEngine
import PigeonPostgres

/// A configuration value that stops start-up: names the variable and what it accepts.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ variable: String, _ problem: String) {
        description = "\(variable): \(problem)"
    }
}

extension ServerConfiguration {
    /// Reads the configuration from environment variables; throws on the first invalid value.
    public static func load(environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        var config = ServerConfiguration()
        let env = environment.filter { !$0.value.isEmpty }
        if let host = env["PIGEON_HOST"] { config.host = host }
        if let text = env["PIGEON_PORT"] {
            guard let port = Int(text), (0...65535).contains(port) else {
                throw ConfigurationError("PIGEON_PORT", "\"\(text)\" is not a port: use a whole number from 0 to 65535 (0 picks a free port)")
            }
            config.port = port
        }
        if let url = env["PIGEON_DATABASE_URL"] { config.database = try parseDatabase(url) }
        if let text = env["PIGEON_DATABASE_POOL_SIZE"] {
            guard let size = Int(text), (1...500).contains(size) else {
                throw ConfigurationError("PIGEON_DATABASE_POOL_SIZE", "\"\(text)\" is not accepted: use a whole number of connections from 1 to 500")
            }
            config.databasePoolSize = size
        }
        if let directory = env["PIGEON_MEDIA_DIR"] { config.mediaDirectory = directory }
        if let text = env["PIGEON_SQLITE_SYNCHRONOUS"] {
            switch text.lowercased() {
            case "full": config.sqliteSynchronousFull = true
            case "normal": config.sqliteSynchronousFull = false
            default: throw ConfigurationError("PIGEON_SQLITE_SYNCHRONOUS", "\"\(text)\" is not accepted: use full (the default) or normal")
            }
        }
        if let key = env["PIGEON_API_KEY"] {
            guard key.count >= 16 else {
                throw ConfigurationError("PIGEON_API_KEY", "the key is too short: use at least 16 characters (or unset it and Pigeon generates one)")
            }
            config.apiKey = key
        }
        if let url = env["PIGEON_META_BASE_URL"] {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ConfigurationError("PIGEON_META_BASE_URL", "\"\(url)\" is not an http(s) URL such as https://graph.facebook.com")
            }
            config.metaBaseURL = url
        }
        if let version = env["PIGEON_META_API_VERSION"] {
            guard version.range(of: #"^v[0-9]+\.[0-9]+$"#, options: .regularExpression) != nil else {
                throw ConfigurationError("PIGEON_META_API_VERSION", "\"\(version)\" is not a Graph API version: use the form v23.0")
            }
            config.metaAPIVersion = version
        }
        config.metaAccessToken = env["PIGEON_META_ACCESS_TOKEN"]
        config.metaPhoneNumberID = env["PIGEON_META_PHONE_NUMBER_ID"]
        if config.metaAccessToken != nil && config.metaPhoneNumberID == nil {
            throw ConfigurationError(
                "PIGEON_META_PHONE_NUMBER_ID", "required when PIGEON_META_ACCESS_TOKEN is set: the phone number id messages are sent from")
        }
        if let phone = config.metaPhoneNumberID, !phone.allSatisfy(\.isNumber) {
            throw ConfigurationError("PIGEON_META_PHONE_NUMBER_ID", "must be Meta's numeric phone number id (not the phone number itself)")
        }
        if let text = env["PIGEON_META_TIMEOUT"] { config.metaTimeout = try duration("PIGEON_META_TIMEOUT", text) }
        if let text = env["PIGEON_RETRY_SCHEDULE"] {
            config.retrySchedule = try schedule("PIGEON_RETRY_SCHEDULE", text, example: "500ms,5s,5m,1h")
        }
        if let text = env["PIGEON_RECONNECT_SCHEDULE"] {
            config.reconnectSchedule = try schedule("PIGEON_RECONNECT_SCHEDULE", text, example: "1m,2m,3m,4m,5m")
        }
        if let text = env["PIGEON_OPT_OUT_KEYWORDS"] {
            guard let keywords = OptOutKeywords(list: text) else {
                throw ConfigurationError("PIGEON_OPT_OUT_KEYWORDS", "names no word: give a comma-separated list, such as STOP,UNSUBSCRIBE,BAJA")
            }
            config.optOutKeywords = keywords
        }
        if let text = env["PIGEON_SESSION_STABLE_AFTER"] {
            config.sessionStableAfter = try duration("PIGEON_SESSION_STABLE_AFTER", text)
        }
        if let text = env["PIGEON_SESSION_HEALTH_INTERVAL"] {
            do {
                config.sessionHealthInterval = try SessionCheckInterval.parse(text)
            } catch {
                throw ConfigurationError("PIGEON_SESSION_HEALTH_INTERVAL", "\(error); write a range such as 25s-40s, or one duration such as 30s")
            }
        }
        if let key = env["PIGEON_SECRET_KEY"] {
            do {
                _ = try SecretKeySource.parse(key)
            } catch {
                throw ConfigurationError(
                    "PIGEON_SECRET_KEY", "is not a key: use 32 random bytes in base64 or hex, made with: openssl rand -base64 32")
            }
            config.secretKey = key
        }
        if let text = env["PIGEON_LEASE_TIMEOUT"] { config.leaseTimeout = try duration("PIGEON_LEASE_TIMEOUT", text) }
        if let text = env["PIGEON_IN_DOUBT_AFTER"] { config.inDoubtAfter = try duration("PIGEON_IN_DOUBT_AFTER", text) }
        if let text = env["PIGEON_MEDIA_REFRESH_BEFORE"] {
            let before = try duration("PIGEON_MEDIA_REFRESH_BEFORE", text)
            guard before > .zero, before < MediaRules.lifetime else {
                throw ConfigurationError(
                    "PIGEON_MEDIA_REFRESH_BEFORE",
                    "\"\(text)\" is not accepted: Meta keeps media 30 days, so use more than 0 and less than 30d, such as 7d")
            }
            config.mediaRefreshBefore = before
        }
        if let text = env["PIGEON_RETENTION_DAYS"] {
            guard let days = Int(text), days >= 1 else {
                throw ConfigurationError("PIGEON_RETENTION_DAYS", "\"\(text)\" is not accepted: use a whole number of days, 1 or more")
            }
            config.retentionDays = days
        }
        if let text = env["PIGEON_LOG_FORMAT"] {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw ConfigurationError("PIGEON_LOG_FORMAT", "\"\(text)\" is not accepted: use text or json")
            }
            config.logFormat = format
        }
        if let level = env["PIGEON_LOG_LEVEL"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level.lowercased()) else {
                throw ConfigurationError("PIGEON_LOG_LEVEL", "\"\(level)\" is not accepted: use one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = level.lowercased()
        }
        if let path = env["PIGEON_ERROR_CODES_FILE"] { config.errorCodesFile = path }
        if let text = env["PIGEON_MAX_IN_FLIGHT"] {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw ConfigurationError("PIGEON_MAX_IN_FLIGHT", "\"\(text)\" is not accepted: use a whole number from 1 to 10000")
            }
            config.maxInFlight = value
        }
        if let text = env["PIGEON_INLINE_SEND_TIMEOUT"] {
            config.inlineSendTimeout = try duration("PIGEON_INLINE_SEND_TIMEOUT", text)
        }
        config.webhookVerifyToken = env["PIGEON_WEBHOOK_VERIFY_TOKEN"]
        config.metaAppSecret = env["PIGEON_META_APP_SECRET"]
        config.metricsToken = env["PIGEON_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        config.forwardSecret = env["PIGEON_FORWARD_SECRET"]
        if let url = env["PIGEON_FORWARD_URL"] {
            guard Self.isWebURL(url) else {
                throw ConfigurationError("PIGEON_FORWARD_URL", "\"\(url)\" is not an http(s) URL such as https://app.example.com/webhooks/whatsapp")
            }
            guard config.forwardSecret != nil || config.metaAppSecret != nil else {
                throw ConfigurationError(
                    "PIGEON_FORWARD_URL",
                    "forwarded events are signed: set PIGEON_FORWARD_SECRET (or PIGEON_META_APP_SECRET) to the secret your app checks")
            }
            config.forwardURL = url
        }
        config.alertSecret = env["PIGEON_ALERT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        if let url = env["PIGEON_ALERT_WEBHOOK_URL"] {
            guard Self.isWebURL(url) else {
                throw ConfigurationError("PIGEON_ALERT_WEBHOOK_URL", "\"\(url)\" is not an http(s) URL such as https://ops.example.com/hooks/pigeon")
            }
            guard config.alertSecret != nil else {
                throw ConfigurationError(
                    "PIGEON_ALERT_WEBHOOK_URL", "alerts are signed (X-Pigeon-Signature-256): set PIGEON_ALERT_SECRET to the key your receiver checks")
            }
            config.alertWebhookURL = url
        }
        return config
    }

    /// Whether `text` is an http(s) URL with a host.
    private static func isWebURL(_ text: String) -> Bool {
        guard let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? "") else { return false }
        return parsed.host != nil
    }

    /// A comma-separated list of durations in variable `name`; the error names the variable and `example`.
    private static func schedule(_ name: String, _ text: String, example: String) throws(ConfigurationError) -> [Duration] {
        do {
            return try RetryPolicy.parseSchedule(text)
        } catch {
            throw ConfigurationError(name, "\(error); write a comma-separated list such as \(example)")
        }
    }

    static func duration(_ variable: String, _ text: String) throws(ConfigurationError) -> Duration {
        do {
            return try DurationParser.parse(text)
        } catch {
            throw ConfigurationError(variable, "\(error)")
        }
    }

    /// Parses `PIGEON_DATABASE_URL`: a file path, or `sqlite:///absolute/path`.
    static func parseDatabase(_ url: String) throws(ConfigurationError) -> Database {
        if PostgresDatabaseURL.isPostgres(url) {
            do {
                return .postgres(try PostgresDatabaseURL(url))
            } catch {
                throw ConfigurationError("PIGEON_DATABASE_URL", error.description)
            }
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw ConfigurationError("PIGEON_DATABASE_URL", "\"\(url)\" needs an absolute path: sqlite:///var/lib/pigeon/pigeon.sqlite")
            }
            return .sqlite(path: path)
        }
        guard !url.contains("://") else {
            throw ConfigurationError(
                "PIGEON_DATABASE_URL", "\"\(url)\" is not accepted: use a file path (./pigeon.sqlite) or sqlite:///absolute/path")
        }
        return .sqlite(path: url)
    }

    /// The classification table with the overrides file applied.
    public func errorTable() throws(ConfigurationError) -> ErrorTable {
        guard let path = errorCodesFile else { return .meta }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("PIGEON_ERROR_CODES_FILE", "cannot read \(path)")
        }
        do {
            return ErrorTable.meta.overriding(try ErrorTable.overrides(fromJSON: data))
        } catch {
            throw ConfigurationError("PIGEON_ERROR_CODES_FILE", "\(path): \(error)")
        }
    }
}
