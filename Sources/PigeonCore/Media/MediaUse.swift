/// The media library ids one attempt of a message sent, recorded with the attempt's outcome so a later
/// media error refreshes exactly the id that failed.
public struct MediaUse: Sendable, Hashable {
    /// Asset key → the media id sent for it.
    public var ids: [String: String]
    /// Whether the attempt retried a media error with refreshed ids.
    public var afterMediaError: Bool

    public init(ids: [String: String], afterMediaError: Bool) {
        self.ids = ids
        self.afterMediaError = afterMediaError
    }
}
