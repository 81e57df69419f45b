import Foundation
import NIOCore
import Synchronization

/// The progress bar of `pigeon campaign import`: bytes and rows sent so far against the file's size, the
/// rate in rows a second and the time left, redrawn in place on a terminal (at most ten times a second)
/// and printed as a plain line every two seconds otherwise.
final class ImportProgress: Sendable {
    private struct State {
        var bytes = 0
        var rows = 0
        var drawnAt: Date?
        var drawnBytes = -1
    }

    let total: Int
    let started: Date
    let terminal: Bool
    private let state = Mutex(State())

    init(total: Int, started: Date = Date(), terminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.started = started
        self.terminal = terminal
    }

    /// Counts a chunk sent (its newlines are rows) and redraws when it is time.
    func sent(_ chunk: ByteBuffer, now: Date = Date()) {
        let newlines = chunk.readableBytesView.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let line: String? = state.withLock { state in
            state.bytes += chunk.readableBytes
            state.rows += newlines
            let every: TimeInterval = terminal ? 0.1 : 2
            guard state.drawnAt.map({ now.timeIntervalSince($0) >= every }) ?? true else { return nil }
            state.drawnAt = now
            state.drawnBytes = state.bytes
            return Self.line(bytes: state.bytes, rows: state.rows, total: total, elapsed: now.timeIntervalSince(started))
        }
        if let line { draw(line) }
    }

    /// The last line, once everything was sent.
    func finish(now: Date = Date()) {
        let (bytes, rows, drawn) = state.withLock { ($0.bytes, $0.rows, $0.drawnBytes) }
        guard terminal || bytes != drawn else { return }
        draw(Self.line(bytes: bytes, rows: rows, total: total, elapsed: now.timeIntervalSince(started)))
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw(_ line: String) {
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    /// `[#########...........]  45%  450,000 rows  90,000 rows/s  ETA 6 s`.
    static func line(bytes: Int, rows: Int, total: Int, elapsed: TimeInterval) -> String {
        let fraction = total > 0 ? min(1, Double(bytes) / Double(total)) : 1
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = elapsed > 0 ? Double(rows) / elapsed : 0
        let eta: String
        if fraction >= 1 {
            eta = "done in \(duration(elapsed))"
        } else if fraction > 0, elapsed > 0 {
            eta = "ETA \(duration(elapsed / fraction - elapsed))"
        } else {
            eta = "ETA -"
        }
        return "[\(bar)] \(String(format: "%3d", Int(fraction * 100)))%  \(grouped(rows)) rows  \(grouped(Int(rate))) rows/s  \(eta)"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole < 60 ? "\(whole) s" : "\(whole / 60) min \(whole % 60) s"
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
