import Foundation
import GRDB
import PigeonCore

/// Rows of `message_events`: storing a status report, and placing it on its message.
enum EventRows {
    /// A stored event still to place: its row id and how often matching was tried.
    struct Pending {
        var id: Int64
        var tries: Int
    }

    /// A stored event as read back.
    struct Stored {
        var pending: Pending
        var report: StatusReport
        var receivedAt: Date
        var outcome: EventOutcome
    }

    /// The `message_events` columns `stored(from:)` reads: the select list is made from this enum, so each
    /// case's position is its column's index.
    enum Column: Int32, CaseIterable {
        case id, matchTries, wamid, status, metaTimestamp, recipientID, callbackData, errorCode, errorTitle
        case errorDetails, pricing, conversation, receivedAt, outcome

        var name: String {
            switch self {
            case .id: "id"
            case .matchTries: "match_tries"
            case .wamid: "wamid"
            case .status: "status"
            case .metaTimestamp: "meta_timestamp"
            case .recipientID: "recipient_id"
            case .callbackData: "callback_data"
            case .errorCode: "error_code"
            case .errorTitle: "error_title"
            case .errorDetails: "error_details"
            case .pricing: "pricing"
            case .conversation: "conversation"
            case .receivedAt: "received_at"
            case .outcome: "outcome"
            }
        }
    }

    /// The select list for `stored(from:)`.
    static let columns = Column.allCases.map(\.name).joined(separator: ", ")

    static func stored(from row: RawStatement) -> Stored {
        typealias C = Column
        var errors: [GraphError] = []
        if let code = row.optionalInt(C.errorCode.rawValue) {
            errors.append(
                GraphError(code: code, title: row.string(C.errorTitle.rawValue), details: row.optionalString(C.errorDetails.rawValue)))
        }
        let report = StatusReport(
            wamid: row.string(C.wamid.rawValue), status: row.string(C.status.rawValue),
            timestamp: SQLiteRows.date(row.optionalInt64(C.metaTimestamp.rawValue)),
            recipientID: row.optionalString(C.recipientID.rawValue), callbackData: row.optionalString(C.callbackData.rawValue),
            errors: errors, pricing: row.optionalString(C.pricing.rawValue), conversation: row.optionalString(C.conversation.rawValue))
        return Stored(
            pending: Pending(id: row.int64(C.id.rawValue), tries: row.int(C.matchTries.rawValue)), report: report,
            receivedAt: Date(millisecondsSince1970: row.int64(C.receivedAt.rawValue)),
            outcome: EventOutcome(rawValue: row.string(C.outcome.rawValue)) ?? .pending)
    }

    /// What `record` did with a report.
    struct Recorded {
        /// False when Meta already reported this status for this wamid: nothing was stored or changed.
        var isNew: Bool
        /// The change, when the report moved its message.
        var settled: SettledStatus?
        /// The message the report was matched to, if any.
        var message: MessageID?
    }

    /// Stores `report` and applies it in one step: its message is looked up first so the event row is
    /// written once, with its outcome (see `EventPlacement`).
    static func record(
        _ report: StatusReport, now: Date, db: Database, decide: (MessageRecord, StatusReport) -> StatusDecision
    ) throws -> Recorded {
        let placement = EventPlacement.of(report, on: try message(for: report, db: db), tries: 0, now: now, decide: decide)
        switch placement {
        case .retry(let at):
            let id = try insert(report, outcome: .pending, messageSeq: nil, retryAt: at, now: now, db: db)
            return Recorded(isNew: id != nil, settled: nil, message: placement.message?.id)
        case .record(let message):
            let id = try insert(report, outcome: .recorded, messageSeq: message.seq, retryAt: nil, now: now, db: db)
            return Recorded(isNew: id != nil, settled: nil, message: message.id)
        case .move(let message, let state, let effects):
            guard let id = try insert(report, outcome: .applied, messageSeq: message.seq, retryAt: nil, now: now, db: db) else {
                return Recorded(isNew: false, settled: nil, message: message.id)
            }
            guard try moved(message, to: state, now: now, db: db) else {
                try setOutcome(.recorded, messageSeq: message.seq, id: id, db: db)
                return Recorded(isNew: true, settled: nil, message: message.id)
            }
            return Recorded(
                isNew: true, settled: SettledStatus(message: message, state: state, effects: effects, report: report), message: message.id)
        }
    }

    /// Stores `report` with `outcome`; nil when Meta already reported this status for this wamid. A pending
    /// event (`retryAt` set) counts as tried once.
    private static func insert(
        _ report: StatusReport, outcome: EventOutcome, messageSeq: Int64?, retryAt: Date?, now: Date, db: Database
    ) throws -> Int64? {
        let error = report.errors.first
        let statement = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO message_events (wamid, status, outcome, meta_timestamp, recipient_id,
                      callback_data, error_code, error_title, error_details, pricing, conversation, received_at,
                      message_seq, next_match_at, match_tries)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                    """), in: db)
        statement.bind(report.wamid, at: 1)
        statement.bind(report.status, at: 2)
        statement.bind(outcome.rawValue, at: 3)
        statement.bind(report.timestamp.map { Int64($0.timeIntervalSince1970 * 1000) }, at: 4)
        statement.bind(report.recipientID, at: 5)
        statement.bind(report.callbackData, at: 6)
        statement.bind(error?.code, at: 7)
        statement.bind(error?.title, at: 8)
        statement.bind(error?.details, at: 9)
        statement.bind(report.pricing, at: 10)
        statement.bind(report.conversation, at: 11)
        statement.bind(now.millisecondsSince1970, at: 12)
        statement.bind(messageSeq, at: 13)
        statement.bind(retryAt?.millisecondsSince1970, at: 14)
        statement.bind(retryAt == nil ? 0 : 1, at: 15)
        guard try statement.execute() == 1 else { return nil }
        return statement.lastInsertedRowID
    }

    /// Tries a pending event again (see `EventPlacement`); returns the change when its message moved.
    static func place(
        event: Pending, report: StatusReport, now: Date, db: Database,
        decide: (MessageRecord, StatusReport) -> StatusDecision
    ) throws -> SettledStatus? {
        switch EventPlacement.of(report, on: try message(for: report, db: db), tries: event.tries, now: now, decide: decide) {
        case .retry(let at):
            try db.cachedStatement(sql: "UPDATE message_events SET next_match_at = ?, match_tries = match_tries + 1 WHERE id = ?")
                .execute(arguments: [at.millisecondsSince1970, event.id])
            return nil
        case .record(let message):
            try setOutcome(.recorded, messageSeq: message.seq, id: event.id, db: db)
            return nil
        case .move(let message, let state, let effects):
            let applied = try moved(message, to: state, now: now, db: db)
            try setOutcome(applied ? .applied : .recorded, messageSeq: message.seq, id: event.id, db: db)
            return applied ? SettledStatus(message: message, state: state, effects: effects, report: report) : nil
        }
    }

    /// Moves `message` to `state` unless it changed since it was read; true when it moved.
    private static func moved(_ message: MessageRecord, to state: MessageState, now: Date, db: Database) throws -> Bool {
        try SQLiteStateWrites.write(db, [StateWrite(seq: message.seq, old: message.state, new: state)], now: now).contains(message.seq)
    }

    private static func setOutcome(_ outcome: EventOutcome, messageSeq: Int64, id: Int64, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE message_events SET outcome = ?, message_seq = ?, next_match_at = NULL WHERE id = ?")
            .execute(arguments: [outcome.rawValue, messageSeq, id])
    }

    private static func message(for report: StatusReport, db: Database) throws -> MessageRecord? {
        if let message = try SQLiteRows.message(
            db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages WHERE wamid = ?", arguments: [report.wamid])
        {
            return message
        }
        guard let id = report.callbackData else { return nil }
        return try SQLiteRows.message(
            db, sql: "SELECT \(SQLiteRows.messageColumns) FROM messages WHERE id = ?", arguments: [id])
    }
}
