import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: WebhookInbox {
    public func saveWebhook(_ body: Data, receivedAt: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO webhooks (received_at, body) VALUES (?, ?)")
                .execute(arguments: [receivedAt.millisecondsSince1970, body])
        }
    }

    public func unprocessedWebhooks(limit: Int) async throws -> [RawWebhook] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT seq, body, received_at FROM webhooks INDEXED BY webhooks_unprocessed
                        WHERE processed_at IS NULL ORDER BY seq LIMIT ?
                        """),
                arguments: [limit]
            ).map { RawWebhook(seq: $0[0], body: $0[1], receivedAt: Date(millisecondsSince1970: $0[2])) }
        }
    }

    public func receiveWebhook(
        _ body: Data, carrying webhook: MetaWebhook, receivedAt: Date, forwarding: Bool,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        try await write { db in
            let settled = try Self.settleRows(
                webhook.statuses, inbound: webhook.inbound, now: receivedAt, forwarding: forwarding, db: db, decide: decide)
            try db.cachedStatement(sql: "INSERT INTO webhooks (received_at, body, processed_at, problems) VALUES (?1, ?2, ?1, ?3)")
                .execute(arguments: [receivedAt.millisecondsSince1970, body, webhook.problemSummary])
            return settled
        }
    }

    public func settle(
        _ reports: [StatusReport], inbound: [InboundMessage], processed: [(seq: Int64, problems: String?)], now: Date,
        forwarding: Bool, decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        try await write { db in
            let settled = try Self.settleRows(reports, inbound: inbound, now: now, forwarding: forwarding, db: db, decide: decide)
            let statement = try db.cachedStatement(sql: "UPDATE webhooks SET processed_at = ?, problems = ? WHERE seq = ?")
            for webhook in processed {
                try statement.execute(arguments: [now.millisecondsSince1970, webhook.problems, webhook.seq])
            }
            return settled
        }
    }

    /// Records each report on its message and, with `forwarding`, queues every new status and every inbound
    /// message not seen before for the application.
    private static func settleRows(
        _ reports: [StatusReport], inbound: [InboundMessage], now: Date, forwarding: Bool, db: Database,
        decide: (MessageRecord, StatusReport) -> StatusDecision
    ) throws -> [SettledStatus] {
        var settled: [SettledStatus] = []
        for report in reports {
            let recorded = try EventRows.record(report, now: now, db: db, decide: decide)
            if forwarding && recorded.isNew { try forwardStatus(report, matched: recorded.message, now: now, db: db) }
            if let change = recorded.settled { settled.append(change) }
        }
        if forwarding {
            for message in inbound {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO inbound_seen (wamid, received_at) VALUES (?, ?)")
                    .execute(arguments: [message.wamid, now.millisecondsSince1970])
                if db.changesCount == 1 {
                    try enqueueForward(key: ForwardRouting.inboundKey(from: message.from), body: message.body, now: now, db: db)
                }
            }
        }
        return settled
    }

    /// Queues a status for the application under the key and with the id `ForwardRouting` gives.
    static func forwardStatus(_ report: StatusReport, matched message: MessageID?, now: Date, db: Database) throws {
        let pigeonID = ForwardRouting.pigeonID(of: report, matched: message)
        var known = false
        if let pigeonID {
            known =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM client_ids WHERE message_id = ?)"), arguments: [pigeonID])
                ?? false
        }
        let route = ForwardRouting.status(report, pigeonID: pigeonID, knownByPigeonID: known)
        try enqueueForward(key: route.key, body: ForwardBody.status(report, id: route.id, phoneNumberID: nil), now: now, db: db)
    }

    public func settlePending(
        now: Date, limit: Int, giveUpAfter: Duration,
        decide: @escaping @Sendable (MessageRecord, StatusReport) -> StatusDecision
    ) async throws -> [SettledStatus] {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE message_events SET outcome = 'unmatched', next_match_at = NULL
                    WHERE outcome = 'pending' AND next_match_at <= ?1 AND received_at < ?2
                    """,
                arguments: [now.millisecondsSince1970, now.adding(.zero - giveUpAfter).millisecondsSince1970])
            let due = try SQLiteRows.fetch(
                db,
                sql: """
                    SELECT \(EventRows.columns) FROM message_events INDEXED BY message_events_pending
                    WHERE outcome = 'pending' AND next_match_at <= ? ORDER BY next_match_at LIMIT ?
                    """,
                arguments: [now.millisecondsSince1970, limit], decode: EventRows.stored(from:))
            var settled: [SettledStatus] = []
            for event in due {
                if let change = try EventRows.place(event: event.pending, report: event.report, now: now, db: db, decide: decide) {
                    settled.append(change)
                }
            }
            return settled
        }
    }

    public func intakeStats() async throws -> IntakeStats {
        try await read { db in
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT
                          (SELECT COUNT(*) FROM webhooks INDEXED BY webhooks_unprocessed WHERE processed_at IS NULL),
                          (SELECT COUNT(*) FROM message_events INDEXED BY message_events_pending WHERE outcome = 'pending'),
                          (SELECT COUNT(*) FROM forwards INDEXED BY forwards_status
                           WHERE status IN ('queued', 'sending', 'retry_scheduled')),
                          (SELECT COUNT(*) FROM forwards INDEXED BY forwards_status WHERE status = 'failed')
                        """))!
            return IntakeStats(unprocessedWebhooks: row[0], pendingEvents: row[1], forwardsWaiting: row[2], forwardsFailed: row[3])
        }
    }

    public func events(of id: MessageID) async throws -> [MessageEvent] {
        try await read { db in
            try SQLiteRows.fetch(
                db,
                sql: """
                    SELECT \(EventRows.columns) FROM message_events
                    WHERE message_seq = (SELECT seq FROM messages WHERE id = ?)
                    ORDER BY meta_timestamp, id
                    """,
                arguments: [id.rawValue], decode: EventRows.stored(from:)
            ).map { MessageEvent(report: $0.report, receivedAt: $0.receivedAt, outcome: $0.outcome) }
        }
    }

    public func purgeWebhooks(before cutoff: Date, limit: Int) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: """
                    DELETE FROM webhooks WHERE seq IN (
                      SELECT seq FROM webhooks INDEXED BY webhooks_processed
                      WHERE processed_at IS NOT NULL AND received_at < ? LIMIT ?)
                    """,
                arguments: [cutoff.millisecondsSince1970, limit])
            let purged = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM forwards WHERE seq IN (
                      SELECT seq FROM forwards INDEXED BY forwards_status WHERE status = 'delivered' AND updated_at < ? LIMIT ?)
                    """,
                arguments: [cutoff.millisecondsSince1970, limit])
            try db.execute(sql: "DELETE FROM inbound_seen WHERE received_at < ?", arguments: [cutoff.millisecondsSince1970])
            return purged
        }
    }
}
