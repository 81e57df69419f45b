import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: ForwardQueue {
    static let forwardColumns = """
        seq, key, body, status, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, last_http_status,
        created_at, updated_at, delivered_at, destination
        """

    static func forward(from row: Row) -> ForwardRecord {
        let state = ForwardState(
            status: ForwardStatus(rawValue: row["status"]) ?? .queued, attempts: row["attempts"],
            nextAttemptAt: SQLiteRows.date(row["next_attempt_at"]), leaseOwner: row["lease_owner"],
            leaseExpiresAt: SQLiteRows.date(row["lease_expires_at"]), lastError: row["last_error"],
            lastHTTPStatus: row["last_http_status"], deliveredAt: SQLiteRows.date(row["delivered_at"]))
        return ForwardRecord(
            id: row["seq"], destination: ForwardDestination(rawValue: row["destination"]) ?? .app, key: row["key"], body: row["body"],
            state: state,
            createdAt: Date(millisecondsSince1970: row["created_at"]), updatedAt: Date(millisecondsSince1970: row["updated_at"]))
    }

    /// Queues `body` for `destination` under ordering `key`, in the caller's transaction.
    static func enqueueForward(key: String, body: Data, now: Date, to destination: ForwardDestination = .app, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO forwards (key, body, status, next_attempt_at, created_at, updated_at, destination)
                VALUES (?1, ?2, 'queued', ?3, ?3, ?3, ?4)
                """
        ).execute(arguments: [key, body, now.millisecondsSince1970, destination.rawValue])
    }

    /// Applies `event` to each forward through `ForwardLifecycle`, writing each change guarded by the state it
    /// was read in. Returns the forwards that changed, as written.
    private static func apply(_ event: ForwardEvent, to forwards: [ForwardRecord], now: Date, db: Database) throws -> [ForwardRecord] {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE forwards SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = ?, lease_expires_at = ?,
                  last_error = ?, last_http_status = ?, delivered_at = ?, updated_at = ?
                WHERE seq = ? AND status = ? AND attempts = ? AND lease_owner IS ?
                """)
        var changed: [ForwardRecord] = []
        for var forward in forwards {
            guard let new = ForwardLifecycle.transition(forward.state, event, now: now) else { continue }
            let old = forward.state
            try statement.execute(
                arguments: [
                    new.status.rawValue, new.attempts, new.nextAttemptAt?.millisecondsSince1970, new.leaseOwner,
                    new.leaseExpiresAt?.millisecondsSince1970, new.lastError, new.lastHTTPStatus,
                    new.deliveredAt?.millisecondsSince1970, now.millisecondsSince1970, forward.id, old.status.rawValue, old.attempts,
                    old.leaseOwner,
                ])
            guard db.changesCount == 1 else { continue }
            forward.state = new
            forward.updatedAt = Date(millisecondsSince1970: now.millisecondsSince1970)
            changed.append(forward)
        }
        return changed
    }

    private static func forward(_ id: Int64, db: Database) throws -> ForwardRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(forwardColumns) FROM forwards WHERE seq = ?"), arguments: [id])
            .map(forward(from:))
    }

    public func claimForwards(
        to destination: ForwardDestination, limit: Int, owner: String, now: Date, leaseUntil: Date
    ) async throws
        -> [ForwardRecord]
    {
        try await write { db in
            let due = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.forwardColumns) FROM forwards f INDEXED BY forwards_due
                        WHERE f.destination = ?3 AND f.status IN ('queued','retry_scheduled') AND f.next_attempt_at <= ?1
                          AND NOT EXISTS (
                            SELECT 1 FROM forwards p INDEXED BY forwards_open
                            WHERE p.key = f.key AND p.seq < f.seq AND p.status IN ('queued','sending','retry_scheduled'))
                        ORDER BY f.next_attempt_at LIMIT ?2
                        """),
                arguments: [now.millisecondsSince1970, limit, destination.rawValue]
            ).map(Self.forward(from:))
            return try Self.apply(.claim(owner: owner, leaseUntil: leaseUntil), to: due, now: now, db: db).sorted { $0.id < $1.id }
        }
    }

    public func finishForward(_ id: Int64, owner: String, outcome: ForwardOutcome, now: Date) async throws {
        try await write { db in
            guard let forward = try Self.forward(id, db: db) else { return }
            _ = try Self.apply(.finished(outcome, owner: owner), to: [forward], now: now, db: db)
        }
    }

    public func reclaimForwards(now: Date) async throws -> Int {
        try await write { db in
            let expired = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.forwardColumns) FROM forwards INDEXED BY forwards_status
                        WHERE status = 'sending' AND lease_expires_at < ?
                        """),
                arguments: [now.millisecondsSince1970]
            ).map(Self.forward(from:))
            return try Self.apply(.leaseExpired, to: expired, now: now, db: db).count
        }
    }

    public func nextForwardDue(to destination: ForwardDestination) async throws -> Date? {
        try await read { db in
            SQLiteRows.date(
                try Int64.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT MIN(next_attempt_at) FROM forwards INDEXED BY forwards_due
                            WHERE destination = ? AND status IN ('queued','retry_scheduled')
                            """), arguments: [destination.rawValue]))
        }
    }

    public func forwards(
        status: ForwardStatus?, limit: Int, cursor: Int64?
    ) async throws
        -> (forwards: [ForwardRecord], next: Int64?)
    {
        try await read { db in
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
        try await write { db in
            guard let forward = try Self.forward(id, db: db) else { return nil }
            return try !Self.apply(.retriedByOperator, to: [forward], now: now, db: db).isEmpty
        }
    }

    public func rememberClientID(_ id: MessageID) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO client_ids (message_id) VALUES (?)", arguments: [id.rawValue])
        }
    }
}
