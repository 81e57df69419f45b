import Foundation
import GRDB
import PigeonCore

/// What one store operation changed in the counters behind `/v1/stats`: messages per status
/// (`message_counts`) and attempts per minute (`attempt_minutes`). Every write path that inserts, deletes or
/// moves a message, or records an attempt, notes it here and writes the sums before its transaction commits,
/// so the counters always match the rows and reading them costs the same at any table size.
struct CounterChanges {
    private var statuses: [MessageStatus: Int] = [:]
    private var minutes: [Int64: (attempts: Int, retries: Int)] = [:]

    /// A message left `old` (nil: it is new) and is now in `new` (nil: it was deleted).
    mutating func moved(from old: MessageStatus?, to new: MessageStatus?) {
        guard old != new else { return }
        if let old { statuses[old, default: 0] -= 1 }
        if let new { statuses[new, default: 0] += 1 }
    }

    /// An attempt started at `startedAt` was recorded for the first time.
    mutating func attempted(startedAt: Date, number: Int) {
        let minute = startedAt.millisecondsSince1970 / 60_000
        var counts = minutes[minute] ?? (0, 0)
        counts.attempts += 1
        if number > 1 { counts.retries += 1 }
        minutes[minute] = counts
    }

    /// Adds the changes to the counter tables.
    func write(_ db: Database) throws {
        for (status, delta) in statuses where delta != 0 {
            try db.cachedStatement(sql: "UPDATE message_counts SET n = n + ? WHERE status = ?")
                .execute(arguments: [delta, status.rawValue])
        }
        for (minute, counts) in minutes {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempt_minutes (minute, attempts, retries) VALUES (?, ?, ?)
                    ON CONFLICT (minute) DO UPDATE SET attempts = attempts + excluded.attempts,
                      retries = retries + excluded.retries
                    """
            ).execute(arguments: [minute, counts.attempts, counts.retries])
        }
    }
}
