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
        let marker = Array(#""messages":[{"id":""#.utf8)
        let bytes = body.readableBytesView
        guard let start = bytes.firstRange(of: marker)?.upperBound else { return nil }
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let id = bytes[start..<end]
        guard !id.isEmpty, !id.contains(UInt8(ascii: "\\")) else { return nil }
        return String(decoding: id, as: UTF8.self)
    }

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
