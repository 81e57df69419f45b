import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// `/v1/senders`: create, list, read, change and delete senders, the operator's actions on one (pause,
/// resume, connect, disconnect), and a web session's pairing (its QR code, a pairing code).
struct SenderRoutes {
    let senders: SenderService

    /// Largest sender request body (16 KiB).
    static let maxBodyBytes = 16 * 1024

    func register(on router: Router<PigeonRequestContext>) {
        router.post("/v1/senders") { request, _ in try await create(request) }
        router.get("/v1/senders") { _, _ in
            let records = try await senders.reload()
            let today = try await senders.sentToday()
            return JSONBody.response([
                "senders": records.map { SenderView.sender($0, secrets: senders.secrets(for: $0.id), sentToday: today[$0.id] ?? 0) }
            ])
        }
        router.get("/v1/senders/:id") { _, context in try await view(try await existing(context)) }
        router.patch("/v1/senders/:id") { request, context in try await update(request, context) }
        router.delete("/v1/senders/:id") { request, context in try await delete(request, context) }
        router.post("/v1/senders/:id/resume") { _, context in
            let sender = try await existing(context)
            guard sender.health.status == .paused else {
                throw APIError(
                    .conflict, "not_paused",
                    "sender \(sender.id) is \(sender.health.status.rawValue), not paused\(sender.health.status == .disabled ? "; enable it with PATCH {\"enabled\": true}" : "")"
                )
            }
            return try await act(.resume, on: sender)
        }
        router.post("/v1/senders/:id/pause") { _, context in try await act(.pause, on: try await existing(context)) }
        router.post("/v1/senders/:id/connect") { _, context in
            let sender = try await existing(context)
            guard sender.health.status != .disabled else {
                throw APIError(.conflict, "disabled", "sender \(sender.id) is disabled; enable it with PATCH {\"enabled\": true}")
            }
            return try await act(.connect, on: sender)
        }
        router.post("/v1/senders/:id/disconnect") { request, context in
            let sender = try await existing(context)
            let bytes = try await RequestBody.json(request, limit: Self.maxBodyBytes, optional: true)
            let body = bytes.isEmpty ? [:] : try RequestBody.object(bytes)
            if let unknown = body.keys.sorted().first(where: { $0 != "forget_session" }) {
                throw APIError(.badRequest, "unknown_field", "\(unknown) is not a field; the body may hold {\"forget_session\": true}")
            }
            var forget = false
            if let value = body["forget_session"] {
                guard CanonicalJSON.isBoolean(value), let flag = value as? Bool else {
                    throw APIError(.badRequest, "invalid_forget_session", "forget_session must be true or false")
                }
                forget = flag
            }
            guard sender.health.status != .disabled else {
                throw APIError(.conflict, "disabled", "sender \(sender.id) is disabled")
            }
            return try await act(.disconnect(forgetSession: forget), on: sender)
        }
        router.get("/v1/senders/:id/qr") { request, context in
            let json = request.headers[.accept]?.contains("application/json") == true
            return try await pairing(json ? .qrValue : .qrImage, context)
        }
        router.post("/v1/senders/:id/pairing-code") { request, context in
            let body = try RequestBody.object(try await RequestBody.json(request, limit: Self.maxBodyBytes))
            if let unknown = body.keys.sorted().first(where: { $0 != "phone_number" }) {
                throw APIError(.badRequest, "unknown_field", "\(unknown) is not a field; send {\"phone_number\": \"15551234567\"}")
            }
            guard let phone = body["phone_number"] as? String, phone.wholeMatch(of: /\+?[0-9]{8,15}/) != nil else {
                throw APIError(
                    .badRequest, "invalid_phone_number",
                    "phone_number must be the session's phone number in international format, 8 to 15 digits (such as \"15551234567\")")
            }
            return try await pairing(.code(phoneNumber: phone.filter(\.isNumber)), context)
        }
    }

    /// Asks a web session's bridge for its QR code or a pairing code.
    private func pairing(_ request: PairingRequest, _ context: PigeonRequestContext) async throws -> Response {
        let sender = try await existing(context)
        guard sender.kind == .webSession else {
            throw APIError(.conflict, "not_a_web_session", "sender \(sender.id) is a \(sender.kind.rawValue): only web sessions are paired")
        }
        if let step = sender.health.pairingStep, step != .qrCode {
            throw APIError(.conflict, "passkey_required", step.instructions)
        }
        switch try await senders.pair(sender.id, request) {
        case nil:
            throw Self.notFound(sender.id)
        case .image(let png)?:
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
        case .value(let value)?:
            return JSONBody.response(["value": value])
        case .code(let code)?:
            return JSONBody.response(["code": code])
        case .notWaiting(let said)?:
            throw APIError(
                .conflict, "not_waiting_for_pairing",
                "sender \(sender.id) is \(sender.health.status.rawValue) and its session is not waiting for a QR code (the bridge said: \(said.prefix(200)))"
            )
        case .failed(let reason)?:
            throw APIError(
                .conflict, "bridge_unavailable",
                "the session's bridge did not answer (check the sender's bridge.url and that WAHA runs): \(reason.prefix(300))")
        case .unsupported?:
            throw APIError(.conflict, "not_a_web_session", "sender \(sender.id) has no bridge to pair with")
        }
    }

    private func create(_ request: Request) async throws -> Response {
        let draft = try SenderRequestValidator.draft(json: try await RequestBody.json(request, limit: Self.maxBodyBytes))
        guard let record = try await senders.create(draft) else {
            throw APIError(.conflict, "sender_exists", "a sender with the id \(draft.id) exists; change it with PATCH /v1/senders/\(draft.id)")
        }
        var response = try await view(senders.cached(record.id) ?? record)
        response.status = .created
        response.headers[.location] = "/v1/senders/\(record.id)"
        return response
    }

    private func update(_ request: Request, _ context: PigeonRequestContext) async throws -> Response {
        let sender = try await existing(context)
        let patch = try SenderRequestValidator.patch(
            json: try await RequestBody.json(request, limit: Self.maxBodyBytes), kind: sender.kind)
        guard let updated = try await senders.update(sender.id, patch) else { throw Self.notFound(sender.id) }
        return try await view(senders.cached(updated.id) ?? updated)
    }

    private func delete(_ request: Request, _ context: PigeonRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let force: Bool
        switch request.uri.queryParameters.get("force") {
        case nil, "false": force = false
        case "true": force = true
        case let other?: throw APIError(.badRequest, "invalid_force", "force must be true or false, not \"\(other)\"")
        }
        let (result, cancelled) = try await senders.delete(id, force: force)
        switch result {
        case .deleted:
            return JSONBody.response(["id": id, "deleted": true, "cancelled_messages": cancelled])
        case .notFound:
            throw Self.notFound(id)
        case .hasUnsentMessages(let count):
            throw APIError(
                .conflict, "sender_has_messages",
                "\(count) unsent message\(count == 1 ? " is" : "s are") pinned to sender \(id); wait for them, or delete with ?force=true to cancel them"
            )
        }
    }

    private func act(_ event: SenderEvent, on sender: SenderRecord) async throws -> Response {
        guard let (_, after) = try await senders.apply(event, to: sender.id) else { throw Self.notFound(sender.id) }
        return try await view(senders.cached(after.id) ?? after)
    }

    private func existing(_ context: PigeonRequestContext) async throws -> SenderRecord {
        let id = try context.parameters.require("id")
        guard let sender = try await senders.sender(id) else { throw Self.notFound(id) }
        return sender
    }

    private func view(_ record: SenderRecord) async throws -> Response {
        let today = try await senders.sentToday()
        return JSONBody.response(SenderView.sender(record, secrets: senders.secrets(for: record.id), sentToday: today[record.id] ?? 0))
    }

    static func notFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "no sender with id \(id); list them with GET /v1/senders")
    }
}
