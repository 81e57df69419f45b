import Foundation
import NIOCore
import NIOFoundationCompat
import PigeonCore

/// Parses Graph API responses: the send result and Meta's error body.
public enum GraphResponseParser {
    private struct ErrorEnvelope: Decodable {
        struct Body: Decodable {
            struct ErrorData: Decodable { var details: String? }
            var message: String?
            var code: Int?
            var error_data: ErrorData?
            var fbtrace_id: String?
            var is_transient: Bool?
            var error_user_title: String?
        }
        var error: Body
    }

    private struct SendResponse: Decodable {
        struct Message: Decodable { var id: String }
        var messages: [Message]?
    }

    /// The Graph error in `body`, or `nil` when the body is not a Graph error object.
    public static func graphError(from body: Data, httpStatus: Int?) -> GraphError? {
        guard let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: body),
            let code = envelope.error.code
        else { return nil }
        return GraphError(
            code: code, title: title(from: envelope.error.message ?? envelope.error.error_user_title ?? ""),
            details: envelope.error.error_data?.details, fbtraceID: envelope.error.fbtrace_id,
            isTransient: envelope.error.is_transient, httpStatus: httpStatus)
    }

    /// The wamid in a successful send response, if there is one.
    public static func wamid(from body: Data) -> String? {
        (try? JSONDecoder().decode(SendResponse.self, from: body))?.messages?.first?.id
    }

    /// Meta's `message` without its `(#code) ` prefix.
    static func title(from message: String) -> String {
        guard message.hasPrefix("(#"), let close = message.firstIndex(of: ")") else { return message }
        return message[message.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }

    /// The wamid of a success response shaped as Meta sends it (`…"messages":[{"id":"wamid…"`), found without
    /// a full parse; `nil` when the shape differs.
    static func fastWamid(from body: ByteBuffer) -> String? {
        body.withUnsafeReadableBytes { bytes -> String? in
            let marker = fastWamidMarker
            guard bytes.count > marker.count else { return nil }
            var index = 0
            search: while index <= bytes.count - marker.count {
                for offset in 0..<marker.count where bytes[index + offset] != marker[offset] {
                    index += 1
                    continue search
                }
                let start = index + marker.count
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") { return nil }
                    end += 1
                }
                guard end < bytes.count, end > start else { return nil }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            return nil
        }
    }

    private static let fastWamidMarker = Array(#""messages":[{"id":""#.utf8)

    /// The outcome of a send call that returned `status` and `body`.
    public static func sendOutcome(status: Int, body: ByteBuffer) -> SendOutcome {
        if (200..<300).contains(status), let wamid = fastWamid(from: body) { return .accepted(wamid: wamid) }
        return sendOutcome(status: status, body: Data(buffer: body))
    }

    /// The outcome of a send call that returned `status` and `body`.
    public static func sendOutcome(status: Int, body: Data) -> SendOutcome {
        if (200..<300).contains(status) {
            if let wamid = wamid(from: body) { return .accepted(wamid: wamid) }
            return .inDoubt(reason: "HTTP \(status) without a message id in the response")
        }
        if let error = graphError(from: body, httpStatus: status) { return .graphError(error) }
        return .httpError(status: status, body: String(decoding: body.prefix(500), as: UTF8.self))
    }
}
