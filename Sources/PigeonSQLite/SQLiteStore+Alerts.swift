import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: AlertStore {
    public func openAlerts() async throws -> [Alert] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE status = 'open' ORDER BY seq").map(Self.alert(from:))
        }
    }

    public func recordAlerts(_ changes: AlertBook.Changes, notify: (@Sendable (Alert) -> Data)?) async throws -> [Alert] {
        guard !changes.isEmpty else { return [] }
        return try await write { db in
            var inserted: [Alert] = []
            for alert in changes.opened {
                try db.execute(
                    sql: """
                        INSERT INTO alerts (id, kind, subject, status, message, first_seen_at, last_seen_at, resolved_at)
                        VALUES (?, ?, ?, 'open', ?, ?, ?, NULL) ON CONFLICT (kind, subject) WHERE status = 'open' DO NOTHING
                        """,
                    arguments: [
                        alert.id, alert.kind.rawValue, alert.subject, alert.message, alert.firstSeenAt.millisecondsSince1970,
                        alert.lastSeenAt.millisecondsSince1970,
                    ])
                guard db.changesCount > 0 else { continue }
                inserted.append(alert)
                if let notify { try Self.enqueueForward(key: "alert:\(alert.key)", body: notify(alert), now: alert.firstSeenAt, to: .alerts, db: db) }
            }
            for alert in changes.seen + changes.resolved {
                try db.execute(
                    sql: "UPDATE alerts SET status = ?, message = ?, last_seen_at = ?, resolved_at = ? WHERE id = ? AND status = 'open'",
                    arguments: [
                        alert.status.rawValue, alert.message, alert.lastSeenAt.millisecondsSince1970, alert.resolvedAt?.millisecondsSince1970,
                        alert.id,
                    ])
                if let notify, alert.status == .resolved, db.changesCount > 0, let at = alert.resolvedAt {
                    try Self.enqueueForward(key: "alert:\(alert.key)", body: notify(alert), now: at, to: .alerts, db: db)
                }
            }
            return inserted
        }
    }

    public func alerts(status: Alert.Status?, limit: Int, cursor: Int64?) async throws -> (alerts: [Alert], next: Int64?) {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM alerts WHERE seq < ? AND (? IS NULL OR status = ?) ORDER BY seq DESC LIMIT ?",
                arguments: [cursor ?? Int64.max, status?.rawValue, status?.rawValue, limit + 1])
            let page = rows.prefix(limit)
            return (page.map(Self.alert(from:)), rows.count > limit ? page.last?["seq"] : nil)
        }
    }

    static func alert(from row: Row) -> Alert {
        Alert(
            id: row["id"], kind: AlertKind(rawValue: row["kind"]) ?? .deadLettersGrew, subject: row["subject"],
            status: Alert.Status(rawValue: row["status"]) ?? .open, message: row["message"],
            firstSeenAt: Date(millisecondsSince1970: row["first_seen_at"]), lastSeenAt: Date(millisecondsSince1970: row["last_seen_at"]),
            resolvedAt: SQLiteRows.date(row["resolved_at"]))
    }
}
