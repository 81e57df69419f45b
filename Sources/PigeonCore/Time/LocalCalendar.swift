import Foundation

/// Days and times of day in one IANA time zone (UTC when the zone is unknown): what daily caps, campaign
/// days and send windows are counted in. Daylight-saving changes are the calendar's: a day may last 23 or
/// 25 hours, and 09:00 is always 09:00 on the wall clock.
public struct LocalCalendar: Sendable {
    private let calendar: Calendar

    public init(timeZone: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }

    /// `now`'s date as `yyyy-MM-dd` (from the zone's offset at that instant: the send path asks for each
    /// message, and `dateComponents` costs several times more).
    public func day(_ now: Date) -> String {
        let local = now.timeIntervalSince1970 + Double(calendar.timeZone.secondsFromGMT(for: now))
        return CivilDay(daysSince1970: Int((local / 86400).rounded(.down))).text
    }

    /// The first instant of `now`'s day.
    public func startOfDay(_ now: Date) -> Date { calendar.startOfDay(for: now) }

    /// The first instant of the day after `now`'s.
    public func nextDayStart(after now: Date) -> Date {
        calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: now)) ?? now.addingTimeInterval(86400)
    }

    /// The instant `minutes` after midnight (wall-clock time) on `now`'s day; on a day whose clocks skip that
    /// time, the next instant that exists.
    public func time(minutes: Int, on now: Date) -> Date {
        var parts = calendar.dateComponents([.year, .month, .day], from: now)
        parts.hour = minutes / 60
        parts.minute = minutes % 60
        return calendar.date(from: parts) ?? startOfDay(now).addingTimeInterval(TimeInterval(minutes * 60))
    }

    /// The first instant of the `yyyy-MM-dd` date `day`; nil when it is not a date.
    public func date(_ day: String) -> Date? {
        guard let parts = CivilDay(day)?.parts,
            let date = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day))
        else { return nil }
        return calendar.startOfDay(for: date)
    }
}
