import Foundation
import Logging
import PigeonCore
import PigeonPostgres
import PigeonSQLite
import PigeonTestSupport
import Testing

/// A store implementation the conformance suite runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when a server can be had (or when `PIGEON_REQUIRE_POSTGRES` is set, so a
    /// missing server fails the suite instead of skipping it).
    static let available: [StoreKind] = {
        if PostgresTestServer.shared != nil || PostgresTestServer.isRequired { return [.sqlite, .postgres] }
        print("PostgreSQL store tests skipped: \(PostgresTestServer.unavailableReason)")
        return [.sqlite]
    }()
}

/// A fresh database of one kind: an SQLite file in its own folder, or a new PostgreSQL database. Each
/// `open()` gives another store on it (its own connections), as another process would have.
final class TemporaryDatabase: Sendable {
    let kind: StoreKind
    let directory: URL
    let postgresURL: String?
    private let opened = OpenedStores()

    var path: String { directory.appendingPathComponent("pigeon.sqlite").path }

    init(_ kind: StoreKind = .sqlite) throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-store-\(UUID().uuidString)")
        if kind == .postgres {
            guard let server = PostgresTestServer.shared else {
                throw TestServerError("PostgreSQL is required (PIGEON_REQUIRE_POSTGRES) but: \(PostgresTestServer.unavailableReason)")
            }
            postgresURL = try server.createDatabase()
        } else {
            postgresURL = nil
        }
    }

    /// Opens another store on this database.
    func open() async throws -> any PigeonStore {
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

    /// Runs `body` with a fresh database of `kind`, then closes every store it opened.
    static func run(_ kind: StoreKind, _ body: (TemporaryDatabase) async throws -> Void) async throws {
        let database = try TemporaryDatabase(kind)
        var failure: (any Error)?
        do { try await body(database) } catch { failure = error }
        await database.opened.closeAll()
        try? FileManager.default.removeItem(at: database.directory)
        if let failure { throw failure }
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

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func newMessage(
    to: String = "+15550001111", sender: String = "100", key: String? = nil, hash: String? = nil, maxAttempts: Int = 3,
    now: Date = t0
) -> NewMessage {
    NewMessage(
        id: .generate(now: now), senderID: sender, recipient: to, type: "text",
        payload: #"{"text":{"body":"hi"},"to":"\#(to)","type":"text"}"#, maxAttempts: maxAttempts, idempotencyKey: key,
        requestHash: hash)
}

extension EnqueueResult {
    var record: MessageRecord? {
        switch self {
        case .created(let record), .replayed(let record): record
        case .conflict: nil
        }
    }
}
