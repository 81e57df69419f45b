import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PigeonTestSupport
import Synchronization

/// A stand-in for the application's webhook handler: records every POST (body and signature) and answers
/// 200, or 503 (recording nothing) while `failing` is set.
final class AppReceiver: Sendable {
    struct Received: Sendable {
        let body: String
        let signature: String?
        /// The alert webhook's `X-Pigeon-Signature-256`.
        let pigeonSignature: String?
    }

    private final class Recorder: Sendable {
        let state = Mutex<(received: [Received], failing: Bool)>(([], false))
    }

    private let recorder: Recorder
    let server: RunningServer

    var received: [Received] { recorder.state.withLock { $0.received } }
    var url: String { server.url + "/hook" }

    func setFailing(_ failing: Bool) { recorder.state.withLock { $0.failing = failing } }

    private init(recorder: Recorder, server: RunningServer) {
        self.recorder = recorder
        self.server = server
    }

    static func start() async -> AppReceiver {
        let recorder = Recorder()
        let logger = RunningServer.quietLogger
        let server = await RunningServer(logger: logger) { onRunning in
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
                let signature = request.headers[HTTPField.Name("X-Hub-Signature-256")!]
                let pigeonSignature = request.headers[HTTPField.Name("X-Pigeon-Signature-256")!]
                let failing = recorder.state.withLock { state -> Bool in
                    if !state.failing { state.received.append(Received(body: body, signature: signature, pigeonSignature: pigeonSignature)) }
                    return state.failing
                }
                return Response(status: failing ? .serviceUnavailable : .ok)
            }
            return Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: logger)
        }
        return AppReceiver(recorder: recorder, server: server)
    }
}
