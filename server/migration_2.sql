-- migration_2.sql: schema version 2.
--
-- Idempotency records are written in a saga's first transaction, before
-- the reply exists, so a crash can never let a re-sent request run twice;
-- the reply fills the record when the request ends (or recovery fills it).
-- Login failures are counted per account and per source (peer address, or
-- uid on ipc) with a doubling back-off instead of a lock-out, and an
-- account remembers the sources it logged in from.

CREATE TABLE idempotency_v2 (
	user_id    INTEGER NOT NULL,
	key        TEXT NOT NULL,
	saga_id    TEXT,              -- the saga this request started, if any
	response   BLOB,              -- packed map entries: ok, data|error, saga; NULL until the request ends
	entries    INTEGER,           -- how many entries response holds
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
INSERT INTO idempotency_v2 (user_id, key, response, entries, created_at)
	SELECT user_id, key, response, entries, created_at FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_v2 RENAME TO idempotency;
CREATE INDEX idempotency_pending ON idempotency (saga_id) WHERE response IS NULL;

DROP TABLE login_failures;
CREATE TABLE login_failures (
	key      TEXT PRIMARY KEY,    -- 'account:NAME' or 'source:PEER'
	failures INTEGER NOT NULL,    -- failed logins since the last success or quiet spell
	last_at  INTEGER NOT NULL     -- when the last one happened
) WITHOUT ROWID;

CREATE TABLE login_sources (
	user_id    INTEGER NOT NULL REFERENCES users(id),
	source     TEXT NOT NULL,     -- a peer this account logged in from
	last_ok_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, source)
) WITHOUT ROWID;
