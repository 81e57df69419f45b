import Foundation
import GRDB
import PigeonCore

/// Mapping between rows of `messages` / `attempts` and PigeonCore values.
enum SQLiteRows {
    /// The columns `message(from:)` reads, in this order (it decodes by position).
    static let messageColumns = """
        seq, id, sender_id, recipient, type, payload, status, attempts, counted_attempts, max_attempts,
        next_attempt_at, failure_reason, wamid, pair_level, media_retried, in_doubt_grace_used, lease_owner,
        lease_expires_at, last_error_code, last_error_class, last_error_title, last_error_details,
        last_error_http_status, idempotency_key, created_at, updated_at, sent_at
        """

    static func date(_ millis: Int64?) -> Date? { millis.map { Date(millisecondsSince1970: $0) } }

    /// Decodes a row selected with `messageColumns`, by position (name lookups cost a lowercased copy each).
    static func message(from row: Row) -> MessageRecord {
        var lastError: Classification?
        if let className: String = row[19], let errorClass = ErrorClass(rawValue: className) {
            lastError = Classification(
                errorClass: errorClass, code: row[18], title: row[20] ?? "", details: row[21], httpStatus: row[22])
        }
        let state = MessageState(
            status: MessageStatus(rawValue: row[6]) ?? .queued,
            attempts: row[7],
            countedAttempts: row[8],
            maxAttempts: row[9],
            nextAttemptAt: date(row[10]),
            failureReason: (row[11] as String?).flatMap(FailureReason.init(rawValue:)),
            wamid: row[12],
            pairLevel: row[13],
            mediaRetried: row[14],
            inDoubtGraceUsed: row[15],
            leaseOwner: row[16],
            leaseExpiresAt: date(row[17]),
            lastError: lastError)
        return MessageRecord(
            id: MessageID(rawValue: row[1]), seq: row[0], senderID: row[2], recipient: row[3], type: row[4],
            payload: row[5], idempotencyKey: row[23], state: state,
            createdAt: date(row[24])!, updatedAt: date(row[25])!, sentAt: date(row[26]))
    }

    static func attempt(from row: Row) -> AttemptRecord {
        var error: Classification?
        if let className: String = row["error_class"], let errorClass = ErrorClass(rawValue: className) {
            error = Classification(
                errorClass: errorClass, code: row["error_code"], title: row["error_title"] ?? "",
                details: row["error_details"], httpStatus: row["http_status"])
        }
        return AttemptRecord(
            number: row["number"], startedAt: date(row["started_at"])!, finishedAt: date(row["finished_at"]),
            outcome: AttemptOutcome(rawValue: row["outcome"]) ?? .inDoubt, error: error,
            durationMs: row["duration_ms"])
    }

    /// Writes the columns of `state` that differ from `old` to message `seq`, if its status is still
    /// `old.status` (and, when given, its lease is still `owner`'s for attempt `attempt`). Returns true if the
    /// row changed. Only changed columns are written: fewer bindings and no needless index updates.
    static func writeState(
        _ db: Database, seq: Int64, from old: MessageState, to state: MessageState, now: Date,
        owner: String? = nil, attempt: Int? = nil
    ) throws -> Bool {
        var sql = "UPDATE messages SET updated_at = ?"
        var arguments: [(any DatabaseValueConvertible)?] = [now.millisecondsSince1970]
        func set(_ column: String, _ value: (any DatabaseValueConvertible)?) {
            sql += ", \(column) = ?"
            arguments.append(value)
        }
        if old.status != state.status { set("status", state.status.rawValue) }
        if old.attempts != state.attempts { set("attempts", state.attempts) }
        if old.countedAttempts != state.countedAttempts { set("counted_attempts", state.countedAttempts) }
        if old.maxAttempts != state.maxAttempts { set("max_attempts", state.maxAttempts) }
        if old.nextAttemptAt != state.nextAttemptAt { set("next_attempt_at", state.nextAttemptAt?.millisecondsSince1970) }
        if old.failureReason != state.failureReason { set("failure_reason", state.failureReason?.rawValue) }
        if old.wamid != state.wamid { set("wamid", state.wamid) }
        if old.pairLevel != state.pairLevel { set("pair_level", state.pairLevel) }
        if old.mediaRetried != state.mediaRetried { set("media_retried", state.mediaRetried) }
        if old.inDoubtGraceUsed != state.inDoubtGraceUsed { set("in_doubt_grace_used", state.inDoubtGraceUsed) }
        if old.leaseOwner != state.leaseOwner { set("lease_owner", state.leaseOwner) }
        if old.leaseExpiresAt != state.leaseExpiresAt { set("lease_expires_at", state.leaseExpiresAt?.millisecondsSince1970) }
        if old.lastError != state.lastError {
            set("last_error_code", state.lastError?.code)
            set("last_error_class", state.lastError?.errorClass.rawValue)
            set("last_error_title", state.lastError?.title)
            set("last_error_details", state.lastError?.details)
            set("last_error_http_status", state.lastError?.httpStatus)
        }
        if state.status.deliveryRank != nil && old.status.deliveryRank == nil {
            sql += ", sent_at = COALESCE(sent_at, ?)"
            arguments.append(now.millisecondsSince1970)
        }
        sql += " WHERE seq = ? AND status = ?"
        arguments.append(seq)
        arguments.append(old.status.rawValue)
        if let owner, let attempt {
            sql += " AND lease_owner = ? AND attempts = ?"
            arguments.append(owner)
            arguments.append(attempt)
        }
        try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
        return db.changesCount > 0
    }

    /// Stores a finished attempt in the history (attempt rows are written when the outcome is known;
    /// while it is in flight, the attempt is the message row's `attempts`, `status` and `updated_at`).
    static func recordAttempt(
        _ db: Database, seq: Int64, number: Int, startedAt: Date, outcome: AttemptOutcome, error: Classification?,
        finishedAt: Date, durationMs: Int?
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO attempts (message_seq, number, started_at, finished_at, outcome, http_status,
                  error_code, error_class, error_title, error_details, duration_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            seq, number, startedAt.millisecondsSince1970, finishedAt.millisecondsSince1970, outcome.rawValue,
            error?.httpStatus, error?.code, error?.errorClass.rawValue, error?.title, error?.details, durationMs,
        ])
    }
}
