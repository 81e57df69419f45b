import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Keep-alive HTTP/1.1 connections to one origin (plain or TLS), one exchange per connection at a time:
/// the lean client on the send path. Requests beyond `maxConnections` wait in order for a free connection.
///
/// It exists because each request costs far less CPU here than through a general-purpose client
/// (about 30 µs against 230 µs with AsyncHTTPClient on the benchmark machine; see docs/BENCHMARKS.md).
final class HTTP1ConnectionPool: Sendable {
    /// Largest response body kept (bytes); the rest is dropped.
    static let maxResponseBytes = 1 << 20

    let origin: HTTP1Origin
    let requestTimeout: TimeAmount
    let connectTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let maxConnections: Int
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?

    private struct State {
        var idle: [HTTP1Connection] = []
        var connections: [ObjectIdentifier: HTTP1Connection] = [:]
        var connecting = 0
        var waiting = CircularBuffer<HTTP1Exchange>()
        var shutDown = false

        var hasRoom: Bool { connections.count + connecting < capacity }
        let capacity: Int
    }
    private let state: Mutex<State>

    /// Errors creating a pool.
    enum SetupError: Error, CustomStringConvertible {
        case invalidBaseURL(String)
        var description: String {
            switch self {
            case .invalidBaseURL(let url): "not an http:// or https:// URL with a host: \(url)"
            }
        }
    }

    init(
        baseURL: String, maxConnections: Int, requestTimeout: TimeAmount, connectTimeout: TimeAmount,
        idleTimeout: TimeAmount = .seconds(60), tlsConfiguration: TLSConfiguration? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        guard let origin = HTTP1Origin(baseURL: baseURL) else { throw SetupError.invalidBaseURL(baseURL) }
        self.origin = origin
        self.maxConnections = max(1, maxConnections)
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.group = group
        if origin.useTLS {
            var configuration = tlsConfiguration ?? .makeClientConfiguration()
            configuration.applicationProtocols = ["http/1.1"]
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        state = Mutex(State(capacity: self.maxConnections))
    }

    /// Runs `request`; `completion` is called exactly once, on an event loop thread, and must not block.
    func execute(_ request: HTTP1Request, completion: @escaping @Sendable (HTTP1Result) -> Void) {
        submit(HTTP1Exchange(request: request, completion: completion))
    }

    private enum SubmitAction {
        case run(HTTP1Connection)
        case connect
        case wait
        case refuse
    }

    /// Puts an exchange that has not been written on a free connection, or in line for one.
    func submit(_ exchange: HTTP1Exchange) {
        let action = state.withLock { state -> SubmitAction in
            if state.shutDown { return .refuse }
            if let connection = state.idle.popLast() { return .run(connection) }
            state.waiting.append(exchange)
            guard state.hasRoom else { return .wait }
            state.connecting += 1
            return .connect
        }
        switch action {
        case .run(let connection): connection.run(exchange)
        case .connect: connect()
        case .wait: break
        case .refuse: exchange.complete(.notSent("the Cloud API client is shut down"))
        }
    }

    /// A connection finished an exchange and can take the next one.
    func release(_ connection: HTTP1Connection) {
        var expired: [HTTP1Exchange] = []
        let next = state.withLock { state -> HTTP1Exchange?? in
            if state.shutDown { return .some(nil) }
            let cutoff = NIODeadline.now() - requestTimeout
            while let exchange = state.waiting.popFirst() {
                if exchange.enqueuedAt < cutoff {
                    expired.append(exchange)
                    continue
                }
                return exchange
            }
            state.idle.append(connection)
            return nil
        }
        for exchange in expired {
            exchange.complete(.notSent("no connection to \(origin.hostHeader) became free within \(requestTimeout)"))
        }
        switch next {
        case .some(.some(let exchange)): connection.run(exchange)
        case .some(.none): connection.close()
        case .none: break
        }
    }

    /// A new connection is up.
    func connected(_ connection: HTTP1Connection) {
        state.withLock { state in
            state.connecting -= 1
            state.connections[ObjectIdentifier(connection)] = connection
        }
        release(connection)
    }

    /// Takes an idle connection out of the pool so it can close; false if it is busy again.
    func retire(_ connection: HTTP1Connection) -> Bool {
        state.withLock { state in
            guard let index = state.idle.firstIndex(where: { $0 === connection }) else { return false }
            state.idle.remove(at: index)
            return true
        }
    }

    /// A connection closed; opens another if requests are waiting.
    func closed(_ connection: HTTP1Connection) {
        let reconnect = state.withLock { state -> Bool in
            state.connections[ObjectIdentifier(connection)] = nil
            if let index = state.idle.firstIndex(where: { $0 === connection }) { state.idle.remove(at: index) }
            guard !state.shutDown, !state.waiting.isEmpty, state.hasRoom else { return false }
            state.connecting += 1
            return true
        }
        if reconnect { connect() }
    }

    private func connectFailed(_ error: any Error) {
        let failed = state.withLock { state -> [HTTP1Exchange] in
            state.connecting -= 1
            guard state.connections.isEmpty, state.connecting == 0 else { return [] }
            defer { state.waiting.removeAll() }
            return Array(state.waiting)
        }
        for exchange in failed {
            exchange.complete(.notSent("connecting to \(origin.hostHeader) failed: \(error)"))
        }
    }

    private func connect() {
        let tls = self.tls
        let origin = self.origin
        ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let hostname = origin.isIPAddress ? nil : origin.host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTP1Connection(pool: self, eventLoop: channel.eventLoop))
                }
            }
            .connect(host: origin.host, port: origin.port)
            .whenFailure { error in self.connectFailed(error) }
    }

    /// Refuses new requests, fails those waiting as not sent, and closes every connection
    /// (an exchange still running ends as unknown).
    func shutdown() {
        let (waiting, connections) = state.withLock { state in
            state.shutDown = true
            defer {
                state.waiting.removeAll()
                state.idle.removeAll()
            }
            return (Array(state.waiting), Array(state.connections.values))
        }
        for exchange in waiting { exchange.complete(.notSent("the Cloud API client is shut down")) }
        for connection in connections { connection.close() }
    }
}
