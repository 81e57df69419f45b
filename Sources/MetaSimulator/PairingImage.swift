import Foundation

/// The simulator's QR code images: a real PNG (grayscale, uncompressed deflate blocks) of a 29×29 module
/// pattern drawn from the QR value, so each new value gives a new image. It is not a scannable QR code:
/// the simulated bridge is paired with `POST /_sim/waha/sessions/{session}/pair`.
enum PairingImage {
    /// The PNG for `value`, 8 pixels a module with a 4-module quiet zone.
    static func png(for value: String) -> Data {
        let modules = 29
        let scale = 8
        let quiet = 4
        let side = (modules + 2 * quiet) * scale
        var seed = value.utf8.reduce(UInt64(1_469_598_103_934_665_603)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        var dark = [[Bool]](repeating: [Bool](repeating: false, count: modules), count: modules)
        for y in 0..<modules {
            for x in 0..<modules {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                dark[y][x] = finder(x, y, modules) ?? ((seed >> 33) & 1 == 1)
            }
        }
        var raw = [UInt8]()
        raw.reserveCapacity(side * (side + 1))
        for py in 0..<side {
            raw.append(0)
            for px in 0..<side {
                let (x, y) = (px / scale - quiet, py / scale - quiet)
                let on = x >= 0 && y >= 0 && x < modules && y < modules && dark[y][x]
                raw.append(on ? 0 : 255)
            }
        }
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(bigEndian: UInt32(side))
        header.append(bigEndian: UInt32(side))
        header.append(contentsOf: [8, 0, 0, 0, 0])
        chunk("IHDR", header, into: &png)
        chunk("IDAT", zlibStored(raw), into: &png)
        chunk("IEND", Data(), into: &png)
        return png
    }

    /// The three corner squares every QR code has (nil outside them).
    private static func finder(_ x: Int, _ y: Int, _ size: Int) -> Bool? {
        for (ox, oy) in [(0, 0), (size - 7, 0), (0, size - 7)] {
            let (dx, dy) = (x - ox, y - oy)
            guard (0..<7).contains(dx), (0..<7).contains(dy) else { continue }
            let ring = min(dx, dy, 6 - dx, 6 - dy)
            return ring != 1
        }
        return nil
    }

    private static func chunk(_ type: String, _ data: Data, into png: inout Data) {
        png.append(bigEndian: UInt32(data.count))
        let body = Data(type.utf8) + data
        png.append(body)
        png.append(bigEndian: crc32(body))
    }

    /// `bytes` as a zlib stream of stored (uncompressed) deflate blocks.
    private static func zlibStored(_ bytes: [UInt8]) -> Data {
        var out = Data([0x78, 0x01])
        var offset = 0
        repeat {
            let count = min(65_535, bytes.count - offset)
            let last: UInt8 = offset + count >= bytes.count ? 1 : 0
            out.append(last)
            out.append(contentsOf: [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)])
            out.append(contentsOf: bytes[offset..<offset + count])
            offset += count
        } while offset < bytes.count
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        out.append(bigEndian: b << 16 | a)
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func crc32(_ data: Data) -> UInt32 {
        ~data.reduce(~UInt32(0)) { crcTable[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }
}

extension Data {
    fileprivate mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
