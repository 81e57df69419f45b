/// One message as a transport sends it.
public struct OutboundMessage: Sendable, Hashable {
    /// Pigeon's id; sent to Meta as `biz_opaque_callback_data` so status webhooks can be matched.
    public var id: MessageID
    /// The sender (Meta phone number id, or a web session's id).
    public var senderID: String
    /// Meta's message object as a JSON object, without `messaging_product`.
    public var payload: String
    /// The sender's own access token; nil sends with the transport's configured one.
    public var accessToken: String?
    /// The web session's bridge, for a message sent through WhatsApp Web; nil for the Cloud API.
    public var bridge: BridgeEndpoint?

    public init(id: MessageID, senderID: String, payload: String, accessToken: String? = nil, bridge: BridgeEndpoint? = nil) {
        self.bridge = bridge
        self.id = id
        self.senderID = senderID
        self.payload = payload
        self.accessToken = accessToken
    }
}

/// Sends one message to WhatsApp (the Cloud API, a web bridge, or the simulator). Never throws: every
/// failure is a `SendOutcome` for the classifier.
public protocol MessageTransport: Sendable {
    /// Sends `message` once and calls `completion` exactly once with what happened, on any thread.
    /// `completion` must return quickly: it may run on the transport's I/O thread.
    func send(_ message: OutboundMessage, completion: @escaping @Sendable (SendOutcome) -> Void)
}

extension MessageTransport {
    /// Sends `message` once and returns what happened.
    public func send(_ message: OutboundMessage) async -> SendOutcome {
        await withCheckedContinuation { continuation in
            send(message) { continuation.resume(returning: $0) }
        }
    }
}
