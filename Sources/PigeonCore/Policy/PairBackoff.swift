/// Meta's backoff for the per-recipient pair rate limit (131056): wait 4^X seconds, X = 0, 1, 2 …
public enum PairBackoff {
    /// The largest exponent used; 4^6 s is about 68 minutes.
    public static let maxExponent = 6

    /// The wait after the `level`-th consecutive pair-limit error (0-based).
    public static func delay(level: Int) -> Duration {
        let exponent = min(max(level, 0), maxExponent)
        var seconds: Int64 = 1
        for _ in 0..<exponent { seconds *= 4 }
        return .seconds(seconds)
    }
}
