import Foundation
import Hummingbird
import Synchronization

/// The simulator's WAHA bridge: sessions with WAHA's statuses and actions (`GET /api/sessions/{session}`,
/// `POST …/start`, `stop`, `restart`, `logout`), scripted from `/_sim/waha/sessions/{session}`
/// (`BridgeSimulator.Script` as JSON: a drop by status, pairing, failing starts or restarts). A session is
/// paired and `STOPPED` until first started; a logout forgets its pairing (a QR code is then waiting).
final class BridgeSimulator: Sendable {
    /// One session at the bridge, and what was asked of it.
    struct Session: Codable, Sendable, Hashable {
        var status = "STOPPED"
        var paired = true
        var startFails = 0
        var restartFails = 0
        var starts = 0
        var stops = 0
        var restarts = 0
        var logouts = 0

        enum CodingKeys: String, CodingKey {
            case status, paired, starts, stops, restarts, logouts
            case startFails = "start_fails"
            case restartFails = "restart_fails"
        }
    }

    /// A change to a session: set its status (`FAILED` is a logged-out drop), its pairing, or make the next
    /// starts or restarts fail.
    struct Script: Codable, Sendable {
        var status: String?
        var paired: Bool?
        var startFails: Int?
        var restartFails: Int?

        enum CodingKeys: String, CodingKey {
            case status, paired
            case startFails = "start_fails"
            case restartFails = "restart_fails"
        }
    }

    static let statuses: Set<String> = ["STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED"]
    let sessions = Mutex<[String: Session]>([:])

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/sessions/:session") { _, context in
            let name = context.parameters.get("session") ?? "default"
            let session = self.sessions.withLock { $0[name, default: Session()] }
            let me: Any = session.status == "WORKING" ? ["id": "15550009999@c.us"] : NSNull()
            return MetaSimulator.json(["name": name, "status": session.status, "me": me])
        }
        for action in ["start", "stop", "restart", "logout"] {
            router.post("/api/sessions/:session/\(action)") { _, context in
                let name = context.parameters.get("session") ?? "default"
                let session = self.sessions.withLock { sessions in
                    var session = sessions[name, default: Session()]
                    Self.apply(action, to: &session)
                    sessions[name] = session
                    return session
                }
                return MetaSimulator.json(["name": name, "status": session.status])
            }
        }
        router.post("/_sim/waha/sessions/:session") { request, context in
            let name = context.parameters.get("session") ?? "default"
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let script = try? JSONDecoder().decode(Script.self, from: Data(buffer: bytes)),
                script.status.map(Self.statuses.contains) ?? true
            else {
                return MetaSimulator.json(
                    ["error": "send {\"status\": \"FAILED\"} (or STOPPED, SCAN_QR_CODE, WORKING), \"paired\", \"start_fails\", \"restart_fails\""],
                    status: .badRequest)
            }
            let session = self.sessions.withLock { sessions in
                var session = sessions[name, default: Session()]
                if let status = script.status { session.status = status }
                if let paired = script.paired { session.paired = paired }
                if let fails = script.startFails { session.startFails = fails }
                if let fails = script.restartFails { session.restartFails = fails }
                sessions[name] = session
                return session
            }
            return try SimulatorControl.encode(session, status: .created)
        }
        router.get("/_sim/waha/sessions/:session") { _, context in
            let name = context.parameters.get("session") ?? "default"
            return try SimulatorControl.encode(self.sessions.withLock { $0[name, default: Session()] })
        }
    }

    /// What WAHA does on `action`: a start or restart brings a paired session to `WORKING` (one waiting for
    /// pairing to `SCAN_QR_CODE`) unless scripted to fail; a stop keeps the credentials; a logout deletes them.
    static func apply(_ action: String, to session: inout Session) {
        let up = session.paired ? "WORKING" : "SCAN_QR_CODE"
        switch action {
        case "start", "restart":
            if action == "start" { session.starts += 1 } else { session.restarts += 1 }
            let fails = action == "start" ? session.startFails : session.restartFails
            if fails > 0 {
                if action == "start" { session.startFails -= 1 } else { session.restartFails -= 1 }
                session.status = "STOPPED"
            } else {
                session.status = up
            }
        case "stop":
            session.stops += 1
            session.status = "STOPPED"
        default:
            session.logouts += 1
            session.paired = false
            session.status = "SCAN_QR_CODE"
        }
    }
}
