import Foundation

/// Writes values parsed by `JSONSerialization` (dictionaries, arrays, strings, numbers, booleans, `NSNull`)
/// back to JSON with sorted keys and unescaped slashes: the canonical form Pigeon stores and hashes.
/// Much cheaper than `JSONSerialization.data(withJSONObject:)` on Linux.
public enum CanonicalJSON {
    /// A value that is not JSON.
    public struct InvalidValue: Error {}

    /// `value` as canonical JSON text.
    public static func string(_ value: Any) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        try write(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An object of texts as canonical JSON text (a campaign recipient's variables: no casts from `Any`).
    public static func string(_ object: [String: String]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            writeString(object[key]!, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `value` as canonical JSON to `bytes`.
    public static func write(_ value: Any, into bytes: inout [UInt8]) throws {
        switch value {
        case let text as String:
            writeString(text, into: &bytes)
        case let object as [String: Any]:
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                try write(object[key]!, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case let array as [Any]:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                try write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case is NSNull:
            bytes.append(contentsOf: "null".utf8)
        case let flag as Bool where isBoolean(value):
            bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case let number as NSNumber:
            bytes.append(contentsOf: numberText(number).utf8)
        case let integer as Int:
            bytes.append(contentsOf: String(integer).utf8)
        case let double as Double where double.isFinite:
            bytes.append(contentsOf: String(double).utf8)
        default:
            throw InvalidValue()
        }
    }

    /// True when `value` is a boolean (JSONSerialization's booleans are NSNumbers on Linux).
    public static func isBoolean(_ value: Any) -> Bool {
        if let number = value as? NSNumber {
            return String(cString: number.objCType) == "c" || type(of: number) == type(of: NSNumber(value: true))
        }
        return value is Bool
    }

    private static func numberText(_ number: NSNumber) -> String {
        let type = String(cString: number.objCType)
        if type == "d" || type == "f" {
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) }
            return String(double)
        }
        if type == "Q" { return String(number.uint64Value) }
        return String(number.int64Value)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
