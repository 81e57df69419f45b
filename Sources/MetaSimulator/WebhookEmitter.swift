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
    let gate: WebhookGate
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

    /// Posts `body` once a slot of the simulator's gate is free.
    private func post(_ body: String) async {
        await gate.acquire()
        await deliver(body)
        await gate.release()
    }

    private func deliver(_ body: String) async {
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
        let error =
            status == "failed"
            ? message.asyncError.map { error in
                let title = error.title ?? "Simulated error"
                return (code: error.code, title: title, details: error.details ?? title)
            } : nil
        return StatusWebhookBody.json(
            [
                .init(
                    wamid: message.wamid, status: status, timestamp: Int(Date().timeIntervalSince1970) + second,
                    recipientID: SimulatorRule.digits(message.to), callbackData: message.callbackData, error: error)
            ],
            phoneNumberID: message.phoneNumberID)
    }
}
