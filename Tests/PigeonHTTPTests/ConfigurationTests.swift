import Foundation
import PigeonCore
import PigeonServer
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheREADME() throws {
        let config = try ServerConfiguration.load(environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.database == .sqlite(path: "./pigeon.sqlite"))
        #expect(config.metaBaseURL == "https://graph.facebook.com")
        #expect(config.retrySchedule == RetryPolicy.defaultSchedule)
        #expect(config.leaseTimeout == .seconds(30))
        #expect(config.inDoubtAfter == .seconds(300))
        #expect(config.retentionDays == 30)
        #expect(config.logFormat == .text)
        #expect(config.isSandbox)
        #expect(config.apiKey == nil)
        #expect(config.inlineSendTimeout == .seconds(2))
        #expect(config.webhookVerifyToken == nil)
        #expect(config.metaAppSecret == nil)
    }

    @Test func everyVariableIsRead() throws {
        let config = try ServerConfiguration.load(environment: [
            "PIGEON_HOST": "0.0.0.0", "PIGEON_PORT": "9000", "PIGEON_DATABASE_URL": "sqlite:///var/lib/pigeon/p.sqlite",
            "PIGEON_API_KEY": "0123456789abcdef", "PIGEON_META_BASE_URL": "http://127.0.0.1:18080",
            "PIGEON_META_API_VERSION": "v21.0", "PIGEON_META_ACCESS_TOKEN": "EAAG", "PIGEON_META_PHONE_NUMBER_ID": "1234",
            "PIGEON_RETRY_SCHEDULE": "500ms,5s", "PIGEON_LEASE_TIMEOUT": "10s", "PIGEON_IN_DOUBT_AFTER": "1m",
            "PIGEON_RETENTION_DAYS": "7", "PIGEON_LOG_FORMAT": "json", "PIGEON_SQLITE_SYNCHRONOUS": "normal",
            "PIGEON_INLINE_SEND_TIMEOUT": "500ms", "PIGEON_WEBHOOK_VERIFY_TOKEN": "tok", "PIGEON_META_APP_SECRET": "shh",
            "PIGEON_OPT_OUT_KEYWORDS": "baja, STOP",
        ])
        #expect(config.optOutKeywords.words == ["BAJA", "STOP"])
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 9000)
        #expect(config.database == .sqlite(path: "/var/lib/pigeon/p.sqlite"))
        #expect(config.apiKey == "0123456789abcdef")
        #expect(config.metaAPIVersion == "v21.0")
        #expect(!config.isSandbox)
        #expect(config.defaultSenderID == "1234")
        #expect(config.retrySchedule == [.milliseconds(500), .seconds(5)])
        #expect(config.leaseTimeout == .seconds(10))
        #expect(config.inDoubtAfter == .seconds(60))
        #expect(config.retentionDays == 7)
        #expect(config.logFormat == .json)
        #expect(!config.sqliteSynchronousFull)
        #expect(config.inlineSendTimeout == .milliseconds(500))
        #expect(config.webhookVerifyToken == "tok")
        #expect(config.metaAppSecret == "shh")
    }

    @Test(arguments: [
        ("PIGEON_PORT", "eighty"), ("PIGEON_PORT", "70000"), ("PIGEON_DATABASE_URL", "postgres://localhost/pigeon"),
        ("PIGEON_DATABASE_URL", "sqlite://relative.sqlite"), ("PIGEON_DATABASE_URL", "mysql://x"), ("PIGEON_API_KEY", "short"),
        ("PIGEON_META_BASE_URL", "graph.facebook.com"), ("PIGEON_META_API_VERSION", "23"), ("PIGEON_RETRY_SCHEDULE", "5 minutes"),
        ("PIGEON_OPT_OUT_KEYWORDS", " , "),
        ("PIGEON_LEASE_TIMEOUT", "30"), ("PIGEON_IN_DOUBT_AFTER", "-1m"), ("PIGEON_RETENTION_DAYS", "0"),
        ("PIGEON_LOG_FORMAT", "xml"), ("PIGEON_LOG_LEVEL", "loud"), ("PIGEON_SQLITE_SYNCHRONOUS", "off"),
        ("PIGEON_MAX_IN_FLIGHT", "0"), ("PIGEON_META_PHONE_NUMBER_ID", "+1 555 000"),
        ("PIGEON_INLINE_SEND_TIMEOUT", "soon"), ("PIGEON_ALERT_WEBHOOK_URL", "ops.example.com/hook"),
        ("PIGEON_ALERT_WEBHOOK_URL", "https://ops.example.com/hook"),
    ])
    func invalidValuesNameTheVariable(variable: String, value: String) {
        do {
            _ = try ServerConfiguration.load(environment: [variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(error.description.hasPrefix(variable), "\(error)")
        }
    }

    @Test func anAlertWebhookTakesItsSecretAndTheMetricsAToken() throws {
        let config = try ServerConfiguration.load(environment: [
            "PIGEON_ALERT_WEBHOOK_URL": "https://ops.example.com/hook", "PIGEON_ALERT_SECRET": "alert-key", "PIGEON_METRICS_TOKEN": "m-token",
        ])
        #expect(config.alertWebhookURL == "https://ops.example.com/hook" && config.alertSecret == "alert-key" && config.metricsToken == "m-token")
        #expect(try ServerConfiguration.load(environment: ["PIGEON_METRICS_TOKEN": ""]).metricsToken == nil)
    }

    @Test func aTokenNeedsAPhoneNumberID() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.load(environment: ["PIGEON_META_ACCESS_TOKEN": "EAAG"]) }
    }

    @Test func anErrorCodesFileOverridesTheTable() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("codes-\(UUID().uuidString).json")
        try Data(#"{"131000": {"class": "permanent", "title": "Something went wrong"}}"#.utf8).write(to: file)
        let config = try ServerConfiguration.load(environment: ["PIGEON_ERROR_CODES_FILE": file.path])
        #expect(try config.errorTable().rule(code: 131000, details: nil)?.errorClass == .permanent)
        try Data("not json".utf8).write(to: file)
        #expect(throws: ConfigurationError.self) { try config.errorTable() }
        try? FileManager.default.removeItem(at: file)
    }
}

@Suite struct DatabaseURLTests {
    @Test func postgresURLsAreReadWithTheirOptions() throws {
        let config = try ServerConfiguration.load(environment: [
            "PIGEON_DATABASE_URL": "postgresql://pigeon:s%40cret@db.internal:6432/pigeon?sslmode=verify-full",
            "PIGEON_DATABASE_POOL_SIZE": "25",
        ])
        guard case .postgres(let url) = config.database else {
            Issue.record("not read as PostgreSQL: \(config.database)")
            return
        }
        #expect(url.host == "db.internal" && url.port == 6432 && url.database == "pigeon")
        #expect(url.username == "pigeon" && url.password == "s@cret")
        #expect(url.sslMode == .verifyFull)
        #expect(!url.description.contains("cret"), "the password was shown: \(url.description)")
        #expect(config.databasePoolSize == 25)
    }

    @Test func badPostgresURLsSayWhatToFixAndNeverShowThePassword() {
        for (url, hint) in [
            ("postgres://db/pigeon", "no user name"), ("postgres://u:topsecret@db", "names no database"),
            ("postgres://u:topsecret@db/pigeon?sslmode=maybe", "sslmode"), ("postgres://u:topsecret@db/pigeon?timeout=3", "unknown option"),
        ] {
            do {
                _ = try ServerConfiguration.load(environment: ["PIGEON_DATABASE_URL": url])
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.description.contains("PIGEON_DATABASE_URL"))
                #expect(error.description.contains(hint), "\(error.description)")
                #expect(!error.description.contains("topsecret"), "\(error.description)")
            }
        }
        for size in ["0", "many", "501"] {
            #expect(throws: ConfigurationError.self) { try ServerConfiguration.load(environment: ["PIGEON_DATABASE_POOL_SIZE": size]) }
        }
    }
}
