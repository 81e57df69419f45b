import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MessageQueue {
    public func enqueue(_ messages: [NewMessage], now: Date) async throws -> [EnqueueResult] {
        try await write { db in
            let inserter = try MessageInserter(db: db, now: now)
            let results = try messages.map { message in
                if let key = message.idempotencyKey, let existing = try Self.existing(key, for: message, db: db) {
                    return existing
                }
                return EnqueueResult.created(try inserter.insert(message))
            }
            try inserter.finish(db)
            return results
        }
    }

    /// What an idempotency key already stored means for `message`: a replay or a conflict; nil if unused.
    static func existing(_ key: String, for message: NewMessage, db: Database) throws -> EnqueueResult? {
        guard
            let (existing, hash) = try SQLiteRows.fetch(
                db, sql: "SELECT \(SQLiteRows.messageColumns), request_hash FROM messages WHERE idempotency_key = ?",
                arguments: [key], decode: { (SQLiteRows.message(from: $0), $0.optionalString(SQLiteRows.firstExtraColumn)) }
            ).first
        else { return nil }
        return hash == message.requestHash ? .replayed(existing) : .conflict(existing: existing.id)
    }

    public func claim(
        limit: Int, owner: String, now: Date, leaseUntil: Date, excludedSenders: Set<String>, pacing: SenderPacing
    )
        async throws -> [MessageRecord]
    {
        try await write { db in
            let (records, paces) = try DueMessages.claimable(db, now: now, limit: limit, excluding: excludedSenders, pacing: pacing)
            // Each record with its own write: a record the lifecycle refuses is skipped as a pair, never shifting
            // the others' states onto the wrong messages.
            var pairs: [(record: MessageRecord, write: StateWrite)] = []
            pairs.reserveCapacity(records.count)
            for record in records {
                guard let state = Lifecycle.claim(record.state, owner: owner, leaseUntil: leaseUntil, now: now).state
                else { continue }
                pairs.append((record, StateWrite(seq: record.seq, old: record.state, new: state)))
            }
            let applied = try SQLiteStateWrites.write(db, pairs.map(\.write), now: now)
            var claimed: [MessageRecord] = []
            claimed.reserveCapacity(applied.count)
            for (record, write) in pairs where applied.contains(write.seq) {
                var record = record
                record.state = write.new
                record.updatedAt = now
                claimed.append(record)
            }
            if !paces.isEmpty {
                let counts = Dictionary(grouping: claimed, by: \.senderID).mapValues(\.count)
                for (sender, state) in paces {
                    try SQLitePace.write(db, sender, pacing.consume(sender, state, count: counts[sender] ?? 0, now: now))
                }
            }
            return claimed
        }
    }

    public func paceStates() async throws -> [String: PaceState] {
        try await read { db in try SQLitePace.all(db) }
    }

    public func refundPace(_ sender: String, pacing: SenderPacing, now: Date) async throws {
        guard pacing.limits[sender] != nil else { return }
        try await write { db in try SQLitePace.write(db, sender, pacing.refund(sender, try SQLitePace.read(db, sender), now: now)) }
    }

    public func complete(_ completions: [AttemptCompletion], now: Date) async throws -> Set<MessageID> {
        try await write { db in
            let applied = try SQLiteStateWrites.write(
                db, completions.map { StateWrite(seq: $0.seq, old: $0.claimed, new: $0.state, leaseOwner: $0.owner) }, now: now)
            let done = completions.filter { applied.contains($0.seq) }
            try SQLiteStateWrites.record(
                db,
                done.map {
                    AttemptRow(
                        seq: $0.seq, number: $0.attempt, startedAt: $0.startedAt, outcome: $0.outcome, error: $0.error,
                        finishedAt: $0.finishedAt, durationMs: $0.durationMs, senderID: $0.senderID)
                })
            try SQLiteStateWrites.recordMediaUse(db, done.compactMap { completion in completion.media.map { (completion, $0) } })
            return Set(done.map(\.messageID))
        }
    }

    public func renewLeases(_ ids: [MessageID], owner: String, until: Date) async throws {
        guard !ids.isEmpty else { return }
        try await write { db in
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
        try await write { db in
            let records = try SQLiteRows.messages(
                db,
                sql: """
                    SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_status
                    WHERE status = 'sending' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?
                    """,
                arguments: [now.millisecondsSince1970, limit])
            let decided = records.compactMap { record in
                decide(record).map { (record, StateWrite(seq: record.seq, old: record.state, new: $0)) }
            }
            let applied = try SQLiteStateWrites.write(db, decided.map(\.1), now: now)
            let reclaimed = decided.filter { applied.contains($0.1.seq) }
            try SQLiteStateWrites.record(
                db,
                reclaimed.map { record, write in
                    AttemptRow(
                        seq: record.seq, number: record.state.attempts, startedAt: record.updatedAt, outcome: .inDoubt,
                        error: write.new.lastError, finishedAt: now, durationMs: nil, senderID: record.senderID)
                })
            return reclaimed.count
        }
    }

    public func nextDueTime() async throws -> Date? {
        try await read { db in try DueMessages.nextDueTime(db) }
    }
}
