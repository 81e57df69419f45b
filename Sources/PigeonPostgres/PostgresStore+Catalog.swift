import Foundation
import PigeonCore
import PostgresNIO

extension PostgresStore: MessageCatalog {
    public func message(_ id: MessageID) async throws -> MessageRecord? {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT \(PostgresRows.messageColumns) FROM messages WHERE id = \(sql.bind(id.rawValue))"
            return try await PostgresRows.messages(connection, sql, logger: logger).first
        }
    }

    public func attempts(of id: MessageID) async throws -> [AttemptRecord] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT seq, status, attempts, updated_at, sender_id FROM messages WHERE id = \(sql.bind(id.rawValue))"
            guard let message = try await connection.rows(sql, logger: logger).first else { return [] }
            var history = SQL()
            history.text = "SELECT * FROM attempts WHERE message_seq = \(history.bind(try message.get("seq", as: Int64.self))) ORDER BY number"
            var attempts = try await connection.rows(history, logger: logger).map(PostgresRows.attempt(from:))
            // An attempt in flight has no history row yet: the message row holds it.
            let number: Int = try message.get("attempts")
            if try message.get("status", as: String.self) == MessageStatus.sending.rawValue, attempts.last?.number != number {
                attempts.append(
                    AttemptRecord(
                        number: number, startedAt: try message.date("updated_at")!, finishedAt: nil, outcome: .inFlight, error: nil,
                        durationMs: nil, senderID: try message.get("sender_id")))
            }
            return attempts
        }
    }

    public func list(_ filter: MessageFilter, limit: Int, cursor: Int64?) async throws -> MessagePage {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            var conditions = Self.conditions(for: filter, &sql)
            if let cursor { conditions.append("seq < \(sql.bind(cursor))") }
            sql.text = """
                SELECT \(PostgresRows.messageColumns) FROM messages \(Self.whereClause(conditions))
                ORDER BY seq DESC LIMIT \(sql.bind(limit + 1))
                """
            let rows = try await PostgresRows.messages(connection, sql, logger: logger)
            let messages = Array(rows.prefix(limit))
            return MessagePage(messages: messages, nextCursor: rows.count > limit ? messages.last?.seq : nil)
        }
    }

    public func stats(windowStart: Date) async throws -> DeliveryStats {
        let logger = logger
        return try await read { connection in
            var counts = Dictionary(uniqueKeysWithValues: MessageStatus.allCases.map { ($0, 0) })
            for row in try await connection.rows(SQL("SELECT status, SUM(n)::bigint AS n FROM message_counts GROUP BY status"), logger: logger) {
                if let status = MessageStatus(rawValue: try row.get("status")) { counts[status] = Int(try row.get("n", as: Int64.self)) }
            }
            var sql = SQL()
            sql.text = """
                SELECT COALESCE(SUM(attempts), 0)::bigint AS attempts, COALESCE(SUM(retries), 0)::bigint AS retries
                FROM attempt_minutes WHERE minute >= \(sql.bind(windowStart.millisecondsSince1970 / 60000))
                """
            let row = try await connection.rows(sql, logger: logger).first
            return DeliveryStats(
                counts: counts, attemptsInWindow: Int(try row?.get("attempts", as: Int64.self) ?? 0),
                retriesInWindow: Int(try row?.get("retries", as: Int64.self) ?? 0))
        }
    }

    public func queueHealth(now: Date, deadLetteredSince since: Date) async throws -> QueueHealth {
        let logger = logger
        return try await read { connection in
            var due: [String: Int] = [:]
            var oldest: Int64?
            var sql = SQL()
            // The oldest due messages through the due index, at most countCap of them: the cost stays the
            // same however many are due.
            sql.text = """
                SELECT sender_id, COUNT(*)::bigint AS n, MIN(next_attempt_at) AS first FROM (
                  SELECT sender_id, next_attempt_at FROM messages
                  WHERE status IN ('queued', 'retry_scheduled') AND next_attempt_at <= \(sql.bind(now.millisecondsSince1970))
                  ORDER BY next_attempt_at, seq LIMIT \(sql.bind(QueueHealth.countCap))) oldest
                GROUP BY sender_id
                """
            for row in try await connection.rows(sql, logger: logger) {
                due[try row.get("sender_id", as: String.self)] = Int(try row.get("n", as: Int64.self))
                let first = try row.get("first", as: Int64.self)
                oldest = min(oldest ?? first, first)
            }
            var dead = SQL()
            dead.text = """
                SELECT COUNT(*)::bigint AS n FROM messages
                WHERE status IN ('failed', 'cancelled') AND updated_at >= \(dead.bind(since.millisecondsSince1970)) AND status = 'failed'
                """
            let count = try await connection.rows(dead, logger: logger).first.map { try $0.get("n", as: Int64.self) } ?? 0
            return QueueHealth(dueBySender: due, oldestDueAt: oldest.map(Date.init(millisecondsSince1970:)), deadLettered: Int(count))
        }
    }

    public func campaigns(of ids: [MessageID]) async throws -> [MessageID: String] {
        guard !ids.isEmpty else { return [:] }
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT id, campaign_id FROM messages WHERE id = ANY(\(sql.bind(ids.map(\.rawValue)))::text[]) AND campaign_id IS NOT NULL"
            var found: [MessageID: String] = [:]
            for row in try await connection.rows(sql, logger: logger) {
                found[MessageID(rawValue: try row.get("id"))] = try row.get("campaign_id", as: String.self)
            }
            return found
        }
    }

    public func attemptMinutes(since: Date) async throws -> [AttemptMinute] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT minute, SUM(attempts)::bigint AS attempts, SUM(retries)::bigint AS retries FROM attempt_minutes
                WHERE minute >= \(sql.bind(since.millisecondsSince1970 / 60000)) GROUP BY minute ORDER BY minute
                """
            return try await connection.rows(sql, logger: logger).map { row in
                AttemptMinute(
                    minute: Date(millisecondsSince1970: try row.get("minute", as: Int64.self) * 60000),
                    attempts: Int(try row.get("attempts", as: Int64.self)), retries: Int(try row.get("retries", as: Int64.self)))
            }
        }
    }

    public func funnel(since: Date) async throws -> Funnel {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT COALESCE(SUM(accepted), 0)::bigint AS accepted, COALESCE(SUM(reached_sent), 0)::bigint AS sent,
                  COALESCE(SUM(reached_delivered), 0)::bigint AS delivered, COALESCE(SUM(reached_read), 0)::bigint AS read
                FROM attempt_minutes WHERE minute >= \(sql.bind(since.millisecondsSince1970 / 60000))
                """
            let row = try await connection.rows(sql, logger: logger).first
            let value = { (name: String) in Int(try row?.get(name, as: Int64.self) ?? 0) }
            return Funnel(accepted: try value("accepted"), sent: try value("sent"), delivered: try value("delivered"), read: try value("read"))
        }
    }

    public func topFailureCodes(limit: Int) async throws -> [FailureCount] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT last_error_code AS code, MAX(last_error_title) AS title, COUNT(*)::bigint AS n FROM (
                  SELECT last_error_code, last_error_title FROM messages
                  WHERE status = 'failed' ORDER BY seq DESC LIMIT \(sql.bind(FailureCount.sample))) latest
                GROUP BY last_error_code ORDER BY n DESC, last_error_code LIMIT \(sql.bind(limit))
                """
            return try await connection.rows(sql, logger: logger).map { row in
                FailureCount(
                    code: try row.get("code", as: Int?.self), title: try row.get("title", as: String?.self),
                    count: Int(try row.get("n", as: Int64.self)))
            }
        }
    }

    /// SQL conditions selecting the messages `filter` matches, their values bound in `sql`.
    static func conditions(for filter: MessageFilter, _ sql: inout SQL) -> [String] {
        var conditions: [String] = []
        if let status = filter.status { conditions.append("status = \(sql.bind(status.rawValue))") }
        if let code = filter.errorCode { conditions.append("last_error_code = \(sql.bind(code))") }
        if let errorClass = filter.errorClass { conditions.append("last_error_class = \(sql.bind(errorClass.rawValue))") }
        if let since = filter.since { conditions.append("updated_at >= \(sql.bind(since.millisecondsSince1970))") }
        if let sender = filter.senderID { conditions.append("sender_id = \(sql.bind(sender))") }
        if let campaign = filter.campaignID { conditions.append("campaign_id = \(sql.bind(campaign))") }
        return conditions
    }

    static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }
}
