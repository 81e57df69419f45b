import Foundation

/// A stored campaign: what it sends, through which sender, how much a day, and where it is.
public struct CampaignRecord: Sendable, Hashable {
    /// Pigeon's id (`cmp_…`).
    public var id: String
    public var name: String
    /// The message object (without `to`) as JSON, with `{{variable}}` placeholders filled per recipient.
    public var message: String
    /// The sender every message is pinned to, or nil for `pool`.
    public var senderID: String?
    /// The pool the messages go to when no sender is named.
    public var pool: String?
    /// Most campaign sends per local day.
    public var dailySendLimit: Int
    /// The first local day (`yyyy-MM-dd`) it sends on.
    public var startDate: String
    /// The IANA time zone its days and window are counted in.
    public var timeZone: String
    /// The local hours it sends in; nil for the whole day.
    public var sendWindow: SendWindow?
    /// How many later days may retry a failed recipient.
    public var maxRetries: Int
    public var status: CampaignStatus
    /// Why it is paused (`operator`, or Meta's reason).
    public var pauseReason: String?
    /// The Meta code that paused it (`CampaignBrakes`); nil when an operator did.
    public var pauseCode: Int?
    /// When it was last started or resumed: only failures after it pause it again.
    public var resumedAt: Date?
    /// How many recipients were imported (each new one is scheduled after them).
    public var imported: Int
    /// Today's progress, as the scheduler last wrote it.
    public var day: CampaignDay
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, name: String, message: String, senderID: String?, pool: String?, dailySendLimit: Int, startDate: String,
        timeZone: String, sendWindow: SendWindow?, maxRetries: Int, status: CampaignStatus = .draft, pauseReason: String? = nil,
        pauseCode: Int? = nil, resumedAt: Date? = nil, imported: Int = 0, day: CampaignDay = CampaignDay(), createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.message = message
        self.senderID = senderID
        self.pool = pool
        self.dailySendLimit = dailySendLimit
        self.startDate = startDate
        self.timeZone = timeZone
        self.sendWindow = sendWindow
        self.maxRetries = maxRetries
        self.status = status
        self.pauseReason = pauseReason
        self.pauseCode = pauseCode
        self.resumedAt = resumedAt
        self.imported = imported
        self.day = day
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Its days and window.
    public var calendar: LocalCalendar { LocalCalendar(timeZone: timeZone) }

    /// The local day (`yyyy-MM-dd`) the recipient imported at `position` (0-based) is scheduled for: the
    /// start date, and one more day after each `dailySendLimit` recipients.
    public func scheduledDay(forPosition position: Int) -> String {
        CivilDay(startDate)?.adding(position / max(1, dailySendLimit)).text ?? startDate
    }
}

/// A campaign's local sending hours (`from` inclusive, `to` exclusive), as minutes after midnight.
public struct SendWindow: Sendable, Hashable, Codable {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    /// `HH:MM` for minutes after midnight.
    public static func text(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    /// Minutes after midnight for `HH:MM` (00:00–24:00); nil for anything else.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
            (0...24).contains(hours), (0..<60).contains(minutes), hours * 60 + minutes <= 1440
        else { return nil }
        return hours * 60 + minutes
    }
}

/// A campaign's progress on one local day: what the scheduler planned and has sent. `CampaignPacing`
/// computes it; the store writes it with the day's sends, guarded by the value it read.
public struct CampaignDay: Sendable, Hashable, Codable {
    /// The local day (`yyyy-MM-dd`), nil before the first.
    public var day: String?
    /// Sends made that day (scheduled recipients and retries).
    public var sent: Int
    /// Sends made from today's scheduled recipients.
    public var sentScheduled: Int
    /// How many sends the day's plan holds.
    public var planned: Int
    /// `sent` when the plan was last made.
    public var base: Int
    /// When the plan was last made: its sends are spread from here to the window's end. Kept to the
    /// millisecond, as the stores keep it, so a day read back equals the day written (the store guards
    /// each send by that equality).
    public var from: Date?

    public init(day: String? = nil, sent: Int = 0, sentScheduled: Int = 0, planned: Int = 0, base: Int = 0, from: Date? = nil) {
        self.day = day
        self.sent = sent
        self.sentScheduled = sentScheduled
        self.planned = planned
        self.base = base
        self.from = from.map(Self.stored)
    }

    /// `date` to the millisecond.
    public static func stored(_ date: Date) -> Date { Date(millisecondsSince1970: date.millisecondsSince1970) }
}
