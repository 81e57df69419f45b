import Foundation

/// What one store operation changed in the counters behind `/v1/stats`: messages per status
/// (`message_counts`) and attempts per minute (`attempt_minutes`), the same in every store. Every write path that inserts, deletes or
/// moves a message, or records an attempt, notes it here and writes the sums before its transaction commits,
/// so the counters always match the rows and reading them costs the same at any table size.
public struct CounterChanges: Sendable {
    public private(set) var statuses: [MessageStatus: Int] = [:]
    public private(set) var minutes: [Int64: (attempts: Int, retries: Int)] = [:]

    public init() {}

    /// A message left `old` (nil: it is new) and is now in `new` (nil: it was deleted).
    public mutating func moved(from old: MessageStatus?, to new: MessageStatus?) {
        guard old != new else { return }
        if let old { statuses[old, default: 0] -= 1 }
        if let new { statuses[new, default: 0] += 1 }
    }

    /// An attempt started at `startedAt` was recorded for the first time.
    public mutating func attempted(startedAt: Date, number: Int) {
        let minute = startedAt.millisecondsSince1970 / 60_000
        var counts = minutes[minute] ?? (0, 0)
        counts.attempts += 1
        if number > 1 { counts.retries += 1 }
        minutes[minute] = counts
    }
}
