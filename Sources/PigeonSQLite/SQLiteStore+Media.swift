import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: MediaLibrary {
    public func saveAsset(_ asset: MediaAsset) async throws -> Bool {
        try await write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM media_assets WHERE key = ?)", arguments: [asset.key]) ?? false
            try db.execute(
                sql: """
                    INSERT INTO media_assets (key, sha256, mime_type, size, filename, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                    ON CONFLICT (key) DO UPDATE SET sha256 = ?2, mime_type = ?3, size = ?4, filename = ?5, updated_at = ?6
                    """,
                arguments: [asset.key, asset.sha256, asset.mimeType, asset.size, asset.filename, asset.updatedAt.millisecondsSince1970])
            return !existed
        }
    }

    public func asset(_ key: String) async throws -> MediaAsset? {
        try await read { db in try Self.assets(db, key: key).first }
    }

    public func assets() async throws -> [MediaAsset] {
        try await read { db in try Self.assets(db, key: nil) }
    }

    public func deleteAsset(_ key: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM media_assets WHERE key = ?", arguments: [key])
            return db.changesCount > 0
        }
    }

    public func unsentMessages(namingMediaKey key: String) async throws -> Int {
        let reference = MediaReferences.reference(key)
        return try await read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'retry_scheduled', 'sending') AND instr(payload, ?) > 0",
                arguments: [reference]) ?? 0
        }
    }

    public func beginUpload(key: String, senderID: String, owner: String, until: Date, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO media_uploads (key, sender_id, upload_owner, upload_until) VALUES (?1, ?2, ?3, ?4)
                    ON CONFLICT (key, sender_id) DO UPDATE SET upload_owner = ?3, upload_until = ?4
                    WHERE upload_owner IS NULL OR upload_until <= ?5 OR upload_owner = ?3
                    """,
                arguments: [key, senderID, owner, until.millisecondsSince1970, now.millisecondsSince1970])
            return db.changesCount == 1
        }
    }

    public func finishUpload(
        key: String, senderID: String, owner: String, refresh: MediaRefresh?, expiresAt: Date?, retryAt: Date?
    ) async throws {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM media_assets WHERE key = ?)", arguments: [key]) == true else {
                return  // deleted while uploading
            }
            guard let refresh else {
                try db.execute(
                    sql: "UPDATE media_uploads SET upload_owner = NULL, upload_until = NULL WHERE key = ? AND sender_id = ? AND upload_owner = ?",
                    arguments: [key, senderID, owner])
                return
            }
            if let mediaID = refresh.newMediaID {
                try db.execute(
                    sql: """
                        UPDATE media_uploads SET media_id = ?, uploaded_at = ?, expires_at = ?, sha256 = ?, upload_owner = NULL,
                          upload_until = NULL, failures = 0, retry_at = NULL
                        WHERE key = ? AND sender_id = ?
                        """,
                    arguments: [mediaID, refresh.at.millisecondsSince1970, expiresAt?.millisecondsSince1970, refresh.sha256, key, senderID])
            } else {
                try db.execute(
                    sql: """
                        UPDATE media_uploads SET upload_owner = NULL, upload_until = NULL, failures = failures + 1, retry_at = ?
                        WHERE key = ? AND sender_id = ?
                        """,
                    arguments: [retryAt?.millisecondsSince1970, key, senderID])
            }
            try db.execute(
                sql: """
                    INSERT INTO media_refreshes (key, sender_id, reason, at, old_media_id, new_media_id, error, sha256)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key, senderID, refresh.reason.rawValue, refresh.at.millisecondsSince1970, refresh.oldMediaID, refresh.newMediaID,
                    refresh.error, refresh.sha256,
                ])
        }
    }

    public func uploadFailures(key: String, senderID: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT failures FROM media_uploads WHERE key = ? AND sender_id = ?", arguments: [key, senderID]) ?? 0
        }
    }

    public func uploadsDue(expiringBy: Date, now: Date, limit: Int) async throws -> [(key: String, senderID: String, mediaID: String?)] {
        try await read { db in
            try SQLiteRows.fetch(
                db,
                sql: """
                    SELECT key, sender_id, media_id FROM media_uploads
                    WHERE (expires_at IS NULL OR expires_at <= ?1 OR retry_at IS NOT NULL
                           OR sha256 IS NOT (SELECT a.sha256 FROM media_assets a WHERE a.key = media_uploads.key))
                      AND (retry_at IS NULL OR retry_at <= ?2)
                      AND (upload_owner IS NULL OR upload_until <= ?2)
                    ORDER BY expires_at LIMIT ?3
                    """,
                arguments: [expiringBy.millisecondsSince1970, now.millisecondsSince1970, limit]
            ) { row in (key: row.string(0), senderID: row.string(1), mediaID: row.optionalString(2)) }
        }
    }

    public func mediaUploadFailures(since: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM media_refreshes WHERE new_media_id IS NULL AND at >= ?", arguments: [since.millisecondsSince1970]) ?? 0
        }
    }

    public func mediaStats() async throws -> MediaStats {
        try await read { db in
            let assets = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM media_assets") ?? 0
            var uploads: [MediaRefreshReason: Int] = [:]
            var failures = 0
            for row in try Row.fetchAll(
                db, sql: "SELECT reason, new_media_id IS NOT NULL, COUNT(*) FROM media_refreshes GROUP BY 1, 2")
            {
                if row[1] as Bool {
                    if let reason = MediaRefreshReason(rawValue: row[0]) { uploads[reason, default: 0] += row[2] as Int }
                } else {
                    failures += row[2] as Int
                }
            }
            let retries =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT message_seq, attempt FROM media_sends WHERE after_media_error = 1)") ?? 0
            return MediaStats(assets: assets, uploads: uploads, uploadFailures: failures, retriesAfterMediaError: retries)
        }
    }

    public func mediaUsed(messageSeq: Int64, before attempt: Int) async throws -> [String: String] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT key, media_id FROM media_sends
                    WHERE message_seq = ?1 AND attempt = (SELECT MAX(attempt) FROM media_sends WHERE message_seq = ?1 AND attempt < ?2)
                    """,
                arguments: [messageSeq, attempt])
            return Dictionary(rows.map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Assets (all, or the one under `key`) with their uploads and history.
    private static func assets(_ db: Database, key: String?) throws -> [MediaAsset] {
        let filter = key == nil ? "" : "WHERE key = ?1"
        let arguments: StatementArguments = key.map { [$0] } ?? []
        let assets = try SQLiteRows.fetch(
            db, sql: "SELECT key, sha256, mime_type, size, filename, created_at, updated_at FROM media_assets \(filter) ORDER BY key",
            arguments: arguments
        ) { row in
            MediaAsset(
                key: row.string(0), sha256: row.string(1), mimeType: row.string(2), size: row.int(3), filename: row.string(4),
                createdAt: Date(millisecondsSince1970: row.int64(5)), updatedAt: Date(millisecondsSince1970: row.int64(6)))
        }
        let uploads = try SQLiteRows.fetch(
            db, sql: "SELECT key, sender_id, media_id, uploaded_at, expires_at, sha256 FROM media_uploads \(filter) ORDER BY key, sender_id",
            arguments: arguments
        ) { row in
            (
                key: row.string(0),
                upload: MediaUpload(
                    senderID: row.string(1), mediaID: row.optionalString(2), uploadedAt: SQLiteRows.date(row.optionalInt64(3)),
                    expiresAt: SQLiteRows.date(row.optionalInt64(4)), sha256: row.optionalString(5))
            )
        }
        let history = try SQLiteRows.fetch(
            db,
            sql: "SELECT key, sender_id, reason, at, old_media_id, new_media_id, error, sha256 FROM media_refreshes \(filter) ORDER BY id",
            arguments: arguments
        ) { row in
            (
                key: row.string(0), senderID: row.string(1),
                refresh: MediaRefresh(
                    reason: MediaRefreshReason(rawValue: row.string(2)) ?? .manual, at: Date(millisecondsSince1970: row.int64(3)),
                    oldMediaID: row.optionalString(4), newMediaID: row.optionalString(5), error: row.optionalString(6),
                    sha256: row.optionalString(7))
            )
        }
        return MediaAsset.assembling(assets, uploads: uploads, history: history)
    }
}
