import Foundation

/// A parser of Prometheus's text exposition format (version 0.0.4), strict enough for tests: every sample
/// belongs to a family declared by `# TYPE` (a histogram's `_bucket`, `_sum` and `_count` to theirs), names
/// and label names are valid, label values are quoted with Prometheus's escapes, and values are numbers.
public struct PrometheusText: Sendable {
    /// One sample line.
    public struct Sample: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// A parse failure, with the line it is on.
    public struct Malformed: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Each family's type (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    public private(set) var types: [String: String] = [:]
    public private(set) var samples: [Sample] = []

    public init(parsing text: String) throws {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                if parts.count >= 2, parts[1] == "TYPE" {
                    guard parts.count == 4, Self.validName(parts[2]),
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                    else { throw Malformed(line: number, reason: "a bad TYPE line: \(line)") }
                    guard types[parts[2]] == nil else { throw Malformed(line: number, reason: "\(parts[2]) is declared twice") }
                    types[parts[2]] = parts[3]
                }
                continue
            }
            let sample = try Self.sample(line, number)
            guard family(of: sample.name) != nil else {
                throw Malformed(line: number, reason: "\(sample.name) has no TYPE line before it")
            }
            samples.append(sample)
        }
    }

    /// The family a sample name belongs to.
    public func family(of name: String) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if ["histogram", "summary"].contains(types[base]) { return base }
        }
        return nil
    }

    /// The value of the sample `name` whose labels include `labels`, if exactly one matches.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.count == 1 ? matching[0].value : nil
    }

    static func validName(_ name: String) -> Bool {
        name.range(of: #"^[a-zA-Z_:][a-zA-Z0-9_:]*$"#, options: .regularExpression) != nil
    }

    private static func sample(_ line: String, _ number: Int) throws -> Sample {
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard validName(name) else { throw Malformed(line: number, reason: "a bad metric name in \(line)") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw Malformed(line: number, reason: "a label without = in \(line)") }
                let key = String(rest[..<equals])
                guard validName(key), !key.contains(":") else { throw Malformed(line: number, reason: "a bad label name \(key)") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw Malformed(line: number, reason: "an unquoted value of \(key)") }
                rest = rest.dropFirst()
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    guard character == "\\" else {
                        value.append(character)
                        continue
                    }
                    switch rest.first {
                    case "\\": value.append("\\")
                    case "\"": value.append("\"")
                    case "n": value.append("\n")
                    default: throw Malformed(line: number, reason: "a bad escape in the value of \(key)")
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { throw Malformed(line: number, reason: "an unterminated value of \(key)") }
                rest = rest.dropFirst()
                guard labels.updateValue(value, forKey: key) == nil else { throw Malformed(line: number, reason: "\(key) appears twice") }
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw Malformed(line: number, reason: "unclosed labels in \(line)") }
            }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = Self.number(String(fields[0])) else {
            throw Malformed(line: number, reason: "a bad value in \(line)")
        }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
