import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// Writes of lifecycle states, attempt rows and counters, many rows per statement (`UPDATE … FROM (VALUES …)`
/// and multi-row `INSERT`), inside the caller's transaction.
enum PostgresStateWrites {
    /// Rows per statement (PostgreSQL takes at most 65,535 parameters; a state write binds 24 per row).
    static let rowsPerStatement = 500

    /// Writes each change whose row still has status `old.status` (and, for guarded writes, the same lease
    /// owner and attempt), with the counters. Returns the `seq` of every row that changed.
    static func write(_ connection: PostgresConnection, _ writes: [StateWrite], now: Date, logger: Logger) async throws -> Set<Int64> {
        let moment = now
        var applied = Set<Int64>(minimumCapacity: writes.count)
        var counters = CounterChanges()
        let byKey = Dictionary(writes.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        for chunk in writes.chunks(of: rowsPerStatement) {
            var sql = SQL()
            var rows: [String] = []
            for write in chunk {
                let new = write.new
                let error = new.lastError
                let casts = rows.isEmpty
                func cast(_ placeholder: String, _ type: String) -> String { casts ? "\(placeholder)::\(type)" : placeholder }
                rows.append(
                    "("
                        + [
                            cast(sql.bind(write.seq), "bigint"), cast(sql.bind(write.old.status.rawValue), "text"),
                            cast(sql.bind(write.leaseOwner), "text"), cast(sql.bind(write.old.attempts), "integer"),
                            cast(sql.bind(new.status.rawValue), "text"), cast(sql.bind(new.attempts), "integer"),
                            cast(sql.bind(new.countedAttempts), "integer"), cast(sql.bind(new.maxAttempts), "integer"),
                            cast(sql.bind(new.nextAttemptAt?.millisecondsSince1970), "bigint"),
                            cast(sql.bind(new.failureReason?.rawValue), "text"), cast(sql.bind(new.wamid), "text"),
                            cast(sql.bind(new.pairLevel), "integer"), cast(sql.bind(new.mediaRetried), "boolean"),
                            cast(sql.bind(new.inDoubtGraceUsed), "boolean"), cast(sql.bind(new.leaseOwner), "text"),
                            cast(sql.bind(new.leaseExpiresAt?.millisecondsSince1970), "bigint"), cast(sql.bind(error?.code), "integer"),
                            cast(sql.bind(error?.errorClass.rawValue), "text"), cast(sql.bind(error?.title), "text"),
                            cast(sql.bind(error?.details), "text"), cast(sql.bind(error?.httpStatus), "integer"),
                            cast(sql.bind(error?.cause?.rawValue), "text"), cast(sql.bind(new.status.deliveryRank != nil), "boolean"),
                        ].joined(separator: ", ") + ")")
            }
            let now = sql.bind(now.millisecondsSince1970)
            sql.text = """
                UPDATE messages m SET status = v.status, attempts = v.attempts, counted_attempts = v.counted_attempts,
                  max_attempts = v.max_attempts, next_attempt_at = v.next_attempt_at, failure_reason = v.failure_reason,
                  wamid = v.wamid, pair_level = v.pair_level, media_retried = v.media_retried,
                  in_doubt_grace_used = v.in_doubt_grace_used, lease_owner = v.lease_owner, lease_expires_at = v.lease_expires_at,
                  last_error_code = v.code, last_error_class = v.class, last_error_title = v.title, last_error_details = v.details,
                  last_error_http_status = v.http_status, last_error_cause = v.cause, updated_at = \(now)::bigint,
                  sent_at = CASE WHEN v.stamps_sent THEN COALESCE(m.sent_at, \(now)::bigint) ELSE m.sent_at END
                FROM (VALUES \(rows.joined(separator: ", "))) AS v(seq, old_status, guard_owner, guard_attempts, status, attempts,
                  counted_attempts, max_attempts, next_attempt_at, failure_reason, wamid, pair_level, media_retried,
                  in_doubt_grace_used, lease_owner, lease_expires_at, code, class, title, details, http_status, cause, stamps_sent)
                WHERE m.seq = v.seq AND m.status = v.old_status
                  AND (v.guard_owner IS NULL OR (m.lease_owner = v.guard_owner AND m.attempts = v.guard_attempts))
                RETURNING m.seq
                """
            for row in try await connection.rows(sql, logger: logger) {
                let seq: Int64 = try row.get("seq")
                guard applied.insert(seq).inserted, let write = byKey[seq] else { continue }
                counters.moved(from: write.old.status, to: write.new.status, at: moment)
            }
        }
        try await writeCounters(counters, connection, logger: logger)
        return applied
    }

    /// Stores finished attempts in the history; an attempt already there gets its outcome replaced without
    /// being counted again.
    static func record(_ connection: PostgresConnection, _ attempts: [AttemptRow], logger: Logger) async throws {
        var counters = CounterChanges()
        let byKey = Dictionary(attempts.map { ("\($0.seq)/\($0.number)", $0) }, uniquingKeysWith: { first, _ in first })
        for chunk in attempts.chunks(of: rowsPerStatement) {
            var sql = SQL()
            let rows = chunk.map { attempt -> String in
                let error = attempt.error
                return "("
                    + [
                        sql.bind(attempt.seq), sql.bind(attempt.number), sql.bind(attempt.startedAt.millisecondsSince1970),
                        sql.bind(attempt.finishedAt.millisecondsSince1970), sql.bind(attempt.outcome.rawValue), sql.bind(error?.httpStatus),
                        sql.bind(error?.code), sql.bind(error?.errorClass.rawValue), sql.bind(error?.title), sql.bind(error?.details),
                        sql.bind(error?.cause?.rawValue), sql.bind(attempt.durationMs), sql.bind(attempt.senderID),
                    ].joined(separator: ", ") + ")"
            }
            sql.text = """
                INSERT INTO attempts (message_seq, number, started_at, finished_at, outcome, http_status, error_code, error_class,
                  error_title, error_details, error_cause, duration_ms, sender_id)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (message_seq, number) DO UPDATE SET finished_at = excluded.finished_at, outcome = excluded.outcome,
                  http_status = excluded.http_status, error_code = excluded.error_code, error_class = excluded.error_class,
                  error_title = excluded.error_title, error_details = excluded.error_details, error_cause = excluded.error_cause,
                  duration_ms = excluded.duration_ms
                RETURNING message_seq, number, (xmax = 0) AS inserted
                """
            for row in try await connection.rows(sql, logger: logger) where try row.get("inserted", as: Bool.self) {
                let key = "\(try row.get("message_seq", as: Int64.self))/\(try row.get("number", as: Int.self))"
                if let attempt = byKey[key] { counters.attempted(startedAt: attempt.startedAt, number: attempt.number) }
            }
        }
        try await writeCounters(counters, connection, logger: logger)
    }

    /// Adds `counters` to the counter tables, on one random shard, rows in a fixed order (so two transactions
    /// never wait on each other in a cycle).
    static func writeCounters(_ counters: CounterChanges, _ connection: PostgresConnection, logger: Logger) async throws {
        let shard = PostgresStore.shard()
        let statuses = counters.statuses.filter { $0.value != 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
        if !statuses.isEmpty {
            var sql = SQL()
            let rows = statuses.map { "(\(sql.bind($0.key.rawValue))::text, \(shard)::smallint, \(sql.bind($0.value))::bigint)" }
            sql.text = """
                INSERT INTO message_counts (status, shard, n) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (status, shard) DO UPDATE SET n = message_counts.n + excluded.n
                """
            try await connection.run(sql, logger: logger)
        }
        let minutes = counters.minutes.sorted { $0.key < $1.key }
        if !minutes.isEmpty {
            var sql = SQL()
            let rows = minutes.map { minute, counts in
                "("
                    + [
                        "\(sql.bind(minute))::bigint", "\(shard)::smallint", "\(sql.bind(counts.attempts))::bigint",
                        "\(sql.bind(counts.retries))::bigint",
                        "\(sql.bind(counts.accepted))::bigint", "\(sql.bind(counts.sent))::bigint", "\(sql.bind(counts.delivered))::bigint",
                        "\(sql.bind(counts.read))::bigint",
                    ].joined(separator: ", ") + ")"
            }
            sql.text = """
                INSERT INTO attempt_minutes (minute, shard, attempts, retries, accepted, reached_sent, reached_delivered, reached_read)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (minute, shard) DO UPDATE SET attempts = attempt_minutes.attempts + excluded.attempts,
                  retries = attempt_minutes.retries + excluded.retries, accepted = attempt_minutes.accepted + excluded.accepted,
                  reached_sent = attempt_minutes.reached_sent + excluded.reached_sent,
                  reached_delivered = attempt_minutes.reached_delivered + excluded.reached_delivered,
                  reached_read = attempt_minutes.reached_read + excluded.reached_read
                """
            try await connection.run(sql, logger: logger)
        }
    }

    /// Stores which media library ids each finished attempt sent.
    static func recordMediaUse(
        _ connection: PostgresConnection, _ uses: [(completion: AttemptCompletion, media: MediaUse)], logger: Logger
    ) async throws {
        let rows = uses.flatMap { use in use.media.ids.map { (use.completion, $0.key, $0.value, use.media.afterMediaError) } }
        for chunk in rows.chunks(of: rowsPerStatement) {
            var sql = SQL()
            let values = chunk.map { completion, key, id, after in
                "(\(sql.bind(completion.seq)), \(sql.bind(completion.attempt)), \(sql.bind(key)), \(sql.bind(id)), \(sql.bind(after)))"
            }
            sql.text = """
                INSERT INTO media_sends (message_seq, attempt, key, media_id, after_media_error) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (message_seq, attempt, key) DO UPDATE SET media_id = excluded.media_id,
                  after_media_error = excluded.after_media_error
                """
            try await connection.run(sql, logger: logger)
        }
    }
}

extension Array {
    /// The array cut into runs of at most `size` elements.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
