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

    /// Runs `sql` with `arguments` and decodes every row it returns with `decode`.
    static func fetch<T>(
        _ db: Database, sql: String, arguments: StatementArguments = [], decode: (RawStatement) -> T
    ) throws -> [T] {
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments(arguments)
        let rows = RawStatement(statement, in: db)
        var values: [T] = []
        while try rows.next() { values.append(decode(rows)) }
        return values
    }

    /// The messages `sql` (which selects `messageColumns` first) returns for `arguments`.
    static func messages(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [MessageRecord] {
        try fetch(db, sql: sql, arguments: arguments, decode: message(from:))
    }

    /// The first message `sql` returns for `arguments`, if any.
    static func message(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> MessageRecord? {
        try messages(db, sql: sql, arguments: arguments).first
    }

    /// Decodes the current row of a statement that selected `messageColumns`, by position.
    static func message(from row: RawStatement) -> MessageRecord {
        var lastError: Classification?
        if let className = row.optionalString(19), let errorClass = ErrorClass(rawValue: className) {
            lastError = Classification(
                errorClass: errorClass, code: row.optionalInt(18), title: row.string(20),
                details: row.optionalString(21), httpStatus: row.optionalInt(22))
        }
        let state = MessageState(
            status: MessageStatus(rawValue: row.string(6)) ?? .queued,
            attempts: row.int(7),
            countedAttempts: row.int(8),
            maxAttempts: row.int(9),
            nextAttemptAt: date(row.optionalInt64(10)),
            failureReason: row.optionalString(11).flatMap(FailureReason.init(rawValue:)),
            wamid: row.optionalString(12),
            pairLevel: row.int(13),
            mediaRetried: row.int(14) != 0,
            inDoubtGraceUsed: row.int(15) != 0,
            leaseOwner: row.optionalString(16),
            leaseExpiresAt: date(row.optionalInt64(17)),
            lastError: lastError)
        return MessageRecord(
            id: MessageID(rawValue: row.string(1)), seq: row.int64(0), senderID: row.string(2),
            recipient: row.string(3), type: row.string(4), payload: row.string(5),
            idempotencyKey: row.optionalString(23), state: state,
            createdAt: Date(millisecondsSince1970: row.int64(24)), updatedAt: Date(millisecondsSince1970: row.int64(25)),
            sentAt: date(row.optionalInt64(26)))
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
}
