import Foundation
import GRDB
import PigeonCore

/// Mapping between rows of `messages` / `attempts` and PigeonCore values.
enum SQLiteRows {
    /// The columns `message(from:)` reads, in a SELECT list.
    static let messageColumns = """
        seq, id, sender_id, recipient, type, payload, status, attempts, counted_attempts, max_attempts,
        next_attempt_at, failure_reason, wamid, pair_level, media_retried, in_doubt_grace_used, lease_owner,
        lease_expires_at, last_error_code, last_error_class, last_error_title, last_error_details,
        last_error_http_status, idempotency_key, created_at, updated_at, sent_at
        """

    static func date(_ millis: Int64?) -> Date? { millis.map { Date(millisecondsSince1970: $0) } }

    static func message(from row: Row) -> MessageRecord {
        let lastError = classification(
            row, classColumn: "last_error_class", code: "last_error_code", title: "last_error_title",
            details: "last_error_details", httpStatus: "last_error_http_status")
        let state = MessageState(
            status: MessageStatus(rawValue: row["status"]) ?? .queued,
            attempts: row["attempts"],
            countedAttempts: row["counted_attempts"],
            maxAttempts: row["max_attempts"],
            nextAttemptAt: date(row["next_attempt_at"]),
            failureReason: (row["failure_reason"] as String?).flatMap(FailureReason.init(rawValue:)),
            wamid: row["wamid"],
            pairLevel: row["pair_level"],
            mediaRetried: row["media_retried"],
            inDoubtGraceUsed: row["in_doubt_grace_used"],
            leaseOwner: row["lease_owner"],
            leaseExpiresAt: date(row["lease_expires_at"]),
            lastError: lastError)
        return MessageRecord(
            id: MessageID(rawValue: row["id"]), seq: row["seq"], senderID: row["sender_id"],
            recipient: row["recipient"], type: row["type"], payload: row["payload"],
            idempotencyKey: row["idempotency_key"], state: state,
            createdAt: date(row["created_at"])!, updatedAt: date(row["updated_at"])!, sentAt: date(row["sent_at"]))
    }

    /// The classification stored in the named columns, or `nil` when the class column is empty.
    static func classification(
        _ row: Row, classColumn: String, code: String, title: String, details: String, httpStatus: String
    ) -> Classification? {
        guard let className: String = row[classColumn], let errorClass = ErrorClass(rawValue: className) else { return nil }
        return Classification(
            errorClass: errorClass, code: row[code], title: row[title] ?? "", details: row[details],
            httpStatus: row[httpStatus])
    }

    static func attempt(from row: Row) -> AttemptRecord {
        let error = classification(
            row, classColumn: "error_class", code: "error_code", title: "error_title", details: "error_details",
            httpStatus: "http_status")
        return AttemptRecord(
            number: row["number"], startedAt: date(row["started_at"])!, finishedAt: date(row["finished_at"]),
            outcome: AttemptOutcome(rawValue: row["outcome"]) ?? .inDoubt, error: error,
            durationMs: row["duration_ms"])
    }

    /// Writes `state` to message `seq` if its status is still `expected` (and, when given, its lease is
    /// still `owner`'s for attempt `attempt`). Returns true if the row changed.
    static func writeState(
        _ db: Database, seq: Int64, state: MessageState, now: Date, expected: MessageStatus,
        owner: String? = nil, attempt: Int? = nil
    ) throws -> Bool {
        var sql = """
            UPDATE messages SET status = ?, attempts = ?, counted_attempts = ?, max_attempts = ?,
              next_attempt_at = ?, failure_reason = ?, wamid = ?, pair_level = ?, media_retried = ?,
              in_doubt_grace_used = ?, lease_owner = ?, lease_expires_at = ?, last_error_code = ?,
              last_error_class = ?, last_error_title = ?, last_error_details = ?, last_error_http_status = ?,
              updated_at = ?, sent_at = CASE WHEN ? AND sent_at IS NULL THEN ? ELSE sent_at END
            WHERE seq = ? AND status = ?
            """
        let nowMillis = now.millisecondsSince1970
        var arguments: StatementArguments = [
            state.status.rawValue, state.attempts, state.countedAttempts, state.maxAttempts,
            state.nextAttemptAt?.millisecondsSince1970, state.failureReason?.rawValue, state.wamid,
            state.pairLevel, state.mediaRetried, state.inDoubtGraceUsed, state.leaseOwner,
            state.leaseExpiresAt?.millisecondsSince1970, state.lastError?.code,
            state.lastError?.errorClass.rawValue, state.lastError?.title, state.lastError?.details,
            state.lastError?.httpStatus, nowMillis, state.status.deliveryRank != nil, nowMillis, seq,
            expected.rawValue,
        ]
        if let owner, let attempt {
            sql += " AND lease_owner = ? AND attempts = ?"
            _ = arguments.append(contentsOf: [owner, attempt])
        }
        let statement = try db.cachedStatement(sql: sql)
        try statement.execute(arguments: arguments)
        return db.changesCount > 0
    }

    /// Records the outcome of attempt `number` of message `seq`.
    static func finishAttempt(
        _ db: Database, seq: Int64, number: Int, outcome: AttemptOutcome, error: Classification?, finishedAt: Date,
        durationMs: Int?
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE attempts SET outcome = ?, finished_at = ?, http_status = ?, error_code = ?, error_class = ?,
                  error_title = ?, error_details = ?, duration_ms = ?
                WHERE message_seq = ? AND number = ?
                """)
        try statement.execute(arguments: [
            outcome.rawValue, finishedAt.millisecondsSince1970, error?.httpStatus, error?.code,
            error?.errorClass.rawValue, error?.title, error?.details, durationMs, seq, number,
        ])
    }
}
