import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MessageAdministration {
    public func update(
        _ id: MessageID, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Transition? {
        try await write { db in
            guard
                let record = try SQLiteRows.message(
                    db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages WHERE id = ?", arguments: [id.rawValue])
            else { return nil }
            let result = transition(record.state)
            if let state = result.state {
                _ = try SQLiteStateWrites.write(db, [StateWrite(seq: record.seq, old: record.state, new: state)], now: now)
            }
            return result
        }
    }

    public func updateAll(
        _ filter: MessageFilter, limit: Int, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Int {
        try await write { db in
            let (conditions, arguments) = Self.conditions(for: filter)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            var limited = arguments
            _ = limited.append(contentsOf: [limit])
            let records = try SQLiteRows.messages(
                db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages \(whereClause) ORDER BY seq LIMIT ?",
                arguments: limited)
            let writes = records.compactMap { record in
                transition(record.state).state.map { StateWrite(seq: record.seq, old: record.state, new: $0) }
            }
            return try SQLiteStateWrites.write(db, writes, now: now).count
        }
    }

    public func delete(
        _ id: MessageID, where allowed: @escaping @Sendable (MessageState) -> Bool
    ) async throws
        -> DeleteResult
    {
        try await write { db in
            guard
                let record = try SQLiteRows.message(
                    db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages WHERE id = ?", arguments: [id.rawValue])
            else { return .notFound }
            guard allowed(record.state) else { return .refused(record.state.status) }
            try db.execute(sql: "DELETE FROM messages WHERE seq = ?", arguments: [record.seq])
            var counters = CounterChanges()
            counters.moved(from: record.state.status, to: nil)
            try counters.write(db)
            return .deleted
        }
    }

    public func purge(statuses: [MessageStatus], before cutoff: Date, limit: Int) async throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        // Literals, not parameters: SQLite uses the partial index only when it can prove the statuses match it.
        let literals = statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        // SQLite proves a partial index usable only from its own condition, so that is repeated when it applies.
        let index =
            Set(statuses).isSubset(of: [.failed, .cancelled])
            ? "INDEXED BY messages_ended WHERE status IN ('failed','cancelled') AND" : "WHERE"
        return try await write { db in
            let purged = try String.fetchAll(
                db,
                sql: """
                    DELETE FROM messages WHERE seq IN (
                      SELECT seq FROM messages \(index) status IN (\(literals)) AND updated_at < ? LIMIT ?)
                    RETURNING status
                    """,
                arguments: [cutoff.millisecondsSince1970, limit])
            var counters = CounterChanges()
            for status in purged { counters.moved(from: MessageStatus(rawValue: status), to: nil) }
            try counters.write(db)
            // Per-minute attempt counters serve /v1/stats' last hour; a day of them is plenty.
            try db.execute(sql: "DELETE FROM attempt_minutes WHERE minute < (SELECT MAX(minute) FROM attempt_minutes) - 1440")
            return purged.count
        }
    }
}
