import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PigeonEngine

/// Meta's webhook endpoint. `GET /webhooks/meta` answers the subscription handshake; `POST /webhooks/meta`
/// checks `X-Hub-Signature-256` over the raw body, stores the body durably (settling its statuses in the
/// same transaction) and only then answers 200.
/// Neither needs the API key: Meta authenticates with the verify token and the app secret.
struct WebhookRoutes: Sendable {
    /// What the endpoint needs from the configuration.
    struct Settings: Sendable {
        /// Where verified bodies go.
        var intake: WebhookProcessor
        /// `PIGEON_WEBHOOK_VERIFY_TOKEN`: what Meta must echo in the handshake.
        var verifyToken: String?
        /// `PIGEON_META_APP_SECRET`: the key of Meta's signatures.
        var appSecret: String?
        /// Counts bodies refused for a missing or wrong signature, for the forged-signature alert.
        var forgedSignatures: WindowCount?
    }

    /// Largest body accepted: Meta sends up to 3 MB.
    static let maxBodyBytes = 4 * 1024 * 1024
    static let path = "/webhooks/meta"
    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!

    let settings: Settings
    /// The app secret's HMAC, keyed once.
    let signer: SignatureCheck?

    init(settings: Settings) {
        self.settings = settings
        signer = settings.appSecret.map(SignatureCheck.init(secret:))
    }

    func register(on router: Router<PigeonRequestContext>) {
        router.get(RouterPath(stringLiteral: Self.path)) { request, _ in try handshake(request) }
        router.post(RouterPath(stringLiteral: Self.path)) { request, _ in try await receive(request) }
    }

    private func handshake(_ request: Request) throws -> Response {
        guard let expected = settings.verifyToken else {
            throw APIError(
                .forbidden, "webhooks_not_configured",
                "set PIGEON_WEBHOOK_VERIFY_TOKEN to the verify token entered in Meta's App Dashboard")
        }
        let query = request.uri.queryParameters
        guard query["hub.mode"].map(String.init) == "subscribe" else {
            throw APIError(.forbidden, "invalid_handshake", "hub.mode must be subscribe")
        }
        guard let token = query["hub.verify_token"].map(String.init), SignatureCheck.equal(Array(token.utf8), Array(expected.utf8)) else {
            throw APIError(.forbidden, "invalid_verify_token", "hub.verify_token does not match PIGEON_WEBHOOK_VERIFY_TOKEN")
        }
        let challenge = query["hub.challenge"].map(String.init) ?? ""
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: challenge)))
    }

    private func receive(_ request: Request) async throws -> Response {
        guard let signer else {
            throw APIError(
                .serviceUnavailable, "webhooks_not_configured",
                "webhook intake is off until PIGEON_META_APP_SECRET is set: unsigned events are never accepted")
        }
        guard let header = request.headers[Self.signatureHeader] else {
            settings.forgedSignatures?.record()
            throw APIError(.unauthorized, "missing_signature", "the X-Hub-Signature-256 header is missing")
        }
        let body = try await RequestBody.bytes(request, limit: Self.maxBodyBytes, hint: "Meta sends at most 3 MB")
        let bytes = Data(body.readableBytesView)
        guard signer.valid(header: header, body: bytes) else {
            settings.forgedSignatures?.record()
            throw APIError(.forbidden, "invalid_signature", "X-Hub-Signature-256 does not match the body signed with the app secret")
        }
        try await settings.intake.receive(bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "EVENT_RECEIVED")))
    }
}

/// Meta's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body keyed by the app secret.
///
/// `@unchecked Sendable`: the keyed HMAC is set once in `init` and never mutated; every check works on a copy.
final class SignatureCheck: @unchecked Sendable {
    private let keyed: HMAC<SHA256>

    init(secret: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Whether `header` is the signature of `body`, compared in constant time.
    func valid(header: String, body: Data) -> Bool {
        let prefix = "sha256=".utf8
        let utf8 = header.utf8
        guard utf8.starts(with: prefix), let presented = Self.bytes(hex: utf8.dropFirst(prefix.count), count: 32) else { return false }
        var hmac = keyed
        hmac.update(data: body)
        return Self.equal(Array(hmac.finalize()), presented)
    }

    /// Constant-time equality of two byte strings (the length is not secret).
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// The `count` bytes that `2 × count` hex digits spell; nil for anything else.
    static func bytes(hex: Substring.UTF8View, count: Int) -> [UInt8]? {
        guard hex.count == 2 * count else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var high: UInt8?
        for character in hex {
            guard let nibble = nibble(character) else { return nil }
            if let first = high {
                result.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
