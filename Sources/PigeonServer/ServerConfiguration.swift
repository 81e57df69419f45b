import Foundation
import PigeonCore
import PigeonEngine
import PigeonPostgres
import WhatsAppCloud

/// Everything `pigeon serve` is configured with, read from `PIGEON_*` environment variables.
public struct ServerConfiguration: Sendable {
    /// Where the database lives.
    public enum Database: Sendable, Hashable {
        /// An SQLite file.
        case sqlite(path: String)
        /// A PostgreSQL database that several instances may share.
        case postgres(PostgresDatabaseURL)
    }

    /// Log line format.
    public enum LogFormat: String, Sendable {
        case text, json
    }

    /// `PIGEON_HOST` (default 127.0.0.1).
    public var host: String = ServerConfiguration.defaultHost
    /// `PIGEON_PORT` (default 8080).
    public var port: Int = ServerConfiguration.defaultPort
    /// `PIGEON_DATABASE_URL` (default `./pigeon.sqlite`).
    public var database: Database = .sqlite(path: ServerConfiguration.defaultDatabasePath)
    /// `PIGEON_DATABASE_POOL_SIZE`: PostgreSQL connections per instance (default 10).
    public var databasePoolSize: Int = PostgresStore.defaultPoolSize
    /// `PIGEON_MEDIA_DIR`: a folder for the media library's bytes (default: beside an SQLite file; in the
    /// database with PostgreSQL, so every instance reads them).
    public var mediaDirectory: String?
    /// `PIGEON_SQLITE_SYNCHRONOUS`: `full` (default, fsync per commit) or `normal`.
    public var sqliteSynchronousFull = true
    /// `PIGEON_API_KEY`; when `nil`, one is generated and stored at first start.
    public var apiKey: String?
    /// `PIGEON_META_BASE_URL`.
    public var metaBaseURL: String = CloudAPIConfiguration.defaultBaseURL
    /// `PIGEON_META_API_VERSION`.
    public var metaAPIVersion: String = CloudAPIConfiguration.defaultAPIVersion
    /// `PIGEON_META_ACCESS_TOKEN`; `nil` runs the sandbox simulator.
    public var metaAccessToken: String?
    /// `PIGEON_META_PHONE_NUMBER_ID`: the default sender.
    public var metaPhoneNumberID: String?
    /// `PIGEON_META_TIMEOUT`: per-call timeout (default 15 s).
    public var metaTimeout: Duration = CloudAPIConfiguration.defaultRequestTimeout
    /// `PIGEON_RETRY_SCHEDULE` (default 5m,15m,30m,1h,2h).
    public var retrySchedule: [Duration] = RetryPolicy.defaultSchedule
    /// `PIGEON_LEASE_TIMEOUT` (default 30 s).
    public var leaseTimeout: Duration = .seconds(30)
    /// `PIGEON_MEDIA_REFRESH_BEFORE` (default 7 days): how long before Meta's 30-day expiry an uploaded
    /// media library asset is uploaded again.
    public var mediaRefreshBefore: Duration = MediaRefreshJob.Configuration.defaultRefreshBefore
    /// `PIGEON_IN_DOUBT_AFTER` (default 5 min).
    public var inDoubtAfter: Duration = DeliveryPolicy.defaultInDoubtAfter
    /// `PIGEON_RETENTION_DAYS` (default 30).
    public var retentionDays: Int = 30
    /// `PIGEON_LOG_FORMAT` (default text).
    public var logFormat: LogFormat = .text
    /// `PIGEON_LOG_LEVEL` (default info).
    public var logLevel: String = "info"
    /// `PIGEON_ERROR_CODES_FILE`: JSON overrides of the classification table.
    public var errorCodesFile: String?
    /// `PIGEON_MAX_IN_FLIGHT`: concurrent sends per process (default 1024).
    public var maxInFlight: Int = DispatcherConfiguration.defaultMaxInFlight
    /// `PIGEON_INLINE_SEND_TIMEOUT`: how long the drop-in endpoint waits for a message's first attempt (default 2 s).
    public var inlineSendTimeout: Duration = .seconds(2)
    /// `PIGEON_FORWARD_URL`: where statuses and inbound messages are forwarded, in Meta's format.
    public var forwardURL: String?
    /// `PIGEON_FORWARD_SECRET`: signs forwarded events (default: the app secret). Never logged.
    public var forwardSecret: String?
    /// `PIGEON_WEBHOOK_VERIFY_TOKEN`: the token Meta echoes in the webhook handshake.
    public var webhookVerifyToken: String?
    /// `PIGEON_META_APP_SECRET`: the key Meta signs webhooks with. Never logged.
    public var metaAppSecret: String?
    /// `PIGEON_METRICS_TOKEN`: the bearer token `GET /metrics` asks for (unset: open). Never logged.
    public var metricsToken: String?
    /// `PIGEON_ALERT_WEBHOOK_URL`: where alerts are POSTed as they open and resolve.
    public var alertWebhookURL: String?
    /// `PIGEON_ALERT_SECRET`: the key of the alerts' `X-Pigeon-Signature-256`. Never logged.
    public var alertSecret: String?
    /// `PIGEON_SECRET_KEY`: the key sender credentials are sealed with (32 bytes, base64 or hex). Without it,
    /// a key is generated once into a file with mode 0600: beside an SQLite database, or `./pigeon-secret.key`
    /// with PostgreSQL (then every instance needs the same file; setting the variable is simpler). Never logged.
    public var secretKey: String?
    /// `PIGEON_RECONNECT_SCHEDULE` (default 1m,2m,3m,4m,5m): the waits before each reconnect attempt of a
    /// disconnected web session; after the last the sender needs attention.
    public var reconnectSchedule: [Duration] = SenderLifecycle.defaultReconnectSchedule
    /// `PIGEON_SESSION_STABLE_AFTER` (default 2m): how long a session must work before its count of
    /// logged-out drops returns to zero.
    public var sessionStableAfter: Duration = SenderLifecycle.defaultStableAfter
    /// `PIGEON_SESSION_HEALTH_INTERVAL` (default `25s-40s`): how often each web session's status is read from
    /// its bridge (a random time in the range, or one duration).
    public var sessionHealthInterval: SessionCheckInterval = .default
    /// `PIGEON_OPT_OUT_KEYWORDS` (default `STOP,UNSUBSCRIBE`): the words that, sent alone by a customer, put
    /// the number on the opt-out list campaigns skip.
    public var optOutKeywords: OptOutKeywords = .standard
    /// Whether media may be registered from plain http URLs (the sandbox always allows it; tests set it).
    public var mediaPlainHTTP = false

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultDatabasePath = "./pigeon.sqlite"
    /// Phone number id of the sandbox sender.
    public static let sandboxPhoneNumberID = "100000000000001"

    public init() {}

    /// True when no Meta credentials are configured and the built-in simulator stands in for Meta.
    public var isSandbox: Bool { metaAccessToken == nil }

    /// The default sender's id.
    public var defaultSenderID: String { metaPhoneNumberID ?? Self.sandboxPhoneNumberID }

    /// Where a generated secret key is kept when `PIGEON_SECRET_KEY` is not set.
    public var secretKeyFile: String {
        switch database {
        case .sqlite(let path): path + ".key"
        case .postgres: "./pigeon-secret.key"
        }
    }
}
