import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// Rows of `message_events` on PostgreSQL: storing a status report and placing it on its message, within
/// the caller's transaction (the same steps as the SQLite store's `EventRows`).
enum PostgresEvents {
    static let columns = """
        id, match_tries, wamid, status, meta_timestamp, recipient_id, callback_data, error_code, error_title,
        error_details, pricing, conversation, received_at, outcome
        """

    /// A stored event as read back.
    struct Stored {
        var id: Int64
        var tries: Int
        var report: StatusReport
        var receivedAt: Date
        var outcome: EventOutcome
    }

    static func stored(from row: PostgresRandomAccessRow) throws -> Stored {
        var errors: [GraphError] = []
        if let code = try row.get("error_code", as: Int?.self) {
            errors.append(GraphError(code: code, title: try row.get("error_title", as: String?.self) ?? "", details: try row.get("error_details")))
        }
        let report = StatusReport(
            wamid: try row.get("wamid"), status: try row.get("status"), timestamp: try row.date("meta_timestamp"),
            recipientID: try row.get("recipient_id"), callbackData: try row.get("callback_data"), errors: errors,
            pricing: try row.get("pricing"), conversation: try row.get("conversation"))
        return Stored(
            id: try row.get("id"), tries: try row.get("match_tries"), report: report, receivedAt: try row.date("received_at")!,
            outcome: EventOutcome(rawValue: try row.get("outcome")) ?? .pending)
    }

    /// What `record` did with a report.
    struct Recorded {
        /// False when Meta already reported this status for this wamid: nothing was stored or changed.
        var isNew: Bool
        var settled: SettledStatus?
        /// The message the report was matched to, if any.
        var message: MessageID?
    }

    /// Stores `report` and applies it in one step: its message is looked up first so the event row is
    /// written once, with its outcome (see `EventPlacement`).
    static func record(
        _ report: StatusReport, now: Date, _ connection: PostgresConnection, logger: Logger,
        decide: (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> Recorded {
        let message = try await message(for: report, connection, logger: logger)
        let placement = EventPlacement.of(report, on: message, tries: 0, now: now, decide: decide)
        switch placement {
        case .retry(let at):
            let id = try await insert(report, outcome: .pending, messageSeq: nil, retryAt: at, now: now, connection, logger: logger)
            return Recorded(isNew: id != nil, settled: nil, message: message?.id)
        case .record(let message):
            let id = try await insert(report, outcome: .recorded, messageSeq: message.seq, retryAt: nil, now: now, connection, logger: logger)
            return Recorded(isNew: id != nil, settled: nil, message: message.id)
        case .move(let message, let state, let effects):
            guard
                let id = try await insert(
                    report, outcome: .applied, messageSeq: message.seq, retryAt: nil, now: now, connection, logger: logger)
            else { return Recorded(isNew: false, settled: nil, message: message.id) }
            guard try await moved(message, to: state, now: now, connection, logger: logger) else {
                try await setOutcome(.recorded, messageSeq: message.seq, id: id, connection, logger: logger)
                return Recorded(isNew: true, settled: nil, message: message.id)
            }
            return Recorded(
                isNew: true, settled: SettledStatus(message: message, state: state, effects: effects, report: report), message: message.id)
        }
    }

    private static func insert(
        _ report: StatusReport, outcome: EventOutcome, messageSeq: Int64?, retryAt: Date?, now: Date, _ connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int64? {
        let error = report.errors.first
        var sql = SQL()
        let values = [
            sql.bind(report.wamid), sql.bind(report.status), sql.bind(outcome.rawValue),
            sql.bind(report.timestamp.map { Int64($0.timeIntervalSince1970 * 1000) }) + "::bigint", sql.bind(report.recipientID) + "::text",
            sql.bind(report.callbackData) + "::text", sql.bind(error?.code) + "::integer", sql.bind(error?.title) + "::text",
            sql.bind(error?.details) + "::text", sql.bind(report.pricing) + "::text", sql.bind(report.conversation) + "::text",
            sql.bind(now.millisecondsSince1970), sql.bind(messageSeq) + "::bigint", sql.bind(retryAt?.millisecondsSince1970) + "::bigint",
            sql.bind(retryAt == nil ? 0 : 1),
        ]
        sql.text = """
            INSERT INTO message_events (wamid, status, outcome, meta_timestamp, recipient_id, callback_data, error_code,
              error_title, error_details, pricing, conversation, received_at, message_seq, next_match_at, match_tries)
            VALUES (\(values.joined(separator: ", ")))
            ON CONFLICT (wamid, status) DO NOTHING RETURNING id
            """
        return try await connection.rows(sql, logger: logger).first?.get("id")
    }

    /// Tries a pending event again (see `EventPlacement`); returns the change when its message moved.
    static func place(
        _ event: Stored, now: Date, _ connection: PostgresConnection, logger: Logger,
        decide: (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> SettledStatus? {
        let message = try await message(for: event.report, connection, logger: logger)
        switch EventPlacement.of(event.report, on: message, tries: event.tries, now: now, decide: decide) {
        case .retry(let at):
            var sql = SQL()
            sql.text = """
                UPDATE message_events SET next_match_at = \(sql.bind(at.millisecondsSince1970)), match_tries = match_tries + 1
                WHERE id = \(sql.bind(event.id))
                """
            try await connection.run(sql, logger: logger)
            return nil
        case .record(let message):
            try await setOutcome(.recorded, messageSeq: message.seq, id: event.id, connection, logger: logger)
            return nil
        case .move(let message, let state, let effects):
            let applied = try await moved(message, to: state, now: now, connection, logger: logger)
            try await setOutcome(applied ? .applied : .recorded, messageSeq: message.seq, id: event.id, connection, logger: logger)
            return applied ? SettledStatus(message: message, state: state, effects: effects, report: event.report) : nil
        }
    }

    /// Moves `message` to `state` unless it changed since it was read; true when it moved.
    private static func moved(
        _ message: MessageRecord, to state: MessageState, now: Date, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        try await PostgresStateWrites.write(connection, [StateWrite(seq: message.seq, old: message.state, new: state)], now: now, logger: logger)
            .contains(message.seq)
    }

    private static func setOutcome(
        _ outcome: EventOutcome, messageSeq: Int64, id: Int64, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        var sql = SQL()
        sql.text = """
            UPDATE message_events SET outcome = \(sql.bind(outcome.rawValue)), message_seq = \(sql.bind(messageSeq)),
              next_match_at = NULL
            WHERE id = \(sql.bind(id))
            """
        try await connection.run(sql, logger: logger)
    }

    /// The report's message, by wamid, else by callback data (a Pigeon message id); locked for this transaction.
    private static func message(
        for report: StatusReport, _ connection: PostgresConnection, logger: Logger
    ) async throws
        -> MessageRecord?
    {
        var byWamid = SQL()
        byWamid.text = "SELECT \(PostgresRows.messageColumns) FROM messages WHERE wamid = \(byWamid.bind(report.wamid)) FOR UPDATE"
        if let message = try await PostgresRows.messages(connection, byWamid, logger: logger).first { return message }
        guard let id = report.callbackData else { return nil }
        var byID = SQL()
        byID.text = "SELECT \(PostgresRows.messageColumns) FROM messages WHERE id = \(byID.bind(id)) FOR UPDATE"
        return try await PostgresRows.messages(connection, byID, logger: logger).first
    }
}
