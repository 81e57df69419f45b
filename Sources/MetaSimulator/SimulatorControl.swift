import Foundation
import Hummingbird

/// The simulator's control API under `/_sim`.
struct SimulatorControl {
    let state: SimulatorState

    func register(on router: Router<BasicRequestContext>) {
        router.post("/_sim/rules") { request, _ in
            let bytes = try await request.body.collect(upTo: 1024 * 1024)
            let decoder = JSONDecoder()
            let rules: [SimulatorRule]
            if let many = try? decoder.decode([SimulatorRule].self, from: Data(buffer: bytes)) {
                rules = many
            } else if let one = try? decoder.decode(SimulatorRule.self, from: Data(buffer: bytes)) {
                rules = [one]
            } else {
                return MetaSimulator.json(
                    ["error": "send a rule such as {\"to\": \"+15550001111\", \"times\": 2, \"error\": {\"code\": 131000, \"http_status\": 500}}"],
                    status: .badRequest)
            }
            let added = rules.map(state.addRule)
            return try Self.encode(["rules": added], status: .created)
        }
        router.get("/_sim/rules") { _, _ in try Self.encode(["rules": state.rules]) }
        router.delete("/_sim/rules") { _, _ in
            state.clearRules()
            return MetaSimulator.json(["cleared": true])
        }
        router.get("/_sim/requests") { request, _ in
            var received = state.received
            if let to = request.uri.queryParameters.get("to") {
                received = received.filter { $0.to.map(SimulatorRule.digits) == SimulatorRule.digits(to) }
            }
            return try Self.encode(RequestList(count: received.count, requests: received))
        }
        router.delete("/_sim/requests") { _, _ in
            state.clearReceived()
            return MetaSimulator.json(["cleared": true])
        }
        router.post("/_sim/webhooks") { request, _ in
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let configuration = try? JSONDecoder().decode(SimulatorWebhooks.self, from: Data(buffer: bytes)) else {
                return MetaSimulator.json(
                    [
                        "error":
                            "send {\"url\": \"http://127.0.0.1:8080/webhooks/meta\", \"secret\": \"<app secret>\"} and optionally statuses, delay_ms, duplicate, reorder"
                    ],
                    status: .badRequest)
            }
            state.webhooks = configuration
            return try Self.encode(configuration.redacted, status: .created)
        }
        router.get("/_sim/webhooks") { _, _ in
            guard let configuration = state.webhooks else { return MetaSimulator.json(["webhooks": "off"]) }
            return try Self.encode(configuration.redacted)
        }
        router.delete("/_sim/webhooks") { _, _ in
            state.webhooks = nil
            return MetaSimulator.json(["webhooks": "off"])
        }
        router.post("/_sim/tokens/revoke") { request, _ in
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let body = try? JSONDecoder().decode([String: String].self, from: Data(buffer: bytes)), let token = body["token"] else {
                return MetaSimulator.json(["error": "send {\"token\": \"<access token>\"}"], status: .badRequest)
            }
            state.revoke(token)
            return MetaSimulator.json(["revoked": MetaSimulator.tokenDigest(token)])
        }
        router.post("/_sim/numbers/:id") { request, context in
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let id = context.parameters.get("id"),
                let number = try? JSONDecoder().decode(SimulatedNumber.self, from: Data(buffer: bytes))
            else {
                return MetaSimulator.json(
                    ["error": "send {\"health_status\": \"BLOCKED\", \"quality_rating\": \"RED\", \"messaging_limit\": \"TIER_250\"}"],
                    status: .badRequest)
            }
            state.setNumber(id, number)
            return try Self.encode(number, status: .created)
        }
        router.post("/_sim/reset") { _, _ in
            state.clearRules()
            state.clearReceived()
            state.clearAccounts()
            return MetaSimulator.json(["reset": true])
        }
    }

    struct RequestList: Encodable {
        var count: Int
        var requests: [ReceivedRequest]
    }

    static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
