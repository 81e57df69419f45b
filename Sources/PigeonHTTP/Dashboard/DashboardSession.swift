import Crypto
import Foundation

/// The dashboard's login: the API key, entered once, becomes a session cookie signed with a key derived
/// from it (so every instance with the same key accepts it, and changing the key ends every session), and
/// each form carries a token derived from that cookie (so a page from another site cannot post one).
/// The cookie holds no secret: its expiry and a signature.
struct DashboardSession: Sendable {
    static let cookieName = "pigeon_session"
    /// How long a login lasts.
    static let lifetime: TimeInterval = 12 * 3600

    private let key: [UInt8]
    private let apiKeyDigest: [UInt8]

    init(apiKey: String) {
        apiKeyDigest = Array(SHA256.hash(data: Array(apiKey.utf8)))
        key = Array(HMAC<SHA256>.authenticationCode(for: Array("pigeon dashboard session".utf8), using: SymmetricKey(data: apiKeyDigest)))
    }

    /// Whether `presented` is the API key (compared by digest, in constant time).
    func accepts(apiKey presented: String) -> Bool {
        SignatureCheck.equal(Array(SHA256.hash(data: Array(presented.utf8))), apiKeyDigest)
    }

    /// A new session's cookie value, valid until `now` plus `lifetime`.
    func issue(now: Date) -> String {
        let expiry = String(Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        return expiry + "." + sign("session:" + expiry)
    }

    /// Whether `value` is a session this key issued that has not expired at `now`.
    func valid(_ value: String?, now: Date) -> Bool {
        guard let value, let dot = value.firstIndex(of: ".") else { return false }
        let expiry = String(value[..<dot])
        guard let seconds = Int64(expiry), Double(seconds) > now.timeIntervalSince1970 else { return false }
        return SignatureCheck.equal(Array(value[value.index(after: dot)...].utf8), Array(sign("session:" + expiry).utf8))
    }

    /// The form token of the session `value`.
    func formToken(for value: String) -> String { sign("form:" + value) }

    /// Whether `token` is the form token of the session `value`.
    func validForm(_ token: String?, session value: String) -> Bool {
        guard let token else { return false }
        return SignatureCheck.equal(Array(token.utf8), Array(formToken(for: value).utf8))
    }

    private func sign(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }
}
