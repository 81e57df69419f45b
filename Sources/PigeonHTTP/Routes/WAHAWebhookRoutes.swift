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
/// waiting for the next health check); `message.ack` and received `message` events become Meta-format
/// webhooks (`BridgeEvent.metaWebhook`) for the webhook processor, which settles statuses and forwards them
/// to the application; a contact who wrote, or was delivered a message, is remembered as a chat the
/// session has (what a restricted session may still message); other events are acknowledged.
struct WAHAWebhookRoutes: Sendable {
    static let path = "/webhooks/waha"
    static let signatureHeader = HTTPField.Name("X-Webhook-Hmac")!
    /// Largest event accepted (1 MiB).
    static let maxBodyBytes = 1024 * 1024

    let senders: SenderService
    let webhooks: WebhookProcessor

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
        guard let event = BridgeEvent.parse(body, session: sender.settings.session ?? BridgeEndpoint.defaultSession) else {
            throw APIError(.badRequest, "invalid_event", "the body is not a WAHA event: a JSON object with \"event\", \"session\" and \"payload\"")
        }
        switch event {
        case .sessionStatus(let status):
            try await senders.record(status.observation, of: sender.id)
        case .ack(let ack):
            if let until = ack.restrictedUntil {
                try await senders.record(SenderObservation(event: nil, restricted: true, restrictedUntil: until), of: sender.id)
            }
        case .inbound, .ignored:
            break
        }
        if let contact = event.contact {
            try await senders.recordContact(contact, of: sender.id)
        }
        if let meta = event.metaWebhook(senderID: sender.id) {
            try await webhooks.receive(meta)
        } else if case .ignored(let name) = event {
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
