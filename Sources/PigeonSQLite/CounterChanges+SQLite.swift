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
                    INSERT INTO attempt_minutes (minute, attempts, retries) VALUES (?, ?, ?)
                    ON CONFLICT (minute) DO UPDATE SET attempts = attempts + excluded.attempts,
                      retries = retries + excluded.retries
                    """
            ).execute(arguments: [minute, counts.attempts, counts.retries])
        }
    }
}
