import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// Mapping between rows of `messages` / `attempts` and PigeonCore values, by column name.
enum PostgresRows {
    /// The `messages` columns `message(from:)` reads.
    static let messageColumns = """
        seq, id, sender_id, recipient, type, payload, status, attempts, counted_attempts, max_attempts,
        next_attempt_at, failure_reason, wamid, pair_level, media_retried, in_doubt_grace_used, lease_owner,
        lease_expires_at, last_error_code, last_error_class, last_error_title, last_error_details,
        last_error_http_status, last_error_cause, idempotency_key, created_at, updated_at, sent_at, pool
        """

    /// `messageColumns` qualified by a table alias.
    static func messageColumns(_ alias: String) -> String {
        messageColumns.split(separator: ",").map { "\(alias).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
            .joined(separator: ", ")
    }

    static func message(from row: PostgresRandomAccessRow) throws -> MessageRecord {
        var lastError: Classification?
        if let className = try row.get("last_error_class", as: String?.self), let errorClass = ErrorClass(rawValue: className) {
            lastError = Classification(
                errorClass: errorClass, code: try row.get("last_error_code"), title: try row.get("last_error_title", as: String?.self) ?? "",
                details: try row.get("last_error_details"), httpStatus: try row.get("last_error_http_status"),
                cause: try row.get("last_error_cause", as: String?.self).flatMap(PigeonCause.init(rawValue:)))
        }
        let state = MessageState(
            status: MessageStatus(rawValue: try row.get("status")) ?? .queued,
            attempts: try row.get("attempts"),
            countedAttempts: try row.get("counted_attempts"),
            maxAttempts: try row.get("max_attempts"),
            nextAttemptAt: try row.date("next_attempt_at"),
            failureReason: try row.get("failure_reason", as: String?.self).flatMap(FailureReason.init(rawValue:)),
            wamid: try row.get("wamid"),
            pairLevel: try row.get("pair_level"),
            mediaRetried: try row.get("media_retried"),
            inDoubtGraceUsed: try row.get("in_doubt_grace_used"),
            leaseOwner: try row.get("lease_owner"),
            leaseExpiresAt: try row.date("lease_expires_at"),
            lastError: lastError)
        return MessageRecord(
            id: MessageID(rawValue: try row.get("id")), seq: try row.get("seq"), senderID: try row.get("sender_id"),
            recipient: try row.get("recipient"), type: try row.get("type"), payload: try row.get("payload"),
            idempotencyKey: try row.get("idempotency_key"), state: state, createdAt: try row.date("created_at")!,
            updatedAt: try row.date("updated_at")!, sentAt: try row.date("sent_at"), pool: try row.get("pool"))
    }

    static func attempt(from row: PostgresRandomAccessRow) throws -> AttemptRecord {
        var error: Classification?
        if let className = try row.get("error_class", as: String?.self), let errorClass = ErrorClass(rawValue: className) {
            error = Classification(
                errorClass: errorClass, code: try row.get("error_code"), title: try row.get("error_title", as: String?.self) ?? "",
                details: try row.get("error_details"), httpStatus: try row.get("http_status"),
                cause: try row.get("error_cause", as: String?.self).flatMap(PigeonCause.init(rawValue:)))
        }
        return AttemptRecord(
            number: try row.get("number"), startedAt: try row.date("started_at")!, finishedAt: try row.date("finished_at"),
            outcome: AttemptOutcome(rawValue: try row.get("outcome")) ?? .inDoubt, error: error, durationMs: try row.get("duration_ms"),
            senderID: try row.get("sender_id"))
    }

    /// The messages `sql` (which selects `messageColumns`) returns.
    static func messages(_ connection: PostgresConnection, _ sql: SQL, logger: Logger) async throws -> [MessageRecord] {
        try await connection.rows(sql, logger: logger).map(message(from:))
    }
}
