import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: SenderRegistry {
    public func senders() async throws -> [SenderRecord] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM senders ORDER BY id").map(Self.sender(from:)) }
    }

    public func sender(_ id: String) async throws -> SenderRecord? {
        try await read { db in try Self.sender(id, db) }
    }

    public func insertSender(_ record: SenderRecord) async throws -> Bool {
        try await write { db in
            try Self.write(record, db, insert: true)
            return db.changesCount > 0
        }
    }

    public func updateSender(
        _ id: String, _ change: @escaping @Sendable (SenderRecord) throws -> SenderRecord
    ) async throws -> (before: SenderRecord, after: SenderRecord)? {
        try await write { db in
            guard let before = try Self.sender(id, db) else { return nil }
            var after = try change(before)
            after.id = id
            try Self.write(after, db, insert: false)
            return (before, after)
        }
    }

    public func reassign(
        pool: String, from senders: Set<String>, afterSeq: Int64, limit: Int,
        to target: @escaping @Sendable (MessageRecord) -> String?
    ) async throws -> (moved: Int, lastSeq: Int64?) {
        guard !senders.isEmpty else { return (0, nil) }
        return try await write { db in
            let marks = Array(repeating: "?", count: senders.count).joined(separator: ", ")
            var arguments: StatementArguments = [pool]
            arguments += StatementArguments(Array(senders))
            arguments += [afterSeq, limit]
            let records = try SQLiteRows.messages(
                db,
                sql: """
                    SELECT \(SQLiteRows.messageColumns) FROM messages INDEXED BY messages_pooled
                    WHERE pool = ? AND sender_id IN (\(marks)) AND status IN ('queued', 'retry_scheduled') AND seq > ?
                    ORDER BY seq LIMIT ?
                    """, arguments: arguments)
            let update = try db.cachedStatement(sql: "UPDATE messages SET sender_id = ? WHERE seq = ? AND status = ? AND sender_id = ?")
            var moved = 0
            for record in records {
                guard let next = target(record), next != record.senderID else { continue }
                try update.execute(arguments: [next, record.seq, record.state.status.rawValue, record.senderID])
                moved += db.changesCount
            }
            return (moved, records.last?.seq)
        }
    }

    public func deleteSender(_ id: String) async throws -> SenderDeletion {
        try await write { db in
            let waiting = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM messages INDEXED BY messages_due
                    WHERE sender_id = ? AND status IN ('queued', 'retry_scheduled')
                    """, arguments: [id])!
            let sending = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM messages WHERE status = 'sending' AND sender_id = ?", arguments: [id])!
            let unsent = waiting + sending
            guard unsent == 0 else {
                return try Self.sender(id, db) == nil ? .notFound : .hasUnsentMessages(unsent)
            }
            try db.execute(sql: "DELETE FROM senders WHERE id = ?", arguments: [id])
            let deleted = db.changesCount > 0
            try db.execute(sql: "DELETE FROM sender_contacts WHERE sender_id = ?", arguments: [id])
            return deleted ? .deleted : .notFound
        }
    }

    public func recordContacts(_ contacts: [SenderContact], now: Date) async throws {
        guard !contacts.isEmpty else { return }
        try await write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT INTO sender_contacts (sender_id, contact, first_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            for contact in Set(contacts) {
                try insert.execute(arguments: [contact.senderID, contact.contact, now.millisecondsSince1970])
            }
        }
    }

    public func knownContacts(of id: String, among contacts: [String]) async throws -> Set<String> {
        guard !contacts.isEmpty else { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: contacts.count).joined(separator: ", ")
            var arguments: StatementArguments = [id]
            arguments += StatementArguments(contacts)
            return Set(
                try String.fetchAll(
                    db, sql: "SELECT contact FROM sender_contacts WHERE sender_id = ? AND contact IN (\(marks))", arguments: arguments))
        }
    }

    private static func sender(_ id: String, _ db: Database) throws -> SenderRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM senders WHERE id = ?", arguments: [id]).map(sender(from:))
    }

    private static func write(_ record: SenderRecord, _ db: Database, insert: Bool) throws {
        let c = SenderColumns(record)
        let arguments: StatementArguments = [
            c.kind, c.pool, c.status, c.sends, c.limits, c.settings, Data(c.secrets), c.health, c.numberHealth, c.createdAt,
            c.updatedAt, c.id,
        ]
        if insert {
            try db.execute(
                sql: """
                    INSERT INTO senders (kind, pool, status, sends, limits, settings, secrets, health, number_health, created_at,
                      updated_at, id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                    """, arguments: arguments)
        } else {
            try db.execute(
                sql: """
                    UPDATE senders SET kind = ?, pool = ?, status = ?, sends = ?, limits = ?, settings = ?, secrets = ?, health = ?,
                      number_health = ?, created_at = ?, updated_at = ? WHERE id = ?
                    """, arguments: arguments)
        }
    }

    private static func sender(from row: Row) throws -> SenderRecord {
        try SenderColumns(
            id: row["id"], kind: row["kind"], pool: row["pool"], status: row["status"], sends: row["sends"], limits: row["limits"],
            settings: row["settings"], secrets: [UInt8]((row["secrets"] as Data?) ?? Data()), health: row["health"],
            numberHealth: row["number_health"], createdAt: row["created_at"], updatedAt: row["updated_at"]
        ).record()
    }
}

extension SQLiteStore: SettingsStore {
    public func setting(
        _ key: String, orInsert makeValue: @escaping @Sendable () -> String
    ) async throws
        -> (value: String, created: Bool)
    {
        try await write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]) {
                return (value, false)
            }
            let value = makeValue()
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: [key, value])
            return (value, true)
        }
    }
}
