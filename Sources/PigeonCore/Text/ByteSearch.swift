#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding bytes in bytes at C speed whatever the build (a debug `swift run` included): `memchr` for the
/// first byte, `memcmp` for the rest. Used on every send and on every multipart upload.
public enum ByteSearch {
    /// Where `needle` first occurs in `bytes` at or after `start`, or nil.
    public static func firstIndex(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, let first = needle.first, start >= 0 else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            guard let hit = memchr(base + index, Int32(first), bytes.count - index - needle.count + 1) else { return nil }
            let offset = UnsafeRawPointer(hit) - base
            if needle.withUnsafeBytes({ memcmp(base + offset, $0.baseAddress!, needle.count) }) == 0 { return offset }
            index = offset + 1
        }
        return nil
    }
}
