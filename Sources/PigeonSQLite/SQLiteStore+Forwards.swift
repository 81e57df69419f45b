import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: ForwardQueue {
    static let forwardColumns = """
        seq, key, body, status, attempts, next_attempt_at, last_error, last_http_status, created_at, updated_at, delivered_at
        """

    static func forward(from row: Row) -> ForwardRecord {
        ForwardRecord(
            id: row[0], key: row[1], body: row[2], status: ForwardStatus(rawValue: row[3]) ?? .queued, attempts: row[4],
            nextAttemptAt: SQLiteRows.date(row[5]), lastError: row[6], lastHTTPStatus: row[7],
            createdAt: Date(millisecondsSince1970: row[8]), updatedAt: Date(millisecondsSince1970: row[9]),
            deliveredAt: SQLiteRows.date(row[10]))
    }

    /// Queues `body` for the application under ordering `key`, in the caller's transaction.
    static func enqueueForward(key: String, body: Data, now: Date, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO forwards (key, body, status, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, 'queued', ?3, ?3, ?3)
                """
        ).execute(arguments: [key, body, now.millisecondsSince1970])
    }

    public func claimForwards(limit: Int, owner: String, now: Date, leaseUntil: Date) async throws -> [ForwardRecord] {
        try await writes.perform { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE forwards SET status = 'sending', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?,
                          updated_at = ?3
                        WHERE seq IN (
                          SELECT f.seq FROM forwards f INDEXED BY forwards_due
                          WHERE f.status IN ('queued','retry_scheduled') AND f.next_attempt_at <= ?3
                            AND NOT EXISTS (
                              SELECT 1 FROM forwards p INDEXED BY forwards_open
                              WHERE p.key = f.key AND p.seq < f.seq AND p.status IN ('queued','sending','retry_scheduled'))
                          ORDER BY f.next_attempt_at LIMIT ?)
                        RETURNING \(Self.forwardColumns)
                        """),
                arguments: [owner, leaseUntil.millisecondsSince1970, now.millisecondsSince1970, limit]
            ).map(Self.forward(from:)).sorted { $0.id < $1.id }
        }
    }

    public func finishForward(_ id: Int64, owner: String, outcome: ForwardOutcome, now: Date) async throws {
        let (status, next, error, httpStatus): (ForwardStatus, Date?, String?, Int?) =
            switch outcome {
            case .delivered: (.delivered, nil, nil, nil)
            case .retry(let at, let error, let httpStatus): (.retryScheduled, at, error, httpStatus)
            case .deadLetter(let error, let httpStatus): (.failed, nil, error, httpStatus)
            }
        try await writes.perform { db in
            try db.cachedStatement(
                sql: """
                    UPDATE forwards SET status = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
                      last_http_status = COALESCE(?, last_http_status), lease_owner = NULL, lease_expires_at = NULL,
                      updated_at = ?5, delivered_at = CASE WHEN ?1 = 'delivered' THEN ?5 ELSE delivered_at END
                    WHERE seq = ? AND status = 'sending' AND lease_owner = ?
                    """
            ).execute(
                arguments: [
                    status.rawValue, next?.millisecondsSince1970, error, httpStatus, now.millisecondsSince1970, id, owner,
                ])
        }
    }

    public func reclaimForwards(now: Date) async throws -> Int {
        try await writes.perform { db in
            try db.cachedStatement(
                sql: """
                    UPDATE forwards SET status = 'retry_scheduled', next_attempt_at = ?1, lease_owner = NULL,
                      lease_expires_at = NULL, last_error = 'the worker stopped before the outcome was known', updated_at = ?1
                    WHERE seq IN (SELECT seq FROM forwards INDEXED BY forwards_status
                                  WHERE status = 'sending' AND lease_expires_at < ?1)
                    """
            ).execute(arguments: [now.millisecondsSince1970])
            return db.changesCount
        }
    }

    public func nextForwardDue() async throws -> Date? {
        try await pool.read { db in
            SQLiteRows.date(
                try Int64.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT MIN(next_attempt_at) FROM forwards INDEXED BY forwards_due
                            WHERE status IN ('queued','retry_scheduled')
                            """)))
        }
    }

    public func forwards(status: ForwardStatus?, limit: Int, cursor: Int64?) async throws
        -> (forwards: [ForwardRecord], next: Int64?)
    {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if let cursor {
                conditions.append("seq < ?")
                _ = arguments.append(contentsOf: [cursor])
            }
            _ = arguments.append(contentsOf: [limit + 1])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.forwardColumns) FROM forwards \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                    ORDER BY seq DESC LIMIT ?
                    """,
                arguments: arguments)
            let page = rows.prefix(limit).map(Self.forward(from:))
            return (page, rows.count > limit ? page.last?.id : nil)
        }
    }

    public func retryForward(_ id: Int64, now: Date) async throws -> Bool? {
        try await writes.perform { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM forwards WHERE seq = ?", arguments: [id]) else {
                return nil
            }
            guard status == ForwardStatus.failed.rawValue else { return false }
            try db.execute(
                sql: "UPDATE forwards SET status = 'queued', attempts = 0, next_attempt_at = ?1, updated_at = ?1 WHERE seq = ?2",
                arguments: [now.millisecondsSince1970, id])
            return true
        }
    }

    public func rememberClientID(_ id: MessageID) async throws {
        try await writes.perform { db in
            try db.execute(sql: "INSERT OR IGNORE INTO client_ids (message_id) VALUES (?)", arguments: [id.rawValue])
        }
    }
}
