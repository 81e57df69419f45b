import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// The media library's bytes in the `media_bytes` table, so every instance on the database can upload any
/// asset again, whichever instance registered it.
extension PostgresStore: MediaBytes {
    public func keep(_ data: Data, sha256: String, now: Date) async throws {
        let logger = logger
        let keptAt = now.millisecondsSince1970
        try await write { connection in
            var sql = SQL()
            sql.text = """
                INSERT INTO media_bytes (sha256, bytes, kept_at) VALUES (\(sql.bind(sha256)), \(sql.bind(data)), \(sql.bind(keptAt)))
                ON CONFLICT (sha256) DO UPDATE SET kept_at = excluded.kept_at
                """
            try await connection.run(sql, logger: logger)
        }
    }

    public func read(_ sha256: String) async throws -> Data {
        let logger = logger
        let bytes = try await read { connection in
            var sql = SQL()
            sql.text = "SELECT bytes FROM media_bytes WHERE sha256 = \(sql.bind(sha256))"
            return try await connection.rows(sql, logger: logger).first.map { try $0.get("bytes", as: ByteBuffer.self) }
        }
        guard let bytes else { throw MediaBytesMissing(sha256: sha256) }
        return Data(bytes.readableBytesView)
    }

    public func sweep(keeping inUse: Set<String>, keptBefore before: Date) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                DELETE FROM media_bytes WHERE kept_at < \(sql.bind(before.millisecondsSince1970))
                  AND sha256 <> ALL(\(sql.bind(Array(inUse)))) RETURNING sha256
                """
            return try await connection.run(sql, logger: logger)
        }
    }
}
