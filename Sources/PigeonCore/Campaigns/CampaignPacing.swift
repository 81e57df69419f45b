import Foundation

/// How a campaign's day is spent: at most `daily_send_limit` sends per local day, scheduled recipients
/// first and retries in what is left, spread evenly through what remains of the send window (or of the
/// day) instead of fired at its start. The scheduler asks `plan` at every look (at least once a
/// `lookInterval`); the day's plan is made at the first look of the day and grows, from the time it grew,
/// when work arrives later (an import, a re-armed failure).
public enum CampaignPacing {
    /// How often the scheduler looks at each campaign, at most.
    public static let lookInterval: Duration = .seconds(60)

    /// What to do now.
    public struct Plan: Sendable, Hashable {
        /// The day's progress to write with the sends (unchanged when nothing is sent).
        public var day: CampaignDay
        /// How many to send now: scheduled recipients first, then retries.
        public var release: Int
        /// Whether the campaign has work now (`running`) rather than waiting (`scheduled`).
        public var running: Bool
    }

    /// The window on `now`'s local day: from its start to its end (the whole day without a window).
    public static func window(_ campaign: CampaignRecord, on now: Date) -> (from: Date, to: Date) {
        let calendar = campaign.calendar
        guard let window = campaign.sendWindow else { return (calendar.startOfDay(now), calendar.nextDayStart(after: now)) }
        return (calendar.time(minutes: window.from, on: now), calendar.time(minutes: window.to, on: now))
    }

    /// The plan for `campaign` at `now`, with `scheduled` recipients due (today's and earlier days' not sent
    /// yet) and `retries` failed recipients a later day may retry; `budget`, when given, is what its
    /// portfolio's messaging tier still allows in the moving 24 h, and caps the day as the limit does.
    public static func plan(_ campaign: CampaignRecord, now: Date, scheduled: Int, retries: Int, budget: Int? = nil) -> Plan {
        let calendar = campaign.calendar
        let today = calendar.day(now)
        var day = campaign.day
        if day.day != today { day = CampaignDay(day: today) }
        let (from, to) = window(campaign, on: now)
        guard campaign.status.isActive, today >= campaign.startDate, now >= from, now < to else {
            return Plan(day: day, release: 0, running: false)
        }
        let capacity = max(0, min(campaign.dailySendLimit - day.sent, budget ?? .max))
        let wanted = day.sent + min(capacity, scheduled + retries)
        if wanted > day.planned {
            day.planned = wanted
            day.base = day.sent
            day.from = CampaignDay.stored(now)
        }
        let start = day.from ?? now
        let span = to.timeIntervalSince(start)
        let elapsed = now.timeIntervalSince(start) + Double(lookInterval.components.seconds)
        let fraction = span <= 0 ? 1 : min(1, max(0, elapsed / span))
        let due = day.base + Int((Double(day.planned - day.base) * fraction).rounded(.up))
        let release = max(0, min(due, day.planned) - day.sent)
        let allowed = min(release, max(0, budget ?? .max))
        return Plan(day: day, release: allowed, running: day.planned > day.sent && (budget ?? 1) > 0)
    }
}
