import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import PigeonCore

/// Posts forwards to a webhook URL, signed like Meta signs (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256
/// of the body>`, so the application's existing handler accepts them), or under another header name (the
/// alert webhook's `X-Pigeon-Signature-256`).
public final class WebhookForwarder: ForwardTransport {
    let url: String
    let signatureHeader: String
    /// The signing secret's bytes (a `SymmetricKey` is made per signature: it is not `Sendable`).
    let secret: [UInt8]
    let timeout: Duration
    private let http: HTTPClient

    /// Forwards to `url`, signing with `secret` under `signatureHeader`; each POST may take up to `timeout`.
    public init(url: String, secret: String, timeout: Duration = .seconds(10), signatureHeader: String = "X-Hub-Signature-256") {
        self.url = url
        self.signatureHeader = signatureHeader
        self.secret = Array(secret.utf8)
        self.timeout = timeout
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    /// Closes the connections.
    public func shutdown() async throws { try await http.shutdown() }

    /// The signature header value for `body`.
    public func signature(_ body: Data) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
    }

    public func post(_ body: Data) async -> ForwardFailure? {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: signatureHeader, value: signature(body))
        request.headers.add(name: "User-Agent", value: "Pigeon")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return nil }
            return ForwardFailure(
                reason: "the application answered \(status): \(String(buffer: answer).prefix(200))", httpStatus: status)
        } catch {
            return ForwardFailure(reason: "could not reach the application: \(error)", httpStatus: nil)
        }
    }
}
