import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// Intake on PostgreSQL: idempotency keys looked up in one query, new messages inserted many rows per
/// statement, within the caller's transaction. A key another transaction takes at the same moment is read
/// back after the insert and answered as a replay or a conflict, like one stored earlier; a key repeated
/// by a later request of the same batch is answered as if that request came after the first one committed.
enum PostgresInserts {
    /// Rows per INSERT (12 parameters a row).
    static let rowsPerStatement = 1000

    /// Stores the messages of `requests` (each created at its own request's time); one answer per request.
    static func enqueue(
        _ requests: [PostgresIntake.Request], _ connection: PostgresConnection, logger: Logger
    ) async throws
        -> [[EnqueueResult]]
    {
        let messages = requests.flatMap(\.messages)
        let times = requests.flatMap { request in request.messages.map { _ in request.now } }
        var known = try await existing(Set(messages.compactMap(\.idempotencyKey)), connection, logger: logger)
        var results = [EnqueueResult?](repeating: nil, count: messages.count)
        var toInsert: [Int] = []
        var keysInBatch = Set<String>()
        for (index, message) in messages.enumerated() {
            guard let key = message.idempotencyKey else {
                toInsert.append(index)
                continue
            }
            if let (record, hash) = known[key] {
                results[index] = hash == message.requestHash ? .replayed(record) : .conflict(existing: record.id)
            } else if keysInBatch.insert(key).inserted {
                toInsert.append(index)
            }
        }
        var counters = CounterChanges()
        var inserted: [String: Int64] = [:]
        let acceptedAt = Dictionary(toInsert.map { (messages[$0].id.rawValue, times[$0]) }, uniquingKeysWith: { first, _ in first })
        for chunk in toInsert.chunks(of: rowsPerStatement) {
            var sql = SQL()
            let rows = chunk.map { index -> String in
                let message = messages[index]
                let nowMillis = sql.bind(times[index].millisecondsSince1970)
                return "("
                    + [
                        sql.bind(message.id.rawValue), sql.bind(message.senderID), sql.bind(message.recipient), sql.bind(message.type),
                        sql.bind(message.payload), "'queued'", sql.bind(message.maxAttempts), nowMillis, sql.bind(message.idempotencyKey),
                        sql.bind(message.requestHash), nowMillis, nowMillis, sql.bind(message.pool),
                    ].joined(separator: ", ") + ")"
            }
            sql.text = """
                INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at,
                  idempotency_key, request_hash, created_at, updated_at, pool)
                VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id, seq
                """
            for row in try await connection.rows(sql, logger: logger) {
                let id = try row.get("id", as: String.self)
                inserted[id] = try row.get("seq", as: Int64.self)
                counters.moved(from: nil, to: .queued, at: acceptedAt[id])
            }
        }
        // Keys a concurrent transaction stored first, and keys repeated within this batch.
        let raced = Set(toInsert.compactMap { inserted[messages[$0].id.rawValue] == nil ? messages[$0].idempotencyKey : nil })
        known.merge(try await existing(raced, connection, logger: logger)) { first, _ in first }
        for (index, message) in messages.enumerated() where results[index] == nil {
            if let seq = inserted[message.id.rawValue] {
                let created = Date(millisecondsSince1970: times[index].millisecondsSince1970)
                let record = MessageRecord(
                    id: message.id, seq: seq, senderID: message.senderID, recipient: message.recipient, type: message.type,
                    payload: message.payload, idempotencyKey: message.idempotencyKey,
                    state: .new(maxAttempts: message.maxAttempts, now: created), createdAt: created, updatedAt: created, sentAt: nil,
                    pool: message.pool)
                results[index] = .created(record)
                if let key = message.idempotencyKey { known[key] = (record, message.requestHash) }
            }
        }
        for (index, message) in messages.enumerated() where results[index] == nil {
            guard let key = message.idempotencyKey, let (record, hash) = known[key] else {
                throw PostgresStoreError("message \(message.id.rawValue) was neither stored nor found")
            }
            results[index] = hash == message.requestHash ? .replayed(record) : .conflict(existing: record.id)
        }
        try await PostgresStateWrites.writeCounters(counters, connection, logger: logger)
        var answers: [[EnqueueResult]] = []
        var next = 0
        for request in requests {
            answers.append(results[next..<next + request.messages.count].map { $0! })
            next += request.messages.count
        }
        return answers
    }

    /// The messages already stored under `keys`, with their request hashes.
    private static func existing(
        _ keys: Set<String>, _ connection: PostgresConnection, logger: Logger
    ) async throws
        -> [String: (MessageRecord, String?)]
    {
        guard !keys.isEmpty else { return [:] }
        var sql = SQL()
        sql.text = """
            SELECT \(PostgresRows.messageColumns), request_hash FROM messages
            WHERE idempotency_key = ANY(\(sql.bind(Array(keys)))::text[])
            """
        var found: [String: (MessageRecord, String?)] = [:]
        for row in try await connection.rows(sql, logger: logger) {
            let record = try PostgresRows.message(from: row)
            if let key = record.idempotencyKey { found[key] = (record, try row.get("request_hash")) }
        }
        return found
    }
}

/// A store operation that found the database in a state it cannot explain.
struct PostgresStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
