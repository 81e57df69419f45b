import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// The drop-in Cloud API endpoint: `POST /{version}/{phone_number_id}/messages` with Meta's request body and
/// `Authorization: Bearer <Pigeon API key>`. Pigeon stores the message, then gives its first attempt up to
/// the inline timeout: accepted → Meta's success shape with the real wamid; permanent rejection → Meta's
/// error shape and status; anything else (transient failure, throttling, a paused sender, no answer in
/// time) → a Meta-shaped 200 whose message id is Pigeon's, and the message stays queued.
///
/// `POST /{version}/{phone_number_id}/media` and `GET /{version}/{media_id}` are passed through to Meta with
/// Pigeon's token.
struct CloudAPIRoutes {
    let service: MessageService
    let inlineTimeout: Duration
    let proxy: (any GraphProxy)?
    let validator = MessageValidator()

    func register(on router: Router<PigeonRequestContext>) {
        // `node` is a Graph node id: a phone number id, or a media id (one name at one depth, for the router).
        router.post("/:version/:node/messages") { request, context in try await send(request, context: context) }
        router.post("/:version/:node/media") { request, context in try await passThrough(request, context: context) }
        router.get("/:version/:node") { request, context in try await passThrough(request, context: context) }
    }

    private func passThrough(_ request: Request, context: PigeonRequestContext) async throws -> Response {
        guard let version = context.parameters.get("version"), Self.isVersion(version) else {
            throw APIError(.notFound, "not_found", "no route for \(request.uri.path)")
        }
        guard let proxy else {
            throw APIError(.serviceUnavailable, "no_upstream", "this Pigeon has no Meta connection to pass the request to")
        }
        let body = try await RequestBody.bytes(request, limit: Self.maxMediaBytes, hint: "Meta accepts media up to 100 MB")
        let answer = try await proxy.forward(
            method: request.method.rawValue, path: request.uri.path + (request.uri.query.map { "?\($0)" } ?? ""),
            contentType: request.headers[.contentType], body: Array(body.readableBytesView))
        var headers: HTTPFields = [:]
        if let type = answer.contentType { headers[.contentType] = type }
        return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Largest media upload passed through (Meta accepts up to 100 MB).
    static let maxMediaBytes = 100 * 1024 * 1024

    /// Whether `path` is a Graph-style path whose errors must look like Meta's.
    static func isGraphPath(_ path: String) -> Bool {
        path.split(separator: "/").first.map { isVersion(String($0)) } ?? false
    }

    /// `v` followed by a Graph API version number, such as `v23.0`.
    static func isVersion(_ text: String) -> Bool {
        text.hasPrefix("v") && text.dropFirst().split(separator: ".").count == 2
            && text.dropFirst().split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    private func send(_ request: Request, context: PigeonRequestContext) async throws -> Response {
        guard let version = context.parameters.get("version"), Self.isVersion(version) else {
            throw APIError(.notFound, "not_found", "no route for \(request.uri.path): use /v23.0/<phone number id>/messages")
        }
        let phone = context.parameters.get("node") ?? ""
        guard !phone.isEmpty, phone.allSatisfy(\.isNumber) else {
            throw APIError(
                .badRequest, "invalid_phone_number_id", "the path must name a numeric phone number id: /\(version)/<phone number id>/messages")
        }
        var parsed = try await MessageRoutes.message(in: request, validator: validator)
        parsed.senderID = phone
        let message = service.newMessage(parsed, requestHash: MessageRoutes.hash(parsed))
        let (result, state) = try await service.acceptAndWait(message, timeout: inlineTimeout)
        let answer: (response: Response, usesPigeonID: Bool)
        let id: MessageID
        switch result {
        case .created(let record):
            id = record.id
            answer = CloudAPIShapes.answer(for: record, after: state)
        case .replayed(let record):
            // The same request again: answered from the stored message as it is now.
            let current = try await service.message(record.id)?.record ?? record
            id = record.id
            answer = CloudAPIShapes.answer(for: current, after: current.state)
        case .conflict(let existing):
            throw MessageRoutes.conflict(existing)
        }
        if answer.usesPigeonID { try await service.rememberClientID(id) }
        return answer.response
    }
}

/// Meta's response and error bodies, as the drop-in endpoint answers them.
enum CloudAPIShapes {
    /// The answer for a stored message whose first attempt reached `state` (nil: not in time), and whether
    /// it gave the application Pigeon's id.
    static func answer(for record: MessageRecord, after state: MessageState?) -> (response: Response, usesPigeonID: Bool) {
        if let state, state.status.deliveryRank != nil, let wamid = state.wamid {
            return (accepted(record, id: wamid), false)
        }
        if let state, state.status == .failed, let error = state.lastError {
            let response = metaError(
                code: error.code ?? 100, status: error.httpStatus ?? 400, title: error.title, details: error.details,
                trace: record.id.rawValue)
            return (response, false)
        }
        return (accepted(record, id: record.id.rawValue), true)
    }

    /// Meta's success shape with message id `id`.
    static func accepted(_ record: MessageRecord, id: String) -> Response {
        var message: [String: Any] = ["id": id]
        if record.type == "template" { message["message_status"] = "accepted" }
        return JSONBody.response(
            [
                "messaging_product": "whatsapp",
                "contacts": [["input": record.recipient, "wa_id": record.recipient.filter(\.isNumber)]],
                "messages": [message],
            ], status: .ok)
    }

    /// Meta's error shape.
    static func metaError(code: Int, status: Int, title: String, details: String?, trace: String) -> Response {
        JSONBody.response(
            [
                "error": [
                    "message": "(#\(code)) \(title)", "type": "OAuthException", "code": code,
                    "error_data": ["messaging_product": "whatsapp", "details": details ?? title],
                    "fbtrace_id": "pigeon-\(trace)",
                ] as [String: Any]
            ], status: .init(code: status))
    }

    /// An `APIError` in Meta's shape: authentication failures as 190, an unavailable database as 2 (Meta's
    /// transient "API Service", which clients retry), other server faults as 1, the rest as 100.
    static func metaError(_ error: APIError) -> Response {
        let (code, title): (Int, String) =
            switch error.status.code {
            case 401: (190, "Invalid OAuth access token")
            case 503: (2, "Service temporarily unavailable")
            case 500...: (1, "An unknown error occurred")
            default: (100, "Invalid parameter")
            }
        var response = metaError(code: code, status: error.status.code, title: title, details: error.message, trace: error.code)
        for field in error.headers { response.headers.append(field) }
        return response
    }
}
