import Foundation
import GRDB
import PigeonCore

/// Mapping between rows of `messages` / `attempts` and PigeonCore values.
enum SQLiteRows {
    /// The `messages` columns `message(from:)` reads: the select list is made from this enum, so each
    /// case's position is its column's index in every row decoded.
    enum MessageColumn: Int32, CaseIterable {
        case seq, id, senderID, recipient, type, payload, status, attempts, countedAttempts, maxAttempts, nextAttemptAt
        case failureReason, wamid, pairLevel, mediaRetried, inDoubtGraceUsed, leaseOwner, leaseExpiresAt
        case lastErrorCode, lastErrorClass, lastErrorTitle, lastErrorDetails, lastErrorHTTPStatus, lastErrorCause
        case idempotencyKey, createdAt, updatedAt, sentAt, pool

        /// The SQL column name.
        var name: String {
            switch self {
            case .senderID: "sender_id"
            case .lastErrorHTTPStatus: "last_error_http_status"
            default: String(describing: self).snakeCased
            }
        }
    }

    /// The select list for `message(from:)`; a statement may select more columns after it, from
    /// `firstExtraColumn` on.
    static let messageColumns = MessageColumn.allCases.map(\.name).joined(separator: ", ")
    /// The index of the first column selected after `messageColumns`.
    static let firstExtraColumn = Int32(MessageColumn.allCases.count)

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

    /// Decodes the current row of a statement that selected `messageColumns` first.
    static func message(from row: RawStatement) -> MessageRecord {
        typealias C = MessageColumn
        var lastError: Classification?
        if let className = row.optionalString(C.lastErrorClass.rawValue), let errorClass = ErrorClass(rawValue: className) {
            lastError = Classification(
                errorClass: errorClass, code: row.optionalInt(C.lastErrorCode.rawValue), title: row.string(C.lastErrorTitle.rawValue),
                details: row.optionalString(C.lastErrorDetails.rawValue), httpStatus: row.optionalInt(C.lastErrorHTTPStatus.rawValue),
                cause: row.optionalString(C.lastErrorCause.rawValue).flatMap(PigeonCause.init(rawValue:)))
        }
        let state = MessageState(
            status: MessageStatus(rawValue: row.string(C.status.rawValue)) ?? .queued,
            attempts: row.int(C.attempts.rawValue),
            countedAttempts: row.int(C.countedAttempts.rawValue),
            maxAttempts: row.int(C.maxAttempts.rawValue),
            nextAttemptAt: date(row.optionalInt64(C.nextAttemptAt.rawValue)),
            failureReason: row.optionalString(C.failureReason.rawValue).flatMap(FailureReason.init(rawValue:)),
            wamid: row.optionalString(C.wamid.rawValue),
            pairLevel: row.int(C.pairLevel.rawValue),
            mediaRetried: row.int(C.mediaRetried.rawValue) != 0,
            inDoubtGraceUsed: row.int(C.inDoubtGraceUsed.rawValue) != 0,
            leaseOwner: row.optionalString(C.leaseOwner.rawValue),
            leaseExpiresAt: date(row.optionalInt64(C.leaseExpiresAt.rawValue)),
            lastError: lastError)
        return MessageRecord(
            id: MessageID(rawValue: row.string(C.id.rawValue)), seq: row.int64(C.seq.rawValue),
            senderID: row.string(C.senderID.rawValue), recipient: row.string(C.recipient.rawValue),
            type: row.string(C.type.rawValue), payload: row.string(C.payload.rawValue),
            idempotencyKey: row.optionalString(C.idempotencyKey.rawValue), state: state,
            createdAt: Date(millisecondsSince1970: row.int64(C.createdAt.rawValue)),
            updatedAt: Date(millisecondsSince1970: row.int64(C.updatedAt.rawValue)),
            sentAt: date(row.optionalInt64(C.sentAt.rawValue)), pool: row.optionalString(C.pool.rawValue))
    }

    static func attempt(from row: Row) -> AttemptRecord {
        var error: Classification?
        if let className: String = row["error_class"], let errorClass = ErrorClass(rawValue: className) {
            error = Classification(
                errorClass: errorClass, code: row["error_code"], title: row["error_title"] ?? "",
                details: row["error_details"], httpStatus: row["http_status"],
                cause: (row["error_cause"] as String?).flatMap(PigeonCause.init(rawValue:)))
        }
        return AttemptRecord(
            number: row["number"], startedAt: date(row["started_at"])!, finishedAt: date(row["finished_at"]),
            outcome: AttemptOutcome(rawValue: row["outcome"]) ?? .inDoubt, error: error,
            durationMs: row["duration_ms"], senderID: row["sender_id"])
    }
}

extension String {
    /// `countedAttempts` as `counted_attempts`.
    fileprivate var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
