import Foundation

/// What the health rule looks at, read at one moment.
public struct HealthFacts: Sendable {
    /// Whether the store answered.
    public var databaseReachable: Bool
    /// Every sender with its health.
    public var senders: [SenderRecord]
    /// Senders a rate limit holds back now.
    public var throttled: Set<String>
    /// Messages due now (queued or retry scheduled, their time come) by where they go: a pool's name, or the
    /// sender of a pinned message.
    public var due: [DueRoute: Int]
    /// How long the oldest due message has waited past its time.
    public var oldestDueWait: TimeInterval?
    /// Attempts, and attempts after a message's first (retries), started in the alert window.
    public var attempts: Int
    public var retries: Int
    /// Messages dead-lettered (moved to `failed`) in the last hour.
    public var deadLetteredLastHour: Int

    public init(
        databaseReachable: Bool, senders: [SenderRecord] = [], throttled: Set<String> = [], due: [DueRoute: Int] = [:],
        oldestDueWait: TimeInterval? = nil, attempts: Int = 0, retries: Int = 0, deadLetteredLastHour: Int = 0
    ) {
        self.databaseReachable = databaseReachable
        self.senders = senders
        self.throttled = throttled
        self.due = due
        self.oldestDueWait = oldestDueWait
        self.attempts = attempts
        self.retries = retries
        self.deadLetteredLastHour = deadLetteredLastHour
    }
}

/// Where due messages go: any sender of a pool, or one sender (a pinned message).
public enum DueRoute: Sendable, Hashable {
    case pool(String)
    case sender(String)

    /// `pool NAME` or `sender ID`.
    public var name: String {
        switch self {
        case .pool(let pool): "pool \(pool)"
        case .sender(let id): "sender \(id)"
        }
    }

    /// Whether `sender` may send this route's messages.
    func serves(_ sender: SenderRecord) -> Bool {
        switch self {
        case .pool(let pool): sender.pool == pool
        case .sender(let id): sender.id == id
        }
    }
}
