import GRDB

/// The schema, as frozen plain SQL migrations that never reference app types. Times are milliseconds
/// since 1970; statuses are text.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_delivery_core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE messages (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      id TEXT NOT NULL UNIQUE,
                      sender_id TEXT NOT NULL,
                      recipient TEXT NOT NULL,
                      type TEXT NOT NULL,
                      payload TEXT NOT NULL,
                      status TEXT NOT NULL CHECK (status IN
                        ('queued','sending','retry_scheduled','sent','delivered','read','failed','cancelled')),
                      attempts INTEGER NOT NULL DEFAULT 0,
                      counted_attempts INTEGER NOT NULL DEFAULT 0,
                      max_attempts INTEGER NOT NULL,
                      next_attempt_at INTEGER,
                      failure_reason TEXT,
                      wamid TEXT,
                      pair_level INTEGER NOT NULL DEFAULT 0,
                      media_retried INTEGER NOT NULL DEFAULT 0,
                      in_doubt_grace_used INTEGER NOT NULL DEFAULT 0,
                      lease_owner TEXT,
                      lease_expires_at INTEGER,
                      last_error_code INTEGER,
                      last_error_class TEXT,
                      last_error_title TEXT,
                      last_error_details TEXT,
                      last_error_http_status INTEGER,
                      idempotency_key TEXT UNIQUE,
                      request_hash TEXT,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL,
                      sent_at INTEGER
                    );
                    CREATE INDEX messages_due ON messages(next_attempt_at)
                      WHERE status IN ('queued','retry_scheduled');
                    CREATE INDEX messages_leases ON messages(lease_expires_at) WHERE status = 'sending';
                    CREATE INDEX messages_status ON messages(status, seq);
                    CREATE INDEX messages_ended ON messages(updated_at) WHERE status IN ('failed','cancelled');
                    CREATE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;

                    CREATE TABLE attempts (
                      message_seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
                      number INTEGER NOT NULL,
                      started_at INTEGER NOT NULL,
                      finished_at INTEGER,
                      outcome TEXT NOT NULL CHECK (outcome IN ('in_flight','sent','error','in_doubt')),
                      http_status INTEGER,
                      error_code INTEGER,
                      error_class TEXT,
                      error_title TEXT,
                      error_details TEXT,
                      duration_ms INTEGER,
                      PRIMARY KEY (message_seq, number)
                    ) WITHOUT ROWID;
                    CREATE INDEX attempts_started ON attempts(started_at);

                    CREATE TABLE senders (
                      id TEXT PRIMARY KEY,
                      paused INTEGER NOT NULL DEFAULT 0,
                      pause_reason TEXT,
                      pause_error_code INTEGER,
                      paused_at INTEGER
                    );

                    CREATE TABLE settings (
                      key TEXT PRIMARY KEY,
                      value TEXT NOT NULL
                    );
                    """)
        }
        // Every claim and outcome paid for this index; the lease reaper now reads the few `sending` rows
        // through messages_status instead.
        migrator.registerMigration("v2_drop_lease_index") { db in
            try db.execute(sql: "DROP INDEX messages_leases")
        }
        // Due messages are looked up sender by sender, so a paused sender's backlog is never scanned.
        migrator.registerMigration("v3_due_by_sender") { db in
            try db.execute(
                sql: """
                    DROP INDEX messages_due;
                    CREATE INDEX messages_due ON messages(sender_id, next_attempt_at)
                      WHERE status IN ('queued','retry_scheduled');
                    """)
        }
        // Counters kept by the store's write paths (see CounterChanges), so /v1/stats costs the same at a hundred
        // rows or a hundred million: messages per status, and attempts per minute (which replaces the
        // started_at index on attempts).
        migrator.registerMigration("v4_counters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE message_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO message_counts (status, n)
                      SELECT s.status, (SELECT COUNT(*) FROM messages m WHERE m.status = s.status)
                      FROM (SELECT 'queued' AS status UNION ALL SELECT 'sending' UNION ALL SELECT 'retry_scheduled'
                            UNION ALL SELECT 'sent' UNION ALL SELECT 'delivered' UNION ALL SELECT 'read'
                            UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') s;
                    CREATE TABLE attempt_minutes (
                      minute INTEGER PRIMARY KEY, attempts INTEGER NOT NULL, retries INTEGER NOT NULL);
                    INSERT INTO attempt_minutes (minute, attempts, retries)
                      SELECT started_at / 60000, COUNT(*), SUM(number > 1) FROM attempts
                      WHERE started_at >= (CAST(strftime('%s', 'now') AS INTEGER) - 86400) * 1000
                      GROUP BY started_at / 60000;
                    DROP INDEX attempts_started;
                    """)
        }
        // Meta's webhooks: each body as received (kept until processed and past retention), and the status
        // events they carry, one per (wamid, status), matched to their message.
        migrator.registerMigration("v5_webhooks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhooks (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      received_at INTEGER NOT NULL,
                      body BLOB NOT NULL,
                      processed_at INTEGER,
                      problems TEXT
                    );
                    CREATE INDEX webhooks_unprocessed ON webhooks(seq) WHERE processed_at IS NULL;
                    CREATE INDEX webhooks_processed ON webhooks(received_at) WHERE processed_at IS NOT NULL;

                    CREATE TABLE message_events (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      wamid TEXT NOT NULL,
                      status TEXT NOT NULL,
                      message_seq INTEGER REFERENCES messages(seq) ON DELETE CASCADE,
                      outcome TEXT NOT NULL CHECK (outcome IN ('pending','applied','recorded','unmatched')),
                      meta_timestamp INTEGER,
                      recipient_id TEXT,
                      callback_data TEXT,
                      error_code INTEGER,
                      error_title TEXT,
                      error_details TEXT,
                      pricing TEXT,
                      conversation TEXT,
                      received_at INTEGER NOT NULL,
                      next_match_at INTEGER,
                      match_tries INTEGER NOT NULL DEFAULT 0,
                      UNIQUE (wamid, status)
                    );
                    CREATE INDEX message_events_message ON message_events(message_seq) WHERE message_seq IS NOT NULL;
                    CREATE INDEX message_events_pending ON message_events(next_match_at) WHERE outcome = 'pending';
                    """)
        }
        // Forwards to the application (statuses and inbound messages in Meta's format), delivered in order per
        // key under leases; the ids of messages the drop-in endpoint answered with Pigeon's id; inbound
        // messages already seen (Meta delivers webhooks more than once).
        migrator.registerMigration("v6_forwards") { db in
            try db.execute(
                sql: """
                    CREATE TABLE forwards (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      key TEXT NOT NULL,
                      body BLOB NOT NULL,
                      status TEXT NOT NULL CHECK (status IN ('queued','sending','retry_scheduled','delivered','failed')),
                      attempts INTEGER NOT NULL DEFAULT 0,
                      next_attempt_at INTEGER,
                      lease_owner TEXT,
                      lease_expires_at INTEGER,
                      last_error TEXT,
                      last_http_status INTEGER,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL,
                      delivered_at INTEGER
                    );
                    CREATE INDEX forwards_due ON forwards(next_attempt_at) WHERE status IN ('queued','retry_scheduled');
                    CREATE INDEX forwards_open ON forwards(key, seq) WHERE status IN ('queued','sending','retry_scheduled');
                    CREATE INDEX forwards_status ON forwards(status, seq);
                    CREATE TABLE client_ids (message_id TEXT PRIMARY KEY) WITHOUT ROWID;
                    CREATE TABLE inbound_seen (wamid TEXT PRIMARY KEY, received_at INTEGER NOT NULL) WITHOUT ROWID;
                    """)
        }
        // The media library: assets (bytes kept beside the database, named by sha256), the current media id
        // per sender with a lease for single-flight uploads, and every upload tried.
        migrator.registerMigration("v7_media") { db in
            try db.execute(
                sql: """
                    CREATE TABLE media_assets (
                      key TEXT PRIMARY KEY,
                      sha256 TEXT NOT NULL,
                      mime_type TEXT NOT NULL,
                      size INTEGER NOT NULL,
                      filename TEXT NOT NULL,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE media_uploads (
                      key TEXT NOT NULL REFERENCES media_assets(key) ON DELETE CASCADE,
                      sender_id TEXT NOT NULL,
                      media_id TEXT,
                      uploaded_at INTEGER,
                      expires_at INTEGER,
                      upload_owner TEXT,
                      upload_until INTEGER,
                      failures INTEGER NOT NULL DEFAULT 0,
                      retry_at INTEGER,
                      PRIMARY KEY (key, sender_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX media_uploads_expiry ON media_uploads(expires_at);
                    CREATE TABLE media_refreshes (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      key TEXT NOT NULL REFERENCES media_assets(key) ON DELETE CASCADE,
                      sender_id TEXT NOT NULL,
                      reason TEXT NOT NULL,
                      at INTEGER NOT NULL,
                      old_media_id TEXT,
                      new_media_id TEXT,
                      error TEXT
                    );
                    CREATE INDEX media_refreshes_asset ON media_refreshes(key, sender_id, id);
                    """)
        }
        // Which media id each attempt of a message used for each library asset it names, so a media error is
        // answered by one re-upload of exactly the id that failed.
        migrator.registerMigration("v8_media_sends") { db in
            try db.execute(
                sql: """
                    CREATE TABLE media_sends (
                      message_seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
                      attempt INTEGER NOT NULL,
                      key TEXT NOT NULL,
                      media_id TEXT NOT NULL,
                      after_media_error INTEGER NOT NULL DEFAULT 0,
                      PRIMARY KEY (message_seq, attempt, key)
                    ) WITHOUT ROWID;
                    """)
        }
        // The bytes each media id was uploaded from: an asset registered again with new bytes makes its old
        // ids stale, so messages wait for the new upload instead of sending the old content.
        migrator.registerMigration("v9_media_upload_bytes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE media_uploads ADD COLUMN sha256 TEXT;
                    ALTER TABLE media_refreshes ADD COLUMN sha256 TEXT;
                    UPDATE media_uploads SET sha256 = (SELECT a.sha256 FROM media_assets a WHERE a.key = media_uploads.key)
                    WHERE media_id IS NOT NULL;
                    """)
        }
        // Pigeon's own failure causes (PigeonCause), for failures Meta gave no code for.
        migrator.registerMigration("v10_error_causes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN last_error_cause TEXT;
                    ALTER TABLE attempts ADD COLUMN error_cause TEXT;
                    """)
        }
        // Senders become records (SenderRecord): kind, pool, limits, sealed credentials and health. A sender
        // an earlier version paused keeps its pause; rows that only said "not paused" carried nothing.
        migrator.registerMigration("v11_sender_records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sender_records (
                      id TEXT PRIMARY KEY,
                      kind TEXT NOT NULL,
                      pool TEXT NOT NULL,
                      status TEXT NOT NULL,
                      sends INTEGER NOT NULL,
                      limits TEXT NOT NULL,
                      settings TEXT NOT NULL,
                      secrets BLOB NOT NULL,
                      health TEXT NOT NULL,
                      number_health TEXT NOT NULL,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL
                    );
                    INSERT INTO sender_records
                    SELECT id, 'cloud_api', 'default', 'paused', 0, '{"timeZone":"UTC","typing":false}', '{}', X'',
                      json_object('status', 'paused', 'consecutiveFailures', 0, 'reconnectAttempts', 0,
                        'lastFailureAt', paused_at, 'lastFailureReason', pause_reason,
                        'pauseReason', json_object('senderError',
                          json_object('code', COALESCE(pause_error_code, 0), 'title', COALESCE(pause_reason, '')))),
                      '{}', COALESCE(paused_at, 0), COALESCE(paused_at, 0)
                    FROM senders WHERE paused = 1;
                    DROP TABLE senders;
                    ALTER TABLE sender_records RENAME TO senders;
                    CREATE INDEX senders_not_sending ON senders(id) WHERE sends = 0;
                    """)
        }
        // Pooled messages (`pool` set) may move between the senders of their pool; each attempt records the
        // sender it went out through; paced senders keep their rate, pause and day count (PaceState).
        migrator.registerMigration("v12_pools") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN pool TEXT;
                    ALTER TABLE attempts ADD COLUMN sender_id TEXT;
                    CREATE INDEX messages_pooled ON messages(pool, sender_id)
                      WHERE pool IS NOT NULL AND status IN ('queued','retry_scheduled');
                    CREATE TABLE sender_pace (
                      sender_id TEXT PRIMARY KEY,
                      rate_due_us INTEGER,
                      pause_until INTEGER,
                      day TEXT,
                      day_count INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v13_sender_contacts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sender_contacts (
                      sender_id TEXT NOT NULL,
                      contact TEXT NOT NULL,
                      first_at INTEGER NOT NULL,
                      PRIMARY KEY (sender_id, contact)
                    ) WITHOUT ROWID;
                    """)
        }
        // Campaigns, their recipients and the opt-out list. A campaign message carries its campaign and
        // recipient; the trigger moves the recipient with every status change of its current message, in the
        // same transaction (as `RecipientStatus.following` says; the conformance suite checks each status).
        migrator.registerMigration("v14_campaigns") { db in
            try db.execute(
                sql: """
                    CREATE TABLE campaigns (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
                      day_from INTEGER,
                      created_at INTEGER NOT NULL,
                      updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE campaign_recipients (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
                      failed_at INTEGER,
                      skip_reason TEXT,
                      updated_at INTEGER NOT NULL,
                      UNIQUE (campaign_id, phone)
                    );
                    CREATE INDEX campaign_recipients_work ON campaign_recipients(campaign_id, status, scheduled_send_date, seq);
                    CREATE INDEX campaign_recipients_failed ON campaign_recipients(campaign_id, failed_at) WHERE status = 'failed';
                    CREATE TABLE opt_outs (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      phone TEXT NOT NULL UNIQUE,
                      source TEXT NOT NULL,
                      keyword TEXT,
                      created_at INTEGER NOT NULL
                    );
                    ALTER TABLE messages ADD COLUMN campaign_id TEXT;
                    ALTER TABLE messages ADD COLUMN campaign_recipient INTEGER;
                    CREATE TRIGGER campaign_recipient_follows_message AFTER UPDATE OF status ON messages
                    WHEN NEW.campaign_recipient IS NOT NULL AND NEW.status <> OLD.status
                    \(recipientFollowsMessage)
                    """)
        }
        migrator.registerMigration("v15_campaign_brakes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE campaigns ADD COLUMN pause_code INTEGER;
                    ALTER TABLE campaigns ADD COLUMN resumed_at INTEGER;
                    CREATE INDEX messages_campaign_reach ON messages(created_at, sender_id) WHERE campaign_id IS NOT NULL;
                    """)
        }
        // A portfolio's reach is counted from the recipients a campaign released, not from an index on
        // messages that every plain send paid for; the trigger no longer writes the recipient for moves
        // between queued, sending and retry_scheduled (it is `sending` throughout).
        migrator.registerMigration("v16_campaign_reach_from_recipients") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER campaign_recipient_follows_message;
                    CREATE TRIGGER campaign_recipient_follows_message AFTER UPDATE OF status ON messages
                    WHEN NEW.campaign_recipient IS NOT NULL AND NEW.status <> OLD.status
                      AND NOT (NEW.status IN ('queued', 'sending', 'retry_scheduled') AND OLD.status IN ('queued', 'sending', 'retry_scheduled'))
                    \(recipientFollowsMessage)
                    DROP INDEX messages_campaign_reach;
                    ALTER TABLE campaign_recipients ADD COLUMN released_at INTEGER;
                    UPDATE campaign_recipients SET released_at = (SELECT created_at FROM messages WHERE messages.id = campaign_recipients.message_id)
                    WHERE message_id IS NOT NULL;
                    CREATE INDEX campaign_recipients_reach ON campaign_recipients(released_at) WHERE message_id IS NOT NULL;
                    """)
        }
        // Alerts raised and resolved by the alert monitor; one open per kind and subject.
        migrator.registerMigration("v17_alerts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE alerts (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      id TEXT NOT NULL UNIQUE,
                      kind TEXT NOT NULL,
                      subject TEXT NOT NULL,
                      status TEXT NOT NULL,
                      message TEXT NOT NULL,
                      first_seen_at INTEGER NOT NULL,
                      last_seen_at INTEGER NOT NULL,
                      resolved_at INTEGER
                    );
                    CREATE UNIQUE INDEX alerts_open ON alerts(kind, subject) WHERE status = 'open';
                    """)
        }
        // Forwards go to the application or to the alert webhook, each claimed by its own forwarder.
        migrator.registerMigration("v18_forward_destinations") { db in
            try db.execute(
                sql: """
                    ALTER TABLE forwards ADD COLUMN destination TEXT NOT NULL DEFAULT 'app';
                    DROP INDEX forwards_due;
                    CREATE INDEX forwards_due ON forwards(destination, next_attempt_at) WHERE status IN ('queued','retry_scheduled');
                    """)
        }
        // The delivery funnel per minute: messages accepted, and reaching sent, delivered and read.
        migrator.registerMigration("v19_funnel_minutes") { db in
            try db.execute(
                sql: """
                    ALTER TABLE attempt_minutes ADD COLUMN accepted INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE attempt_minutes ADD COLUMN reached_sent INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE attempt_minutes ADD COLUMN reached_delivered INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE attempt_minutes ADD COLUMN reached_read INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        return migrator
    }

    /// The body of the trigger that moves a campaign recipient with its current message (frozen: v14 and v16
    /// create the trigger with it).
    static let recipientFollowsMessage = """
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
        END;
        """
}
