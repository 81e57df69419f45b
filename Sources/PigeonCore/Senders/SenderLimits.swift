import Foundation

/// How fast and how much a sender may send: a rate ceiling, a daily cap counted in the sender's time zone,
/// and for web sessions a random pause between messages and an optional typing indicator.
public struct SenderLimits: Sendable, Hashable, Codable {
    /// Most messages per second (Cloud API default 80, up to 1,000 for numbers Meta upgraded); nil for no
    /// ceiling (Meta's throttling, 130429, still slows the sender).
    public var rateLimit: Double?
    /// Most messages per day in `timeZone`; nil for no cap.
    public var dailyCap: Int?
    /// The IANA time zone the day of `dailyCap` is counted in.
    public var timeZone: String
    /// The shortest and longest pause between two messages (web sessions); nil for none.
    public var delay: DelayRange?
    /// Whether to show "typing…" before each message (web sessions).
    public var typing: Bool

    /// A random pause between `min` and `max`.
    public struct DelayRange: Sendable, Hashable, Codable {
        public var min: Duration
        public var max: Duration

        public init(min: Duration, max: Duration) {
            self.min = min
            self.max = max
        }
    }

    /// The fastest rate a sender may be given (Meta's upgraded throughput).
    public static let maxRateLimit: Double = 1000
    /// The slowest rate a sender may be given (3.6 messages an hour); slower is a daily cap's job.
    public static let minRateLimit: Double = 0.001
    /// The largest daily cap accepted.
    public static let maxDailyCap = 10_000_000

    public init(rateLimit: Double?, dailyCap: Int?, timeZone: String = "UTC", delay: DelayRange? = nil, typing: Bool = false) {
        self.rateLimit = rateLimit
        self.dailyCap = dailyCap
        self.timeZone = timeZone
        self.delay = delay
        self.typing = typing
    }

    /// The limits a new sender of `kind` gets: 80 msg/s for a Cloud API number (Meta's default throughput);
    /// for a web session 300 a day and 25–40 s between messages.
    public static func defaults(for kind: SenderKind) -> SenderLimits {
        switch kind {
        case .cloudAPI: SenderLimits(rateLimit: 80, dailyCap: nil)
        case .webSession: SenderLimits(rateLimit: nil, dailyCap: 300, delay: DelayRange(min: .seconds(25), max: .seconds(40)))
        }
    }

    /// No limits: the number configured by `PIGEON_META_PHONE_NUMBER_ID` starts so, as before senders were
    /// records (set limits with `PATCH /v1/senders/{id}`).
    public static let unpaced = SenderLimits(rateLimit: nil, dailyCap: nil)
}
