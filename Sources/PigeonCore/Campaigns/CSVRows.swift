/// Splits CSV text (RFC 4180: comma-separated, fields optionally in double quotes with `""` for a quote,
/// CRLF or LF line ends, a UTF-8 byte order mark ignored) into rows as its bytes arrive, so a file of any
/// size is read in bounded memory. Each row carries the line it started on (the header is line 1).
public struct CSVRows: Sendable {
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var quoted = false
    private var quoteSeen = false
    private var line = 1
    private var rowLine = 1
    private var atStart = true
    private var rowHasContent = false
    private var start: [UInt8] = []

    public init() {}

    /// The rows completed by `bytes`.
    public mutating func push(_ bytes: some Sequence<UInt8>) -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        for byte in bytes {
            if atStart {
                start.append(byte)
                if start.count == 3 { flushStart(into: &rows) }
                continue
            }
            consume(byte, into: &rows)
        }
        return rows
    }

    /// The last row, when the text does not end with a line end.
    public mutating func finish() -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        if atStart { flushStart(into: &rows) }
        if rowHasContent || !field.isEmpty || !fields.isEmpty { endRow(into: &rows) }
        return rows
    }

    /// The first bytes, without a byte order mark.
    private mutating func flushStart(into rows: inout [(line: Int, fields: [String])]) {
        atStart = false
        let bytes = start == [0xEF, 0xBB, 0xBF] ? [] : start
        start = []
        for byte in bytes { consume(byte, into: &rows) }
    }

    private mutating func consume(_ byte: UInt8, into rows: inout [(line: Int, fields: [String])]) {
        if quoted {
            if quoteSeen {
                quoteSeen = false
                if byte == UInt8(ascii: "\"") {
                    field.append(byte)
                    return
                }
                quoted = false
            } else if byte == UInt8(ascii: "\"") {
                quoteSeen = true
                return
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
                return
            }
        }
        switch byte {
        case UInt8(ascii: "\""):
            if field.isEmpty {
                quoted = true
                rowHasContent = true
            } else {
                field.append(byte)
            }
        case UInt8(ascii: ","):
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            rowHasContent = true
        case UInt8(ascii: "\r"):
            break
        case UInt8(ascii: "\n"):
            if rowHasContent || !field.isEmpty { endRow(into: &rows) }
            line += 1
            rowLine = line
        default:
            field.append(byte)
            rowHasContent = true
        }
    }

    private mutating func endRow(into rows: inout [(line: Int, fields: [String])]) {
        fields.append(String(decoding: field, as: UTF8.self))
        rows.append((rowLine, fields))
        fields.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        rowHasContent = false
        quoted = false
        quoteSeen = false
    }
}
