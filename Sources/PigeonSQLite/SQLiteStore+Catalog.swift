import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MessageCatalog {
    public func message(_ id: MessageID) async throws -> MessageRecord? {
        try await read { db in
            try SQLiteRows.message(
                db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages WHERE id = ?", arguments: [id.rawValue])
        }
    }

    public func attempts(of id: MessageID) async throws -> [AttemptRecord] {
        try await read { db in
            guard
                let message = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT seq, status, attempts, updated_at, sender_id FROM messages WHERE id = ?"),
                    arguments: [id.rawValue])
            else { return [] }
            var history = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM attempts WHERE message_seq = ? ORDER BY number"),
                arguments: [message[0] as Int64]
            ).map(SQLiteRows.attempt(from:))
            // An attempt in flight has no history row yet: the message row holds it.
            if message[1] == MessageStatus.sending.rawValue, let number: Int = message[2], history.last?.number != number {
                history.append(
                    AttemptRecord(
                        number: number, startedAt: SQLiteRows.date(message[3])!, finishedAt: nil, outcome: .inFlight,
                        error: nil, durationMs: nil, senderID: message[4]))
            }
            return history
        }
    }

    public func list(_ filter: MessageFilter, limit: Int, cursor: Int64?) async throws -> MessagePage {
        try await read { db in
            var (conditions, arguments) = Self.conditions(for: filter)
            if let cursor {
                conditions.append("seq < ?")
                _ = arguments.append(contentsOf: [cursor])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [limit + 1])
            let rows = try SQLiteRows.messages(
                db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages \(whereClause) ORDER BY seq DESC LIMIT ?",
                arguments: arguments)
            let messages = Array(rows.prefix(limit))
            return MessagePage(messages: messages, nextCursor: rows.count > limit ? messages.last?.seq : nil)
        }
    }

    public func stats(windowStart: Date) async throws -> DeliveryStats {
        try await read { db in
            var counts = Dictionary(uniqueKeysWithValues: MessageStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT status, n FROM message_counts")) {
                if let status = MessageStatus(rawValue: row[0]) { counts[status] = row[1] }
            }
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COALESCE(SUM(attempts), 0), COALESCE(SUM(retries), 0) FROM attempt_minutes WHERE minute >= ?
                        """),
                arguments: [windowStart.millisecondsSince1970 / 60000])
            return DeliveryStats(counts: counts, attemptsInWindow: row?[0] ?? 0, retriesInWindow: row?[1] ?? 0)
        }
    }

    public func queueHealth(now: Date, deadLetteredSince since: Date) async throws -> QueueHealth {
        try await read { db in
            var due: [String: Int] = [:]
            var oldest: Int64?
            // Sender by sender, each a seek into the due index: the cost stays the same however many are due.
            let first = try db.cachedStatement(
                sql: """
                    SELECT MIN(next_attempt_at) FROM messages INDEXED BY messages_due
                    WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled')
                    """)
            let count = try db.cachedStatement(
                sql: """
                    SELECT COUNT(*) FROM (SELECT 1 FROM messages INDEXED BY messages_due
                      WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled') AND next_attempt_at <= ? LIMIT ?)
                    """)
            for sender in try String.fetchAll(db, sql: "SELECT id FROM senders") {
                guard let at = try Int64.fetchOne(first, arguments: [sender]), at <= now.millisecondsSince1970 else { continue }
                oldest = min(oldest ?? at, at)
                due[sender] = try Int.fetchOne(count, arguments: [sender, now.millisecondsSince1970, QueueHealth.countCap]) ?? 0
            }
            let dead =
                try Int.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT COUNT(*) FROM messages INDEXED BY messages_ended
                            WHERE status IN ('failed', 'cancelled') AND updated_at >= ? AND status = 'failed'
                            """), arguments: [since.millisecondsSince1970]) ?? 0
            return QueueHealth(dueBySender: due, oldestDueAt: oldest.map(Date.init(millisecondsSince1970:)), deadLettered: dead)
        }
    }

    public func campaigns(of ids: [MessageID]) async throws -> [MessageID: String] {
        guard !ids.isEmpty else { return [:] }
        return try await read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            var found: [MessageID: String] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT id, campaign_id FROM messages WHERE id IN (\(marks)) AND campaign_id IS NOT NULL",
                arguments: StatementArguments(ids.map(\.rawValue)))
            {
                found[MessageID(rawValue: row[0])] = row[1]
            }
            return found
        }
    }

    public func attemptMinutes(since: Date) async throws -> [AttemptMinute] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT minute, attempts, retries FROM attempt_minutes WHERE minute >= ? ORDER BY minute",
                arguments: [since.millisecondsSince1970 / 60000]
            ).map { row in
                AttemptMinute(minute: Date(millisecondsSince1970: (row[0] as Int64) * 60000), attempts: row[1], retries: row[2])
            }
        }
    }

    public func funnel(since: Date) async throws -> Funnel {
        try await read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(accepted), 0), COALESCE(SUM(reached_sent), 0), COALESCE(SUM(reached_delivered), 0),
                      COALESCE(SUM(reached_read), 0) FROM attempt_minutes WHERE minute >= ?
                    """, arguments: [since.millisecondsSince1970 / 60000])
            return Funnel(accepted: row?[0] ?? 0, sent: row?[1] ?? 0, delivered: row?[2] ?? 0, read: row?[3] ?? 0)
        }
    }

    public func topFailureCodes(limit: Int) async throws -> [FailureCount] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT last_error_code, MAX(last_error_title), COUNT(*) AS n FROM (
                      SELECT last_error_code, last_error_title FROM messages INDEXED BY messages_status
                      WHERE status = 'failed' ORDER BY seq DESC LIMIT ?)
                    GROUP BY last_error_code ORDER BY n DESC, last_error_code LIMIT ?
                    """, arguments: [FailureCount.sample, limit]
            ).map { FailureCount(code: $0[0], title: $0[1], count: $0[2]) }
        }
    }

    /// SQL conditions and arguments selecting the messages `filter` matches.
    static func conditions(for filter: MessageFilter) -> ([String], StatementArguments) {
        let terms: [(condition: String, value: (any DatabaseValueConvertible)?)] = [
            ("status = ?", filter.status?.rawValue),
            ("last_error_code = ?", filter.errorCode),
            ("last_error_class = ?", filter.errorClass?.rawValue),
            ("updated_at >= ?", filter.since?.millisecondsSince1970),
            ("sender_id = ?", filter.senderID),
            ("campaign_id = ?", filter.campaignID),
        ]
        let present = terms.compactMap { term in term.value.map { (term.condition, $0) } }
        return (present.map(\.0), StatementArguments(present.map(\.1)))
    }
}
