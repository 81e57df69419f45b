import Foundation
import GRDB
import PigeonCore

/// The `sender_pace` rows: each paced sender's `PaceState` (the rate's next slot in microseconds, so a
/// 1,000 msg/s ceiling keeps its precision).
enum SQLitePace {
    static func read(_ db: Database, _ sender: String) throws -> PaceState {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT rate_due_us, pause_until, day, day_count FROM sender_pace WHERE sender_id = ?"),
                arguments: [sender])
        else { return PaceState() }
        return state(row)
    }

    static func write(_ db: Database, _ sender: String, _ state: PaceState) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sender_pace (sender_id, rate_due_us, pause_until, day, day_count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (sender_id) DO UPDATE SET rate_due_us = excluded.rate_due_us, pause_until = excluded.pause_until,
                  day = excluded.day, day_count = excluded.day_count
                """
        ).execute(arguments: [
            sender, state.rateDueAt.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) },
            state.pauseUntil?.millisecondsSince1970, state.day, state.dayCount,
        ])
    }

    static func all(_ db: Database) throws -> [String: PaceState] {
        var states: [String: PaceState] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM sender_pace") { states[row["sender_id"]] = state(row) }
        return states
    }

    private static func state(_ row: Row) -> PaceState {
        PaceState(
            rateDueAt: (row["rate_due_us"] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1_000_000) },
            pauseUntil: SQLiteRows.date(row["pause_until"]), day: row["day"], dayCount: row["day_count"])
    }
}
