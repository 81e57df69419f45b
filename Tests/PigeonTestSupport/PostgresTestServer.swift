import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server for tests: `PIGEON_TEST_POSTGRES_URL` when set, else a throwaway cluster started
/// once per test process (initdb + pg_ctl on a free loopback port, in a temporary folder, as the `postgres`
/// user when running as root) and stopped when the process exits. Each test gets a database of its own.
public final class PostgresTestServer: Sendable {
    /// The server, or nil (with `unavailableReason`) when none can be had on this machine.
    public static let shared: PostgresTestServer? = {
        do {
            return try start()
        } catch {
            unavailable.withLock { $0 = "\(error)" }
            return nil
        }
    }()

    /// When set (CI sets it), the PostgreSQL tests fail instead of being skipped when no server can be had.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["PIGEON_REQUIRE_POSTGRES"].map { !$0.isEmpty } ?? false }

    /// Why `shared` is nil.
    public static var unavailableReason: String { unavailable.withLock { $0 } ?? "" }
    private static let unavailable = Mutex<String?>(nil)

    /// `postgres://user@127.0.0.1:port` (no database).
    public let serverURL: String
    /// The cluster's folder when this process started it.
    let directory: String?
    let binDirectory: String?
    /// The server options the cluster was started with (its port among them), for `restart()`.
    let options: String
    private let counter = Mutex(0)

    init(serverURL: String, directory: String?, binDirectory: String?, options: String = "") {
        self.serverURL = serverURL
        self.directory = directory
        self.binDirectory = binDirectory
        self.options = options
    }

    /// Creates a new empty database and returns its URL.
    public func createDatabase() throws -> String {
        let number = counter.withLock { value -> Int in
            value += 1
            return value
        }
        let name = "pigeon_test_\(getpid())_\(number)_\(UInt32.random(in: 0...UInt32.max))"
        try psql(database: "postgres", "CREATE DATABASE \(name)")
        return "\(serverURL)/\(name)"
    }

    /// Runs `sql` with psql against `database`.
    public func psql(database: String, _ sql: String) throws {
        let psql = binDirectory.map { "\($0)/psql" }.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "psql"
        try Self.run(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "\(serverURL)/\(database)", "-c", sql], asPostgres: false)
    }

    /// Stops the cluster at once, as a crash would (`pg_ctl stop -m immediate`); only for a cluster this process started.
    public func stopImmediately() throws {
        guard let directory, let binDirectory else { return }
        try Self.run("\(binDirectory)/pg_ctl", ["-D", directory, "stop", "-m", "immediate", "-w"], asPostgres: true)
    }

    /// Starts the stopped cluster again on the same port.
    public func restart() throws {
        guard let directory, let binDirectory else { return }
        try Self.run(
            "\(binDirectory)/pg_ctl", ["-D", directory, "-o", options, "-l", "\(directory)/../server.log", "start", "-w"], asPostgres: true)
    }

    private static func start() throws -> PostgresTestServer {
        if let url = ProcessInfo.processInfo.environment["PIGEON_TEST_POSTGRES_URL"], !url.isEmpty {
            guard var components = URLComponents(string: url), components.host != nil else {
                throw TestServerError("PIGEON_TEST_POSTGRES_URL \"\(url)\" is not a URL such as postgres://user:password@127.0.0.1:5432")
            }
            components.path = ""
            components.query = nil
            let trimmed = components.string ?? url
            return PostgresTestServer(serverURL: trimmed, directory: nil, binDirectory: nil)
        }
        return try startCluster()
    }

    /// Starts a cluster of this process's own (not the shared one), for a test that stops and restarts it.
    public static func startCluster() throws -> PostgresTestServer {
        guard let bin = binDirectoryWithServer() else {
            throw TestServerError("PostgreSQL's server binaries (initdb, pg_ctl) were not found in PATH or /usr/lib/postgresql/*/bin")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if geteuid() == 0 {
            guard let user = getpwnam("postgres") else {
                throw TestServerError("running as root and there is no postgres user to run the test cluster as")
            }
            chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let data = directory + "/data"
        try run("\(bin)/initdb", ["-D", data, "-U", "pigeon", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"], asPostgres: true)
        let port = try freePort()
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        try run("\(bin)/pg_ctl", ["-D", data, "-o", options, "-l", "\(directory)/server.log", "start", "-w"], asPostgres: true)
        let server = PostgresTestServer(serverURL: "postgres://pigeon@127.0.0.1:\(port)", directory: data, binDirectory: bin, options: options)
        // A watcher stops the cluster and removes its folder once this test process is gone, however it ends.
        let stop = (geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "") + "\(bin)/pg_ctl -D \(data) stop -m immediate"
        try spawnDetached(
            "while [ -d /proc/\(getpid()) ]; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(directory)")
        return server
    }

    private static func binDirectoryWithServer() -> String? {
        var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        return candidates.first { directory in
            ["initdb", "pg_ctl", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }
        }.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
    }

    /// Runs a command to completion; as the `postgres` user when asked and running as root. Spawned and
    /// reaped with posix_spawn/waitpid, its output in a file: a server it starts must hold nothing of ours.
    static func run(_ executable: String, _ arguments: [String], asPostgres: Bool) throws {
        var argv = arguments
        var path = executable
        if asPostgres && geteuid() == 0 {
            argv = ["-u", "postgres", "--", executable] + arguments
            path = "/usr/sbin/runuser"
        } else if !executable.contains("/") {
            argv = [executable] + arguments
            path = "/usr/bin/env"
        }
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pigeon-pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = ([path] + argv).map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw TestServerError("could not start \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestServerError("waitpid failed for \(path)") }
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let output = FileManager.default.contents(atPath: outputPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw TestServerError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
    }

    /// Starts `/bin/sh -c script` without waiting for it.
    private static func spawnDetached(_ script: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let words: [String] = ["/bin/sh", "-c", script]
        let cArguments = words.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw TestServerError("could not start the cluster's watcher: \(String(cString: strerror(spawned)))") }
    }

    /// A loopback port nothing listens on right now.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestServerError("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        guard bound == 0 else { throw TestServerError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else { throw TestServerError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the test server could not be had.
public struct TestServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
