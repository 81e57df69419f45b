import Foundation

/// Which messages a list or bulk operation applies to; `nil` fields match everything.
public struct MessageFilter: Sendable, Hashable {
    /// Only this status.
    public var status: MessageStatus?
    /// Only messages whose last error had this Meta code.
    public var errorCode: Int?
    /// Only messages whose last error had this class.
    public var errorClass: ErrorClass?
    /// Only messages last changed at or after this time.
    public var since: Date?
    /// Only this sender.
    public var senderID: String?
    /// Only messages of this campaign.
    public var campaignID: String?

    public init(
        status: MessageStatus? = nil, errorCode: Int? = nil, errorClass: ErrorClass? = nil, since: Date? = nil,
        senderID: String? = nil, campaignID: String? = nil
    ) {
        self.campaignID = campaignID
        self.status = status
        self.errorCode = errorCode
        self.errorClass = errorClass
        self.since = since
        self.senderID = senderID
    }
}

/// One page of a listing, newest first.
public struct MessagePage: Sendable, Hashable {
    /// The messages on this page.
    public var messages: [MessageRecord]
    /// The cursor for the next page, or `nil` at the end.
    public var nextCursor: Int64?

    public init(messages: [MessageRecord], nextCursor: Int64?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }
}

/// Counters for `/v1/stats`.
public struct DeliveryStats: Sendable, Hashable {
    /// Messages per status (every status present, zero when none).
    public var counts: [MessageStatus: Int]
    /// Attempts started in the window.
    public var attemptsInWindow: Int
    /// Attempts after the first (retries) started in the window.
    public var retriesInWindow: Int

    public init(counts: [MessageStatus: Int], attemptsInWindow: Int, retriesInWindow: Int) {
        self.counts = counts
        self.attemptsInWindow = attemptsInWindow
        self.retriesInWindow = retriesInWindow
    }
}

/// The queue as the health rule reads it (`MessageCatalog.queueHealth`).
public struct QueueHealth: Sendable, Hashable {
    /// How many due messages a store counts at most (per sender, or in all, the oldest first), so that
    /// reading the health costs about the same at any queue size: with more due than this the counts are
    /// lower bounds, and a sender holding none of the oldest may be left out.
    public static let countCap = 10_000
    /// Due messages per sender holding them (see `countCap`).
    public var dueBySender: [String: Int]
    /// When the oldest due message became due.
    public var oldestDueAt: Date?
    /// Messages dead-lettered since the time asked.
    public var deadLettered: Int

    public init(dueBySender: [String: Int], oldestDueAt: Date?, deadLettered: Int) {
        self.dueBySender = dueBySender
        self.oldestDueAt = oldestDueAt
        self.deadLettered = deadLettered
    }
}

/// Attempts started in one minute.
public struct AttemptMinute: Sendable, Hashable {
    /// The minute's start.
    public var minute: Date
    public var attempts: Int
    /// Attempts after a message's first.
    public var retries: Int

    public init(minute: Date, attempts: Int, retries: Int) {
        self.minute = minute
        self.attempts = attempts
        self.retries = retries
    }
}

/// How many dead letters failed with one error code (nil: without one).
public struct FailureCount: Sendable, Hashable {
    /// The most recent dead letters counted (so the count costs the same at any size).
    public static let sample = 10_000

    public var code: Int?
    public var title: String?
    public var count: Int

    public init(code: Int?, title: String?, count: Int) {
        self.code = code
        self.title = title
        self.count = count
    }
}

/// The delivery funnel of a window: messages accepted, and how many reached each delivery rank in it.
public struct Funnel: Sendable, Hashable {
    public var accepted: Int
    public var sent: Int
    public var delivered: Int
    public var read: Int

    public init(accepted: Int, sent: Int, delivered: Int, read: Int) {
        self.accepted = accepted
        self.sent = sent
        self.delivered = delivered
        self.read = read
    }
}
