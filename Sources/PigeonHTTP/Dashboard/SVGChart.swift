import Foundation

/// A bar chart drawn by the server as inline SVG (no script, no library): one bar per value, its largest
/// value labelled, described for screen readers by `title`.
struct SVGChart {
    let title: String
    /// The values, oldest first.
    let values: [Double]
    /// How a value reads (such as "12 attempts" or "5 %").
    let format: (Double) -> String

    static let width = 600.0
    static let height = 120.0

    var svg: String {
        let peak = max(values.max() ?? 0, 1)
        let barWidth = Self.width / Double(max(values.count, 1))
        var bars = ""
        for (index, value) in values.enumerated() {
            let height = (value / peak) * (Self.height - 20)
            let x = Double(index) * barWidth
            bars +=
                #"<rect x="\#(Self.number(x))" y="\#(Self.number(Self.height - height))" width="\#(Self.number(max(barWidth - 1, 1)))" height="\#(Self.number(height))"><title>\#(Self.escape(format(value)))</title></rect>"#
        }
        let label = Self.escape("\(title): peak \(format(values.max() ?? 0)), now \(format(values.last ?? 0))")
        return
            #"<svg class="chart" viewBox="0 0 \#(Self.number(Self.width)) \#(Self.number(Self.height))" role="img" aria-label="\#(label)" preserveAspectRatio="none"><title>\#(label)</title>\#(bars)<text x="4" y="14">\#(Self.escape(format(values.max() ?? 0)))</text></svg>"#
    }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
