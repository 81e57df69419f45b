import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Posts the simulated bridge's webhooks as WAHA does: the event envelope (`id`, `timestamp` in ms, `event`,
/// `session`, `me`, `payload`), signed with `X-Webhook-Hmac` (hex HMAC-SHA512 of the body keyed by the
/// session's HMAC key) and `X-Webhook-Hmac-Algorithm: sha512`. A session without a webhook URL posts nothing.
struct BridgeWebhooks: Sendable {
    /// Posts in the background.
    func post(_ session: BridgeSimulator.Session, session name: String, event: String, payload: [String: Any]) {
        guard session.webhookUrl != nil else { return }
        let body = Self.body(session: name, event: event, payload: payload)
        Task { await deliver(body, to: session) }
    }

    /// Posts and waits for the answer.
    func deliver(_ session: BridgeSimulator.Session, session name: String, event: String, payload: [String: Any]) async {
        guard session.webhookUrl != nil else { return }
        await deliver(Self.body(session: name, event: event, payload: payload), to: session)
    }

    private func deliver(_ body: Data, to session: BridgeSimulator.Session) async {
        guard let url = session.webhookUrl else { return }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = session.webhookHmac {
            let mac = HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: Data(key.utf8)))
            request.headers.add(name: "X-Webhook-Hmac", value: mac.map { String(format: "%02x", $0) }.joined())
            request.headers.add(name: "X-Webhook-Hmac-Algorithm", value: "sha512")
        }
        request.body = .bytes(ByteBuffer(data: body))
        if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) {
            _ = try? await response.body.collect(upTo: 1 << 20)
        }
    }

    static func body(session: String, event: String, payload: [String: Any]) -> Data {
        let envelope: [String: Any] = [
            "id": "evt_\(UInt64.random(in: 0...UInt64.max))", "timestamp": Int(Date().timeIntervalSince1970 * 1000), "event": event,
            "session": session, "me": ["id": "\(BridgeSimulator.phone)@c.us"], "payload": payload,
            "environment": ["engine": "NOWEB", "tier": "SIMULATOR"],
        ]
        return (try? JSONSerialization.data(withJSONObject: envelope, options: [.withoutEscapingSlashes])) ?? Data()
    }
}
