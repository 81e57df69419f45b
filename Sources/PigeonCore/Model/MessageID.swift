import Foundation

/// Pigeon's id for a message: `msg_` followed by a 26-character ULID (time-ordered, Crockford base32).
public struct MessageID: Hashable, Sendable, Codable, CustomStringConvertible, RawRepresentable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    static let prefix = "msg_"

    /// A new id whose first 48 bits are `now` in milliseconds, so ids sort roughly by creation time.
    public static func generate(now: Date = Date()) -> MessageID {
        var rng = SystemRandomNumberGenerator()
        return generate(now: now, using: &rng)
    }

    /// A new id built from `now` and the given random source.
    public static func generate(now: Date, using rng: inout some RandomNumberGenerator) -> MessageID {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var chars = [UInt8](repeating: 0, count: 26)
        var time = millis
        for i in stride(from: 9, through: 0, by: -1) {
            chars[i] = alphabet[Int(time & 31)]
            time >>= 5
        }
        let high = rng.next() as UInt64
        let low = rng.next() as UInt64
        for i in 0..<16 {
            let source = i < 8 ? high >> UInt64(i * 5) : low >> UInt64((i - 8) * 5)
            chars[10 + i] = alphabet[Int(source & 31)]
        }
        return MessageID(rawValue: prefix + String(decoding: chars, as: UTF8.self))
    }

    /// True when `text` has the shape of a Pigeon message id.
    public static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix(prefix), text.utf8.count == prefix.utf8.count + 26 else { return false }
        return text.utf8.dropFirst(prefix.utf8.count).allSatisfy { alphabet.contains($0) }
    }
}
