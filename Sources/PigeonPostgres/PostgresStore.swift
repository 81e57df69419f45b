import Foundation
import Logging
import NIOSSL
import PigeonCore
import PostgresNIO
import Synchronization

/// The PostgreSQL store: several `pigeon serve` instances share one database. Claims take rows with
/// `FOR UPDATE SKIP LOCKED` under leases, so instances never claim the same message; each write is one
/// transaction, committed with the server's `synchronous_commit` (on by default: durable when answered).
/// Connections come from PostgresNIO's pool (`PIGEON_DATABASE_POOL_SIZE`).
public final class PostgresStore: Sendable {
    /// Connections in the pool unless configured (`PIGEON_DATABASE_POOL_SIZE`).
    public static let defaultPoolSize = 10
    /// How many shards the `/v1/stats` counters are spread over (fewer waits between concurrent writers).
    static let counterShards = 16

    /// The pooled connections every operation runs on.
    let pool: GuardedPool
    let logger: Logger
    /// Enqueues from concurrent requests, committed together (see `PostgresIntake`).
    let intake: GroupCommit<PostgresIntake.Request, [EnqueueResult]>
    /// The settings of connections made outside the pool (the lead, notifications, reachability).
    let connectionConfiguration: PostgresConnection.Configuration
    /// Holds the lead of the periodic jobs while this store has it.
    let leader: AdvisoryLeader
    /// The channel enqueues notify when they commit.
    static let workChannel = "pigeon_work"
    /// Where the store connects (the password masked in its description).
    public let url: PostgresDatabaseURL
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, url: PostgresDatabaseURL, poolSize: Int, connection: PostgresConnection.Configuration, logger: Logger) {
        let pool = GuardedPool(
            client: client, poolSize: poolSize, reachability: Reachability(configuration: connection, logger: logger), logger: logger)
        self.pool = pool
        intake = PostgresIntake.groupCommit(pool)
        connectionConfiguration = connection
        leader = AdvisoryLeader(configuration: connection, logger: logger)
        self.url = url
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Connects to `url` and migrates the database (under an advisory lock, so instances never race).
    public static func open(
        _ url: PostgresDatabaseURL, poolSize: Int = defaultPoolSize, logger: Logger
    ) async throws
        -> PostgresStore
    {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: try tls(url.sslMode))
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        let connection = try connectionConfiguration(url)
        try await migrateWhenReachable(url, configuration: connection, logger: logger)
        return PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), url: url, poolSize: poolSize,
            connection: connection, logger: logger)
    }

    /// The longest wait between two tries to reach a server that is down at start-up.
    static let maxConnectDelay: Duration = .seconds(30)

    /// Connects on a connection of its own and migrates: refused credentials, a missing database or TLS the
    /// server does not speak throw at once (start-up stops); a server that cannot be reached is tried again
    /// with backoff.
    private static func migrateWhenReachable(
        _ url: PostgresDatabaseURL, configuration: PostgresConnection.Configuration, logger: Logger
    ) async throws {
        var delay: Duration = .seconds(1)
        while true {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                do {
                    try await PostgresMigrations.migrate(connection, logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
                return
            } catch let error as PSQLError where error.code != .connectionError {
                throw error
            } catch {
                try Task.checkCancellation()
                logger.warning(
                    "PostgreSQL is not reachable; trying again",
                    metadata: ["database": "\(url)", "error": "\(describe(error))", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxConnectDelay)
            }
        }
    }

    /// The settings of a single connection to `url` (for the start-up check and the reachability probe).
    private static func connectionConfiguration(_ url: PostgresDatabaseURL) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: try connectionTLS(url.sslMode))
        configuration.options.connectTimeout = .seconds(2)
        return configuration
    }

    private static func connectionTLS(_ mode: PostgresDatabaseURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: tls))
        case .verifyFull: return .require(try NIOSSLContext(configuration: TLSConfiguration.makeClientConfiguration()))
        }
    }

    private static func tls(_ mode: PostgresDatabaseURL.SSLMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return .require(tls)
        case .verifyFull:
            return .require(TLSConfiguration.makeClientConfiguration())
        }
    }

    /// How long closing waits for connections to end (a connection to a server that died may never answer).
    static let closeTimeout: Duration = .seconds(5)

    /// Closes every connection (giving up the lead); the store is unusable afterwards.
    public func close() async {
        await resignLead()
        runner.cancel()
        let runner = runner
        if await withDeadline(Self.closeTimeout, { await runner.value }) == nil {
            logger.warning("closing the database connections did not finish; leaving them", metadata: ["waited": "\(Self.closeTimeout)"])
        }
    }

    /// How long an operation waits for a pooled connection before checking that the server can be reached.
    public static let leaseTimeout: Duration = .seconds(2)
    /// The longest an operation waits for a free connection from a pool that is merely busy.
    public static let maxLeaseWait: Duration = .seconds(30)
    /// The longest an operation holding a connection waits for the database's answer.
    public static let maxOperationTime: Duration = .seconds(10)

    /// Runs `body` in one transaction on a pooled connection.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs `body` on a pooled connection, outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// `error` as a `StoreUnavailable` when it means the database cannot be reached or cannot take writes:
    /// a failed or lost connection, the pool giving up on connecting, the server shutting down or out of
    /// resources (SQLSTATE classes 08, 53, 57P). Other errors (a refused constraint, a bug) are returned as nil.
    static func unavailable(_ error: any Error) -> StoreUnavailable? {
        if let transaction = error as? PostgresTransactionError {
            return (transaction.closureError ?? transaction.beginError ?? transaction.commitError).flatMap(unavailable)
        }
        if error is StoreUnavailable { return error as? StoreUnavailable }
        if let psql = error as? PSQLError {
            guard psql.code == .server else { return StoreUnavailable(describe(psql)) }
            let state = psql.serverInfo?[.sqlState] ?? ""
            return ["08", "53", "57P"].contains(where: state.hasPrefix) ? StoreUnavailable(describe(psql)) : nil
        }
        return String(describing: type(of: error)).contains("ConnectionPoolError") ? StoreUnavailable("\(error)") : nil
    }

    /// What went wrong, in words an operator can act on: the server's own message when it sent one (PostgresNIO's
    /// default description hides everything).
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// A random counter shard for one transaction.
    static func shard() -> Int { Int.random(in: 0..<counterShards) }
}

/// A statement under construction: SQL text with `$n` placeholders and their values.
struct SQL {
    var text: String
    var binds = PostgresBindings()

    init(_ text: String = "") { self.text = text }

    /// Adds `value` as the next parameter and returns its placeholder.
    mutating func bind<T: PostgresDynamicTypeEncodable>(_ value: T?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Adds `data` as the next parameter (bytea) and returns its placeholder.
    mutating func bind(_ data: Data) -> String {
        binds.append(ByteBuffer(bytes: data))
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }
}

extension PostgresConnection {
    /// Runs `sql` and returns its rows, each made random-access for reading columns by name.
    func rows(_ sql: SQL, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await query(sql.query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }

    /// Runs `sql`, discarding its rows; returns how many it returned (a write counts its changes with RETURNING).
    @discardableResult
    func run(_ sql: SQL, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await query(sql.query, logger: logger) { count += 1 }
        return count
    }
}

extension PostgresRandomAccessRow {
    /// The value of `column`, decoded.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self, context: .default)
    }

    /// A millisecond time column as a date.
    func date(_ column: String) throws -> Date? {
        try get(column, as: Int64?.self).map { Date(millisecondsSince1970: $0) }
    }
}

/// Set once an operation holds a connection.
final class StartedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func mark() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Whether the server accepts a new connection right now, checked at most once a second however many
/// callers ask (they share the answer).
actor Reachability {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var checked: (at: ContinuousClock.Instant, problem: String?)?
    private var running: Task<String?, Never>?

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Why the server cannot be reached, or nil when it can.
    func problem() async -> String? {
        if let checked, checked.at.duration(to: .now) < .seconds(1) { return checked.problem }
        if let running { return await running.value }
        let configuration = configuration
        let logger = logger
        let task = Task<String?, Never> {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try? await connection.close()
                return nil
            } catch {
                return PostgresStore.describe(error)
            }
        }
        running = task
        let problem = await task.value
        checked = (.now, problem)
        running = nil
        return problem
    }
}

/// The first of several outcomes of one operation (its result, or a reason to give up on it), handed to the
/// one caller waiting for it; later ones are dropped.
final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<Result<T, any Error>, Never>?
    }
    private let state = Mutex(State())

    var isSettled: Bool { state.withLock { $0.result != nil } }

    /// Records `result` unless an outcome came first, and wakes the waiter.
    func settle(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<T, any Error>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    /// Waits for the first outcome.
    func value() async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Runs `operation` but waits at most `limit` for it: a PostgresNIO call on a connection whose server died
/// can wait forever, and a caller (a shutdown, the lead check) must not. Nil when the time ran out; the
/// operation is then cancelled and left to end by itself.
func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async -> Result<T, any Error>? {
    let outcome = FirstOutcome<T?>()
    let work = Task { outcome.settle(await Result(catching: { try await operation() })) }
    let timer = Task {
        try await Task.sleep(for: limit)
        outcome.settle(.success(nil))
    }
    let result = await outcome.value()
    work.cancel()
    timer.cancel()
    switch result {
    case .success(let value?): return .success(value)
    case .success(nil): return nil
    case .failure(let error): return .failure(error)
    }
}

extension Result where Failure == any Error {
    /// The result of `body`.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
