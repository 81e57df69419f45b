import Foundation

/// A `SenderRecord` as both stores keep it: plain columns for what queries read (`kind`, `pool`, `status`,
/// `sends`) and JSON text for the rest, encoded the same way by each store.
public struct SenderColumns: Sendable, Hashable {
    public var id: String
    public var kind: String
    public var pool: String
    public var status: String
    public var sends: Bool
    public var limits: String
    public var settings: String
    public var secrets: [UInt8]
    public var health: String
    public var numberHealth: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, kind: String, pool: String, status: String, sends: Bool, limits: String, settings: String, secrets: [UInt8],
        health: String, numberHealth: String, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.kind = kind
        self.pool = pool
        self.status = status
        self.sends = sends
        self.limits = limits
        self.settings = settings
        self.secrets = secrets
        self.health = health
        self.numberHealth = numberHealth
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A stored row that cannot be read back.
    public struct Unreadable: Error, CustomStringConvertible {
        public var id: String
        public var field: String
        public var description: String { "sender \(id): the stored \(field) cannot be read" }
    }

    /// The columns of `record`.
    public init(_ record: SenderRecord) {
        self.init(
            id: record.id, kind: record.kind.rawValue, pool: record.pool, status: record.health.status.rawValue, sends: record.sends,
            limits: Self.json(record.limits), settings: Self.json(record.settings), secrets: record.sealedSecrets,
            health: Self.json(record.health), numberHealth: Self.json(record.numberHealth),
            createdAt: record.createdAt.millisecondsSince1970, updatedAt: record.updatedAt.millisecondsSince1970)
    }

    /// The record these columns hold.
    public func record() throws -> SenderRecord {
        guard let kind = SenderKind(rawValue: kind) else { throw Unreadable(id: id, field: "kind") }
        return SenderRecord(
            id: id, kind: kind, pool: pool, limits: try decode(limits, "limits"), settings: try decode(settings, "settings"),
            sealedSecrets: secrets, health: try decode(health, "health"), numberHealth: try decode(numberHealth, "number health"),
            createdAt: Date(millisecondsSince1970: createdAt), updatedAt: Date(millisecondsSince1970: updatedAt))
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.millisecondsSince1970)
        }
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    private func decode<T: Decodable>(_ text: String, _ field: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(millisecondsSince1970: try decoder.singleValueContainer().decode(Int64.self))
        }
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw Unreadable(id: id, field: field)
        }
    }
}
