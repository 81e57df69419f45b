import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: ForwardQueue {
    static let forwardColumns = """
        seq, key, body, status, attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, last_http_status,
        created_at, updated_at, delivered_at, destination
        """

    static func forward(from row: PostgresRandomAccessRow) throws -> ForwardRecord {
        let state = ForwardState(
            status: ForwardStatus(rawValue: try row.get("status")) ?? .queued, attempts: try row.get("attempts"),
            nextAttemptAt: try row.date("next_attempt_at"), leaseOwner: try row.get("lease_owner"),
            leaseExpiresAt: try row.date("lease_expires_at"), lastError: try row.get("last_error"),
            lastHTTPStatus: try row.get("last_http_status"), deliveredAt: try row.date("delivered_at"))
        return ForwardRecord(
            id: try row.get("seq"), destination: ForwardDestination(rawValue: try row.get("destination")) ?? .app, key: try row.get("key"),
            body: try row.get("body"), state: state,
            createdAt: try row.date("created_at")!, updatedAt: try row.date("updated_at")!)
    }

    /// Queues `body` for `destination` under ordering `key`, in the caller's transaction.
    static func enqueueForward(
        key: String, body: Data, now: Date, to destination: ForwardDestination = .app, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        var sql = SQL()
        let now = sql.bind(now.millisecondsSince1970)
        sql.text = """
            INSERT INTO forwards (key, body, status, next_attempt_at, created_at, updated_at, destination)
            VALUES (\(sql.bind(key)), \(sql.bind(body)), 'queued', \(now), \(now), \(now), \(sql.bind(destination.rawValue)))
            """
        try await connection.run(sql, logger: logger)
    }

    /// Applies `event` to each forward through `ForwardLifecycle`, each write guarded by the state it was read
    /// in. Returns the forwards that changed, as written.
    private static func apply(
        _ event: ForwardEvent, to forwards: [ForwardRecord], now: Date, _ connection: PostgresConnection, logger: Logger
    ) async throws -> [ForwardRecord] {
        var changed: [ForwardRecord] = []
        for var forward in forwards {
            guard let new = ForwardLifecycle.transition(forward.state, event, now: now) else { continue }
            let old = forward.state
            var sql = SQL()
            sql.text = """
                UPDATE forwards SET status = \(sql.bind(new.status.rawValue)), attempts = \(sql.bind(new.attempts)),
                  next_attempt_at = \(sql.bind(new.nextAttemptAt?.millisecondsSince1970))::bigint,
                  lease_owner = \(sql.bind(new.leaseOwner))::text,
                  lease_expires_at = \(sql.bind(new.leaseExpiresAt?.millisecondsSince1970))::bigint,
                  last_error = \(sql.bind(new.lastError))::text, last_http_status = \(sql.bind(new.lastHTTPStatus))::integer,
                  delivered_at = \(sql.bind(new.deliveredAt?.millisecondsSince1970))::bigint,
                  updated_at = \(sql.bind(now.millisecondsSince1970))
                WHERE seq = \(sql.bind(forward.id)) AND status = \(sql.bind(old.status.rawValue)) AND attempts = \(sql.bind(old.attempts))
                  AND lease_owner IS NOT DISTINCT FROM \(sql.bind(old.leaseOwner))::text
                RETURNING seq
                """
            guard try await connection.run(sql, logger: logger) == 1 else { continue }
            forward.state = new
            forward.updatedAt = Date(millisecondsSince1970: now.millisecondsSince1970)
            changed.append(forward)
        }
        return changed
    }

    private static func forward(_ id: Int64, _ connection: PostgresConnection, logger: Logger) async throws -> ForwardRecord? {
        var sql = SQL()
        sql.text = "SELECT \(forwardColumns) FROM forwards WHERE seq = \(sql.bind(id)) FOR UPDATE"
        return try await connection.rows(sql, logger: logger).first.map(forward(from:))
    }

    public func claimForwards(
        to destination: ForwardDestination, limit: Int, owner: String, now: Date, leaseUntil: Date
    ) async throws
        -> [ForwardRecord]
    {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                SELECT \(Self.forwardColumns) FROM forwards f
                WHERE f.destination = \(sql.bind(destination.rawValue)) AND f.status IN ('queued','retry_scheduled')
                  AND f.next_attempt_at <= \(sql.bind(now.millisecondsSince1970))
                  AND NOT EXISTS (
                    SELECT 1 FROM forwards p
                    WHERE p.key = f.key AND p.seq < f.seq AND p.status IN ('queued','sending','retry_scheduled'))
                ORDER BY f.next_attempt_at LIMIT \(sql.bind(limit)) FOR UPDATE SKIP LOCKED
                """
            let due = try await connection.rows(sql, logger: logger).map(Self.forward(from:))
            return try await Self.apply(.claim(owner: owner, leaseUntil: leaseUntil), to: due, now: now, connection, logger: logger)
                .sorted { $0.id < $1.id }
        }
    }

    public func finishForward(_ id: Int64, owner: String, outcome: ForwardOutcome, now: Date) async throws {
        let logger = logger
        try await write { connection in
            guard let forward = try await Self.forward(id, connection, logger: logger) else { return }
            _ = try await Self.apply(.finished(outcome, owner: owner), to: [forward], now: now, connection, logger: logger)
        }
    }

    public func reclaimForwards(now: Date) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                SELECT \(Self.forwardColumns) FROM forwards
                WHERE status = 'sending' AND lease_expires_at < \(sql.bind(now.millisecondsSince1970)) FOR UPDATE SKIP LOCKED
                """
            let expired = try await connection.rows(sql, logger: logger).map(Self.forward(from:))
            return try await Self.apply(.leaseExpired, to: expired, now: now, connection, logger: logger).count
        }
    }

    public func nextForwardDue(to destination: ForwardDestination) async throws -> Date? {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT MIN(next_attempt_at) AS due FROM forwards
                WHERE destination = \(sql.bind(destination.rawValue)) AND status IN ('queued','retry_scheduled')
                """
            return try await connection.rows(sql, logger: logger).first?.date("due")
        }
    }

    public func forwards(status: ForwardStatus?, limit: Int, cursor: Int64?) async throws -> (forwards: [ForwardRecord], next: Int64?) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            var conditions: [String] = []
            if let status { conditions.append("status = \(sql.bind(status.rawValue))") }
            if let cursor { conditions.append("seq < \(sql.bind(cursor))") }
            sql.text = """
                SELECT \(Self.forwardColumns) FROM forwards \(Self.whereClause(conditions))
                ORDER BY seq DESC LIMIT \(sql.bind(limit + 1))
                """
            let rows = try await connection.rows(sql, logger: logger).map(Self.forward(from:))
            let page = Array(rows.prefix(limit))
            return (page, rows.count > limit ? page.last?.id : nil)
        }
    }

    public func retryForward(_ id: Int64, now: Date) async throws -> Bool? {
        let logger = logger
        return try await write { connection in
            guard let forward = try await Self.forward(id, connection, logger: logger) else { return nil }
            return try await !Self.apply(.retriedByOperator, to: [forward], now: now, connection, logger: logger).isEmpty
        }
    }

    public func rememberClientID(_ id: MessageID) async throws {
        let logger = logger
        try await write { connection in
            var sql = SQL()
            sql.text = "INSERT INTO client_ids (message_id) VALUES (\(sql.bind(id.rawValue))) ON CONFLICT DO NOTHING"
            try await connection.run(sql, logger: logger)
        }
    }
}
