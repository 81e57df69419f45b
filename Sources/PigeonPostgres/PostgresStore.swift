import Foundation
import Logging
import NIOSSL
import PigeonCore
import PostgresNIO

/// The PostgreSQL store: several `pigeon serve` instances share one database. Claims take rows with
/// `FOR UPDATE SKIP LOCKED` under leases, so instances never claim the same message; each write is one
/// transaction, committed with the server's `synchronous_commit` (on by default: durable when answered).
/// Connections come from PostgresNIO's pool (`PIGEON_DATABASE_POOL_SIZE`).
public final class PostgresStore: Sendable {
    /// Connections in the pool unless configured (`PIGEON_DATABASE_POOL_SIZE`).
    public static let defaultPoolSize = 10
    /// How many shards the `/v1/stats` counters are spread over (fewer waits between concurrent writers).
    static let counterShards = 16

    let client: PostgresClient
    let logger: Logger
    /// Where the store connects (the password masked in its description).
    public let url: PostgresDatabaseURL
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, url: PostgresDatabaseURL, logger: Logger) {
        self.client = client
        self.url = url
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Connects to `url` and migrates the database (under an advisory lock, so instances never race).
    public static func open(_ url: PostgresDatabaseURL, poolSize: Int = defaultPoolSize, logger: Logger) async throws
        -> PostgresStore
    {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: try tls(url.sslMode))
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        try await waitForServer(url, tls: configuration.tls, logger: logger)
        let store = PostgresStore(client: PostgresClient(configuration: configuration, backgroundLogger: logger), url: url, logger: logger)
        do {
            try await store.client.withConnection { connection in
                try await PostgresMigrations.migrate(connection, logger: logger)
            }
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// The longest wait between two tries to reach a server that is down at start-up.
    static let maxConnectDelay: Duration = .seconds(30)

    /// Connects once to check the server: refused credentials, a missing database or TLS the server does not
    /// speak throw at once (start-up stops); a server that cannot be reached is tried again with backoff.
    private static func waitForServer(_ url: PostgresDatabaseURL, tls: PostgresClient.Configuration.TLS, logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: try connectionTLS(url.sslMode))
        configuration.options.connectTimeout = .seconds(5)
        var delay: Duration = .seconds(1)
        while true {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
                return
            } catch let error as PSQLError where error.code != .connectionError {
                throw error
            } catch {
                try Task.checkCancellation()
                logger.warning(
                    "PostgreSQL is not reachable; trying again", metadata: ["database": "\(url)", "error": "\(describe(error))", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxConnectDelay)
            }
        }
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

    /// Closes every connection; the store is unusable afterwards.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// Runs `body` in one transaction on a pooled connection.
    func write<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: logger) { connection in try await body(connection) }
    }

    /// Runs `body` on a pooled connection, outside a transaction.
    func read<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
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
