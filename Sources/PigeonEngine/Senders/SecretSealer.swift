import Crypto
import Foundation
import PigeonCore

/// Seals sender credentials with AES-GCM (swift-crypto) under one 256-bit key: a fresh nonce per seal, and
/// opening fails when the bytes were altered or sealed under another key. No credentials (an empty
/// `SenderSecrets`) seal to no bytes.
public struct SecretSealer: SecretSealing {
    private let keyBytes: [UInt8]

    public init(key: SymmetricKey) {
        keyBytes = key.withUnsafeBytes { Array($0) }
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A sealer with a new random key, for tests and throwaway databases.
    public static func random() -> SecretSealer { SecretSealer(key: SymmetricKey(size: .bits256)) }

    /// Credentials that cannot be opened with this key.
    public struct WrongKey: Error, CustomStringConvertible {
        public var description: String {
            "stored sender credentials cannot be opened: they were sealed with another key (PIGEON_SECRET_KEY or the key file changed)"
        }
    }

    public func seal(_ secrets: SenderSecrets) throws -> [UInt8] {
        guard secrets != SenderSecrets() else { return [] }
        let plain = try JSONEncoder().encode(secrets)
        return Array(try AES.GCM.seal(plain, using: key).combined!)
    }

    public func open(_ sealed: [UInt8]) throws -> SenderSecrets {
        guard !sealed.isEmpty else { return SenderSecrets() }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try JSONDecoder().decode(SenderSecrets.self, from: try AES.GCM.open(box, using: key))
        } catch {
            throw WrongKey()
        }
    }
}

/// Where the key for sender credentials comes from: `PIGEON_SECRET_KEY` (32 bytes, base64 or hex), or a key
/// file generated once with mode 0600 (beside an SQLite database).
public enum SecretKeySource {
    /// A key that is not 32 bytes of base64 or hex, or a key file that cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The key `text` denotes: 32 bytes as base64 (44 characters) or hex (64 characters).
    public static func parse(_ text: String) throws -> SymmetricKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let bytes = hex(trimmed) { return SymmetricKey(data: bytes) }
        if let bytes = Data(base64Encoded: trimmed), bytes.count == 32 { return SymmetricKey(data: bytes) }
        throw Invalid(description: "PIGEON_SECRET_KEY must be 32 random bytes in base64 or hex; make one with: openssl rand -base64 32")
    }

    /// The key in `file`, generating it first (mode 0600) when the file does not exist.
    public static func file(_ file: URL) throws -> (key: SymmetricKey, created: Bool) {
        let manager = FileManager.default
        if manager.fileExists(atPath: file.path) {
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                return (try parse(text), false)
            } catch {
                throw Invalid(description: "the key file \(file.path) does not hold a key (32 bytes in base64); restore it or set PIGEON_SECRET_KEY")
            }
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard manager.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Invalid(description: "cannot create the key file \(file.path); set PIGEON_SECRET_KEY instead")
        }
        return (key, true)
    }

    private static func hex(_ text: String) -> Data? {
        var bytes = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
