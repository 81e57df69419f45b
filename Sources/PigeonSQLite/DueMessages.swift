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

    /// Up to `limit` messages due at `now` from senders that send now and are not excluded, each paced sender's
    /// no more than its allowance, earliest first; with the pace state read for each paced sender. Senders share
    /// the claim: each is asked for an equal share first, and what a sender with fewer due messages leaves is
    /// offered to the others, so a claim reads about `limit` rows however many senders there are (asking each
    /// for the whole `limit` read ten times as many with ten senders, and cost a quarter of the throughput).
    static func claimable(
        _ db: Database, now: Date, limit: Int, excluding excluded: Set<String>, pacing: SenderPacing
    ) throws -> ([MessageRecord], [String: PaceState]) {
        var paces: [String: PaceState] = [:]
        var allowances: [(sender: String, allowance: Int)] = []
        for sender in try activeSenders(db, excluding: excluded) {
            var allowance = limit
            if pacing.limits[sender] != nil {
                let state = try SQLitePace.read(db, sender)
                paces[sender] = state
                allowance = min(allowance, pacing.allowance(sender, state, now: now))
            }
            if allowance > 0 { allowances.append((sender, allowance)) }
        }
        guard !allowances.isEmpty else { return ([], paces) }
        let share = max(1, (limit + allowances.count - 1) / allowances.count)
        var due: [MessageRecord] = []
        var more: [(sender: String, left: Int, after: MessageRecord)] = []
        for (sender, allowance) in allowances {
            let take = min(share, allowance)
            let rows = try page(db, sender: sender, now: now, after: nil, limit: take)
            due += rows
            if rows.count == take, allowance > take, let last = rows.last { more.append((sender, allowance - take, last)) }
        }
        for (sender, left, last) in more where due.count < limit {
            due += try page(db, sender: sender, now: now, after: last, limit: min(left, limit - due.count))
        }
        let earliest = due.sorted { ($0.state.nextAttemptAt ?? .distantPast, $0.seq) < ($1.state.nextAttemptAt ?? .distantPast, $1.seq) }
        return (Array(earliest.prefix(limit)), paces)
    }

    /// Up to `limit` of `sender`'s messages due at `now`, earliest first, after `after` when given.
    private static func page(_ db: Database, sender: String, now: Date, after: MessageRecord?, limit: Int) throws -> [MessageRecord] {
        let due = now.millisecondsFloor
        guard let after else {
            return try SQLiteRows.messages(
                db,
                sql: """
                    SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_due
                    WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled') AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, seq LIMIT ?
                    """,
                arguments: [sender, due, limit])
        }
        let at = after.state.nextAttemptAt?.millisecondsSince1970 ?? 0
        return try SQLiteRows.messages(
            db,
            sql: """
                SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_due
                WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled') AND next_attempt_at <= ?
                  AND (next_attempt_at > ? OR (next_attempt_at = ? AND seq > ?))
                ORDER BY next_attempt_at, seq LIMIT ?
                """,
            arguments: [sender, due, at, at, after.seq, limit])
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
