import Foundation
import PigeonCore
import PostgresNIO

extension PostgresStore: MessageAdministration {
    public func update(
        _ id: MessageID, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Transition? {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = "SELECT \(PostgresRows.messageColumns) FROM messages WHERE id = \(sql.bind(id.rawValue)) FOR UPDATE"
            guard let record = try await PostgresRows.messages(connection, sql, logger: logger).first else { return nil }
            let result = transition(record.state)
            if let state = result.state {
                _ = try await PostgresStateWrites.write(
                    connection, [StateWrite(seq: record.seq, old: record.state, new: state)], now: now, logger: logger)
            }
            return result
        }
    }

    public func updateAll(
        _ filter: MessageFilter, limit: Int, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            let conditions = Self.conditions(for: filter, &sql)
            sql.text = """
                SELECT \(PostgresRows.messageColumns) FROM messages \(Self.whereClause(conditions))
                ORDER BY seq LIMIT \(sql.bind(limit)) FOR UPDATE SKIP LOCKED
                """
            let records = try await PostgresRows.messages(connection, sql, logger: logger)
            let writes = records.compactMap { record in
                transition(record.state).state.map { StateWrite(seq: record.seq, old: record.state, new: $0) }
            }
            return try await PostgresStateWrites.write(connection, writes, now: now, logger: logger).count
        }
    }

    public func delete(_ id: MessageID, where allowed: @escaping @Sendable (MessageState) -> Bool) async throws -> DeleteResult {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = "SELECT \(PostgresRows.messageColumns) FROM messages WHERE id = \(sql.bind(id.rawValue)) FOR UPDATE"
            guard let record = try await PostgresRows.messages(connection, sql, logger: logger).first else { return .notFound }
            guard allowed(record.state) else { return .refused(record.state.status) }
            var delete = SQL()
            delete.text = "DELETE FROM messages WHERE seq = \(delete.bind(record.seq))"
            try await connection.run(delete, logger: logger)
            var counters = CounterChanges()
            counters.moved(from: record.state.status, to: nil)
            try await PostgresStateWrites.writeCounters(counters, connection, logger: logger)
            return .deleted
        }
    }

    public func purge(statuses: [MessageStatus], before cutoff: Date, limit: Int) async throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                DELETE FROM messages WHERE seq IN (
                  SELECT seq FROM messages WHERE status = ANY(\(sql.bind(statuses.map(\.rawValue)))::text[])
                    AND updated_at < \(sql.bind(cutoff.millisecondsSince1970))
                  LIMIT \(sql.bind(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING status
                """
            var counters = CounterChanges()
            let purged = try await connection.rows(sql, logger: logger)
            for row in purged { counters.moved(from: MessageStatus(rawValue: try row.get("status")), to: nil) }
            try await PostgresStateWrites.writeCounters(counters, connection, logger: logger)
            // Per-minute attempt counters serve /v1/stats' last hour; a day of them is plenty.
            try await connection.run(
                SQL("DELETE FROM attempt_minutes WHERE minute < (SELECT MAX(minute) FROM attempt_minutes) - 1440"), logger: logger)
            return purged.count
        }
    }
}

extension PostgresStore: SettingsStore {
    public func setting(
        _ key: String, orInsert makeValue: @escaping @Sendable () -> String
    ) async throws
        -> (value: String, created: Bool)
    {
        let logger = logger
        return try await write { connection in
            var insert = SQL()
            insert.text = """
                INSERT INTO settings (key, value) VALUES (\(insert.bind(key)), \(insert.bind(makeValue())))
                ON CONFLICT (key) DO NOTHING RETURNING value
                """
            if let row = try await connection.rows(insert, logger: logger).first { return (try row.get("value"), true) }
            var select = SQL()
            select.text = "SELECT value FROM settings WHERE key = \(select.bind(key))"
            return (try await connection.rows(select, logger: logger).first!.get("value"), false)
        }
    }
}
