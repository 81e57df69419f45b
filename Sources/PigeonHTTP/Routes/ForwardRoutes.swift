import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// `GET /v1/forwards` (events forwarded to the application; `?status=failed` is the dead-letter list) and
/// `POST /v1/forwards/{id}/retry`.
struct ForwardRoutes {
    let service: MessageService

    func register(on router: Router<PigeonRequestContext>) {
        router.get("/v1/forwards") { request, _ in try await list(request) }
        router.post("/v1/forwards/:id/retry") { _, context in try await retry(context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var status: ForwardStatus?
        if let text = query.get("status") {
            guard let value = ForwardStatus(rawValue: text) else {
                throw APIError(
                    .badRequest, "invalid_status",
                    "status must be one of \(ForwardStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        let (limit, cursor) = try MessageRoutes.pagination(query)
        let page = try await service.forwards(status: status, limit: limit, cursor: cursor)
        return JSONBody.response([
            "forwards": page.forwards.map(Self.view),
            "next_cursor": page.next.map { String($0) } ?? NSNull(),
        ])
    }

    private func retry(_ context: PigeonRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = Int64(text) else {
            throw APIError(.badRequest, "invalid_id", "a forward id is a number, as listed by GET /v1/forwards")
        }
        switch try await service.retryForward(id) {
        case nil: throw APIError(.notFound, "not_found", "no forward with id \(id)")
        case false?: throw APIError(.conflict, "invalid_state", "only failed forwards can be retried")
        case true?: return JSONBody.response(["id": id, "status": ForwardStatus.queued.rawValue])
        }
    }

    static func view(_ forward: ForwardRecord) -> [String: Any] {
        [
            "id": forward.id,
            "destination": forward.destination.rawValue,
            "key": forward.key,
            "status": forward.status.rawValue,
            "attempts": forward.attempts,
            "next_attempt_at": JSONBody.date(forward.nextAttemptAt),
            "last_error": JSONBody.value(forward.lastError),
            "last_http_status": JSONBody.value(forward.lastHTTPStatus),
            "created_at": JSONBody.date(forward.createdAt),
            "delivered_at": JSONBody.date(forward.deliveredAt),
            "body": (try? JSONSerialization.jsonObject(with: forward.body)) ?? NSNull(),
        ]
    }
}
