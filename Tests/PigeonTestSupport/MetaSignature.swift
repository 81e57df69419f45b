import Crypto
import Foundation
import MetaSimulator

/// Meta's webhook signature computed the way Meta documents it, independently of Pigeon's own code:
/// `sha256=` followed by the lowercase hex HMAC-SHA256 of the raw body, keyed by the app secret.
public enum MetaSignature {
    public static func header(for body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Builds Meta webhook bodies carrying status updates, in Meta's envelope.
public enum MetaWebhookBody {
    /// One status entry.
    public struct Status {
        public var wamid: String
        public var status: String
        public var timestamp: Int
        public var callbackData: String?
        public var errorCode: Int?

        public init(wamid: String, status: String, timestamp: Int = 1_800_000_000, callbackData: String? = nil, errorCode: Int? = nil) {
            self.wamid = wamid
            self.status = status
            self.timestamp = timestamp
            self.callbackData = callbackData
            self.errorCode = errorCode
        }
    }

    /// A body with `statuses` for phone number `phoneNumberID`.
    public static func statuses(_ statuses: [Status], phoneNumberID: String = "100000000000001") -> String {
        StatusWebhookBody.json(
            statuses.map { status in
                StatusWebhookBody.Status(
                    wamid: status.wamid, status: status.status, timestamp: status.timestamp, callbackData: status.callbackData,
                    error: status.errorCode.map { (code: $0, title: "Error \($0)", details: "details of \($0)") })
            }, phoneNumberID: phoneNumberID)
    }
}
