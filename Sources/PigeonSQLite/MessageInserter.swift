import Foundation
import GRDB
import PigeonCore

/// Inserts new messages as `queued` through one cached statement, within the caller's transaction, which
/// calls `finish()` before it commits.
final class MessageInserter {
    private let statement: RawStatement
    private let nowMillis: Int64
    private let created: Date
    private var counters = CounterChanges()

    init(db: Database, now: Date) throws {
        nowMillis = now.millisecondsSince1970
        created = Date(millisecondsSince1970: nowMillis)
        statement = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO messages (id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at,
                      idempotency_key, request_hash, created_at, updated_at, pool, campaign_id, campaign_recipient)
                    VALUES (?1, ?2, ?4, ?5, ?6, 'queued', ?7, ?3, ?8, ?9, ?3, ?3, ?10, ?11, ?12)
                    """), in: db)
    }

    /// Inserts `message` (a campaign's, for `recipient` of `campaign`) and returns it as stored.
    func insert(_ message: NewMessage, campaign: String? = nil, recipient: Int64? = nil) throws -> MessageRecord {
        statement.bind(message.id.rawValue, at: 1)
        statement.bind(message.senderID, at: 2)
        statement.bind(nowMillis, at: 3)
        statement.bind(message.recipient, at: 4)
        statement.bind(message.type, at: 5)
        statement.bind(message.payload, at: 6)
        statement.bind(message.maxAttempts, at: 7)
        statement.bind(message.idempotencyKey, at: 8)
        statement.bind(message.requestHash, at: 9)
        statement.bind(message.pool, at: 10)
        statement.bind(campaign, at: 11)
        statement.bind(recipient, at: 12)
        try statement.execute()
        counters.moved(from: nil, to: .queued, at: created)
        return MessageRecord(
            id: message.id, seq: statement.lastInsertedRowID, senderID: message.senderID, recipient: message.recipient,
            type: message.type, payload: message.payload, idempotencyKey: message.idempotencyKey,
            state: .new(maxAttempts: message.maxAttempts, now: created), createdAt: created, updatedAt: created,
            sentAt: nil, pool: message.pool)
    }

    /// Counts the inserted messages in `/v1/stats`.
    func finish(_ db: Database) throws { try counters.write(db) }
}
