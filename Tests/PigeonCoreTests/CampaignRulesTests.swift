import Foundation
import PigeonCore
import Testing

/// The campaign rules as pure functions: the day's pacing, the send window across a daylight-saving change,
/// the retry rule, the status machine, phone numbers, placeholders and CSV rows.
@Suite struct CampaignRulesTests {
    static func campaign(limit: Int = 250, window: SendWindow? = nil, timeZone: String = "UTC") -> CampaignRecord {
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        return CampaignRecord(
            id: "cmp_1", name: "n", message: "{}", senderID: "1", pool: nil, dailySendLimit: limit, startDate: "2027-01-15",
            timeZone: timeZone, sendWindow: window, maxRetries: 3, status: .running, createdAt: created, updatedAt: created)
    }

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func aDaysSendsAreSpreadEvenlyThroughTheWindowAndNeverExceedTheLimit() {
        var campaign = Self.campaign(window: SendWindow(from: 9 * 60, to: 17 * 60))
        var released: [Int] = []
        var now = Self.date("2027-01-15T08:00:00Z")
        var scheduled = 200
        var retries = 100
        while now < Self.date("2027-01-15T18:00:00Z") {
            let plan = CampaignPacing.plan(campaign, now: now, scheduled: scheduled, retries: retries)
            let fromScheduled = min(plan.release, scheduled)
            scheduled -= fromScheduled
            retries -= plan.release - fromScheduled
            campaign.day = plan.day
            campaign.day.sent += plan.release
            released.append(plan.release)
            now = now.addingTimeInterval(60)
        }
        #expect(released.reduce(0, +) == 250)
        #expect(scheduled == 0 && retries == 50, "the day took the scheduled first: \(scheduled) scheduled and \(retries) retries left")
        #expect(released.prefix(60).allSatisfy { $0 == 0 }, "sent before the window opened")
        #expect(released.max()! <= 2, "not spread evenly: \(released.max()!) in one minute")
        let firstHour = released[60..<120].reduce(0, +)
        #expect((28...35).contains(firstHour), "the first window hour sent \(firstHour) of 250 over 8 hours")
    }

    @Test func theWindowIsLocalTimeAcrossADaylightSavingChange() {
        let campaign = Self.campaign(window: SendWindow(from: 9 * 60, to: 18 * 60), timeZone: "Europe/Berlin")
        // Berlin moves from UTC+1 to UTC+2 on 2027-03-28.
        let before = CampaignPacing.window(campaign, on: Self.date("2027-03-27T12:00:00Z"))
        let after = CampaignPacing.window(campaign, on: Self.date("2027-03-29T12:00:00Z"))
        #expect(before.from == Self.date("2027-03-27T08:00:00Z") && before.to == Self.date("2027-03-27T17:00:00Z"))
        #expect(after.from == Self.date("2027-03-29T07:00:00Z") && after.to == Self.date("2027-03-29T16:00:00Z"))
        let plan = CampaignPacing.plan(campaign, now: Self.date("2027-03-29T06:30:00Z"), scheduled: 10, retries: 0)
        #expect(plan.release == 0, "08:30 local is before the window")
    }

    @Test func onlyFailuresALaterDayMayFixAreRetried() {
        let rule = CampaignRetryRule.standard
        #expect(rule.allows(code: 131049, errorClass: .permanent, reason: .permanentError))
        #expect(rule.allows(code: 131000, errorClass: .transient, reason: .retriesExhausted))
        #expect(!rule.allows(code: 132001, errorClass: .permanent, reason: .permanentError))
        #expect(!rule.allows(code: 131008, errorClass: .permanent, reason: .permanentError))
    }

    @Test func theStatusMachineRefusesWhatDoesNotApply() {
        #expect(CampaignLifecycle.next(.draft, .start) == .scheduled)
        #expect(CampaignLifecycle.next(.draft, .pause) == nil)
        #expect(CampaignLifecycle.next(.running, .pause) == .paused)
        #expect(CampaignLifecycle.next(.paused, .resume) == .scheduled)
        #expect(CampaignLifecycle.next(.completed, .cancel) == nil)
        #expect(CampaignLifecycle.next(.cancelled, .rearm) == nil)
        #expect(CampaignLifecycle.refusal(.draft, .pause).contains("start"))
    }

    @Test func phoneNumbersBecomeE164() throws {
        #expect(try PhoneNumber.normalize("+1 (555) 300-0001") == "+15553000001")
        #expect(try PhoneNumber.normalize("0049 30 1234567") == "+49301234567")
        #expect(try PhoneNumber.normalize("15553000001") == "+15553000001")
        for bad in ["", "abc", "+12", "030 1234567", "+1234567890123456"] {
            #expect(throws: ValidationError.self, "\(bad)") { try PhoneNumber.normalize(bad) }
        }
    }

    @Test func placeholdersAreFoundAndFilledInEveryString() {
        let object: [String: Any] = ["text": ["body": "Hi {{ name }}, your code is {{code}} {{not a name}}"], "n": 3]
        #expect(Placeholders.names(in: object) == ["name", "code"])
        let filled = Placeholders.fill(object, with: ["name": "Ana", "code": "42"]) as? [String: Any]
        #expect((filled?["text"] as? [String: Any])?["body"] as? String == "Hi Ana, your code is 42 {{not a name}}")
    }

    @Test func csvRowsArriveWhicheverWayTheBytesAreSplit() {
        let text = "\u{FEFF}phone,name\r\n+1555,\"Smith, \"\"J\"\"\"\n\n+1556,\"two\nlines\"\n+1557,last"
        let bytes = Array(text.utf8)
        for split in [1, 2, 3, 7, bytes.count] {
            var reader = CSVRows()
            var rows: [(line: Int, fields: [String])] = []
            var index = 0
            while index < bytes.count {
                rows += reader.push(bytes[index..<min(index + split, bytes.count)])
                index += split
            }
            rows += reader.finish()
            #expect(rows.map(\.fields) == [["phone", "name"], ["+1555", "Smith, \"J\""], ["+1556", "two\nlines"], ["+1557", "last"]])
            #expect(rows.map(\.line) == [1, 2, 4, 6])
        }
    }

    @Test func optOutKeywordsAreComparedTrimmedAndCaseInsensitively() {
        #expect(OptOutKeywords.standard.matches("  Stop\n"))
        #expect(!OptOutKeywords.standard.matches("please stop"))
        #expect(OptOutKeywords(list: "BAJA, parar")?.matches("Parar") == true)
        #expect(OptOutKeywords(list: " , ") == nil)
    }

    @Test func aPlansTimeIsKeptToTheMillisecondAsTheStoresKeepIt() throws {
        let now = Self.date("2027-01-15T12:00:00Z").addingTimeInterval(0.123_456_7)
        let plan = CampaignPacing.plan(Self.campaign(), now: now, scheduled: 10, retries: 0)
        let from = try #require(plan.day.from)
        #expect(from == Date(millisecondsSince1970: from.millisecondsSince1970), "a day read back would not equal the day written")
    }

    @Test func thePortfoliosBudgetCapsTheDayAsTheLimitDoes() {
        let now = Self.date("2027-01-15T23:59:30Z")
        let campaign = Self.campaign(limit: 250)
        #expect(CampaignPacing.plan(campaign, now: now, scheduled: 200, retries: 100).release == 250)
        let capped = CampaignPacing.plan(campaign, now: now, scheduled: 200, retries: 100, budget: 40)
        #expect(capped.release == 40 && capped.day.planned == 40 && capped.running)
        let spent = CampaignPacing.plan(campaign, now: now, scheduled: 200, retries: 100, budget: 0)
        #expect(spent.release == 0 && !spent.running, "a campaign waiting for its portfolio's budget is scheduled, not running")
    }

    @Test func numbersAreGroupedIntoPortfoliosByPortfolioThenWABA() {
        func sender(_ id: String, waba: String? = nil, portfolio: String? = nil, tier: String?, kind: SenderKind = .cloudAPI) -> SenderRecord {
            var record = SenderRecord(
                id: id, kind: kind, pool: "default", limits: .unpaced, settings: SenderSettings(wabaID: waba, portfolioID: portfolio),
                sealedSecrets: [], health: SenderHealth(), createdAt: .distantPast, updatedAt: .distantPast)
            record.numberHealth.messagingLimit = tier
            return record
        }
        let portfolios = Portfolio.group([
            sender("1", waba: "7", tier: "TIER_250"), sender("2", waba: "7", tier: "TIER_2K"), sender("3", waba: "8", portfolio: "9", tier: nil),
            sender("4", waba: "10", portfolio: "9", tier: "TIER_10K"), sender("5", tier: nil), sender("6", tier: "TIER_1K", kind: .webSession),
        ])
        #expect(portfolios["waba:7"]?.senders == ["1", "2"] && portfolios["waba:7"]?.limit == 2000)
        #expect(portfolios["portfolio:9"]?.senders == ["3", "4"] && portfolios["portfolio:9"]?.limit == 10_000)
        #expect(portfolios["sender:5"]?.limit == nil)
        #expect(portfolios.count == 3, "a web session was given a tier budget: \(portfolios.keys.sorted())")
    }

    @Test func metasVerdictsOnATemplateStopOrResumeItsCampaigns() {
        #expect(CampaignBrakes.verdict("PAUSED") == .stop(code: 132015))
        #expect(CampaignBrakes.verdict("disabled") == .stop(code: 132016))
        #expect(CampaignBrakes.verdict("REINSTATED") == .reinstated && CampaignBrakes.verdict("APPROVED") == .reinstated)
        #expect(CampaignBrakes.verdict("PENDING_DELETION") == nil)
        #expect(CampaignBrakes.standard.brake(code: 131048)?.scope == .sender)
        #expect(CampaignBrakes.standard.codes(.template) == [132015, 132016])
        #expect(CampaignBrakes.standard.brake(code: 132001) == nil, "a missing template pauses nothing: it fails its recipients")
    }
}
