import Foundation

/// A sending identity: a WhatsApp Business phone number, identified by Meta's phone number id.
public struct SenderState: Sendable, Hashable, Codable {
    /// Meta's phone number id.
    public var id: String
    /// True while sends on this sender are stopped by a sender-level error.
    public var paused: Bool
    /// Why it was paused (the Meta error), if it is.
    public var pauseReason: String?
    /// The Meta error code that paused it.
    public var pauseErrorCode: Int?
    /// When it was paused.
    public var pausedAt: Date?

    public init(id: String, paused: Bool, pauseReason: String? = nil, pauseErrorCode: Int? = nil, pausedAt: Date? = nil) {
        self.id = id
        self.paused = paused
        self.pauseReason = pauseReason
        self.pauseErrorCode = pauseErrorCode
        self.pausedAt = pausedAt
    }
}
