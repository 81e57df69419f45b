import Foundation

/// What one store operation changed in the counters behind `/v1/stats` and the dashboard: messages per
/// status (`message_counts`), and per minute (`attempt_minutes`) the attempts, retries, and the messages
/// accepted and reaching `sent`, `delivered` and `read` (the delivery funnel), the same in every store. Every write path that inserts, deletes or
/// moves a message, or records an attempt, notes it here and writes the sums before its transaction commits,
/// so the counters always match the rows and reading them costs the same at any table size.
public struct CounterChanges: Sendable {
    public private(set) var statuses: [MessageStatus: Int] = [:]
    public private(set) var minutes: [Int64: MinuteCounts] = [:]

    /// One minute's counts.
    public struct MinuteCounts: Sendable, Hashable {
        public var attempts = 0
        public var retries = 0
        public var accepted = 0
        public var sent = 0
        public var delivered = 0
        public var read = 0
    }

    public init() {}

    /// A message left `old` (nil: it is new) and is now in `new` (nil: it was deleted), at `now` when the
    /// move counts in the funnel: a new message is accepted, and a move up the delivery ranks reaches each
    /// rank it passes (`sent` straight to `read` reaches `delivered` too).
    public mutating func moved(from old: MessageStatus?, to new: MessageStatus?, at now: Date? = nil) {
        guard old != new else { return }
        if let old { statuses[old, default: 0] -= 1 }
        if let new { statuses[new, default: 0] += 1 }
        guard let now else { return }
        let minute = now.millisecondsSince1970 / 60_000
        if old == nil, new != nil { minutes[minute, default: MinuteCounts()].accepted += 1 }
        guard let to = new?.deliveryRank else { return }
        let from = old?.deliveryRank ?? 0
        guard to > from else { return }
        var counts = minutes[minute] ?? MinuteCounts()
        for rank in (from + 1)...to {
            switch rank {
            case 1: counts.sent += 1
            case 2: counts.delivered += 1
            default: counts.read += 1
            }
        }
        minutes[minute] = counts
    }

    /// An attempt started at `startedAt` was recorded for the first time.
    public mutating func attempted(startedAt: Date, number: Int) {
        let minute = startedAt.millisecondsSince1970 / 60_000
        var counts = minutes[minute] ?? MinuteCounts()
        counts.attempts += 1
        if number > 1 { counts.retries += 1 }
        minutes[minute] = counts
    }
}
