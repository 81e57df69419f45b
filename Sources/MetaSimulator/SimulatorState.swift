import Foundation
import Synchronization

/// A request the simulator received on `/{version}/{phone_number_id}/messages`.
public struct ReceivedRequest: Codable, Sendable, Hashable {
    /// The phone number id in the path.
    public var phoneNumberID: String
    /// The `to` field.
    public var to: String?
    /// The `type` field.
    public var type: String?
    /// `biz_opaque_callback_data`, if sent.
    public var callbackData: String?
    /// The raw JSON body.
    public var body: String
    /// The HTTP status answered (0 when the connection was dropped).
    public var responseStatus: Int
    /// The wamid answered, on success.
    public var wamid: String?
    /// When it arrived (ms since 1970).
    public var receivedAtMs: Int64
    /// The first 16 hex digits of the SHA-256 of the bearer token it carried (never the token itself).
    public var tokenSHA256: String?

    enum CodingKeys: String, CodingKey {
        case phoneNumberID = "phone_number_id"
        case to, type
        case callbackData = "callback_data"
        case body
        case responseStatus = "response_status"
        case wamid
        case receivedAtMs = "received_at_ms"
        case tokenSHA256 = "token_sha256"
    }
}

/// The simulator's shared state: rules, what it received, ids it handed out.
final class SimulatorState: Sendable {
    /// Most requests kept for inspection.
    static let maxRecorded = 200_000

    private struct State {
        var rules: [SimulatorRule] = []
        var nextRuleID = 1
        var received: [ReceivedRequest] = []
        var nextWamid = 1
        var nextMediaID = 1_000_000_000_000_000
        var webhooks: SimulatorWebhooks?
        var media: [String: Int] = [:]
        var revokedTokens: Set<String> = []
        var numbers: [String: SimulatedNumber] = [:]
    }
    private let state = Mutex(State())

    func addRule(_ rule: SimulatorRule) -> SimulatorRule {
        state.withLock { state in
            var rule = rule
            rule.id = state.nextRuleID
            state.nextRuleID += 1
            state.rules.append(rule)
            return rule
        }
    }

    var rules: [SimulatorRule] { state.withLock { $0.rules } }

    func clearRules() { state.withLock { $0.rules.removeAll() } }

    /// The first live rule matching the send request, spending one of its uses.
    func takeRule(to: String?, type: String?, mediaIDs: Set<String>) -> SimulatorRule? {
        take { $0.matches(to: to, type: type, mediaIDs: mediaIDs) }
    }

    /// The first live rule for media uploads, spending one of its uses.
    func takeUploadRule() -> SimulatorRule? {
        take { $0.upload == true }
    }

    private func take(where matches: (SimulatorRule) -> Bool) -> SimulatorRule? {
        state.withLock { state in
            guard let index = state.rules.firstIndex(where: matches) else { return nil }
            let rule = state.rules[index]
            if let times = rule.times {
                if times <= 1 { state.rules.remove(at: index) } else { state.rules[index].times = times - 1 }
            }
            return rule
        }
    }

    /// Where accepted messages' statuses are posted, if anywhere.
    var webhooks: SimulatorWebhooks? {
        get { state.withLock { $0.webhooks } }
        set { state.withLock { $0.webhooks = newValue } }
    }

    func nextWamid() -> String {
        state.withLock { state in
            defer { state.nextWamid += 1 }
            return "wamid.SIM\(String(format: "%012d", state.nextWamid))"
        }
    }

    /// Keeps an uploaded file's size under a new media id.
    func storeMedia(bytes: Int) -> String {
        state.withLock { state in
            defer { state.nextMediaID += 1 }
            let id = String(state.nextMediaID)
            state.media[id] = bytes
            return id
        }
    }

    /// How many media uploads were taken.
    var mediaCount: Int { state.withLock { $0.media.count } }

    /// The size of uploaded media `id`, if it exists.
    func mediaSize(_ id: String) -> Int? { state.withLock { $0.media[id] } }

    /// Makes `token` expired: every request carrying it is answered with error 190.
    func revoke(_ token: String) { _ = state.withLock { $0.revokedTokens.insert(token) } }

    /// Whether `token` was revoked.
    func isRevoked(_ token: String) -> Bool { state.withLock { $0.revokedTokens.contains(token) } }

    /// What the health check of phone number `id` reports (AVAILABLE, GREEN, TIER_1K unless set).
    func number(_ id: String) -> SimulatedNumber { state.withLock { $0.numbers[id] } ?? SimulatedNumber() }

    /// Sets what the health check of phone number `id` reports.
    func setNumber(_ id: String, _ number: SimulatedNumber) { state.withLock { $0.numbers[id] = number } }

    func record(_ request: ReceivedRequest) {
        state.withLock { state in
            if state.received.count >= Self.maxRecorded { state.received.removeFirst(state.received.count / 2) }
            state.received.append(request)
        }
    }

    var received: [ReceivedRequest] { state.withLock { $0.received } }

    func clearReceived() { state.withLock { $0.received.removeAll() } }

    /// Forgets revoked tokens and number health.
    func clearAccounts() {
        state.withLock { state in
            state.revokedTokens.removeAll()
            state.numbers.removeAll()
        }
    }
}

/// What the simulator's phone number health check answers (`GET /{version}/{phone_number_id}?fields=…`).
public struct SimulatedNumber: Codable, Sendable, Hashable {
    /// `can_send_message`: `AVAILABLE`, `LIMITED` or `BLOCKED`.
    public var healthStatus: String
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    public var qualityRating: String
    /// Such as `TIER_1K`.
    public var messagingLimit: String

    public init(healthStatus: String = "AVAILABLE", qualityRating: String = "GREEN", messagingLimit: String = "TIER_1K") {
        self.healthStatus = healthStatus
        self.qualityRating = qualityRating
        self.messagingLimit = messagingLimit
    }

    enum CodingKeys: String, CodingKey {
        case healthStatus = "health_status"
        case qualityRating = "quality_rating"
        case messagingLimit = "messaging_limit"
    }
}
