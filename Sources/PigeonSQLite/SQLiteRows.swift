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
}
