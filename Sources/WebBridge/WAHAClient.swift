import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PigeonCore

/// WAHA's session API (`/api/sessions/{session}` and its `start`, `stop`, `restart`, `logout`), with the
/// `X-Api-Key` of the sender's bridge. Every call is bounded by `timeout`; a bridge that cannot be reached is
/// a `BridgeFailure`, never a thrown error.
public struct WAHAClient: Sendable {
    /// How long one call may take (default 10 s).
    public var timeout: Duration

    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    /// Where a session lives: the bridge's base URL, its API key and the session's name.
    public struct Session: Sendable, Hashable {
        public var baseURL: String
        public var apiKey: String?
        public var name: String

        public init(baseURL: String, apiKey: String?, name: String) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.name = name
        }
    }

    /// Why a call did not work: the bridge could not be reached, or answered an error status.
    public struct BridgeFailure: Error, Sendable, Hashable, CustomStringConvertible {
        public var status: Int?
        public var reason: String
        public var description: String { status.map { "HTTP \($0): \(reason)" } ?? reason }
    }

    /// The session's status.
    public func status(_ session: Session) async -> Result<BridgeSessionStatus, BridgeFailure> {
        switch await call(.GET, session, path: "/api/sessions/\(session.name)") {
        case .failure(let failure):
            return .failure(failure)
        case .success(let body):
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            guard let text = object?["status"] as? String, let status = BridgeSessionStatus(rawValue: text) else {
                return .failure(BridgeFailure(status: nil, reason: "the bridge answered without a known session status"))
            }
            return .success(status)
        }
    }

    /// The session actions WAHA offers.
    public enum Action: String, Sendable {
        case start, stop, restart, logout
    }

    /// Asks the bridge to `action` the session; nil when it did.
    public func perform(_ action: Action, _ session: Session) async -> BridgeFailure? {
        if case .failure(let failure) = await call(.POST, session, path: "/api/sessions/\(session.name)/\(action.rawValue)") {
            return failure
        }
        return nil
    }

    private func call(_ method: HTTPMethod, _ session: Session, path: String) async -> Result<Data, BridgeFailure> {
        var request = HTTPClientRequest(url: session.baseURL + path)
        request.method = method
        if let key = session.apiKey { request.headers.add(name: "X-Api-Key", value: key) }
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                return .failure(BridgeFailure(status: status, reason: String(decoding: body.prefix(300), as: UTF8.self)))
            }
            return .success(body)
        } catch {
            return .failure(BridgeFailure(status: nil, reason: "the bridge at \(session.baseURL) cannot be reached: \(error)"))
        }
    }
}
