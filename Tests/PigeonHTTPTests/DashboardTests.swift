import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PigeonCore
import PigeonTestSupport
import Testing

/// The dashboard over HTTP on both stores, as a browser drives it (redirects not followed, the cookie
/// carried by hand): the login turns the key into a session cookie, pages need it, actions need its form
/// token from the same origin, and retrying a dead letter moves it back to the queue.
@Suite struct DashboardTests {
    struct Page {
        var status: Int
        var headers: [String: String]
        var text: String
    }

    /// A client that shows redirects instead of following them.
    final class Browser: Sendable {
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let base: String

        init(base: String) { self.base = base }

        func request(
            _ method: HTTPMethod, _ path: String, form: String? = nil, cookie: String? = nil, origin: String? = nil
        ) async throws
            -> Page
        {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let cookie { request.headers.add(name: "Cookie", value: cookie) }
            if let origin { request.headers.add(name: "Origin", value: origin) }
            if let form {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form))
            }
            let response = try await http.execute(request, timeout: .seconds(30))
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return Page(status: Int(response.status.code), headers: headers, text: String(buffer: try await response.body.collect(upTo: 4 << 20)))
        }
    }

    static func formToken(_ html: String) -> String? {
        guard let range = html.range(of: #"name="form_token" value="([0-9a-f]+)""#, options: .regularExpression) else { return nil }
        return html[range].components(separatedBy: "value=\"").last.map { String($0.dropLast()) }
    }

    @Test(arguments: StoreKind.available) func anOperatorSignsInSeesTheDeadLettersAndRetriesOne(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let browser = Browser(base: h.apiURL)
            do {
                try await Self.walk(h, browser)
            } catch {
                try? await browser.http.shutdown()
                throw error
            }
            try await browser.http.shutdown()
        }
    }

    static func walk(_ h: Harness, _ browser: Browser) async throws {
        try await h.script(#"{"to": "+15550001111", "times": 1, "error": {"code": 132001}}"#)
        try await h.script(#"{"to": "+15550002222", "times": 1, "error": {"code": 131026}}"#)
        let template = try await h.send(to: "+15550001111")
        let other = try await h.send(to: "+15550002222")
        try await h.dispatch()

        // Signed out: pages send to the login; a wrong key is refused and sets no cookie.
        #expect(try await browser.request(.GET, "/dashboard").headers["location"] == "/dashboard/login")
        let login = try await browser.request(.GET, "/dashboard/login")
        #expect(login.status == 200 && login.text.contains(#"<label for="api_key">API key</label>"#))
        let wrong = try await browser.request(.POST, "/dashboard/login", form: "api_key=nope")
        #expect(wrong.status == 401 && wrong.headers["set-cookie"] == nil && wrong.text.contains("not the API key"))

        let signed = try await browser.request(.POST, "/dashboard/login", form: "api_key=\(Harness.apiKey)")
        #expect(signed.status == 303 && signed.headers["location"] == "/dashboard")
        let setCookie = try #require(signed.headers["set-cookie"])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/dashboard"), "\(setCookie)")
        #expect(!setCookie.contains(Harness.apiKey), "the API key is in the cookie")
        let cookie = try #require(setCookie.components(separatedBy: ";").first)

        let overview = try await browser.request(.GET, "/dashboard", cookie: cookie)
        #expect(overview.status == 200 && overview.text.contains(#"data-testid="overall">warning<"#), "\(overview.text.prefix(3000))")
        #expect(overview.text.contains("dead_letters_grew") && !overview.text.contains(Harness.apiKey))
        #expect(overview.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        #expect(overview.text.contains(#"<a href="/dashboard/dead-letters?error_code=132001">132001</a></td><td>Simulated error</td><td>1</td>"#))
        #expect(overview.text.contains(#"role="img" aria-label="Attempts per minute, last hour: peak 2 attempts"#), "\(overview.text)")
        #expect(
            overview.text.contains(#"<th scope="row">Last hour</th><td>2</td><td>0 (0 %)</td>"#), "the funnel did not count 2 accepted, none sent")

        let list = try await browser.request(.GET, "/dashboard/dead-letters", cookie: cookie)
        #expect(list.status == 200 && list.text.contains(template) && list.text.contains(other), "\(list.text.prefix(3000))")
        #expect(list.text.contains(#"<td class="code">132001</td>"#) && list.text.contains(#"<td class="code">131026</td>"#))
        let filtered = try await browser.request(.GET, "/dashboard/dead-letters?error_code=131026", cookie: cookie)
        #expect(filtered.text.contains(other) && !filtered.text.contains(template))
        #expect(try await browser.request(.GET, "/dashboard/dead-letters?error_code=abc", cookie: cookie).status == 400)
        let byCampaign = try await browser.request(.GET, "/dashboard/dead-letters?campaign=cmp_none", cookie: cookie)
        #expect(byCampaign.status == 200 && !byCampaign.text.contains(template) && !byCampaign.text.contains(other))
        let token = try #require(Self.formToken(list.text))

        // Actions need the form token, from this origin.
        #expect(try await browser.request(.POST, "/dashboard/messages/\(template)/retry", form: "form_token=0", cookie: cookie).status == 403)
        let forged = try await browser.request(
            .POST, "/dashboard/messages/\(template)/retry", form: "form_token=\(token)", cookie: cookie, origin: "https://evil.example")
        #expect(forged.status == 403)
        #expect(try await h.message(template)["status"] as? String == "failed", "a refused action moved the message")

        let retried = try await browser.request(.POST, "/dashboard/messages/\(template)/retry", form: "form_token=\(token)", cookie: cookie)
        #expect(retried.status == 303 && retried.headers["location"] == "/dashboard/dead-letters?moved=1")
        let after = try await browser.request(.GET, "/dashboard/dead-letters?moved=1", cookie: cookie)
        #expect(after.text.contains("1 message moved to queued.") && !after.text.contains(template) && after.text.contains(other))
        try await h.dispatch()
        #expect(try await h.message(template)["status"] as? String == "sent")

        // The history of a message, and retry all matching a filter.
        let detail = try await browser.request(.GET, "/dashboard/messages/\(template)", cookie: cookie)
        #expect(detail.status == 200 && detail.text.contains("132001") && detail.text.contains(">sent<"), "\(detail.text.prefix(3000))")
        let bulk = try await browser.request(
            .POST, "/dashboard/dead-letters/retry", form: "form_token=\(token)&error_code=131026&class=&sender=", cookie: cookie)
        #expect(bulk.headers["location"] == "/dashboard/dead-letters?moved=1")
        #expect(try await h.message(other)["status"] as? String == "queued")

        // Selected: one retried with another deleted, in one form; a message that is not a dead letter stays.
        try await h.script(#"{"to": "+15550008888", "times": 2, "error": {"code": 132001}}"#)
        let first = try await h.send(to: "+15550008888")
        let second = try await h.send(to: "+15550008888")
        try await h.dispatch()
        let deleted = try await browser.request(
            .POST, "/dashboard/dead-letters/selected", form: "form_token=\(token)&id=\(first)&id=\(template)&do=delete", cookie: cookie)
        #expect(deleted.headers["location"] == "/dashboard/dead-letters?deleted=1", "\(deleted.headers)")
        #expect(try await h.message(first).status == 404)
        #expect(try await h.message(template)["status"] as? String == "sent", "a message that was not a dead letter was deleted")
        let chosen = try await browser.request(
            .POST, "/dashboard/dead-letters/selected", form: "form_token=\(token)&id=\(second)&do=retry", cookie: cookie)
        #expect(chosen.headers["location"] == "/dashboard/dead-letters?moved=1")
        #expect(try await h.message(second)["status"] as? String == "queued")
        #expect(try await browser.request(.GET, "/dashboard/dead-letters?since=yesterday", cookie: cookie).status == 400)
        #expect(try await browser.request(.GET, "/dashboard/dead-letters?since=2026-01-01T00:00", cookie: cookie).status == 200)

        let out = try await browser.request(.POST, "/dashboard/logout", form: "form_token=\(token)", cookie: cookie)
        #expect(out.status == 303 && out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        let css = try await browser.request(.GET, "/dashboard/assets/dashboard.css")
        #expect(css.status == 200 && css.headers["content-type"]?.hasPrefix("text/css") == true)
    }

    /// Signs in; returns the cookie and a form token.
    static func signIn(_ browser: Browser) async throws -> (cookie: String, token: String) {
        let signed = try await browser.request(.POST, "/dashboard/login", form: "api_key=\(Harness.apiKey)")
        let cookie = try #require(signed.headers["set-cookie"]?.components(separatedBy: ";").first)
        let page = try await browser.request(.GET, "/dashboard", cookie: cookie)
        return (cookie, try #require(Self.formToken(page.text)))
    }

    @Test(arguments: StoreKind.available) func sendersAndCampaignsArePausedAndResumedFromTheirPages(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let browser = Browser(base: h.apiURL)
            do {
                try await Self.operate(h, browser)
            } catch {
                try? await browser.http.shutdown()
                throw error
            }
            try await browser.http.shutdown()
        }
    }

    static func operate(_ h: Harness, _ browser: Browser) async throws {
        let (cookie, token) = try await Self.signIn(browser)
        let senders = try await browser.request(.GET, "/dashboard/senders", cookie: cookie)
        #expect(senders.status == 200 && senders.text.contains(#"<tr data-sender="\#(Harness.sender)">"#), "\(senders.text.prefix(2000))")
        #expect(senders.text.contains(#"action="/dashboard/senders/\#(Harness.sender)/pause""#))
        let paused = try await browser.request(.POST, "/dashboard/senders/\(Harness.sender)/pause", form: "form_token=\(token)", cookie: cookie)
        #expect(paused.status == 303 && paused.headers["location"] == "/dashboard/senders?done=pause")
        #expect(try await h.call(.GET, "/v1/senders/\(Harness.sender)")["status"] as? String == "paused")
        let afterPause = try await browser.request(.GET, "/dashboard/senders?done=pause", cookie: cookie)
        #expect(afterPause.text.contains("Done: pause.") && afterPause.text.contains(#"/\#(Harness.sender)/resume""#))
        _ = try await browser.request(.POST, "/dashboard/senders/\(Harness.sender)/resume", form: "form_token=\(token)", cookie: cookie)
        #expect(try await h.call(.GET, "/v1/senders/\(Harness.sender)")["status"] as? String == "connected")
        #expect(
            try await browser.request(.POST, "/dashboard/senders/\(Harness.sender)/explode", form: "form_token=\(token)", cookie: cookie).status
                == 404)

        let created = try await h.call(
            .POST, "/v1/campaigns",
            json:
                #"{"name": "Welcome", "sender_id": "\#(Harness.sender)", "daily_send_limit": 10, "message": {"type": "text", "text": {"body": "hi"}}}"#
        )
        let id = try #require(created["id"] as? String)
        _ = try await h.call(
            .POST, "/v1/campaigns/\(id)/recipients", json: #"{"recipients": [{"phone": "+15550001111"}, {"phone": "+15550002222"}]}"#)
        #expect(try await h.call(.POST, "/v1/campaigns/\(id)/start").status == 200)
        let list = try await browser.request(.GET, "/dashboard/campaigns", cookie: cookie)
        #expect(
            list.text.contains(#"<tr data-campaign="\#(id)">"#) && list.text.contains(#"<progress max="2" value="0""#), "\(list.text.prefix(3000))")
        let pause = try await browser.request(.POST, "/dashboard/campaigns/\(id)/pause", form: "form_token=\(token)", cookie: cookie)
        #expect(pause.headers["location"] == "/dashboard/campaigns?done=pause")
        #expect(try await h.call(.GET, "/v1/campaigns/\(id)")["status"] as? String == "paused")
        #expect(try await browser.request(.POST, "/dashboard/campaigns/\(id)/pause", form: "form_token=\(token)", cookie: cookie).status == 409)
        _ = try await browser.request(.POST, "/dashboard/campaigns/\(id)/resume", form: "form_token=\(token)", cookie: cookie)
        #expect(try await h.call(.GET, "/v1/campaigns/\(id)")["status"] as? String != "paused")

        let failed = try await browser.request(.GET, "/dashboard/campaigns/\(id)/failed", cookie: cookie)
        #expect(failed.status == 200 && failed.text.contains("No failed recipients.") && failed.text.contains("/failed.csv"))
        let export = try await browser.request(.GET, "/dashboard/campaigns/\(id)/failed.csv", cookie: cookie)
        #expect(
            export.status == 200 && export.text.hasPrefix("phone,status,retry_count")
                && export.headers["content-disposition"]?.contains("failed") == true)
        #expect(try await browser.request(.GET, "/dashboard/campaigns/\(id)/failed.csv").status == 401, "an export without a session")

        let forwards = try await browser.request(.GET, "/dashboard/forwards", cookie: cookie)
        #expect(forwards.status == 200 && forwards.text.contains("None."))
        let media = try await browser.request(.GET, "/dashboard/media", cookie: cookie)
        #expect(media.status == 200 && media.text.contains("<h1>Media</h1>"))
        #expect(try await browser.request(.GET, "/dashboard/senders").headers["location"] == "/dashboard/login", "a page opened without a session")
    }
}
