import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: WebhookInbox {
    public func saveWebhook(_ body: Data, receivedAt: Date) async throws {
        let logger = logger
        try await write { connection in
            var sql = SQL()
            sql.text = "INSERT INTO webhooks (received_at, body) VALUES (\(sql.bind(receivedAt.millisecondsSince1970)), \(sql.bind(body)))"
            try await connection.run(sql, logger: logger)
        }
    }

    public func unprocessedWebhooks(limit: Int) async throws -> [RawWebhook] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT seq, body, received_at FROM webhooks WHERE processed_at IS NULL ORDER BY seq LIMIT \(sql.bind(limit))"
            return try await connection.rows(sql, logger: logger).map { row in
                RawWebhook(seq: try row.get("seq"), body: try row.get("body"), receivedAt: try row.date("received_at")!)
            }
        }
    }

    public func receiveWebhook(
        _ body: Data, carrying webhook: MetaWebhook, receivedAt: Date, forwarding: Bool,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        let logger = logger
        return try await write { connection in
            let settled = try await Self.settleRows(
                webhook.statuses, inbound: webhook.inbound, now: receivedAt, forwarding: forwarding, connection, logger: logger,
                decide: decide)
            var sql = SQL()
            let now = sql.bind(receivedAt.millisecondsSince1970)
            sql.text = """
                INSERT INTO webhooks (received_at, body, processed_at, problems)
                VALUES (\(now), \(sql.bind(body)), \(now), \(sql.bind(webhook.problemSummary))::text)
                """
            try await connection.run(sql, logger: logger)
            return settled
        }
    }

    public func settle(
        _ reports: [StatusReport], inbound: [InboundMessage], processed: [(seq: Int64, problems: String?)], now: Date,
        forwarding: Bool, decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        let logger = logger
        let processed = processed.map { ($0.seq, $0.problems) }
        return try await write { connection in
            let settled = try await Self.settleRows(
                reports, inbound: inbound, now: now, forwarding: forwarding, connection, logger: logger, decide: decide)
            for (seq, problems) in processed {
                var sql = SQL()
                sql.text = """
                    UPDATE webhooks SET processed_at = \(sql.bind(now.millisecondsSince1970)), problems = \(sql.bind(problems))::text
                    WHERE seq = \(sql.bind(seq))
                    """
                try await connection.run(sql, logger: logger)
            }
            return settled
        }
    }

    /// Records each report on its message and, with `forwarding`, queues every new status and every inbound
    /// message not seen before for the application.
    private static func settleRows(
        _ reports: [StatusReport], inbound: [InboundMessage], now: Date, forwarding: Bool, _ connection: PostgresConnection,
        logger: Logger, decide: (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        var settled: [SettledStatus] = []
        for report in reports {
            let recorded = try await PostgresEvents.record(report, now: now, connection, logger: logger, decide: decide)
            if forwarding && recorded.isNew {
                try await forwardStatus(report, matched: recorded.message, now: now, connection, logger: logger)
            }
            if let change = recorded.settled { settled.append(change) }
        }
        guard forwarding else { return settled }
        for message in inbound {
            var sql = SQL()
            sql.text = """
                INSERT INTO inbound_seen (wamid, received_at) VALUES (\(sql.bind(message.wamid)), \(sql.bind(now.millisecondsSince1970)))
                ON CONFLICT (wamid) DO NOTHING RETURNING wamid
                """
            if try await connection.run(sql, logger: logger) == 1 {
                try await enqueueForward(
                    key: ForwardRouting.inboundKey(from: message.from), body: message.body, now: now, connection, logger: logger)
            }
        }
        return settled
    }

    /// Queues a status for the application under the key and with the id `ForwardRouting` gives.
    static func forwardStatus(
        _ report: StatusReport, matched message: MessageID?, now: Date, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        let pigeonID = ForwardRouting.pigeonID(of: report, matched: message)
        var known = false
        if let pigeonID {
            var sql = SQL()
            sql.text = "SELECT message_id FROM client_ids WHERE message_id = \(sql.bind(pigeonID))"
            known = try await connection.run(sql, logger: logger) > 0
        }
        let route = ForwardRouting.status(report, pigeonID: pigeonID, knownByPigeonID: known)
        try await enqueueForward(
            key: route.key, body: ForwardBody.status(report, id: route.id, phoneNumberID: nil), now: now, connection, logger: logger)
    }

    public func settlePending(
        now: Date, limit: Int, giveUpAfter: Duration,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        let logger = logger
        return try await write { connection in
            var giveUp = SQL()
            giveUp.text = """
                UPDATE message_events SET outcome = 'unmatched', next_match_at = NULL
                WHERE outcome = 'pending' AND next_match_at <= \(giveUp.bind(now.millisecondsSince1970))
                  AND received_at < \(giveUp.bind(now.adding(.zero - giveUpAfter).millisecondsSince1970))
                """
            try await connection.run(giveUp, logger: logger)
            var sql = SQL()
            sql.text = """
                SELECT \(PostgresEvents.columns) FROM message_events
                WHERE outcome = 'pending' AND next_match_at <= \(sql.bind(now.millisecondsSince1970))
                ORDER BY next_match_at LIMIT \(sql.bind(limit)) FOR UPDATE SKIP LOCKED
                """
            var settled: [SettledStatus] = []
            for row in try await connection.rows(sql, logger: logger) {
                let event = try PostgresEvents.stored(from: row)
                if let change = try await PostgresEvents.place(event, now: now, connection, logger: logger, decide: decide) {
                    settled.append(change)
                }
            }
            return settled
        }
    }

    public func intakeStats() async throws -> IntakeStats {
        let logger = logger
        return try await read { connection in
            let row = try await connection.rows(
                SQL(
                    """
                    SELECT
                      (SELECT COUNT(*) FROM webhooks WHERE processed_at IS NULL) AS webhooks,
                      (SELECT COUNT(*) FROM message_events WHERE outcome = 'pending') AS pending,
                      (SELECT COUNT(*) FROM forwards WHERE status IN ('queued', 'sending', 'retry_scheduled')) AS waiting,
                      (SELECT COUNT(*) FROM forwards WHERE status = 'failed') AS failed
                    """), logger: logger
            ).first!
            return IntakeStats(
                unprocessedWebhooks: Int(try row.get("webhooks", as: Int64.self)), pendingEvents: Int(try row.get("pending", as: Int64.self)),
                forwardsWaiting: Int(try row.get("waiting", as: Int64.self)), forwardsFailed: Int(try row.get("failed", as: Int64.self)))
        }
    }

    public func events(of id: MessageID) async throws -> [MessageEvent] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT \(PostgresEvents.columns) FROM message_events
                WHERE message_seq = (SELECT seq FROM messages WHERE id = \(sql.bind(id.rawValue)))
                ORDER BY meta_timestamp, id
                """
            return try await connection.rows(sql, logger: logger).map { row in
                let event = try PostgresEvents.stored(from: row)
                return MessageEvent(report: event.report, receivedAt: event.receivedAt, outcome: event.outcome)
            }
        }
    }

    public func purgeWebhooks(before cutoff: Date, limit: Int) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                DELETE FROM webhooks WHERE seq IN (
                  SELECT seq FROM webhooks WHERE processed_at IS NOT NULL AND received_at < \(sql.bind(cutoff.millisecondsSince1970))
                  LIMIT \(sql.bind(limit)))
                RETURNING seq
                """
            let purged = try await connection.run(sql, logger: logger)
            var forwards = SQL()
            forwards.text = """
                DELETE FROM forwards WHERE seq IN (
                  SELECT seq FROM forwards WHERE status = 'delivered' AND updated_at < \(forwards.bind(cutoff.millisecondsSince1970))
                  LIMIT \(forwards.bind(limit)))
                """
            try await connection.run(forwards, logger: logger)
            var seen = SQL()
            seen.text = "DELETE FROM inbound_seen WHERE received_at < \(seen.bind(cutoff.millisecondsSince1970))"
            try await connection.run(seen, logger: logger)
            return purged
        }
    }
}
