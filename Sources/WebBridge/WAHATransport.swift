import Foundation
import PigeonCore

/// Sends messages through web sessions' WAHA bridges: the `MessageTransport` of `web_session` senders. Each
/// message is turned into its WAHA call by `WebSessionMessage`; with the sender's `typing` limit, "typing…"
/// is shown first (`startTyping`, a pause as long as the text needs, `stopTyping`). WAHA's answer becomes a
/// `SendOutcome`: its message id is the status webhooks' id; an error status is `.bridgeError` for
/// `ErrorTable.waha`; no connection `.notDelivered`; a lost answer `.inDoubt`.
public struct WAHATransport: MessageTransport {
    let client: WAHAClient
    /// How long "typing…" shows for a text of this many characters (default 1 s plus 30 ms a character, at
    /// most 5 s).
    let typingPause: @Sendable (Int) -> Duration

    public init(
        client: WAHAClient = WAHAClient(timeout: .seconds(30)),
        typingPause: @escaping @Sendable (Int) -> Duration = { .milliseconds(min(5000, 1000 + 30 * $0)) }
    ) {
        self.client = client
        self.typingPause = typingPause
    }

    public func send(_ message: OutboundMessage, completion: @escaping @Sendable (SendOutcome) -> Void) {
        Task { completion(await send(message)) }
    }

    public func send(_ message: OutboundMessage) async -> SendOutcome {
        guard let bridge = message.bridge else {
            return .notDelivered(reason: "sender \(message.senderID) has no bridge: it is not a web session")
        }
        guard let call = WebSessionMessage.make(payload: message.payload, session: bridge.session) else {
            return .bridgeError(status: 400, body: "a web session cannot send this message (media must be given by link)")
        }
        if bridge.typing {
            let chat: [String: Any] = ["session": bridge.session, "chatId": call.chatID]
            _ = await client.call(.POST, bridge, path: "/api/startTyping", body: chat)
            try? await Task.sleep(for: typingPause(call.textLength))
            _ = await client.call(.POST, bridge, path: "/api/stopTyping", body: chat)
        }
        switch await client.call(.POST, bridge, path: call.path, json: call.body) {
        case .success(let answer):
            return .accepted(wamid: Self.messageID(in: answer) ?? "waha-\(message.id.rawValue)")
        case .failure(let failure):
            if let status = failure.status { return .bridgeError(status: status, body: failure.reason) }
            return failure.written ? .inDoubt(reason: failure.reason) : .notDelivered(reason: failure.reason)
        }
    }

    /// The sent message's id in WAHA's answer: a string, or WEBJS's `{"_serialized": …}`.
    static func messageID(in answer: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] else { return nil }
        if let id = object["id"] as? String { return id }
        return (object["id"] as? [String: Any])?["_serialized"] as? String
    }
}
