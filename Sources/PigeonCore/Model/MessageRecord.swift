import Foundation

/// A stored message: what was asked for, and where it is in its life.
public struct MessageRecord: Sendable, Hashable {
    /// Pigeon's id.
    public var id: MessageID
    /// Insertion order; the pagination cursor.
    public var seq: Int64
    /// The sender it goes out through now.
    public var senderID: String
    /// The pool of a pooled message (it may move to another sender of the pool); nil when pinned.
    public var pool: String?
    /// The recipient, as given.
    public var recipient: String
    /// Meta's message `type` (`text`, `template`, `image` …).
    public var type: String
    /// Meta's message object as JSON, without `messaging_product`.
    public var payload: String
    /// The client's idempotency key, if any.
    public var idempotencyKey: String?
    /// Lifecycle state.
    public var state: MessageState
    /// When it was accepted.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// When Meta accepted it.
    public var sentAt: Date?

    public init(
        id: MessageID, seq: Int64, senderID: String, recipient: String, type: String, payload: String,
        idempotencyKey: String?, state: MessageState, createdAt: Date, updatedAt: Date, sentAt: Date?, pool: String? = nil
    ) {
        self.pool = pool
        self.id = id
        self.seq = seq
        self.senderID = senderID
        self.recipient = recipient
        self.type = type
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.state = state
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sentAt = sentAt
    }
}
