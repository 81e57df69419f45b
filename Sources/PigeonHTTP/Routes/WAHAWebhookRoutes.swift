import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PigeonCore
import PigeonEngine

/// WAHA's webhook endpoint, `POST /webhooks/waha`: each event is checked with `X-Webhook-Hmac` (the hex
/// HMAC-SHA512 of the raw body keyed by a web session sender's `bridge.webhook_secret`, which also says whose
/// event it is); a missing header is a 401 and a signature no sender's secret made a 403, and neither changes
/// anything. `session.status` events feed the sender's lifecycle at once (so a drop is acted on without
/// waiting for the next health check); other events are acknowledged and not used yet.
struct WAHAWebhookRoutes: Sendable {
    static let path = "/webhooks/waha"
    static let signatureHeader = HTTPField.Name("X-Webhook-Hmac")!
    /// Largest event accepted (1 MiB).
    static let maxBodyBytes = 1024 * 1024

    let senders: SenderService

    func register(on router: Router<PigeonRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.path)) { request, context in try await receive(request, context) }
    }

    private func receive(_ request: Request, _ context: PigeonRequestContext) async throws -> Response {
        guard let header = request.headers[Self.signatureHeader] else {
            throw APIError(
                .unauthorized, "missing_signature",
                "the X-Webhook-Hmac header is missing: set an HMAC key on the session's WAHA webhook (the sender's bridge.webhook_secret)")
        }
        let body = Data(try await RequestBody.bytes(request, limit: Self.maxBodyBytes, hint: "WAHA events are small").readableBytesView)
        guard let presented = SignatureCheck.bytes(hex: Substring(header).utf8, count: 64), let sender = try await signer(of: body, presented)
        else {
            throw APIError(.forbidden, "invalid_signature", "X-Webhook-Hmac does not match the body signed with any web session's webhook_secret")
        }
        guard let event = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let name = event["event"] as? String else {
            throw APIError(.badRequest, "invalid_event", "the body is not a WAHA event: a JSON object with \"event\", \"session\" and \"payload\"")
        }
        if name == "session.status", event["session"] as? String == sender.settings.session,
            let text = (event["payload"] as? [String: Any])?["status"] as? String, let status = BridgeSessionStatus(rawValue: text)
        {
            try await senders.record(SenderObservation(event: status.event), of: sender.id)
        } else {
            context.logger.debug("WAHA event not used", metadata: ["event": "\(name)", "sender": "\(sender.id)"])
        }
        return JSONBody.response(["received": true])
    }

    /// The web session whose webhook secret signed `body` with `presented`, if any (read again from the store
    /// when none matches, for a sender another instance added a moment ago).
    private func signer(of body: Data, _ presented: [UInt8]) async throws -> SenderRecord? {
        func match(_ records: [SenderRecord]) -> SenderRecord? {
            records.first { record in
                guard record.kind == .webSession, let secret = senders.secrets(for: record.id)?.webhookSecret else { return false }
                let mac = HMAC<SHA512>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
                return SignatureCheck.equal(Array(mac), presented)
            }
        }
        if let sender = match(senders.all) { return sender }
        return match(try await senders.reload())
    }
}
