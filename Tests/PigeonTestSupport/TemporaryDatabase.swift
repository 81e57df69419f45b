import Foundation
import Logging
import PigeonCore
import PigeonEngine
import PigeonPostgres
import PigeonSQLite
import Testing

/// A store implementation the conformance suite runs against.
public enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    public var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when a server can be had (or when `PIGEON_REQUIRE_POSTGRES` is set, so a
    /// missing server fails the suite instead of skipping it).
    /// `PIGEON_TEST_STORES=postgres` (or `sqlite`) runs only that store's cases.
    public static let available: [StoreKind] = {
        let only = ProcessInfo.processInfo.environment["PIGEON_TEST_STORES"].map {
            $0.split(separator: ",").compactMap { StoreKind(rawValue: String($0)) }
        }
        let wanted = only.flatMap { $0.isEmpty ? nil : $0 } ?? allCases
        if PostgresTestServer.shared != nil || PostgresTestServer.isRequired || !wanted.contains(.postgres) { return wanted }
        print("PostgreSQL store tests skipped: \(PostgresTestServer.unavailableReason)")
        return wanted.filter { $0 != .postgres }
    }()
}

/// A fresh database of one kind: an SQLite file in its own folder, or a new PostgreSQL database. Each
/// `open()` gives another store on it (its own connections), as another process would have.
public final class TemporaryDatabase: Sendable {
    public let kind: StoreKind
    /// A folder of its own (the SQLite file, media bytes).
    public let directory: URL
    /// The PostgreSQL database's URL, for `.postgres`.
    public let postgresURL: String?
    private let opened = OpenedStores()

    /// What `PIGEON_DATABASE_URL` is for this database.
    public var url: String { postgresURL ?? path }

    /// The SQLite file, for `.sqlite`.
    public var path: String { directory.appendingPathComponent("pigeon.sqlite").path }

    /// A new database of `kind`; for PostgreSQL on `server` (default: the shared test server).
    public init(_ kind: StoreKind = .sqlite, server: PostgresTestServer? = nil) throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-store-\(UUID().uuidString)")
        if kind == .postgres {
            guard let server = server ?? PostgresTestServer.shared else {
                throw TestServerError("PostgreSQL is required (PIGEON_REQUIRE_POSTGRES) but: \(PostgresTestServer.unavailableReason)")
            }
            postgresURL = try server.createDatabase()
        } else {
            postgresURL = nil
        }
    }

    /// Opens another store on this database.
    public func open() async throws -> any PigeonStore {
        switch kind {
        case .sqlite:
            return try SQLiteStore(path: path)
        case .postgres:
            var logger = Logger(label: "test.postgres")
            logger.logLevel = .critical
            let store = try await PostgresStore.open(try PostgresDatabaseURL(postgresURL!), poolSize: 4, logger: logger)
            await opened.add(store)
            return store
        }
    }

    /// Where an engine on `store` (opened on this database) keeps media bytes, as `pigeon serve` does: in
    /// the database when the store keeps them (PostgreSQL), else in files in this database's folder.
    public func mediaBytes(_ store: any PigeonStore) -> any MediaBytes {
        store as? any MediaBytes ?? MediaFiles(directory: directory.appendingPathComponent("media", isDirectory: true))
    }

    /// Runs `body` with a fresh database of `kind`, then closes every store it opened.
    public static func run(_ kind: StoreKind, _ body: (TemporaryDatabase) async throws -> Void) async throws {
        let database = try TemporaryDatabase(kind)
        var failure: (any Error)?
        do { try await body(database) } catch { failure = error }
        await database.close()
        if let failure { throw failure }
    }

    /// Closes every store `open()` gave and removes the folder.
    public func close() async {
        await opened.closeAll()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The PostgreSQL stores a test opened, closed at its end.
private actor OpenedStores {
    private var stores: [PostgresStore] = []
    func add(_ store: PostgresStore) { stores.append(store) }
    func closeAll() async {
        for store in stores { await store.close() }
        stores = []
    }
}
