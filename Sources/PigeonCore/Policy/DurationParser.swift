/// Parses durations written as a number and a unit: `250ms`, `5s`, `5m`, `1h`, `30d`.
public enum DurationParser {
    /// A text that is not a duration.
    public struct Failure: Error, CustomStringConvertible {
        public let text: String
        public var description: String {
            "\"\(text)\" is not a duration: write a positive number and a unit (ms, s, m, h, d), such as 500ms, 5s, 5m, 1h or 30d"
        }
    }

    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// The duration `text` denotes; throws `Failure` for anything else.
    public static func parse(_ text: String) throws -> Duration {
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            if unit.suffix == "s", number.hasSuffix("m") { continue }
            guard let value = Double(number), value > 0, value.isFinite else { break }
            return .milliseconds(Int64((value * unit.seconds * 1000).rounded()))
        }
        throw Failure(text: text)
    }
}
