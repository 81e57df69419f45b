/// Where and how the simulator reports statuses of the messages it accepts, as Meta's signed webhooks.
///
/// After each accepted send it posts `statuses` (default sent, delivered, read) one per webhook,
/// `delay_ms` apart, signed with `secret` like Meta signs with the app secret. `duplicate` posts each
/// twice; `reorder` posts them newest first. A rule's `async_error` replaces delivered and read with a
/// `failed` status carrying that error.
public struct SimulatorWebhooks: Codable, Sendable, Hashable {
    /// The receiver, such as `http://127.0.0.1:8080/webhooks/meta`.
    public var url: String
    /// The app secret the webhooks are signed with.
    public var secret: String
    /// The statuses reported for an accepted message, in order.
    public var statuses: [String]
    /// Wait before each webhook (default 200 ms).
    public var delayMs: Int
    /// Post every webhook twice, as Meta's retries do.
    public var duplicate: Bool
    /// Post the statuses in reverse order.
    public var reorder: Bool

    public init(
        url: String, secret: String, statuses: [String] = ["sent", "delivered", "read"], delayMs: Int = 200,
        duplicate: Bool = false, reorder: Bool = false
    ) {
        self.url = url
        self.secret = secret
        self.statuses = statuses
        self.delayMs = delayMs
        self.duplicate = duplicate
        self.reorder = reorder
    }

    enum CodingKeys: String, CodingKey {
        case url, secret, statuses
        case delayMs = "delay_ms"
        case duplicate, reorder
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        secret = try container.decode(String.self, forKey: .secret)
        statuses = try container.decodeIfPresent([String].self, forKey: .statuses) ?? ["sent", "delivered", "read"]
        delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 200
        duplicate = try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        reorder = try container.decodeIfPresent(Bool.self, forKey: .reorder) ?? false
    }

    /// This configuration without its secret, for the control API.
    var redacted: SimulatorWebhooks {
        var copy = self
        copy.secret = "(set)"
        return copy
    }
}
