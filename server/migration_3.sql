-- migration_3.sql: schema version 3 (embedded by db.c):
-- SSH public keys linked to accounts, for logins through the SSH gateway
-- (PROTOCOL.md section 7). A key (its blob, hence its fingerprint) links
-- to one account; an account may link several keys. Removing a key leaves
-- the sessions it opened alone.

CREATE TABLE ssh_keys (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id     INTEGER NOT NULL REFERENCES users(id),
	fingerprint TEXT NOT NULL UNIQUE,   -- "SHA256:" + base64 of SHA-256(blob)
	key_type    TEXT NOT NULL,          -- e.g. ssh-ed25519
	key_blob    BLOB NOT NULL,          -- the decoded public key blob
	comment     TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX ssh_keys_user ON ssh_keys(user_id, id);
