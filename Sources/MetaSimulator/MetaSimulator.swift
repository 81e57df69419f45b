import Crypto
import Foundation
import Hummingbird
import Logging

/// A fake of Meta's Graph API for tests, demos and the sandbox: `POST /{version}/{phone_number_id}/messages`,
/// `POST …/media` and `GET /{version}/{media_id}` with Meta's response shapes, faults scripted by rules, and a control API under `/_sim`:
///
/// - `POST /_sim/rules` adds a rule (`SimulatorRule` as JSON), `GET /_sim/rules` lists, `DELETE /_sim/rules` clears;
/// - `GET /_sim/requests` lists what was received (`?to=` filters), `DELETE /_sim/requests` forgets it;
/// - `POST /_sim/webhooks` sets where statuses are reported (`SimulatorWebhooks` as JSON), `GET` shows it,
///   `DELETE` stops them;
/// - `POST /_sim/tokens/revoke` (`{"token"}`) expires a token: requests carrying it get error 190;
/// - `POST /_sim/numbers/{phone_number_id}` (`SimulatedNumber` as JSON) sets what its health check reports;
/// - `POST /_sim/reset` clears rules, requests, revoked tokens and number health.
///
/// It also plays a WAHA bridge (`BridgeSimulator`): `/api/sessions/{session}` and its actions, scripted under
/// `/_sim/waha/sessions/{session}`.
public struct MetaSimulator: Sendable {
    let state = SimulatorState()
    /// The WAHA bridge it also plays.
    let bridge = BridgeSimulator()
    /// Shared by every webhook this simulator sends.
    let webhookGate = WebhookGate(limit: MetaSimulator.webhooksInFlight)
    let logger: Logger

    /// The most status webhooks the simulator has in flight at once.
    public static let webhooksInFlight = 16

    public init(logger: Logger = Logger(label: "pigeon.simulator")) {
        self.logger = logger
    }

    /// Reports the statuses of accepted messages by signed webhook (nil: no webhooks).
    public func sendWebhooks(_ configuration: SimulatorWebhooks?) { state.webhooks = configuration }

    /// Makes session `name` of the simulated WAHA bridge paired and `WORKING`, reporting its events by webhook
    /// to `webhookURL` signed with `hmacKey` (the sandbox's web session).
    public func runBridgeSession(_ name: String, webhookURL: String, hmacKey: String) {
        bridge.update(name) { session in
            session.paired = true
            session.status = "WORKING"
            session.webhookUrl = webhookURL
            session.webhookHmac = hmacKey
        }
    }

    /// Every request received so far.
    public var received: [ReceivedRequest] { state.received }

    /// The scripted rules still in force.
    public var rules: [SimulatorRule] { state.rules }

    /// How many media uploads it has taken.
    public var mediaUploads: Int { state.mediaCount }

    /// Adds a rule directly (for in-process use).
    @discardableResult
    public func addRule(_ rule: SimulatorRule) -> SimulatorRule { state.addRule(rule) }

    /// The router with the Graph endpoints and the control API.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/:version/:phone/messages") { request, context in
            try await sendMessage(request, context: context)
        }
        router.post("/:version/:phone/media") { request, _ in
            if let refused = refusal(request) { return refused }
            let body = try await request.body.collect(upTo: 100 * 1024 * 1024)
            if let rule = state.takeUploadRule() {
                if let delay = rule.delayMs { try await Task.sleep(for: .milliseconds(delay)) }
                if let error = rule.error {
                    return Self.graphError(
                        code: error.code, status: error.httpStatus ?? 400, title: error.title ?? "Simulated upload error",
                        details: error.details)
                }
                if let status = rule.httpStatus { return Response(status: .init(code: status)) }
            }
            return Self.json(["id": state.storeMedia(bytes: body.readableBytes)])
        }
        router.get("/:version/:phone") { request, context in
            let id = context.parameters.get("phone") ?? ""  // a media id or a phone number id (one name per depth)
            if let refused = refusal(request) { return refused }
            if request.uri.queryParameters.get("fields")?.contains("health_status") == true { return numberHealth(id) }
            guard let size = state.mediaSize(id) else {
                return Self.graphError(code: 100, status: 400, title: "Invalid parameter", details: "no media with id \(id)")
            }
            return Self.json([
                "messaging_product": "whatsapp", "id": id, "url": "https://lookaside.simulator.invalid/\(id)",
                "mime_type": "application/octet-stream", "sha256": String(repeating: "0", count: 64), "file_size": size,
            ])
        }
        SimulatorControl(state: state).register(on: router)
        bridge.register(on: router)
        return router
    }

    /// An application serving the simulator on `host:port` (port 0 picks a free one; `onRunning` gets it).
    public func application(
        host: String = "127.0.0.1", port: Int, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "pigeon-simulator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    private func sendMessage(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let phone = context.parameters.get("phone") ?? ""
        let bytes = try await request.body.collect(upTo: 1024 * 1024)
        let body = String(buffer: bytes)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        let to = object?["to"] as? String
        let type = object?["type"] as? String
        var received = ReceivedRequest(
            phoneNumberID: phone, to: to, type: type, callbackData: object?["biz_opaque_callback_data"] as? String,
            body: body, responseStatus: 200, wamid: nil, receivedAtMs: Int64(Date().timeIntervalSince1970 * 1000))

        received.tokenSHA256 = Self.bearer(request).map(Self.tokenDigest)
        let response: Response
        if let refused = refusal(request) {
            response = refused
        } else if object?["messaging_product"] as? String != "whatsapp" || to == nil || type == nil {
            response = Self.graphError(
                code: 100, status: 400, title: "Invalid parameter", details: "messaging_product, to and type are required")
        } else if let rule = state.takeRule(to: to, type: type, mediaIDs: object.map { SimulatorRule.mediaIDs(in: $0) } ?? []) {
            if let delay = rule.delayMs, delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            if rule.drop == true {
                received.responseStatus = 0
                state.record(received)
                return Response(status: .ok, body: ResponseBody { _ in throw DroppedConnection() })
            }
            if let error = rule.error {
                response = Self.graphError(
                    code: error.code, status: error.httpStatus ?? 400, title: error.title ?? "Simulated error",
                    details: error.details)
            } else if let status = rule.httpStatus {
                response = Response(
                    status: .init(code: status), headers: [.contentType: "text/html"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "<html><body>\(status)</body></html>")))
            } else {
                response = success(to: to!, type: type!, received: &received, asyncError: rule.asyncError)
            }
        } else {
            response = success(to: to!, type: type!, received: &received, asyncError: nil)
        }
        received.responseStatus = Int(response.status.code)
        state.record(received)
        return response
    }

    private func success(
        to: String, type: String, received: inout ReceivedRequest, asyncError: SimulatorRule.GraphErrorSpec?
    ) -> Response {
        let wamid = state.nextWamid()
        received.wamid = wamid
        if let webhooks = state.webhooks {
            WebhookEmitter(configuration: webhooks, gate: webhookGate, logger: logger).emit(
                for: .init(
                    wamid: wamid, phoneNumberID: received.phoneNumberID, to: to, callbackData: received.callbackData,
                    asyncError: asyncError))
        }
        var message: [String: Any] = ["id": wamid]
        if type == "template" { message["message_status"] = "accepted" }
        return Self.json([
            "messaging_product": "whatsapp",
            "contacts": [["input": to, "wa_id": SimulatorRule.digits(to)]],
            "messages": [message],
        ])
    }

    /// The 190 answer for a request without a bearer token or with a revoked one; nil when it may go on.
    private func refusal(_ request: Request) -> Response? {
        guard let token = Self.bearer(request) else {
            return Self.graphError(code: 190, status: 401, title: "Invalid OAuth access token", details: "missing bearer token")
        }
        guard !state.isRevoked(token) else {
            return Self.graphError(
                code: 190, status: 401, title: "Error validating access token: Session has expired", details: "the token was revoked")
        }
        return nil
    }

    /// The phone number health check's answer for `id`.
    private func numberHealth(_ id: String) -> Response {
        let number = state.number(id)
        return Self.json([
            "id": id, "quality_rating": number.qualityRating, "whatsapp_business_manager_messaging_limit": number.messagingLimit,
            "throughput": ["level": "STANDARD"],
            "health_status": [
                "can_send_message": number.healthStatus,
                "entities": [["entity_type": "PHONE_NUMBER", "id": id, "can_send_message": number.healthStatus]],
            ],
        ])
    }

    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst("Bearer ".count))
    }

    /// The first 16 hex digits of the SHA-256 of `token`, which requests are recorded with.
    public static func tokenDigest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func graphError(code: Int, status: Int, title: String, details: String?) -> Response {
        var error: [String: Any] = [
            "message": "(#\(code)) \(title)", "type": "OAuthException", "code": code,
            "fbtrace_id": "SIM\(UInt32.random(in: 0...UInt32.max))",
        ]
        error["error_data"] = ["messaging_product": "whatsapp", "details": details ?? title]
        return json(["error": error], status: .init(code: status))
    }

    /// `object` as a JSON response; a top-level `null` or scalar is allowed (WAHA answers `null` for the
    /// account of a session that is not working). Foundation traps, rather than throws, on a top-level
    /// fragment without `.fragmentsAllowed`.
    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .fragmentsAllowed])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Thrown while writing a response to close the connection without an answer.
    struct DroppedConnection: Error {}
}
