import Foundation
import GRDB
import PigeonCore

/// One lifecycle change to write: message `seq` from `old` (what the caller read) to `new`.
struct StateWrite {
    var seq: Int64
    var old: MessageState
    var new: MessageState
    /// When set, the write applies only while this worker holds the lease for attempt `old.attempts`.
    var leaseOwner: String?
}

/// One finished attempt for the history.
struct AttemptRow {
    var seq: Int64
    var number: Int
    var startedAt: Date
    var outcome: AttemptOutcome
    var error: Classification?
    var finishedAt: Date
    var durationMs: Int?
}

/// Set-based writes of lifecycle states and attempt rows: one statement per few hundred rows instead of one
/// per row, which is what lets claims and outcome writes keep up with thousands of messages per second.
enum SQLiteStateWrites {
    /// Rows per statement (each binds up to 19 values; SQLite allows 32,766 per statement).
    static let rowsPerStatement = 500

    private static let stateColumns = """
        seq, expected, owner, attempt, delivered, status, attempts, counted_attempts, max_attempts, next_attempt_at,
        failure_reason, wamid, pair_level, media_retried, in_doubt_grace_used, lease_owner, lease_expires_at,
        last_error_code, last_error_class, last_error_title, last_error_details, last_error_http_status
        """
    private static let stateTuple = "(" + Array(repeating: "?", count: 22).joined(separator: ",") + ")"

    /// Writes each change whose row still has status `old.status` (and, for guarded writes, the same lease
    /// owner and attempt). Returns the `seq` of every row that changed.
    static func write(_ db: Database, _ writes: [StateWrite], now: Date) throws -> Set<Int64> {
        var applied = Set<Int64>()
        var start = 0
        while start < writes.count {
            let chunk = writes[start..<min(start + rowsPerStatement, writes.count)]
            start += chunk.count
            let sql = """
                WITH v(\(stateColumns)) AS (VALUES \(Array(repeating: stateTuple, count: chunk.count).joined(separator: ",")))
                UPDATE messages SET status = v.status, attempts = v.attempts, counted_attempts = v.counted_attempts,
                  max_attempts = v.max_attempts, next_attempt_at = v.next_attempt_at, failure_reason = v.failure_reason,
                  wamid = v.wamid, pair_level = v.pair_level, media_retried = v.media_retried,
                  in_doubt_grace_used = v.in_doubt_grace_used, lease_owner = v.lease_owner,
                  lease_expires_at = v.lease_expires_at, last_error_code = v.last_error_code,
                  last_error_class = v.last_error_class, last_error_title = v.last_error_title,
                  last_error_details = v.last_error_details, last_error_http_status = v.last_error_http_status,
                  updated_at = ?, sent_at = CASE WHEN v.delivered THEN COALESCE(messages.sent_at, ?) ELSE messages.sent_at END
                FROM v
                WHERE messages.seq = v.seq AND messages.status = v.expected
                  AND (v.owner IS NULL OR (messages.lease_owner = v.owner AND messages.attempts = v.attempt))
                RETURNING messages.seq
                """
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity(chunk.count * 22 + 2)
            for write in chunk {
                let state = write.new
                let error = state.lastError
                values.append(write.seq)
                values.append(write.old.status.rawValue)
                values.append(write.leaseOwner)
                values.append(write.old.attempts)
                values.append(state.status.deliveryRank != nil)
                values.append(state.status.rawValue)
                values.append(state.attempts)
                values.append(state.countedAttempts)
                values.append(state.maxAttempts)
                values.append(state.nextAttemptAt?.millisecondsSince1970)
                values.append(state.failureReason?.rawValue)
                values.append(state.wamid)
                values.append(state.pairLevel)
                values.append(state.mediaRetried)
                values.append(state.inDoubtGraceUsed)
                values.append(state.leaseOwner)
                values.append(state.leaseExpiresAt?.millisecondsSince1970)
                values.append(error?.code)
                values.append(error?.errorClass.rawValue)
                values.append(error?.title)
                values.append(error?.details)
                values.append(error?.httpStatus)
            }
            values.append(now.millisecondsSince1970)
            values.append(now.millisecondsSince1970)
            let statement = try db.makeStatement(sql: sql)
            statement.setUncheckedArguments(StatementArguments(values))
            applied.formUnion(try Int64.fetchAll(statement))
        }
        return applied
    }

    private static let attemptTuple = "(" + Array(repeating: "?", count: 11).joined(separator: ",") + ")"

    /// Stores finished attempts in the history (a row per attempt, written when its outcome is known; while an
    /// attempt is in flight the message row's `status`, `attempts` and `updated_at` hold it).
    static func record(_ db: Database, _ attempts: [AttemptRow]) throws {
        var start = 0
        while start < attempts.count {
            let chunk = attempts[start..<min(start + rowsPerStatement, attempts.count)]
            start += chunk.count
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity(chunk.count * 11)
            for attempt in chunk {
                let error = attempt.error
                values.append(attempt.seq)
                values.append(attempt.number)
                values.append(attempt.startedAt.millisecondsSince1970)
                values.append(attempt.finishedAt.millisecondsSince1970)
                values.append(attempt.outcome.rawValue)
                values.append(error?.httpStatus)
                values.append(error?.code)
                values.append(error?.errorClass.rawValue)
                values.append(error?.title)
                values.append(error?.details)
                values.append(attempt.durationMs)
            }
            let statement = try db.makeStatement(
                sql: """
                    INSERT OR REPLACE INTO attempts (message_seq, number, started_at, finished_at, outcome, http_status,
                      error_code, error_class, error_title, error_details, duration_ms)
                    VALUES \(Array(repeating: attemptTuple, count: chunk.count).joined(separator: ","))
                    """)
            statement.setUncheckedArguments(StatementArguments(values))
            try statement.execute()
        }
    }
}
