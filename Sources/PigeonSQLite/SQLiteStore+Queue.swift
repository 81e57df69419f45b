import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MessageQueue {
    public func enqueue(_ messages: [NewMessage], now: Date) async throws -> [EnqueueResult] {
        try await writes.perform { db in
            try messages.map { try Self.insert($0, now: now, db: db) }
        }
    }

    static func insert(_ message: NewMessage, now: Date, db: Database) throws -> EnqueueResult {
        if let key = message.idempotencyKey,
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(SQLiteRows.messageColumns), request_hash FROM messages WHERE idempotency_key = ?"),
                arguments: [key])
        {
            let existing = SQLiteRows.message(from: row)
            let hash: String? = row["request_hash"]
            return hash == message.requestHash ? .replayed(existing) : .conflict(existing: existing.id)
        }
        let nowMillis = now.millisecondsSince1970
        let seq = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at,
                      idempotency_key, request_hash, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING seq
                    """),
            arguments: [
                message.id.rawValue, message.senderID, message.recipient, message.type, message.payload,
                message.maxAttempts, nowMillis, message.idempotencyKey, message.requestHash, nowMillis, nowMillis,
            ])!
        let record = MessageRecord(
            id: message.id, seq: seq, senderID: message.senderID, recipient: message.recipient, type: message.type,
            payload: message.payload, idempotencyKey: message.idempotencyKey,
            state: .new(maxAttempts: message.maxAttempts, now: Date(millisecondsSince1970: nowMillis)),
            createdAt: Date(millisecondsSince1970: nowMillis), updatedAt: Date(millisecondsSince1970: nowMillis),
            sentAt: nil)
        return .created(record)
    }

    public func claim(limit: Int, owner: String, now: Date, leaseUntil: Date, excludedSenders: Set<String>)
        async throws -> [MessageRecord]
    {
        let lifecycle = Lifecycle()
        return try await writes.perform { db in
            var sql = """
                SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_due
                WHERE status IN ('queued', 'retry_scheduled') AND next_attempt_at <= ?
                  AND sender_id NOT IN (SELECT id FROM senders WHERE paused = 1)
                """
            var arguments: StatementArguments = [now.millisecondsSince1970]
            if !excludedSenders.isEmpty {
                sql += " AND sender_id NOT IN (\(databaseQuestionMarks(count: excludedSenders.count)))"
                _ = arguments.append(contentsOf: StatementArguments(Array(excludedSenders)))
            }
            sql += " ORDER BY next_attempt_at LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
            var claimed: [MessageRecord] = []
            claimed.reserveCapacity(rows.count)
            for row in rows {
                var record = SQLiteRows.message(from: row)
                guard
                    let state = lifecycle.transition(
                        record.state, .claim(owner: owner, leaseUntil: leaseUntil), now: now
                    ).state,
                    try SQLiteRows.writeState(db, seq: record.seq, from: record.state, to: state, now: now)
                else { continue }
                record.state = state
                record.updatedAt = now
                claimed.append(record)
            }
            return claimed
        }
    }

    public func complete(_ completions: [AttemptCompletion], now: Date) async throws -> Set<MessageID> {
        try await writes.perform { db in
            var applied = Set<MessageID>()
            for completion in completions {
                let changed = try SQLiteRows.writeState(
                    db, seq: completion.seq, from: completion.claimed, to: completion.state, now: now,
                    owner: completion.owner, attempt: completion.attempt)
                guard changed else { continue }
                try SQLiteRows.recordAttempt(
                    db, seq: completion.seq, number: completion.attempt, startedAt: completion.startedAt,
                    outcome: completion.outcome, error: completion.error, finishedAt: completion.finishedAt,
                    durationMs: completion.durationMs)
                applied.insert(completion.messageID)
            }
            return applied
        }
    }

    public func renewLeases(_ ids: [MessageID], owner: String, until: Date) async throws {
        guard !ids.isEmpty else { return }
        try await writes.perform { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE messages SET lease_expires_at = ? WHERE id = ? AND status = 'sending' AND lease_owner = ?")
            for id in ids {
                try statement.execute(arguments: [until.millisecondsSince1970, id.rawValue, owner])
            }
        }
    }

    public func reclaimExpiredLeases(
        now: Date, limit: Int, decide: @escaping @Sendable (MessageRecord) -> MessageState?
    ) async throws -> Int {
        try await writes.perform { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_leases
                        WHERE status = 'sending' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?
                        """),
                arguments: [now.millisecondsSince1970, limit])
            var reclaimed = 0
            for row in rows {
                let record = SQLiteRows.message(from: row)
                guard let state = decide(record),
                    try SQLiteRows.writeState(db, seq: record.seq, from: record.state, to: state, now: now)
                else { continue }
                try SQLiteRows.recordAttempt(
                    db, seq: record.seq, number: record.state.attempts, startedAt: record.updatedAt, outcome: .inDoubt,
                    error: state.lastError, finishedAt: now, durationMs: nil)
                reclaimed += 1
            }
            return reclaimed
        }
    }

    public func nextDueTime() async throws -> Date? {
        try await pool.read { db in
            let millis = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT next_attempt_at FROM messages INDEXED BY messages_due
                        WHERE status IN ('queued', 'retry_scheduled')
                          AND sender_id NOT IN (SELECT id FROM senders WHERE paused = 1)
                        ORDER BY next_attempt_at LIMIT 1
                        """))
            return SQLiteRows.date(millis)
        }
    }
}
