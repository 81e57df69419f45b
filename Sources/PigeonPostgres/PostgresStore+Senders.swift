import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: SenderRegistry {
    public func senders() async throws -> [SenderRecord] {
        let logger = logger
        return try await read { connection in
            try await connection.rows(SQL("SELECT * FROM senders ORDER BY id"), logger: logger).map(Self.sender(from:))
        }
    }

    public func sender(_ id: String) async throws -> SenderRecord? {
        let logger = logger
        return try await read { connection in try await Self.sender(id, lock: false, connection, logger: logger) }
    }

    public func insertSender(_ record: SenderRecord) async throws -> Bool {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            let c = SenderColumns(record)
            sql.text = """
                INSERT INTO senders (id, kind, pool, status, sends, limits, settings, secrets, health, number_health, created_at, updated_at)
                VALUES (\(sql.bind(c.id)), \(sql.bind(c.kind)), \(sql.bind(c.pool)), \(sql.bind(c.status)), \(sql.bind(c.sends)),
                  \(sql.bind(c.limits)), \(sql.bind(c.settings)), \(sql.bind(Data(c.secrets))), \(sql.bind(c.health)),
                  \(sql.bind(c.numberHealth)), \(sql.bind(c.createdAt)), \(sql.bind(c.updatedAt)))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            return try await connection.run(sql, logger: logger) > 0
        }
    }

    public func updateSender(
        _ id: String, _ change: @escaping @Sendable (SenderRecord) throws -> SenderRecord
    ) async throws -> (before: SenderRecord, after: SenderRecord)? {
        let logger = logger
        return try await write { connection in
            guard let before = try await Self.sender(id, lock: true, connection, logger: logger) else { return nil }
            var after = try change(before)
            after.id = id
            var sql = SQL()
            let c = SenderColumns(after)
            sql.text = """
                UPDATE senders SET kind = \(sql.bind(c.kind)), pool = \(sql.bind(c.pool)), status = \(sql.bind(c.status)),
                  sends = \(sql.bind(c.sends)), limits = \(sql.bind(c.limits)), settings = \(sql.bind(c.settings)),
                  secrets = \(sql.bind(Data(c.secrets))), health = \(sql.bind(c.health)), number_health = \(sql.bind(c.numberHealth)),
                  created_at = \(sql.bind(c.createdAt)), updated_at = \(sql.bind(c.updatedAt))
                WHERE id = \(sql.bind(c.id))
                """
            try await connection.run(sql, logger: logger)
            return (before, after)
        }
    }

    public func reassign(
        pool: String, from senders: Set<String>, afterSeq: Int64, limit: Int,
        to target: @escaping @Sendable (MessageRecord) -> String?
    ) async throws -> (moved: Int, lastSeq: Int64?) {
        guard !senders.isEmpty else { return (0, nil) }
        let logger = logger
        return try await write { connection in
            var select = SQL()
            select.text = """
                SELECT \(PostgresRows.messageColumns) FROM messages
                WHERE pool = \(select.bind(pool)) AND sender_id = ANY(\(select.bind(Array(senders)))::text[])
                  AND status IN ('queued', 'retry_scheduled') AND seq > \(select.bind(afterSeq))
                ORDER BY seq LIMIT \(select.bind(limit)) FOR UPDATE SKIP LOCKED
                """
            let records = try await PostgresRows.messages(connection, select, logger: logger)
            let moves = records.compactMap { record in target(record).flatMap { $0 == record.senderID ? nil : (record.seq, $0) } }
            guard !moves.isEmpty else { return (0, records.last?.seq) }
            var update = SQL()
            update.text = """
                UPDATE messages SET sender_id = moves.sender
                FROM unnest(\(update.bind(moves.map(\.0)))::bigint[], \(update.bind(moves.map(\.1)))::text[]) AS moves (seq, sender)
                WHERE messages.seq = moves.seq AND messages.status IN ('queued', 'retry_scheduled') RETURNING messages.seq
                """
            return (try await connection.run(update, logger: logger), records.last?.seq)
        }
    }

    public func deleteSender(_ id: String) async throws -> SenderDeletion {
        let logger = logger
        return try await write { connection in
            guard try await Self.sender(id, lock: true, connection, logger: logger) != nil else { return .notFound }
            var count = SQL()
            count.text = """
                SELECT COUNT(*) AS n FROM messages
                WHERE status IN ('queued', 'retry_scheduled', 'sending') AND sender_id = \(count.bind(id))
                """
            let unsent = try await connection.rows(count, logger: logger).first!.get("n", as: Int.self)
            guard unsent == 0 else { return .hasUnsentMessages(unsent) }
            var delete = SQL()
            delete.text = "DELETE FROM senders WHERE id = \(delete.bind(id))"
            try await connection.run(delete, logger: logger)
            var contacts = SQL()
            contacts.text = "DELETE FROM sender_contacts WHERE sender_id = \(contacts.bind(id))"
            try await connection.run(contacts, logger: logger)
            return .deleted
        }
    }

    public func recordContacts(_ contacts: [SenderContact], now: Date) async throws {
        let unique = Array(Set(contacts))
        guard !unique.isEmpty else { return }
        let logger = logger
        try await write { connection in
            var insert = SQL()
            let at = insert.bind(now.millisecondsSince1970)
            let senders = insert.bind(unique.map(\.senderID))
            let keys = insert.bind(unique.map(\.contact))
            insert.text = """
                INSERT INTO sender_contacts (sender_id, contact, first_at)
                SELECT s, c, \(at) FROM UNNEST(\(senders)::text[], \(keys)::text[]) AS t(s, c)
                ON CONFLICT DO NOTHING
                """
            try await connection.run(insert, logger: logger)
        }
    }

    public func knownContacts(of id: String, among contacts: [String]) async throws -> Set<String> {
        guard !contacts.isEmpty else { return [] }
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT contact FROM sender_contacts
                WHERE sender_id = \(sql.bind(id)) AND contact = ANY(\(sql.bind(contacts))::text[])
                """
            return Set(try await connection.rows(sql, logger: logger).map { try $0.get("contact", as: String.self) })
        }
    }

    private static func sender(_ id: String, lock: Bool, _ connection: PostgresConnection, logger: Logger) async throws -> SenderRecord? {
        var sql = SQL()
        sql.text = "SELECT * FROM senders WHERE id = \(sql.bind(id))\(lock ? " FOR UPDATE" : "")"
        return try await connection.rows(sql, logger: logger).first.map(sender(from:))
    }

    private static func sender(from row: PostgresRandomAccessRow) throws -> SenderRecord {
        let secrets = try row.get("secrets", as: ByteBuffer.self)
        return try SenderColumns(
            id: row.get("id"), kind: row.get("kind"), pool: row.get("pool"), status: row.get("status"), sends: row.get("sends"),
            limits: row.get("limits"), settings: row.get("settings"), secrets: Array(secrets.readableBytesView),
            health: row.get("health"), numberHealth: row.get("number_health"), createdAt: row.get("created_at"),
            updatedAt: row.get("updated_at")
        ).record()
    }
}
