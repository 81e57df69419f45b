import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// Operator actions on messages: retry (one or in bulk), cancel, delete.
struct OperatorRoutes {
    let service: MessageService

    func register(on router: Router<PigeonRequestContext>) {
        router.post("/v1/messages/retry") { request, _ in try await retryAll(request) }
        router.post("/v1/messages/:id/retry") { _, context in
            try await transition(context, action: "retried") { try await service.retry($0) }
        }
        router.post("/v1/messages/:id/cancel") { _, context in
            try await transition(context, action: "cancelled") { try await service.cancel($0) }
        }
        router.delete("/v1/messages/:id") { _, context in try await delete(context) }
    }

    private func transition(
        _ context: PigeonRequestContext, action: String, _ apply: (MessageID) async throws -> Transition?
    ) async throws -> Response {
        let id = try MessageRoutes.messageID(context)
        switch try await apply(id) {
        case nil:
            throw APIError.notFound(id.rawValue)
        case .rejected(let reason):
            throw APIError(.conflict, "invalid_state", "message \(id) cannot be \(action): \(reason)")
        case .moved, .unchanged:
            guard let detail = try await service.message(id) else { throw APIError.notFound(id.rawValue) }
            return JSONBody.response(MessageView.message(detail))
        }
    }

    private func retryAll(_ request: Request) async throws -> Response {
        let bytes = try await RequestBody.json(request, limit: RequestBody.maxMessageBytes, optional: true)
        let body = bytes.isEmpty ? [:] : try RequestBody.object(bytes)
        let filter = try Self.retryFilter(body)
        let requeued = try await service.retryAll(filter)
        return JSONBody.response(["requeued": requeued])
    }

    /// The filter of a retry-all request (`status` may only be `failed`; `error_code`, `class`, `since`), also
    /// taken by `POST /v1/campaigns/{id}/recipients/retry`.
    static func retryFilter(_ body: [String: Any]) throws -> MessageFilter {
        var filter = MessageFilter(status: .failed)
        if let status = body["status"] {
            guard (status as? String) == MessageStatus.failed.rawValue else {
                throw APIError(.badRequest, "invalid_status", "only failed messages can be retried: omit status or set it to \"failed\"")
            }
        }
        if let code = body["error_code"] {
            guard let number = code as? NSNumber, !CanonicalJSON.isBoolean(number), number.doubleValue == number.doubleValue.rounded(),
                (0...Double(Int32.max)).contains(number.doubleValue)
            else {
                throw APIError(
                    .badRequest, "invalid_error_code", "error_code must be a Meta error code (a whole number from 0 to \(Int32.max)), such as 131000")
            }
            filter.errorCode = number.intValue
        }
        if let errorClass = body["class"] {
            guard let text = errorClass as? String, let parsed = ErrorClass(rawValue: text) else {
                throw APIError(.badRequest, "invalid_class", "class must be one of \(ErrorClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.errorClass = parsed
        }
        if let since = body["since"] {
            guard let text = since as? String, let date = JSONBody.parseDate(text) else {
                throw APIError(.badRequest, "invalid_since", "since must be an ISO 8601 time, such as 2026-11-23T10:00:00Z")
            }
            filter.since = date
        }
        let unknown = Set(body.keys).subtracting(["status", "error_code", "class", "since"])
        guard unknown.isEmpty else {
            throw APIError(
                .badRequest, "unknown_field", "unknown filter \(unknown.sorted().joined(separator: ", ")); use status, error_code, class or since")
        }
        return filter
    }

    private func delete(_ context: PigeonRequestContext) async throws -> Response {
        let id = try MessageRoutes.messageID(context)
        switch try await service.delete(id) {
        case .deleted:
            return JSONBody.response(["id": id.rawValue, "deleted": true])
        case .notFound:
            throw APIError.notFound(id.rawValue)
        case .refused(let status):
            throw APIError(.conflict, "invalid_state", "message \(id) is \(status.rawValue): an attempt is in flight; try again in a moment")
        }
    }
}
