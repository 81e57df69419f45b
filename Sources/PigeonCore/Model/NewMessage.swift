/// A validated message ready to be stored.
public struct NewMessage: Sendable, Hashable {
    /// The id it will have.
    public var id: MessageID
    /// The sender it goes out through (for a pooled message, the one routing chose for now).
    public var senderID: String
    /// The pool of a pooled message, which may move to another sender of the pool; nil when the message is
    /// pinned to `senderID`.
    public var pool: String?
    /// The recipient (`to`).
    public var recipient: String
    /// Meta's message type.
    public var type: String
    /// Meta's message object as normalized JSON, without `messaging_product` and `biz_opaque_callback_data`.
    public var payload: String
    /// The attempt budget.
    public var maxAttempts: Int
    /// The client's idempotency key, if any.
    public var idempotencyKey: String?
    /// A digest of the request, compared when the key is replayed.
    public var requestHash: String?

    public init(
        id: MessageID, senderID: String, recipient: String, type: String, payload: String, maxAttempts: Int,
        idempotencyKey: String? = nil, requestHash: String? = nil, pool: String? = nil
    ) {
        self.pool = pool
        self.id = id
        self.senderID = senderID
        self.recipient = recipient
        self.type = type
        self.payload = payload
        self.maxAttempts = maxAttempts
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
    }
}

/// What `enqueue` did with one `NewMessage`.
public enum EnqueueResult: Sendable, Hashable {
    /// Stored as a new message.
    case created(MessageRecord)
    /// The idempotency key was seen before with the same request: the original message.
    case replayed(MessageRecord)
    /// The idempotency key was seen before with a different request: nothing stored.
    case conflict(existing: MessageID)
}
