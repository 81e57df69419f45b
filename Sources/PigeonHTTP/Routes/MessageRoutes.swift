import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PigeonCore
import PigeonEngine

/// `POST /v1/messages`, `POST /v1/messages/batch`, `GET /v1/messages/{id}`, `GET /v1/messages`.
struct MessageRoutes {
    let service: MessageService
    let validator = MessageValidator()
    /// Most messages in one batch.
    static let maxBatchItems = 1000
    /// Default and largest page size of a listing.
    static let defaultPageSize = 100
    static let maxPageSize = 1000
    /// The header that carries an idempotency key.
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    func register(on router: Router<PigeonRequestContext>) {
        router.post("/v1/messages") { request, _ in try await create(request) }
        router.post("/v1/messages/batch") { request, _ in try await batch(request) }
        router.get("/v1/messages/:id") { _, context in try await show(context) }
        router.get("/v1/messages") { request, _ in try await list(request) }
    }

    /// `limit` (1 to `maxPageSize`, default `defaultPageSize`) and `cursor` (a previous page's `next_cursor`;
    /// empty or absent for the first page).
    static func pagination(_ query: Parameters) throws -> (limit: Int, cursor: Int64?) {
        var limit = Self.defaultPageSize
        if let text = query.get("limit") {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                throw APIError(.badRequest, "invalid_limit", "limit must be a whole number from 1 to \(Self.maxPageSize)")
            }
            limit = value
        }
        var cursor: Int64?
        if let text = query.get("cursor"), !text.isEmpty {
            guard let value = Int64(text), value > 0 else {
                throw APIError(.badRequest, "invalid_cursor", "cursor must be the next_cursor value of a previous page")
            }
            cursor = value
        }
        return (limit, cursor)
    }

    /// The validated message in a one-message request body; every problem is a 4xx that says what to fix.
    static func message(in request: Request, validator: MessageValidator) async throws -> MessageRequest {
        let bytes = try await RequestBody.json(request, limit: RequestBody.maxMessageBytes)
        do {
            return try validator.validate(json: bytes)
        } catch {
            throw APIError(.badRequest, error.code, error.message)
        }
    }

    private func create(_ request: Request) async throws -> Response {
        var parsed = try await Self.message(in: request, validator: validator)
        if let header = request.headers[Self.idempotencyHeader] {
            guard !header.isEmpty, header.count <= MessageValidator.maxIdempotencyKeyLength else {
                throw APIError(
                    .badRequest, "invalid_idempotency_key",
                    "the Idempotency-Key header must have 1 to \(MessageValidator.maxIdempotencyKeyLength) characters")
            }
            if let key = parsed.idempotencyKey, key != header {
                throw APIError(
                    .unprocessableContent, "conflicting_idempotency_key",
                    "the Idempotency-Key header and the body's idempotency_key differ; send one of them")
            }
            parsed.idempotencyKey = header
        }
        try await service.refuseOptedOut([parsed])
        let message = service.newMessage(parsed, requestHash: Self.hash(parsed))
        switch try await service.accept([message])[0] {
        case .created(let record):
            return JSONBody.response(MessageView.accepted(record), status: .accepted)
        case .replayed(let record):
            let detail = try await service.message(record.id)
            return JSONBody.response(detail.map { MessageView.message($0) } ?? MessageView.message(record), status: .ok)
        case .conflict(let existing):
            throw Self.conflict(existing)
        }
    }

    private func batch(_ request: Request) async throws -> Response {
        let object = try RequestBody.object(try await RequestBody.json(request, limit: RequestBody.maxBatchBytes))
        guard let items = object["messages"] as? [Any] else {
            throw APIError(.badRequest, "invalid_batch", "the body must be {\"messages\": [ … ]} with 1 to \(Self.maxBatchItems) messages")
        }
        guard !items.isEmpty, items.count <= Self.maxBatchItems else {
            throw APIError(.badRequest, "invalid_batch_size", "a batch holds 1 to \(Self.maxBatchItems) messages; this one has \(items.count)")
        }
        var messages: [NewMessage] = []
        var requests: [MessageRequest] = []
        var problems: [[String: Any]] = []
        for (index, item) in items.enumerated() {
            do {
                let parsed = try validator.validate(object: item, path: "messages[\(index)].")
                requests.append(parsed)
                messages.append(service.newMessage(parsed, requestHash: Self.hash(parsed)))
            } catch {
                problems.append(["index": index, "code": error.code, "message": error.message])
            }
        }
        guard problems.isEmpty else {
            return JSONBody.response(
                [
                    "error": [
                        "code": "invalid_batch_items",
                        "message": "\(problems.count) of \(items.count) messages are invalid; nothing was stored. Fix them and send the batch again",
                        "items": problems,
                    ]
                ], status: .badRequest)
        }
        try await service.refuseOptedOut(requests) { "messages[\($0)]: " }
        let results = try await service.accept(messages)
        let views: [[String: Any]] = results.enumerated().map { index, result in
            switch result {
            case .created(let record):
                ["index": index, "id": record.id.rawValue, "status": record.state.status.rawValue, "result": "created"]
            case .replayed(let record):
                ["index": index, "id": record.id.rawValue, "status": record.state.status.rawValue, "result": "replayed"]
            case .conflict(let existing):
                [
                    "index": index, "id": existing.rawValue, "result": "conflict",
                    "error": ["code": "idempotency_conflict", "message": Self.conflict(existing).message],
                ]
            }
        }
        return JSONBody.response(["results": views], status: .accepted)
    }

    private func show(_ context: PigeonRequestContext) async throws -> Response {
        let id = try Self.messageID(context)
        guard let detail = try await service.message(id) else { throw APIError.notFound(id.rawValue) }
        return JSONBody.response(MessageView.message(detail))
    }

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = MessageFilter()
        if let status = query.get("status") {
            guard let parsed = MessageStatus(rawValue: status) else {
                throw APIError(
                    .badRequest, "invalid_status", "status must be one of \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = parsed
        }
        let (limit, cursor) = try Self.pagination(query)
        let page = try await service.list(filter, limit: limit, cursor: cursor)
        return JSONBody.response([
            "messages": page.messages.map { MessageView.message($0) },
            "next_cursor": page.nextCursor.map { String($0) } ?? NSNull(),
        ])
    }

    /// The message id in the path, or a 404 that says what an id looks like.
    static func messageID(_ context: PigeonRequestContext) throws -> MessageID {
        let text = try context.parameters.require("id")
        guard MessageID.isWellFormed(text) else {
            throw APIError(.notFound, "not_found", "no message with id \(text); ids look like msg_01JD…")
        }
        return MessageID(rawValue: text)
    }

    static func conflict(_ existing: MessageID) -> APIError {
        APIError(
            .unprocessableContent, "idempotency_conflict",
            "this idempotency key was already used by message \(existing) with a different request; use a new key for a new message")
    }

    /// A digest of everything that decides what is sent, compared when an idempotency key is replayed.
    static func hash(_ request: MessageRequest) -> String? {
        guard request.idempotencyKey != nil else { return nil }
        return SHA256.hash(data: Array(request.fingerprint.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
