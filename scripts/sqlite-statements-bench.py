#!/usr/bin/env python3
"""What the schema costs each plain message at the SQLite level, without the engine around it.

    scripts/sqlite-statements-bench.py /path/to/pigeon [/path/to/another/pigeon ...]

Migrates a fresh SQLite file with each pigeon binary, then times what the send path does to a message
(an insert in batches of 100; the claim and the sent update, each in transactions of 100) on that schema,
and on it with the campaign trigger dropped when it has one. synchronous=OFF: it times the statements,
not fsync. Three rounds, interleaved; the medians are printed.
"""
import os, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

MESSAGES = 100_000
WORK = tempfile.mkdtemp(prefix="pigeon-sql-")


def schema(binary, index):
    path = os.path.join(WORK, f"schema-{index}.sqlite")
    subprocess.run([binary, "migrate"], env={**os.environ, "PIGEON_DATABASE_URL": path}, check=True, stdout=subprocess.DEVNULL)
    return path


def transaction(db, sql, rows):
    db.execute("BEGIN")
    db.executemany(sql, rows)
    db.execute("COMMIT")


def run(path, drop_trigger):
    copy = os.path.join(WORK, "run.sqlite")
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
    shutil.copy(path, copy)
    db = sqlite3.connect(copy, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    if drop_trigger:
        db.execute("DROP TRIGGER campaign_recipient_follows_message")
    started = time.perf_counter()
    for first in range(0, MESSAGES, 100):
        batch = range(first, first + 100)
        transaction(db, "INSERT INTO messages(id, sender_id, recipient, type, payload, status, max_attempts, next_attempt_at,"
                    " created_at, updated_at) VALUES (?, '123456789', ?, 'text', '{\"text\":{\"body\":\"hi\"}}', 'queued', 6, 1000,"
                    " 1000, 1000)", [(f"msg_{i}", f"+1555{i:07d}") for i in batch])
    inserted = time.perf_counter()
    for first in range(0, MESSAGES, 100):
        batch = range(first, first + 100)
        transaction(db, "UPDATE messages SET status = 'sending', attempts = attempts + 1, lease_owner = 'w',"
                    " lease_expires_at = 2000, updated_at = 1001 WHERE seq = ?", [(i + 1,) for i in batch])
        transaction(db, "UPDATE messages SET status = 'sent', wamid = ?, sent_at = 1002, lease_owner = NULL,"
                    " lease_expires_at = NULL, updated_at = 1002 WHERE seq = ?", [(f"wamid.{i}", i + 1) for i in batch])
    updated = time.perf_counter()
    has_trigger = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] > 0
    db.close()
    return (inserted - started) / MESSAGES * 1e6, (updated - inserted) / MESSAGES * 1e6, has_trigger


variants = []
for index, binary in enumerate(sys.argv[1:]):
    path = schema(binary, index)
    variants.append((binary, path, False))
    if sqlite3.connect(path).execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'campaign_recipient_follows_message'").fetchone()[0]:
        variants.append((binary + " without the campaign trigger", path, True))
results = {}
for _ in range(3):
    for name, path, drop in variants:
        results.setdefault(name, []).append(run(path, drop))
print(f"sqlite {sqlite3.sqlite_version}, {MESSAGES} messages, medians of 3 (µs per message)")
for name, rows in results.items():
    print(f"  insert {statistics.median(r[0] for r in rows):5.1f}  claim + sent {statistics.median(r[1] for r in rows):5.1f}  {name}")
shutil.rmtree(WORK)
