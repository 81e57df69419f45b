import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore

/// Posts the simulated status webhooks of one accepted message, in the background.
struct WebhookEmitter: Sendable {
    /// What the simulator accepted.
    struct Accepted: Sendable {
        var wamid: String
        var phoneNumberID: String
        var to: String
        var callbackData: String?
        var asyncError: SimulatorRule.GraphErrorSpec?
    }

    let configuration: SimulatorWebhooks
    let logger: Logger

    /// Starts posting the webhooks for `message`; returns at once.
    func emit(for message: Accepted) {
        var statuses = configuration.statuses
        if message.asyncError != nil { statuses = Array(statuses.prefix(while: { $0 == "sent" })) + ["failed"] }
        if configuration.reorder { statuses.reverse() }
        Task {
            for (index, status) in statuses.enumerated() {
                if configuration.delayMs > 0 { try? await Task.sleep(for: .milliseconds(configuration.delayMs)) }
                let body = Self.body(for: message, status: status, second: index)
                for _ in 0..<(configuration.duplicate ? 2 : 1) { await post(body) }
            }
        }
    }

    private func post(_ body: String) async {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Hub-Signature-256", value: Self.signature(body, secret: configuration.secret))
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status.code != 200 {
                logger.warning("webhook receiver answered \(response.status.code)", metadata: ["url": "\(configuration.url)"])
            }
        } catch {
            logger.warning("posting a simulated webhook failed", metadata: ["url": "\(configuration.url)", "error": "\(error)"])
        }
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` keyed by `secret`, as Meta signs.
    static func signature(_ body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// One status of `message` in Meta's webhook envelope.
    static func body(for message: Accepted, status: String, second: Int) -> String {
        var item: [String: Any] = [
            "id": message.wamid, "status": status, "recipient_id": SimulatorRule.digits(message.to),
            "timestamp": String(Int(Date().timeIntervalSince1970) + second),
        ]
        if let callback = message.callbackData { item["biz_opaque_callback_data"] = callback }
        if status == "sent" || status == "delivered" {
            item["pricing"] = ["billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"]
        }
        if status == "failed", let error = message.asyncError {
            let title = error.title ?? "Simulated error"
            item["errors"] = [["code": error.code, "title": title, "message": title, "error_data": ["details": error.details ?? title]]]
        }
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [[
                "id": "102290129340398",
                "changes": [[
                    "field": "messages",
                    "value": [
                        "messaging_product": "whatsapp",
                        "metadata": ["display_phone_number": "15550783881", "phone_number_id": message.phoneNumberID],
                        "statuses": [item],
                    ] as [String: Any],
                ]],
            ]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
