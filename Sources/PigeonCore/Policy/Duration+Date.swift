import Foundation

extension Duration {
    /// This duration in seconds, as a `TimeInterval`.
    public var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}

extension Date {
    /// This date moved forward by `duration`.
    public func adding(_ duration: Duration) -> Date { addingTimeInterval(duration.timeInterval) }

    /// Milliseconds since 1970, the unit Pigeon stores times in.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// Whole milliseconds since 1970 at or before this date: what "due by now" compares stored times with, so
    /// a query never returns a row due a fraction of a millisecond after `now`.
    public var millisecondsFloor: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The date `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
