import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MessageQueue {
    public func enqueue(_ messages: [NewMessage], now: Date) async throws -> [EnqueueResult] {
        try await writes.perform { db in
            var results = [EnqueueResult?](repeating: nil, count: messages.count)
            var toInsert: [Int] = []
            var keysInBatch = Set<String>()
            for (index, message) in messages.enumerated() {
                if let key = message.idempotencyKey {
                    // A key used earlier in this batch: insert what is pending so the lookup sees it.
                    if keysInBatch.contains(key) {
                        try Self.insert(toInsert.map { messages[$0] }, now: now, db: db, into: toInsert, of: &results)
                        toInsert.removeAll()
                    }
                    if let existing = try Self.existing(key, for: message, db: db) {
                        results[index] = existing
                        continue
                    }
                    keysInBatch.insert(key)
                }
                toInsert.append(index)
            }
            try Self.insert(toInsert.map { messages[$0] }, now: now, db: db, into: toInsert, of: &results)
            return results.map { $0! }
        }
    }

    /// What an idempotency key already stored means for `message`: a replay or a conflict; nil if unused.
    static func existing(_ key: String, for message: NewMessage, db: Database) throws -> EnqueueResult? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(SQLiteRows.messageColumns), request_hash FROM messages WHERE idempotency_key = ?"),
                arguments: [key])
        else { return nil }
        let existing = SQLiteRows.message(from: row)
        let hash: String? = row["request_hash"]
        return hash == message.requestHash ? .replayed(existing) : .conflict(existing: existing.id)
    }

    private static let insertTuple = "(?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)"

    /// Inserts `messages` with one statement per few hundred rows and stores each `.created` result at the
    /// matching position of `positions` in `results`.
    static func insert(
        _ messages: [NewMessage], now: Date, db: Database, into positions: [Int], of results: inout [EnqueueResult?]
    ) throws {
        let nowMillis = now.millisecondsSince1970
        let created = Date(millisecondsSince1970: nowMillis)
        var start = 0
        while start < messages.count {
            let chunk = messages[start..<min(start + SQLiteStateWrites.rowsPerStatement, messages.count)]
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity(chunk.count * 11)
            for message in chunk {
                values.append(message.id.rawValue)
                values.append(message.senderID)
                values.append(message.recipient)
                values.append(message.type)
                values.append(message.payload)
                values.append(message.maxAttempts)
                values.append(nowMillis)
                values.append(message.idempotencyKey)
                values.append(message.requestHash)
                values.append(nowMillis)
                values.append(nowMillis)
            }
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at,
                      idempotency_key, request_hash, created_at, updated_at)
                    VALUES \(Array(repeating: insertTuple, count: chunk.count).joined(separator: ",")) RETURNING seq
                    """)
            statement.setUncheckedArguments(StatementArguments(values))
            // Rows get increasing sequence numbers in VALUES order; RETURNING's order is unspecified.
            let seqs = try Int64.fetchAll(statement).sorted()
            for (offset, (message, seq)) in zip(chunk, seqs).enumerated() {
                results[positions[start + offset]] = .created(
                    MessageRecord(
                        id: message.id, seq: seq, senderID: message.senderID, recipient: message.recipient,
                        type: message.type, payload: message.payload, idempotencyKey: message.idempotencyKey,
                        state: .new(maxAttempts: message.maxAttempts, now: created), createdAt: created,
                        updatedAt: created, sentAt: nil))
            }
            start += chunk.count
        }
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
            let records = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(SQLiteRows.message(from:))
            var writes: [StateWrite] = []
            writes.reserveCapacity(records.count)
            for record in records {
                guard let state = lifecycle.transition(record.state, .claim(owner: owner, leaseUntil: leaseUntil), now: now).state
                else { continue }
                writes.append(StateWrite(seq: record.seq, old: record.state, new: state))
            }
            let applied = try SQLiteStateWrites.write(db, writes, now: now)
            var claimed: [MessageRecord] = []
            claimed.reserveCapacity(applied.count)
            for (record, write) in zip(records, writes) where applied.contains(write.seq) {
                var record = record
                record.state = write.new
                record.updatedAt = now
                claimed.append(record)
            }
            return claimed
        }
    }

    public func complete(_ completions: [AttemptCompletion], now: Date) async throws -> Set<MessageID> {
        try await writes.perform { db in
            let applied = try SQLiteStateWrites.write(
                db, completions.map { StateWrite(seq: $0.seq, old: $0.claimed, new: $0.state, leaseOwner: $0.owner) }, now: now)
            let done = completions.filter { applied.contains($0.seq) }
            try SQLiteStateWrites.record(
                db,
                done.map {
                    AttemptRow(
                        seq: $0.seq, number: $0.attempt, startedAt: $0.startedAt, outcome: $0.outcome, error: $0.error,
                        finishedAt: $0.finishedAt, durationMs: $0.durationMs)
                })
            return Set(done.map(\.messageID))
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
                        SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_status
                        WHERE status = 'sending' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?
                        """),
                arguments: [now.millisecondsSince1970, limit])
            let records = rows.map(SQLiteRows.message(from:))
            let writes = records.compactMap { record in decide(record).map { StateWrite(seq: record.seq, old: record.state, new: $0) } }
            let applied = try SQLiteStateWrites.write(db, writes, now: now)
            let reclaimed = zip(records, writes).filter { applied.contains($0.1.seq) }
            try SQLiteStateWrites.record(
                db,
                reclaimed.map { record, write in
                    AttemptRow(
                        seq: record.seq, number: record.state.attempts, startedAt: record.updatedAt, outcome: .inDoubt,
                        error: write.new.lastError, finishedAt: now, durationMs: nil)
                })
            return reclaimed.count
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
