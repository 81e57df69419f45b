import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// The `sender_pace` rows: each paced sender's `PaceState` (the rate's next slot in microseconds, so a
/// 1,000 msg/s ceiling keeps its precision).
enum PostgresPace {
    /// The state of `sender`, its row locked until the transaction ends (created when missing).
    static func lock(_ sender: String, _ connection: PostgresConnection, logger: Logger) async throws -> PaceState {
        var insert = SQL()
        insert.text = "INSERT INTO sender_pace (sender_id) VALUES (\(insert.bind(sender))) ON CONFLICT (sender_id) DO NOTHING"
        try await connection.run(insert, logger: logger)
        var select = SQL()
        select.text = "SELECT * FROM sender_pace WHERE sender_id = \(select.bind(sender)) FOR UPDATE"
        return try await connection.rows(select, logger: logger).first.map(state(from:)) ?? PaceState()
    }

    static func write(_ sender: String, _ state: PaceState, _ connection: PostgresConnection, logger: Logger) async throws {
        var sql = SQL()
        sql.text = """
            UPDATE sender_pace SET rate_due_us = \(sql.bind(state.rateDueAt.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) })),
              pause_until = \(sql.bind(state.pauseUntil?.millisecondsSince1970)), day = \(sql.bind(state.day)),
              day_count = \(sql.bind(state.dayCount))
            WHERE sender_id = \(sql.bind(sender))
            """
        try await connection.run(sql, logger: logger)
    }

    static func all(_ connection: PostgresConnection, logger: Logger) async throws -> [String: PaceState] {
        var states: [String: PaceState] = [:]
        for row in try await connection.rows(SQL("SELECT * FROM sender_pace"), logger: logger) {
            states[try row.get("sender_id")] = try state(from: row)
        }
        return states
    }

    private static func state(from row: PostgresRandomAccessRow) throws -> PaceState {
        PaceState(
            rateDueAt: try row.get("rate_due_us", as: Int64?.self).map { Date(timeIntervalSince1970: Double($0) / 1_000_000) },
            pauseUntil: try row.date("pause_until"), day: try row.get("day"), dayCount: try row.get("day_count"))
    }
}
