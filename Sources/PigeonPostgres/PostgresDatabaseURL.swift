import Foundation

/// `PIGEON_DATABASE_URL` for PostgreSQL: `postgres://user:password@host:port/database?sslmode=…` (also
/// `postgresql://`). `sslmode` is `disable` (the default), `require` (encrypted, the certificate not checked)
/// or `verify-full` (encrypted, the certificate and host name checked).
public struct PostgresDatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted.
    public enum SSLMode: String, Sendable, Hashable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    /// Default 5432.
    public var port: Int
    public var username: String
    /// Never logged: `description` masks it.
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// Parses `text`; the error says what to fix.
    public init(_ text: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["postgres", "postgresql"].contains(scheme)
        else { throw PostgresURLError("\"\(Self.masked(text))\" is not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresURLError("the URL has no host: use postgres://user:password@host:5432/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresURLError("the URL has no user name: use postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError("the URL names no database: use postgres://user:password@host:5432/database")
        }
        var sslMode = SSLMode.disable
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw PostgresURLError("unknown option \"\(item.name)\": only sslmode=disable|require|verify-full is accepted")
            }
            guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw PostgresURLError("sslmode \"\(item.value ?? "")\" is not accepted: use disable, require or verify-full")
            }
            sslMode = mode
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// Whether `text` asks for PostgreSQL (by its scheme).
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The URL with the password masked.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
            + (sslMode == .disable ? "" : "?sslmode=\(sslMode.rawValue)")
    }

    /// `text` with any password masked, for error messages.
    static func masked(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*:)[^@]*@"#, with: "$1***@", options: .regularExpression)
    }
}

/// Why a PostgreSQL URL was refused.
public struct PostgresURLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
