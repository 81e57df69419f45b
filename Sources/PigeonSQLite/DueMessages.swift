import Foundation
import GRDB
import PigeonCore

/// Finds due messages sender by sender through the `messages_due (sender_id, next_attempt_at)` index, so a
/// paused or held sender's backlog is never read: with one sender paused behind a million queued messages,
/// a claim for the others still costs a few index seeks.
enum DueMessages {
    /// Senders that have queued or retry-scheduled messages, by a loose scan of the index (one seek each).
    static func senders(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    WITH RECURSIVE s(id) AS (
                      SELECT (SELECT MIN(sender_id) FROM messages INDEXED BY messages_due
                              WHERE status IN ('queued', 'retry_scheduled'))
                      UNION ALL
                      SELECT (SELECT MIN(sender_id) FROM messages INDEXED BY messages_due
                              WHERE status IN ('queued', 'retry_scheduled') AND sender_id > s.id)
                      FROM s WHERE s.id IS NOT NULL
                    )
                    SELECT id FROM s WHERE id IS NOT NULL
                    """))
    }

    /// Senders with waiting messages that send now (or have no record) and are not in `excluded`.
    static func activeSenders(_ db: Database, excluding excluded: Set<String> = []) throws -> [String] {
        let paused = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM senders WHERE sends = 0")))
        return try senders(db).filter { !paused.contains($0) && !excluded.contains($0) }
    }

    /// Up to `limit` messages due at `now`, earliest first, from senders that send now and are not excluded,
    /// each paced sender's no more than its allowance; with the pace state read for each paced sender.
    static func claimable(
        _ db: Database, now: Date, limit: Int, excluding excluded: Set<String>, pacing: SenderPacing
    ) throws -> ([MessageRecord], [String: PaceState]) {
        var due: [MessageRecord] = []
        var paces: [String: PaceState] = [:]
        for sender in try activeSenders(db, excluding: excluded) {
            var take = limit
            if pacing.limits[sender] != nil {
                let state = try SQLitePace.read(db, sender)
                paces[sender] = state
                take = min(take, pacing.allowance(sender, state, now: now))
                if take == 0 { continue }
            }
            due += try SQLiteRows.messages(
                db,
                sql: """
                    SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_due
                    WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled') AND next_attempt_at <= ?
                    ORDER BY next_attempt_at LIMIT ?
                    """,
                arguments: [sender, now.millisecondsSince1970, take])
        }
        guard due.count > limit else { return (due, paces) }
        let earliest = due.sorted { ($0.state.nextAttemptAt ?? .distantPast, $0.seq) < ($1.state.nextAttemptAt ?? .distantPast, $1.seq) }
        return (Array(earliest.prefix(limit)), paces)
    }

    /// When the earliest message of a sender that sends now falls due.
    static func nextDueTime(_ db: Database) throws -> Date? {
        var earliest: Int64?
        for sender in try activeSenders(db) {
            let millis = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(next_attempt_at) FROM messages INDEXED BY messages_due
                        WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled')
                        """),
                arguments: [sender])
            if let millis { earliest = min(earliest ?? millis, millis) }
        }
        return SQLiteRows.date(earliest)
    }
}
