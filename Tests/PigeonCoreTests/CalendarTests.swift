import Foundation
import PigeonCore
import Testing

/// Days without a zone (a campaign's scheduled days) and days in a zone (daily caps, campaign days),
/// checked against Foundation's `Calendar`, which they replace on hot paths.
@Suite struct CalendarTests {
    @Test func aCivilDayAgreesWithTheGregorianCalendarForFourHundredYears() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = { (date: Date) -> String in
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        }
        let start = try #require(CivilDay("1900-01-01"))
        for offset in stride(from: 0, to: 146_097, by: 7) {
            let date = Date(timeIntervalSince1970: Double(start.daysSince1970 + offset) * 86400)
            let day = start.adding(offset)
            #expect(day.text == formatter(date), "day \(offset) after 1900-01-01")
            #expect(CivilDay(day.text) == day)
        }
    }

    @Test func aCivilDayIsOnlyARealDateWrittenYyyyMmDd() {
        #expect(CivilDay("2028-02-29")?.adding(1).text == "2028-03-01")
        #expect(CivilDay("2027-12-31")?.adding(1).text == "2028-01-01")
        #expect(CivilDay("2027-03-01")?.adding(-1).text == "2027-02-28")
        #expect(CivilDay("1970-01-01")?.daysSince1970 == 0)
        for text in ["2027-02-29", "2100-02-29", "2027-04-31", "2027-13-01", "2027-00-10", "2027-1-10", "2027/01/10", "", "2027-01-1x"] {
            #expect(CivilDay(text) == nil, "\(text) was read as a day")
        }
        #expect(CivilDay("2000-02-29") != nil)
    }

    @Test func theLocalDayFollowsTheZonesOffsetAcrossADaylightSavingChange() {
        let york = LocalCalendar(timeZone: "America/New_York")
        // 2027-03-14 02:00 EST becomes 03:00 EDT (07:00 UTC); midnight EDT on the 15th is 04:00 UTC.
        let change = Date(timeIntervalSince1970: 1_805_007_600)
        #expect(york.day(change.addingTimeInterval(-1)) == "2027-03-14")
        #expect(york.day(Date(timeIntervalSince1970: 1_805_083_199)) == "2027-03-14")
        #expect(york.day(Date(timeIntervalSince1970: 1_805_083_200)) == "2027-03-15")
        #expect(LocalCalendar(timeZone: "Asia/Kolkata").day(Date(timeIntervalSince1970: 1_800_036_000)) == "2027-01-15")
        #expect(LocalCalendar(timeZone: "Asia/Kolkata").day(Date(timeIntervalSince1970: 1_800_037_800)) == "2027-01-16")
        #expect(LocalCalendar(timeZone: "No/Such_Zone").day(Date(timeIntervalSince1970: 0)) == "1970-01-01")
        #expect(LocalCalendar(timeZone: "UTC").day(Date(timeIntervalSince1970: -1)) == "1969-12-31")
    }
}
