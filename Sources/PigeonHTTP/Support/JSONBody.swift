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

    /// Parses an ISO 8601 date with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}
