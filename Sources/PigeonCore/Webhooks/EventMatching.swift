/// How a status event that found no message yet (or was told to wait) is tried again: after 1 s, 2 s,
/// 4 s … capped at `maxDelay`, until the settlement pass gives up on it (`unmatched`).
public enum EventMatching {
    /// The longest wait between two tries (5 minutes).
    public static let maxDelay: Duration = .seconds(300)

    /// The wait after `tries` tries (0 for an event just stored).
    public static func retryDelay(afterTries tries: Int) -> Duration {
        min(maxDelay, .seconds(1 << min(tries, 9)))
    }
}
