import Foundation
import Logging
import PigeonCore
import PostgresNIO

/// The schema, as frozen plain SQL migrations that never reference app types (the same tables and columns
/// as the SQLite store; times are milliseconds since 1970, statuses text). They run under an advisory lock,
/// so instances started together never race, each in its own transaction, recorded in `schema_migrations`.
enum PostgresMigrations {
    /// The advisory lock key migrations hold ("pigeon" in ASCII).
    static let lockKey: Int64 = 0x70_69_67_65_6f_6e

    /// Each migration: its identifier and its statements, in order.
    static let all: [(identifier: String, statements: [String])] = [
        ("v1_schema", v1),
        ("v2_idempotency_key_partial_index", v2),
        ("v3_media_bytes", v3),
        ("v4_sender_records", v4),
        ("v5_pools", v5),
        ("v6_sender_contacts", v6),
        ("v7_campaigns", v7),
        ("v8_campaign_brakes", v8),
        ("v9_campaign_reach_from_recipients", v9),
        ("v10_alerts", v10),
        ("v11_forward_destinations", v11),
        ("v12_funnel_minutes", v12),
    ]

    /// Applies every migration not applied yet; returns their identifiers.
    @discardableResult
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            let applied = try await apply(connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
    }

    private static func apply(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
        var done = Set<String>()
        for try await identifier in try await connection.query("SELECT identifier FROM schema_migrations", logger: logger)
            .decode(String.self)
        {
            done.insert(identifier)
        }
        var applied: [String] = []
        for migration in all where !done.contains(migration.identifier) {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(Date().millisecondsSince1970))",
                    logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            applied.append(migration.identifier)
        }
        return applied
    }

    /// Most messages have no idempotency key; a unique constraint indexes their NULLs too, and every state
    /// change (a new row version: status is indexed, so no update is HOT) pays for that entry. A partial
    /// unique index keeps only the keys: about 30 % less work per update (see docs/BENCHMARKS.md).
    static let v2: [String] = [
        "ALTER TABLE messages DROP CONSTRAINT messages_idempotency_key_key",
        "CREATE UNIQUE INDEX messages_idempotency_key ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL",
    ]

    /// The media library's bytes, one row per SHA-256 (with SQLite they are files beside the database).
    static let v3: [String] = [
        """
        CREATE TABLE media_bytes (
          sha256 TEXT PRIMARY KEY,
          bytes BYTEA NOT NULL,
          kept_at BIGINT NOT NULL
        )
        """
    ]

    private static let statuses = "'queued','sending','retry_scheduled','sent','delivered','read','failed','cancelled'"

    static let v1: [String] = [
        """
        CREATE TABLE messages (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          sender_id TEXT NOT NULL,
          recipient TEXT NOT NULL,
          type TEXT NOT NULL,
          payload TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN (\(statuses))),
          attempts INTEGER NOT NULL DEFAULT 0,
          counted_attempts INTEGER NOT NULL DEFAULT 0,
          max_attempts INTEGER NOT NULL,
          next_attempt_at BIGINT,
          failure_reason TEXT,
          wamid TEXT,
          pair_level INTEGER NOT NULL DEFAULT 0,
          media_retried BOOLEAN NOT NULL DEFAULT FALSE,
          in_doubt_grace_used BOOLEAN NOT NULL DEFAULT FALSE,
          lease_owner TEXT,
          lease_expires_at BIGINT,
          last_error_code INTEGER,
          last_error_class TEXT,
          last_error_title TEXT,
          last_error_details TEXT,
          last_error_http_status INTEGER,
          last_error_cause TEXT,
          idempotency_key TEXT UNIQUE,
          request_hash TEXT,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL,
          sent_at BIGINT
        )
        """,
        "CREATE INDEX messages_due ON messages (next_attempt_at, seq) WHERE status IN ('queued','retry_scheduled')",
        "CREATE INDEX messages_sending ON messages (lease_expires_at) WHERE status = 'sending'",
        "CREATE INDEX messages_status ON messages (status, seq)",
        "CREATE INDEX messages_ended ON messages (updated_at) WHERE status IN ('failed','cancelled')",
        "CREATE INDEX messages_wamid ON messages (wamid) WHERE wamid IS NOT NULL",
        """
        CREATE TABLE attempts (
          message_seq BIGINT NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
          number INTEGER NOT NULL,
          started_at BIGINT NOT NULL,
          finished_at BIGINT,
          outcome TEXT NOT NULL CHECK (outcome IN ('in_flight','sent','error','in_doubt')),
          http_status INTEGER,
          error_code INTEGER,
          error_class TEXT,
          error_title TEXT,
          error_details TEXT,
          error_cause TEXT,
          duration_ms INTEGER,
          PRIMARY KEY (message_seq, number)
        )
        """,
        """
        CREATE TABLE senders (
          id TEXT PRIMARY KEY,
          paused BOOLEAN NOT NULL DEFAULT FALSE,
          pause_reason TEXT,
          pause_error_code INTEGER,
          paused_at BIGINT
        )
        """,
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        // Counters behind /v1/stats, spread over shards so concurrent transactions rarely wait on one row.
        "CREATE TABLE message_counts (status TEXT NOT NULL, shard SMALLINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (status, shard))",
        """
        CREATE TABLE attempt_minutes (
          minute BIGINT NOT NULL, shard SMALLINT NOT NULL, attempts BIGINT NOT NULL, retries BIGINT NOT NULL,
          PRIMARY KEY (minute, shard))
        """,
        """
        CREATE TABLE webhooks (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          received_at BIGINT NOT NULL,
          body BYTEA NOT NULL,
          processed_at BIGINT,
          problems TEXT
        )
        """,
        "CREATE INDEX webhooks_unprocessed ON webhooks (seq) WHERE processed_at IS NULL",
        "CREATE INDEX webhooks_processed ON webhooks (received_at) WHERE processed_at IS NOT NULL",
        """
        CREATE TABLE message_events (
          id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          wamid TEXT NOT NULL,
          status TEXT NOT NULL,
          message_seq BIGINT REFERENCES messages(seq) ON DELETE CASCADE,
          outcome TEXT NOT NULL CHECK (outcome IN ('pending','applied','recorded','unmatched')),
          meta_timestamp BIGINT,
          recipient_id TEXT,
          callback_data TEXT,
          error_code INTEGER,
          error_title TEXT,
          error_details TEXT,
          pricing TEXT,
          conversation TEXT,
          received_at BIGINT NOT NULL,
          next_match_at BIGINT,
          match_tries INTEGER NOT NULL DEFAULT 0,
          UNIQUE (wamid, status)
        )
        """,
        "CREATE INDEX message_events_message ON message_events (message_seq) WHERE message_seq IS NOT NULL",
        "CREATE INDEX message_events_pending ON message_events (next_match_at) WHERE outcome = 'pending'",
        """
        CREATE TABLE forwards (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          key TEXT NOT NULL,
          body BYTEA NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('queued','sending','retry_scheduled','delivered','failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at BIGINT,
          lease_owner TEXT,
          lease_expires_at BIGINT,
          last_error TEXT,
          last_http_status INTEGER,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL,
          delivered_at BIGINT
        )
        """,
        "CREATE INDEX forwards_due ON forwards (next_attempt_at) WHERE status IN ('queued','retry_scheduled')",
        "CREATE INDEX forwards_open ON forwards (key, seq) WHERE status IN ('queued','sending','retry_scheduled')",
        "CREATE INDEX forwards_status ON forwards (status, seq)",
        "CREATE TABLE client_ids (message_id TEXT PRIMARY KEY)",
        "CREATE TABLE inbound_seen (wamid TEXT PRIMARY KEY, received_at BIGINT NOT NULL)",
        """
        CREATE TABLE media_assets (
          key TEXT PRIMARY KEY,
          sha256 TEXT NOT NULL,
          mime_type TEXT NOT NULL,
          size BIGINT NOT NULL,
          filename TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE media_uploads (
          key TEXT NOT NULL REFERENCES media_assets(key) ON DELETE CASCADE,
          sender_id TEXT NOT NULL,
          media_id TEXT,
          uploaded_at BIGINT,
          expires_at BIGINT,
          sha256 TEXT,
          upload_owner TEXT,
          upload_until BIGINT,
          failures INTEGER NOT NULL DEFAULT 0,
          retry_at BIGINT,
          PRIMARY KEY (key, sender_id)
        )
        """,
        "CREATE INDEX media_uploads_expiry ON media_uploads (expires_at)",
        """
        CREATE TABLE media_refreshes (
          id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          key TEXT NOT NULL REFERENCES media_assets(key) ON DELETE CASCADE,
          sender_id TEXT NOT NULL,
          reason TEXT NOT NULL,
          at BIGINT NOT NULL,
          old_media_id TEXT,
          new_media_id TEXT,
          error TEXT,
          sha256 TEXT
        )
        """,
        "CREATE INDEX media_refreshes_asset ON media_refreshes (key, sender_id, id)",
        """
        CREATE TABLE media_sends (
          message_seq BIGINT NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
          attempt INTEGER NOT NULL,
          key TEXT NOT NULL,
          media_id TEXT NOT NULL,
          after_media_error BOOLEAN NOT NULL DEFAULT FALSE,
          PRIMARY KEY (message_seq, attempt, key)
        )
        """,
    ]

    /// Senders become records (SenderRecord): kind, pool, limits, sealed credentials and health. A sender an
    /// earlier version paused keeps its pause; rows that only said "not paused" carried nothing.
    static let v4 = [
        """
        CREATE TABLE sender_records (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          pool TEXT NOT NULL,
          status TEXT NOT NULL,
          sends BOOLEAN NOT NULL,
          limits TEXT NOT NULL,
          settings TEXT NOT NULL,
          secrets BYTEA NOT NULL,
          health TEXT NOT NULL,
          number_health TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )
        """,
        """
        INSERT INTO sender_records
        SELECT id, 'cloud_api', 'default', 'paused', FALSE, '{"timeZone":"UTC","typing":false}', '{}', ''::bytea,
          json_build_object('status', 'paused', 'consecutiveFailures', 0, 'reconnectAttempts', 0,
            'lastFailureAt', paused_at, 'lastFailureReason', pause_reason,
            'pauseReason', json_build_object('senderError',
              json_build_object('code', COALESCE(pause_error_code, 0), 'title', COALESCE(pause_reason, ''))))::text,
          '{}', COALESCE(paused_at, 0), COALESCE(paused_at, 0)
        FROM senders WHERE paused
        """,
        "DROP TABLE senders",
        "ALTER TABLE sender_records RENAME TO senders",
        "CREATE INDEX senders_not_sending ON senders (id) WHERE NOT sends",
    ]

    /// Pooled messages (`pool` set) may move between the senders of their pool; each attempt records the
    /// sender it went out through; paced senders keep their rate, pause and day count (PaceState).
    static let v5 = [
        "ALTER TABLE messages ADD COLUMN pool TEXT",
        "ALTER TABLE attempts ADD COLUMN sender_id TEXT",
        """
        CREATE INDEX messages_pooled ON messages (pool, sender_id)
          WHERE pool IS NOT NULL AND status IN ('queued','retry_scheduled')
        """,
        """
        CREATE TABLE sender_pace (
          sender_id TEXT PRIMARY KEY,
          rate_due_us BIGINT,
          pause_until BIGINT,
          day TEXT,
          day_count INTEGER NOT NULL DEFAULT 0
        )
        """,
    ]

    static let v6 = [
        """
        CREATE TABLE sender_contacts (
          sender_id TEXT NOT NULL,
          contact TEXT NOT NULL,
          first_at BIGINT NOT NULL,
          PRIMARY KEY (sender_id, contact)
        )
        """
    ]

    /// Campaigns, their recipients and the opt-out list. A campaign message carries its campaign and
    /// recipient; the trigger moves the recipient with every status change of its current message, in the
    /// same transaction (as `RecipientStatus.following` says; the conformance suite checks each status).
    static let v7 = [
        """
        CREATE TABLE campaigns (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL,
          message TEXT NOT NULL,
          sender_id TEXT,
          pool TEXT,
          daily_send_limit INTEGER NOT NULL,
          start_date TEXT NOT NULL,
          time_zone TEXT NOT NULL,
          window_from INTEGER,
          window_to INTEGER,
          max_retries INTEGER NOT NULL,
          status TEXT NOT NULL,
          pause_reason TEXT,
          imported INTEGER NOT NULL DEFAULT 0,
          day TEXT,
          day_sent INTEGER NOT NULL DEFAULT 0,
          day_sent_scheduled INTEGER NOT NULL DEFAULT 0,
          day_planned INTEGER NOT NULL DEFAULT 0,
          day_base INTEGER NOT NULL DEFAULT 0,
          day_from BIGINT,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE campaign_recipients (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          campaign_id TEXT NOT NULL,
          phone TEXT NOT NULL,
          variables TEXT NOT NULL,
          status TEXT NOT NULL,
          sends INTEGER NOT NULL DEFAULT 0,
          max_retries INTEGER NOT NULL,
          scheduled_send_date TEXT NOT NULL,
          message_id TEXT,
          earlier_message_ids TEXT NOT NULL DEFAULT '',
          error_code INTEGER,
          error_class TEXT,
          failure_reason TEXT,
          error_title TEXT,
          failed_at BIGINT,
          skip_reason TEXT,
          updated_at BIGINT NOT NULL,
          UNIQUE (campaign_id, phone)
        )
        """,
        "CREATE INDEX campaign_recipients_work ON campaign_recipients (campaign_id, status, scheduled_send_date, seq)",
        "CREATE INDEX campaign_recipients_failed ON campaign_recipients (campaign_id, failed_at) WHERE status = 'failed'",
        """
        CREATE TABLE opt_outs (
          seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          phone TEXT NOT NULL UNIQUE,
          source TEXT NOT NULL,
          keyword TEXT,
          created_at BIGINT NOT NULL
        )
        """,
        "ALTER TABLE messages ADD COLUMN campaign_id TEXT",
        "ALTER TABLE messages ADD COLUMN campaign_recipient BIGINT",
        """
        CREATE FUNCTION campaign_recipient_follows_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE campaign_recipients SET
            status = CASE NEW.status WHEN 'queued' THEN 'sending' WHEN 'sending' THEN 'sending' WHEN 'retry_scheduled' THEN 'sending' WHEN 'sent' THEN 'sent' WHEN 'delivered' THEN 'delivered' WHEN 'read' THEN 'read' WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'skipped' END,
            error_code = CASE WHEN NEW.status = 'failed' THEN NEW.last_error_code ELSE error_code END,
            error_class = CASE WHEN NEW.status = 'failed' THEN NEW.last_error_class ELSE error_class END,
            error_title = CASE WHEN NEW.status = 'failed' THEN NEW.last_error_title ELSE error_title END,
            failure_reason = CASE WHEN NEW.status = 'failed' THEN NEW.failure_reason ELSE failure_reason END,
            failed_at = CASE WHEN NEW.status = 'failed' THEN NEW.updated_at ELSE failed_at END,
            skip_reason = CASE WHEN NEW.status = 'cancelled' THEN 'message_cancelled' ELSE skip_reason END,
            updated_at = NEW.updated_at
          WHERE seq = NEW.campaign_recipient AND message_id = NEW.id;
          RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER campaign_recipient_follows_message AFTER UPDATE OF status ON messages
        FOR EACH ROW WHEN (NEW.campaign_recipient IS NOT NULL AND NEW.status IS DISTINCT FROM OLD.status)
        EXECUTE FUNCTION campaign_recipient_follows_message()
        """,
    ]

    /// A campaign remembers which Meta code paused it and when it last resumed; campaign messages are
    /// indexed by time and sender for the portfolio's 24 h budget.
    static let v8 = [
        "ALTER TABLE campaigns ADD COLUMN pause_code INTEGER, ADD COLUMN resumed_at BIGINT",
        "CREATE INDEX messages_campaign_reach ON messages(created_at, sender_id) WHERE campaign_id IS NOT NULL",
    ]

    /// A portfolio's reach is counted from the recipients a campaign released, not from an index on messages
    /// that every plain send paid for; the trigger no longer writes the recipient for moves between queued,
    /// sending and retry_scheduled (it is `sending` throughout).
    static let v9 = [
        "DROP TRIGGER campaign_recipient_follows_message ON messages",
        """
        CREATE TRIGGER campaign_recipient_follows_message AFTER UPDATE OF status ON messages
        FOR EACH ROW WHEN (NEW.campaign_recipient IS NOT NULL AND NEW.status IS DISTINCT FROM OLD.status
          AND NOT (NEW.status IN ('queued', 'sending', 'retry_scheduled') AND OLD.status IN ('queued', 'sending', 'retry_scheduled')))
        EXECUTE FUNCTION campaign_recipient_follows_message()
        """,
        "DROP INDEX messages_campaign_reach",
        "ALTER TABLE campaign_recipients ADD COLUMN released_at BIGINT",
        """
        UPDATE campaign_recipients SET released_at = m.created_at FROM messages m
        WHERE m.id = campaign_recipients.message_id
        """,
        "CREATE INDEX campaign_recipients_reach ON campaign_recipients(released_at) WHERE message_id IS NOT NULL",
    ]

    /// Alerts raised and resolved by the alert monitor; one open per kind and subject.
    static let v10 = [
        """
        CREATE TABLE alerts (
          seq BIGSERIAL PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL,
          subject TEXT NOT NULL,
          status TEXT NOT NULL,
          message TEXT NOT NULL,
          first_seen_at BIGINT NOT NULL,
          last_seen_at BIGINT NOT NULL,
          resolved_at BIGINT
        )
        """,
        "CREATE UNIQUE INDEX alerts_open ON alerts(kind, subject) WHERE status = 'open'",
    ]

    /// Forwards go to the application or to the alert webhook, each claimed by its own forwarder.
    static let v11 = [
        "ALTER TABLE forwards ADD COLUMN destination TEXT NOT NULL DEFAULT 'app'",
        "DROP INDEX forwards_due",
        "CREATE INDEX forwards_due ON forwards (destination, next_attempt_at) WHERE status IN ('queued','retry_scheduled')",
    ]

    /// The delivery funnel per minute: messages accepted, and reaching sent, delivered and read.
    static let v12 = [
        "ALTER TABLE attempt_minutes ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE attempt_minutes ADD COLUMN reached_sent BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE attempt_minutes ADD COLUMN reached_delivered BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE attempt_minutes ADD COLUMN reached_read BIGINT NOT NULL DEFAULT 0",
    ]
}
