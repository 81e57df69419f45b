import Foundation
import Hummingbird
import PigeonCore

/// Building JSON responses from plain values (dictionaries, arrays, strings, numbers, `NSNull`).
enum JSONBody {
    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        if (try? CanonicalJSON.write(object, into: &bytes)) == nil { bytes = Array("{}".utf8) }
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A date as ISO 8601 with milliseconds, or `NSNull`.
    static func date(_ date: Date?) -> Any {
        guard let date else { return NSNull() }
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// An optional value, or `NSNull`.
    static func value(_ value: Any?) -> Any { value ?? NSNull() }

    /// Parses an ISO 8601 date with or without fractional seconds; a day the month does not have (Foundation
    /// would roll February 30 over to March) is refused.
    static func parseDate(_ text: String) -> Date? {
        guard CivilDay(String(text.prefix(10))) != nil, text.wholeMatch(of: rfc3339) != nil else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }

    /// RFC 3339 with an offset from -14:00 to +14:00 (the pattern the OpenAPI document gives).
    nonisolated(unsafe) private static let rfc3339 =
        /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)/
}
