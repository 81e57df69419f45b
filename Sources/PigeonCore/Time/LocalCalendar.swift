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

    /// `now`'s date as `yyyy-MM-dd`.
    public func day(_ now: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
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

    /// The date `days` after the `yyyy-MM-dd` date `day`, as `yyyy-MM-dd`; nil when `day` is not a date.
    public func day(_ day: String, plus days: Int) -> String? {
        guard let start = date(day), let moved = calendar.date(byAdding: .day, value: days, to: start) else { return nil }
        return self.day(moved)
    }

    /// The first instant of the `yyyy-MM-dd` date `day`; nil when it is not a date.
    public func date(_ day: String) -> Date? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2])
        else { return nil }
        let components = DateComponents(year: year, month: month, day: dayOfMonth)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return calendar.startOfDay(for: date)
    }
}
