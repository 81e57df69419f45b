import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import PigeonCore

/// WAHA's HTTP API for one session (shared/whatsapp-web-bridges.md §A): the session's status and actions
/// (`start`, `stop`, `restart`, `logout`), `/me`, the QR code and pairing code, and raw calls for sends,
/// all with the `X-Api-Key` of the sender's bridge. Every call is bounded by `timeout`; a bridge that cannot
/// be reached, or answers an error status, is a `BridgeFailure`, never a thrown error.
public struct WAHAClient: Sendable {
    /// How long one call may take (default 10 s).
    public var timeout: Duration

    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    /// Why a call did not work: the bridge could not be reached (`status` nil; `written` says whether the
    /// request may have reached it), or answered an error status.
    public struct BridgeFailure: Error, Sendable, Hashable, CustomStringConvertible {
        public var status: Int?
        public var reason: String
        public var written: Bool
        public var description: String { status.map { "HTTP \($0): \(reason)" } ?? reason }
    }

    /// The session's status.
    public func status(_ session: BridgeEndpoint) async -> Result<BridgeSessionStatus, BridgeFailure> {
        switch await call(.GET, session, path: "/api/sessions/\(session.session)") {
        case .failure(let failure):
            return .failure(failure)
        case .success(let body):
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            guard let text = object?["status"] as? String, let status = BridgeSessionStatus(rawValue: text) else {
                return .failure(BridgeFailure(status: nil, reason: "the bridge answered without a known session status", written: true))
            }
            return .success(status)
        }
    }

    /// The session's account (`GET /api/sessions/{session}/me`): its restriction and new-chat quota, when the
    /// bridge reports them (nil fields otherwise).
    public func me(_ session: BridgeEndpoint) async -> Result<BridgeAccount, BridgeFailure> {
        await call(.GET, session, path: "/api/sessions/\(session.session)/me").map { BridgeAccount(parsing: $0) }
    }

    /// The session actions WAHA offers.
    public enum Action: String, Sendable {
        case start, stop, restart, logout
    }

    /// Asks the bridge to `action` the session; nil when it did.
    public func perform(_ action: Action, _ session: BridgeEndpoint) async -> BridgeFailure? {
        if case .failure(let failure) = await call(.POST, session, path: "/api/sessions/\(session.session)/\(action.rawValue)") {
            return failure
        }
        return nil
    }

    /// The current QR code: PNG bytes, or the string it encodes when `raw`.
    public func qr(_ session: BridgeEndpoint, raw: Bool) async -> Result<Data, BridgeFailure> {
        await call(.GET, session, path: "/api/\(session.session)/auth/qr\(raw ? "?format=raw" : "?format=image")")
    }

    /// Asks for a pairing code for `phoneNumber` (digits) instead of a QR scan; returns WAHA's answer.
    public func requestCode(_ session: BridgeEndpoint, phoneNumber: String) async -> Result<Data, BridgeFailure> {
        await call(.POST, session, path: "/api/\(session.session)/auth/request-code", body: ["phoneNumber": phoneNumber])
    }

    /// One JSON call to `path` with `body` (POST) or none (GET); the answer's body on a 2xx status.
    public func call(_ method: HTTPMethod, _ session: BridgeEndpoint, path: String, body: [String: Any]? = nil) async -> Result<Data, BridgeFailure> {
        let json = method == .POST ? ((try? JSONSerialization.data(withJSONObject: body ?? [:])) ?? Data("{}".utf8)) : nil
        return await call(method, session, path: path, json: json)
    }

    /// One call to `path` with the JSON text `json` (nil: no body); the answer's body on a 2xx status.
    public func call(_ method: HTTPMethod, _ session: BridgeEndpoint, path: String, json: Data?) async -> Result<Data, BridgeFailure> {
        var request = HTTPClientRequest(url: session.baseURL + path)
        request.method = method
        if let key = session.apiKey { request.headers.add(name: "X-Api-Key", value: key) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.timeInterval * 1e9)))
            let body = Data(buffer: try await response.body.collect(upTo: 4 << 20))
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                return .failure(BridgeFailure(status: status, reason: String(decoding: body.prefix(500), as: UTF8.self), written: true))
            }
            return .success(body)
        } catch {
            return .failure(
                BridgeFailure(
                    status: nil, reason: "the bridge at \(session.baseURL) cannot be reached: \(error)", written: !Self.neverSent(error)))
        }
    }

    /// Whether `error` happened before the request could have reached the bridge (no connection).
    static func neverSent(_ error: Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout || error == .alreadyShutdown { return true }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return true }
        return false
    }
}

/// What WAHA's `/me` tells about the session's account: an active reachout timelock and the new-chat quota
/// (shared/whatsapp-web-bridges.md §A.7).
public struct BridgeAccount: Sendable, Hashable {
    /// Whether WhatsApp restricts it from new contacts now (`reachoutTimelock.isActive`).
    public var restricted: Bool
    /// When that restriction ends (`timeEnforcementEnds`), if the bridge said.
    public var restrictedUntil: Date?
    /// The new-chat quota (`messageCapping`).
    public var capping: NewContactCapping?

    public init(restricted: Bool = false, restrictedUntil: Date? = nil, capping: NewContactCapping? = nil) {
        self.restricted = restricted
        self.restrictedUntil = restrictedUntil
        self.capping = capping
    }

    /// Reads WAHA's `MeInfo` JSON (`null` or unknown fields give an empty account).
    public init(parsing body: Data) {
        let me = (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) as? [String: Any]
        restricted = false
        if let lock = me?["reachoutTimelock"] as? [String: Any], lock["isActive"] as? Bool == true {
            restricted = true
            restrictedUntil = Self.date(lock["timeEnforcementEnds"])
        }
        if let cap = me?["messageCapping"] as? [String: Any], let status = cap["cappingStatus"] as? String {
            capping = NewContactCapping(
                status: status, totalQuota: (cap["totalQuota"] as? NSNumber)?.intValue ?? -1,
                usedQuota: (cap["usedQuota"] as? NSNumber)?.intValue ?? 0, cycleEnd: Self.date(cap["cycleEnd"]))
        }
    }

    /// A unix time in seconds (a number or a numeric string), or an ISO 8601 text.
    static func date(_ value: Any?) -> Date? {
        if let number = value as? NSNumber { return Date(timeIntervalSince1970: number.doubleValue) }
        guard let text = value as? String else { return nil }
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        return ISO8601DateFormatter().date(from: text)
    }
}
