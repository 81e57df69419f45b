/// A validated send request: Meta's message object, normalized, plus Pigeon's own fields.
public struct MessageRequest: Sendable, Hashable {
    /// The recipient (`to`).
    public var recipient: String
    /// Meta's message type.
    public var type: String
    /// Meta's message object as canonical JSON (sorted keys), without `messaging_product`,
    /// `biz_opaque_callback_data` and Pigeon's fields.
    public var payload: String
    /// The client's idempotency key.
    public var idempotencyKey: String?
    /// The attempt budget asked for, if any.
    public var maxAttempts: Int?
    /// The sender asked for, if any: the message is pinned to it.
    public var senderID: String?
    /// The pool asked for, if any (without a sender or a pool, the default pool).
    public var pool: String?
    /// Whether the message is refused when its recipient is on the opt-out list (`respect_opt_out`).
    public var respectsOptOut = false

    public init(
        recipient: String, type: String, payload: String, idempotencyKey: String?, maxAttempts: Int?, senderID: String?,
        pool: String? = nil
    ) {
        self.pool = pool
        self.recipient = recipient
        self.type = type
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
        self.senderID = senderID
    }

    /// The text compared when an idempotency key is replayed: everything that decides what is sent.
    public var fingerprint: String {
        "\(payload)|max_attempts=\(maxAttempts.map(String.init) ?? "default")|sender=\(senderID ?? "default")"
            + (pool.map { "|pool=\($0)" } ?? "") + (respectsOptOut ? "|respect_opt_out" : "")
    }
}
