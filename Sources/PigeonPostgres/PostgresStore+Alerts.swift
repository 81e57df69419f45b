import Foundation
import PigeonCore
import PostgresNIO

extension PostgresStore: AlertStore {
    public func openAlerts() async throws -> [Alert] {
        let logger = logger
        return try await read { connection in
            try await connection.rows(SQL("SELECT * FROM alerts WHERE status = 'open' ORDER BY seq"), logger: logger).map(Self.alert(from:))
        }
    }

    public func recordAlerts(_ changes: AlertBook.Changes, notify: (@Sendable (Alert) -> Data)?) async throws -> [Alert] {
        guard !changes.isEmpty else { return [] }
        let logger = logger
        return try await write { connection in
            var inserted: [Alert] = []
            for alert in changes.opened {
                var sql = SQL()
                sql.text = """
                    INSERT INTO alerts (id, kind, subject, status, message, first_seen_at, last_seen_at, resolved_at)
                    VALUES (\(sql.bind(alert.id)), \(sql.bind(alert.kind.rawValue)), \(sql.bind(alert.subject)), 'open', \(sql.bind(alert.message)),
                      \(sql.bind(alert.firstSeenAt.millisecondsSince1970)), \(sql.bind(alert.lastSeenAt.millisecondsSince1970)), NULL)
                    ON CONFLICT (kind, subject) WHERE status = 'open' DO NOTHING RETURNING id
                    """
                guard try await connection.run(sql, logger: logger) > 0 else { continue }
                inserted.append(alert)
                if let notify {
                    try await Self.enqueueForward(
                        key: "alert:\(alert.key)", body: notify(alert), now: alert.firstSeenAt, to: .alerts, connection, logger: logger)
                }
            }
            for alert in changes.seen + changes.resolved {
                var sql = SQL()
                sql.text = """
                    UPDATE alerts SET status = \(sql.bind(alert.status.rawValue)), message = \(sql.bind(alert.message)),
                      last_seen_at = \(sql.bind(alert.lastSeenAt.millisecondsSince1970)), resolved_at = \(sql.bind(alert.resolvedAt?.millisecondsSince1970))
                    WHERE id = \(sql.bind(alert.id)) AND status = 'open' RETURNING id
                    """
                let updated = try await connection.run(sql, logger: logger)
                if let notify, alert.status == .resolved, updated > 0, let at = alert.resolvedAt {
                    try await Self.enqueueForward(key: "alert:\(alert.key)", body: notify(alert), now: at, to: .alerts, connection, logger: logger)
                }
            }
            return inserted
        }
    }

    public func alerts(status: Alert.Status?, limit: Int, cursor: Int64?) async throws -> (alerts: [Alert], next: Int64?) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            var filter = ""
            if let status { filter = " AND status = \(sql.bind(status.rawValue))" }
            sql.text = "SELECT * FROM alerts WHERE seq < \(sql.bind(cursor ?? Int64.max))\(filter) ORDER BY seq DESC LIMIT \(sql.bind(limit + 1))"
            let rows = try await connection.rows(sql, logger: logger)
            let page = rows.prefix(limit)
            return (try page.map(Self.alert(from:)), rows.count > limit ? try page.last?.get("seq", as: Int64.self) : nil)
        }
    }

    static func alert(from row: PostgresRandomAccessRow) throws -> Alert {
        Alert(
            id: try row.get("id"), kind: AlertKind(rawValue: try row.get("kind")) ?? .deadLettersGrew, subject: try row.get("subject"),
            status: Alert.Status(rawValue: try row.get("status")) ?? .open, message: try row.get("message"),
            firstSeenAt: Date(millisecondsSince1970: try row.get("first_seen_at", as: Int64.self)),
            lastSeenAt: Date(millisecondsSince1970: try row.get("last_seen_at", as: Int64.self)),
            resolvedAt: try row.get("resolved_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)))
    }
}
