import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: MediaLibrary {
    public func saveAsset(_ asset: MediaAsset) async throws -> Bool {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            let updated = sql.bind(asset.updatedAt.millisecondsSince1970)
            sql.text = """
                INSERT INTO media_assets (key, sha256, mime_type, size, filename, created_at, updated_at)
                VALUES (\(sql.bind(asset.key)), \(sql.bind(asset.sha256)), \(sql.bind(asset.mimeType)), \(sql.bind(asset.size)),
                  \(sql.bind(asset.filename)), \(updated), \(updated))
                ON CONFLICT (key) DO UPDATE SET sha256 = excluded.sha256, mime_type = excluded.mime_type, size = excluded.size,
                  filename = excluded.filename, updated_at = excluded.updated_at
                RETURNING (xmax = 0) AS created
                """
            return try await connection.rows(sql, logger: logger).first!.get("created")
        }
    }

    public func asset(_ key: String) async throws -> MediaAsset? {
        let logger = logger
        return try await read { connection in try await Self.assets(connection, key: key, logger: logger).first }
    }

    public func assets() async throws -> [MediaAsset] {
        let logger = logger
        return try await read { connection in try await Self.assets(connection, key: nil, logger: logger) }
    }

    public func deleteAsset(_ key: String) async throws -> Bool {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = "DELETE FROM media_assets WHERE key = \(sql.bind(key)) RETURNING key"
            return try await connection.run(sql, logger: logger) > 0
        }
    }

    public func unsentMessages(namingMediaKey key: String) async throws -> Int {
        let logger = logger
        let reference = MediaReferences.reference(key)
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT COUNT(*) AS n FROM messages
                WHERE status IN ('queued', 'retry_scheduled', 'sending') AND strpos(payload, \(sql.bind(reference))) > 0
                """
            return Int(try await connection.rows(sql, logger: logger).first!.get("n", as: Int64.self))
        }
    }

    public func beginUpload(key: String, senderID: String, owner: String, until: Date, now: Date) async throws -> Bool {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            let owner = sql.bind(owner)
            sql.text = """
                INSERT INTO media_uploads (key, sender_id, upload_owner, upload_until)
                VALUES (\(sql.bind(key)), \(sql.bind(senderID)), \(owner), \(sql.bind(until.millisecondsSince1970)))
                ON CONFLICT (key, sender_id) DO UPDATE SET upload_owner = excluded.upload_owner, upload_until = excluded.upload_until
                WHERE media_uploads.upload_owner IS NULL OR media_uploads.upload_until <= \(sql.bind(now.millisecondsSince1970))
                  OR media_uploads.upload_owner = \(owner)
                RETURNING key
                """
            return try await connection.run(sql, logger: logger) == 1
        }
    }

    public func finishUpload(
        key: String, senderID: String, owner: String, refresh: MediaRefresh?, expiresAt: Date?, retryAt: Date?
    ) async throws {
        let logger = logger
        try await write { connection in
            var exists = SQL()
            exists.text = "SELECT key FROM media_assets WHERE key = \(exists.bind(key)) FOR UPDATE"
            guard try await connection.run(exists, logger: logger) == 1 else { return }  // deleted while uploading
            var sql = SQL()
            let slot = "key = \(sql.bind(key)) AND sender_id = \(sql.bind(senderID))"
            guard let refresh else {
                sql.text = "UPDATE media_uploads SET upload_owner = NULL, upload_until = NULL WHERE \(slot) AND upload_owner = \(sql.bind(owner))"
                try await connection.run(sql, logger: logger)
                return
            }
            if let mediaID = refresh.newMediaID {
                sql.text = """
                    UPDATE media_uploads SET media_id = \(sql.bind(mediaID)), uploaded_at = \(sql.bind(refresh.at.millisecondsSince1970)),
                      expires_at = \(sql.bind(expiresAt?.millisecondsSince1970))::bigint, sha256 = \(sql.bind(refresh.sha256))::text,
                      upload_owner = NULL, upload_until = NULL, failures = 0, retry_at = NULL
                    WHERE \(slot)
                    """
            } else {
                sql.text = """
                    UPDATE media_uploads SET upload_owner = NULL, upload_until = NULL, failures = failures + 1,
                      retry_at = \(sql.bind(retryAt?.millisecondsSince1970))::bigint
                    WHERE \(slot)
                    """
            }
            try await connection.run(sql, logger: logger)
            var history = SQL()
            let values = [
                history.bind(key), history.bind(senderID), history.bind(refresh.reason.rawValue),
                history.bind(refresh.at.millisecondsSince1970), history.bind(refresh.oldMediaID) + "::text",
                history.bind(refresh.newMediaID) + "::text", history.bind(refresh.error) + "::text", history.bind(refresh.sha256) + "::text",
            ]
            history.text = """
                INSERT INTO media_refreshes (key, sender_id, reason, at, old_media_id, new_media_id, error, sha256)
                VALUES (\(values.joined(separator: ", ")))
                """
            try await connection.run(history, logger: logger)
        }
    }

    public func uploadFailures(key: String, senderID: String) async throws -> Int {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT failures FROM media_uploads WHERE key = \(sql.bind(key)) AND sender_id = \(sql.bind(senderID))"
            return try await connection.rows(sql, logger: logger).first?.get("failures") ?? 0
        }
    }

    public func uploadsDue(expiringBy: Date, now: Date, limit: Int) async throws -> [(key: String, senderID: String, mediaID: String?)] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            let now = sql.bind(now.millisecondsSince1970)
            sql.text = """
                SELECT key, sender_id, media_id FROM media_uploads
                WHERE (expires_at IS NULL OR expires_at <= \(sql.bind(expiringBy.millisecondsSince1970)) OR retry_at IS NOT NULL
                       OR sha256 IS DISTINCT FROM (SELECT a.sha256 FROM media_assets a WHERE a.key = media_uploads.key))
                  AND (retry_at IS NULL OR retry_at <= \(now))
                  AND (upload_owner IS NULL OR upload_until <= \(now))
                ORDER BY expires_at NULLS FIRST LIMIT \(sql.bind(limit))
                """
            return try await connection.rows(sql, logger: logger).map { row in
                (key: try row.get("key"), senderID: try row.get("sender_id"), mediaID: try row.get("media_id"))
            }
        }
    }

    public func mediaUploadFailures(since: Date) async throws -> Int {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text =
                "SELECT COUNT(*)::bigint AS n FROM media_refreshes WHERE new_media_id IS NULL AND at >= \(sql.bind(since.millisecondsSince1970))"
            return Int(try await connection.rows(sql, logger: logger).first?.get("n", as: Int64.self) ?? 0)
        }
    }

    public func mediaStats() async throws -> MediaStats {
        let logger = logger
        return try await read { connection in
            let assets = Int(try await connection.rows(SQL("SELECT COUNT(*) AS n FROM media_assets"), logger: logger).first!.get("n", as: Int64.self))
            var uploads: [MediaRefreshReason: Int] = [:]
            var failures = 0
            for row in try await connection.rows(
                SQL("SELECT reason, new_media_id IS NOT NULL AS succeeded, COUNT(*) AS n FROM media_refreshes GROUP BY 1, 2"), logger: logger)
            {
                let count = Int(try row.get("n", as: Int64.self))
                if try row.get("succeeded", as: Bool.self) {
                    if let reason = MediaRefreshReason(rawValue: try row.get("reason")) { uploads[reason, default: 0] += count }
                } else {
                    failures += count
                }
            }
            let retries = try await connection.rows(
                SQL("SELECT COUNT(*) AS n FROM (SELECT DISTINCT message_seq, attempt FROM media_sends WHERE after_media_error) s"),
                logger: logger
            ).first!.get("n", as: Int64.self)
            return MediaStats(assets: assets, uploads: uploads, uploadFailures: failures, retriesAfterMediaError: Int(retries))
        }
    }

    public func mediaUsed(messageSeq: Int64, before attempt: Int) async throws -> [String: String] {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            let seq = sql.bind(messageSeq)
            sql.text = """
                SELECT key, media_id FROM media_sends
                WHERE message_seq = \(seq)
                  AND attempt = (SELECT MAX(attempt) FROM media_sends WHERE message_seq = \(seq) AND attempt < \(sql.bind(attempt)))
                """
            var used: [String: String] = [:]
            for row in try await connection.rows(sql, logger: logger) where used[try row.get("key")] == nil {
                used[try row.get("key")] = try row.get("media_id")
            }
            return used
        }
    }

    /// Assets (all, or the one under `key`) with their uploads and history.
    private static func assets(_ connection: PostgresConnection, key: String?, logger: Logger) async throws -> [MediaAsset] {
        func filtered(_ select: String, order: String) -> SQL {
            var sql = SQL()
            sql.text = select + (key.map { " WHERE key = \(sql.bind($0))" } ?? "") + " ORDER BY " + order
            return sql
        }
        let assets = try await connection.rows(
            filtered("SELECT key, sha256, mime_type, size, filename, created_at, updated_at FROM media_assets", order: "key"),
            logger: logger
        ).map { row in
            MediaAsset(
                key: try row.get("key"), sha256: try row.get("sha256"), mimeType: try row.get("mime_type"),
                size: Int(try row.get("size", as: Int64.self)), filename: try row.get("filename"), createdAt: try row.date("created_at")!,
                updatedAt: try row.date("updated_at")!)
        }
        let uploads = try await connection.rows(
            filtered("SELECT key, sender_id, media_id, uploaded_at, expires_at, sha256 FROM media_uploads", order: "key, sender_id"),
            logger: logger
        ).map { row in
            (
                key: try row.get("key", as: String.self),
                upload: MediaUpload(
                    senderID: try row.get("sender_id"), mediaID: try row.get("media_id"), uploadedAt: try row.date("uploaded_at"),
                    expiresAt: try row.date("expires_at"), sha256: try row.get("sha256"))
            )
        }
        let history = try await connection.rows(
            filtered("SELECT key, sender_id, reason, at, old_media_id, new_media_id, error, sha256 FROM media_refreshes", order: "id"),
            logger: logger
        ).map { row in
            (
                key: try row.get("key", as: String.self), senderID: try row.get("sender_id", as: String.self),
                refresh: MediaRefresh(
                    reason: MediaRefreshReason(rawValue: try row.get("reason")) ?? .manual, at: try row.date("at")!,
                    oldMediaID: try row.get("old_media_id"), newMediaID: try row.get("new_media_id"), error: try row.get("error"),
                    sha256: try row.get("sha256"))
            )
        }
        return MediaAsset.assembling(assets, uploads: uploads, history: history)
    }
}
