import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: SenderRegistry {
    public func pauseSender(_ senderID: String, because error: Classification, now: Date) async throws {
        try await write { db in
            let reason = [error.code.map { "(#\($0))" }, error.title].compactMap { $0 }.joined(separator: " ")
            try db.execute(
                sql: """
                    INSERT INTO senders (id, paused, pause_reason, pause_error_code, paused_at) VALUES (?, 1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET paused = 1,
                      pause_reason = CASE WHEN senders.paused = 1 THEN senders.pause_reason ELSE excluded.pause_reason END,
                      pause_error_code = CASE WHEN senders.paused = 1 THEN senders.pause_error_code ELSE excluded.pause_error_code END,
                      paused_at = CASE WHEN senders.paused = 1 THEN senders.paused_at ELSE excluded.paused_at END
                    """,
                arguments: [senderID, reason, error.code, now.millisecondsSince1970])
        }
    }

    public func resumeSender(_ senderID: String) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE senders SET paused = 0, pause_reason = NULL, pause_error_code = NULL, paused_at = NULL
                    WHERE id = ? AND paused = 1
                    """,
                arguments: [senderID])
            return db.changesCount > 0
        }
    }

    public func pausedSenders() async throws -> [SenderState] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM senders WHERE paused = 1 ORDER BY id").map { row in
                SenderState(
                    id: row["id"], paused: true, pauseReason: row["pause_reason"],
                    pauseErrorCode: row["pause_error_code"], pausedAt: SQLiteRows.date(row["paused_at"]))
            }
        }
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
