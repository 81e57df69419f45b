import Foundation
import GRDB
import PigeonCore

extension CounterChanges {
    /// Adds the changes to the counter tables.
    func write(_ db: Database) throws {
        for (status, delta) in statuses where delta != 0 {
            try db.cachedStatement(sql: "UPDATE message_counts SET n = n + ? WHERE status = ?")
                .execute(arguments: [delta, status.rawValue])
        }
        for (minute, counts) in minutes {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempt_minutes (minute, attempts, retries, accepted, reached_sent, reached_delivered, reached_read)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (minute) DO UPDATE SET attempts = attempts + excluded.attempts,
                      retries = retries + excluded.retries, accepted = accepted + excluded.accepted,
                      reached_sent = reached_sent + excluded.reached_sent, reached_delivered = reached_delivered + excluded.reached_delivered,
                      reached_read = reached_read + excluded.reached_read
                    """
            ).execute(arguments: [minute, counts.attempts, counts.retries, counts.accepted, counts.sent, counts.delivered, counts.read])
        }
    }
}
