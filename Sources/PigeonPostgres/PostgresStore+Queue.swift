import Foundation
import PigeonCore
import PostgresNIO

extension PostgresStore: MessageQueue {
    public func enqueue(_ messages: [NewMessage], now: Date) async throws -> [EnqueueResult] {
        try await intake.perform(PostgresIntake.Request(messages: messages, now: now))
    }

    public func claim(
        limit: Int, owner: String, now: Date, leaseUntil: Date, excludedSenders: Set<String>, pacing: SenderPacing
    )
        async throws -> [MessageRecord]
    {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            let nowMillis = sql.bind(now.millisecondsFloor)
            let excluded = sql.bind(Array(excludedSenders.union(pacing.limits.keys)))
            sql.text = """
                SELECT \(PostgresRows.messageColumns) FROM messages
                WHERE seq IN (
                  SELECT seq FROM messages
                  WHERE status IN ('queued', 'retry_scheduled') AND next_attempt_at <= \(nowMillis)
                    AND sender_id <> ALL(\(excluded)::text[])
                    AND NOT EXISTS (SELECT 1 FROM senders s WHERE s.id = messages.sender_id AND NOT s.sends)
                  ORDER BY next_attempt_at, seq LIMIT \(sql.bind(limit))
                  FOR UPDATE SKIP LOCKED)
                ORDER BY next_attempt_at, seq
                """
            var records = try await PostgresRows.messages(connection, sql, logger: logger)
            for sender in pacing.limits.keys.sorted() where records.count < limit && !excludedSenders.contains(sender) {
                records += try await Self.claimPaced(
                    sender, limit: limit - records.count, now: now, pacing: pacing, connection, logger: logger)
            }
            // Each record with its own write: a record the lifecycle refuses is skipped as a pair, never shifting
            // the others' states onto the wrong messages.
            var pairs: [(record: MessageRecord, write: StateWrite)] = []
            for record in records {
                guard let state = Lifecycle.claim(record.state, owner: owner, leaseUntil: leaseUntil, now: now).state
                else { continue }
                pairs.append((record, StateWrite(seq: record.seq, old: record.state, new: state)))
            }
            let applied = try await PostgresStateWrites.write(connection, pairs.map(\.write), now: now, logger: logger)
            let claimedAt = Date(millisecondsSince1970: now.millisecondsSince1970)
            return pairs.compactMap { record, write in
                guard applied.contains(write.seq) else { return nil }
                var record = record
                record.state = write.new
                record.updatedAt = claimedAt
                return record
            }
        }
    }

    /// Locks paced `sender`'s pace row (instances claim for one paced sender one at a time), selects up to its
    /// allowance of its due messages and records them in its pace state.
    private static func claimPaced(
        _ sender: String, limit: Int, now: Date, pacing: SenderPacing, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [MessageRecord] {
        let state = try await PostgresPace.lock(sender, connection, logger: logger)
        let take = min(limit, pacing.allowance(sender, state, now: now))
        guard take > 0 else { return [] }
        var sql = SQL()
        sql.text = """
            SELECT \(PostgresRows.messageColumns) FROM messages
            WHERE seq IN (
              SELECT seq FROM messages
              WHERE sender_id = \(sql.bind(sender)) AND status IN ('queued', 'retry_scheduled')
                AND next_attempt_at <= \(sql.bind(now.millisecondsFloor))
                AND NOT EXISTS (SELECT 1 FROM senders s WHERE s.id = messages.sender_id AND NOT s.sends)
              ORDER BY next_attempt_at, seq LIMIT \(sql.bind(take))
              FOR UPDATE SKIP LOCKED)
            ORDER BY next_attempt_at, seq
            """
        let records = try await PostgresRows.messages(connection, sql, logger: logger)
        try await PostgresPace.write(sender, pacing.consume(sender, state, count: records.count, now: now), connection, logger: logger)
        return records
    }

    public func paceStates() async throws -> [String: PaceState] {
        let logger = logger
        return try await read { connection in try await PostgresPace.all(connection, logger: logger) }
    }

    public func refundPace(_ sender: String, pacing: SenderPacing, now: Date) async throws {
        guard pacing.limits[sender] != nil else { return }
        let logger = logger
        try await write { connection in
            let state = try await PostgresPace.lock(sender, connection, logger: logger)
            try await PostgresPace.write(sender, pacing.refund(sender, state, now: now), connection, logger: logger)
        }
    }

    public func complete(_ completions: [AttemptCompletion], now: Date) async throws -> Set<MessageID> {
        guard !completions.isEmpty else { return [] }
        let logger = logger
        return try await write { connection in
            let applied = try await PostgresStateWrites.write(
                connection, completions.map { StateWrite(seq: $0.seq, old: $0.claimed, new: $0.state, leaseOwner: $0.owner) }, now: now,
                logger: logger)
            let done = completions.filter { applied.contains($0.seq) }
            try await PostgresStateWrites.record(
                connection,
                done.map {
                    AttemptRow(
                        seq: $0.seq, number: $0.attempt, startedAt: $0.startedAt, outcome: $0.outcome, error: $0.error,
                        finishedAt: $0.finishedAt, durationMs: $0.durationMs, senderID: $0.senderID)
                }, logger: logger)
            try await PostgresStateWrites.recordMediaUse(
                connection, done.compactMap { completion in completion.media.map { (completion, $0) } }, logger: logger)
            return Set(done.map(\.messageID))
        }
    }

    public func renewLeases(_ ids: [MessageID], owner: String, until: Date) async throws {
        guard !ids.isEmpty else { return }
        let logger = logger
        try await write { connection in
            var sql = SQL()
            sql.text = """
                UPDATE messages SET lease_expires_at = \(sql.bind(until.millisecondsSince1970))
                WHERE id = ANY(\(sql.bind(ids.map(\.rawValue)))::text[]) AND status = 'sending' AND lease_owner = \(sql.bind(owner))
                """
            try await connection.run(sql, logger: logger)
        }
    }

    public func reclaimExpiredLeases(
        now: Date, limit: Int, decide: @escaping @Sendable (MessageRecord) -> MessageState?
    ) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                SELECT \(PostgresRows.messageColumns) FROM messages
                WHERE status = 'sending' AND lease_expires_at < \(sql.bind(now.millisecondsSince1970))
                ORDER BY lease_expires_at LIMIT \(sql.bind(limit)) FOR UPDATE SKIP LOCKED
                """
            let records = try await PostgresRows.messages(connection, sql, logger: logger)
            let decided = records.compactMap { record in
                decide(record).map { (record, StateWrite(seq: record.seq, old: record.state, new: $0)) }
            }
            let applied = try await PostgresStateWrites.write(connection, decided.map(\.1), now: now, logger: logger)
            let reclaimed = decided.filter { applied.contains($0.1.seq) }
            try await PostgresStateWrites.record(
                connection,
                reclaimed.map { record, write in
                    AttemptRow(
                        seq: record.seq, number: record.state.attempts, startedAt: record.updatedAt, outcome: .inDoubt,
                        error: write.new.lastError, finishedAt: now, durationMs: nil, senderID: record.senderID)
                }, logger: logger)
            return reclaimed.count
        }
    }

    public func nextDueTime() async throws -> Date? {
        let logger = logger
        return try await read { connection in
            let rows = try await connection.rows(
                SQL(
                    """
                    SELECT next_attempt_at FROM messages
                    WHERE status IN ('queued', 'retry_scheduled')
                      AND NOT EXISTS (SELECT 1 FROM senders s WHERE s.id = messages.sender_id AND NOT s.sends)
                    ORDER BY next_attempt_at LIMIT 1
                    """), logger: logger)
            return try rows.first?.date("next_attempt_at")
        }
    }
}
