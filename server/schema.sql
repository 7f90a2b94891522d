-- schema.sql: the ansigramd database, version 1 (embedded by db.c).
--
-- Ids that people see (users, posts, hashtags, comments, stories, messages,
-- notifications) are AUTOINCREMENT: an id is never reused after its row is
-- deleted, so a stale reference can never name someone else's row.
--
-- Counters (post_count, follower_count, following_count, like_count,
-- comment_count, hashtag post_count) are kept by the triggers at the end,
-- so they always equal the rows they count, whatever path (handler, saga
-- step, compensation) inserts or deletes those rows.

CREATE TABLE users (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	username          TEXT NOT NULL UNIQUE,      -- lowercase
	email             TEXT NOT NULL UNIQUE,      -- lowercase
	password_hash     TEXT NOT NULL,             -- argon2id, crypto_pwhash_str
	full_name         TEXT,
	bio               TEXT,
	profile_image_url TEXT,
	is_active         INTEGER NOT NULL DEFAULT 1,
	created_at        INTEGER NOT NULL,
	post_count        INTEGER NOT NULL DEFAULT 0,
	follower_count    INTEGER NOT NULL DEFAULT 0,
	following_count   INTEGER NOT NULL DEFAULT 0
);

-- A login. Only a hash of the token is kept; push_* are the per-session
-- push credentials (PROTOCOL.md section 6).
CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	token_hash   BLOB NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users(id),
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	revoked      INTEGER NOT NULL DEFAULT 0,
	push_topic   BLOB NOT NULL,
	push_key     BLOB NOT NULL,
	push_seq     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id, last_seen_at);

-- Failed logins per account name, for rate limiting.
CREATE TABLE login_failures (
	account      TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	window_start INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE posts (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	author_id     INTEGER NOT NULL REFERENCES users(id),
	content       TEXT,
	image_url     TEXT,
	like_count    INTEGER NOT NULL DEFAULT 0,
	comment_count INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);
CREATE INDEX posts_author ON posts(author_id, id);

CREATE TABLE hashtags (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL UNIQUE,             -- lowercase, without '#'
	post_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE post_hashtags (
	post_id    INTEGER NOT NULL REFERENCES posts(id),
	hashtag_id INTEGER NOT NULL REFERENCES hashtags(id),
	position   INTEGER NOT NULL,                 -- order of first appearance
	PRIMARY KEY (post_id, hashtag_id)
) WITHOUT ROWID;
CREATE INDEX post_hashtags_tag ON post_hashtags(hashtag_id, post_id);

CREATE TABLE likes (
	post_id    INTEGER NOT NULL REFERENCES posts(id),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;
CREATE INDEX likes_user ON likes(user_id, post_id);

CREATE TABLE comments (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	post_id    INTEGER NOT NULL REFERENCES posts(id),
	author_id  INTEGER NOT NULL REFERENCES users(id),
	content    TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX comments_post ON comments(post_id, id);

CREATE TABLE follows (
	follower_id INTEGER NOT NULL REFERENCES users(id),
	followee_id INTEGER NOT NULL REFERENCES users(id),
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX follows_followee ON follows(followee_id, follower_id);

CREATE TABLE stories (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	author_id  INTEGER NOT NULL REFERENCES users(id),
	image_url  TEXT,
	content    TEXT,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX stories_author ON stories(author_id, expires_at);

CREATE TABLE messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	sender_id   INTEGER NOT NULL REFERENCES users(id),
	receiver_id INTEGER NOT NULL REFERENCES users(id),
	content     TEXT NOT NULL,
	is_read     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE INDEX messages_pair ON messages(sender_id, receiver_id, id);
CREATE INDEX messages_inbox ON messages(receiver_id, is_read, id);

CREATE TABLE notifications (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users(id),   -- who is notified
	actor_id     INTEGER NOT NULL REFERENCES users(id),   -- who caused it
	type         TEXT NOT NULL CHECK (type IN ('like', 'comment', 'follow', 'message')),
	reference_id INTEGER NOT NULL,  -- post (like, comment), follower (follow), message
	message      TEXT NOT NULL,
	is_read      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, is_read, id);
CREATE INDEX notifications_ref ON notifications(type, reference_id);

-- The durable saga log: one row per saga, one saga_steps row per
-- transition. context was a JSON object the steps read and extended; since
-- schema version 7 the context is in saga_values (migration_7.sql).
CREATE TABLE sagas (
	id         TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	state      TEXT NOT NULL CHECK (state IN
	             ('running', 'completed', 'compensating', 'compensated', 'failed')),
	initiator  INTEGER NOT NULL,
	context    TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sagas_state ON sagas(state);

CREATE TABLE saga_steps (
	id      INTEGER PRIMARY KEY,
	saga_id TEXT NOT NULL REFERENCES sagas(id),
	name    TEXT NOT NULL,
	status  TEXT NOT NULL CHECK (status IN
	          ('completed', 'failed', 'compensated', 'compensation_failed', 'recovered')),
	at      INTEGER NOT NULL,
	error   TEXT
);
CREATE INDEX saga_steps_saga ON saga_steps(saga_id, id);

-- Push events (PROTOCOL.md section 6) on their way out: written in the
-- transaction of the saga step that causes them, released in the
-- transaction that completes the saga, deleted once published. A saga that
-- ends compensated or failed deletes its events unpublished.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	saga_id      TEXT NOT NULL,
	audience     TEXT NOT NULL CHECK (audience IN ('user', 'followers')),
	user_id      INTEGER NOT NULL,            -- the user, or the author whose followers get it
	skip_session INTEGER NOT NULL DEFAULT 0,  -- a session left out (the sender's own)
	type         TEXT NOT NULL CHECK (type IN ('notification', 'message', 'post', 'story')),
	payload      BLOB NOT NULL,               -- the event's data, packed
	released     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
CREATE INDEX outbox_released ON outbox(released, id);
CREATE INDEX outbox_saga ON outbox(saga_id);

-- First responses of saga-backed requests that carried `idem`.
CREATE TABLE idempotency (
	user_id    INTEGER NOT NULL,
	key        TEXT NOT NULL,
	response   BLOB NOT NULL,     -- packed map entries: ok, data|error, saga
	entries    INTEGER NOT NULL,  -- how many entries response holds
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, key)
) WITHOUT ROWID;

CREATE TRIGGER posts_count_ins AFTER INSERT ON posts BEGIN
	UPDATE users SET post_count = post_count + 1 WHERE id = NEW.author_id; END;
CREATE TRIGGER posts_count_del AFTER DELETE ON posts BEGIN
	UPDATE users SET post_count = post_count - 1 WHERE id = OLD.author_id; END;
CREATE TRIGGER likes_count_ins AFTER INSERT ON likes BEGIN
	UPDATE posts SET like_count = like_count + 1 WHERE id = NEW.post_id; END;
CREATE TRIGGER likes_count_del AFTER DELETE ON likes BEGIN
	UPDATE posts SET like_count = like_count - 1 WHERE id = OLD.post_id; END;
CREATE TRIGGER comments_count_ins AFTER INSERT ON comments BEGIN
	UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id; END;
CREATE TRIGGER comments_count_del AFTER DELETE ON comments BEGIN
	UPDATE posts SET comment_count = comment_count - 1 WHERE id = OLD.post_id; END;
CREATE TRIGGER follows_count_ins AFTER INSERT ON follows BEGIN
	UPDATE users SET following_count = following_count + 1 WHERE id = NEW.follower_id;
	UPDATE users SET follower_count = follower_count + 1 WHERE id = NEW.followee_id; END;
CREATE TRIGGER follows_count_del AFTER DELETE ON follows BEGIN
	UPDATE users SET following_count = following_count - 1 WHERE id = OLD.follower_id;
	UPDATE users SET follower_count = follower_count - 1 WHERE id = OLD.followee_id; END;
CREATE TRIGGER post_hashtags_count_ins AFTER INSERT ON post_hashtags BEGIN
	UPDATE hashtags SET post_count = post_count + 1 WHERE id = NEW.hashtag_id; END;
CREATE TRIGGER post_hashtags_count_del AFTER DELETE ON post_hashtags BEGIN
	UPDATE hashtags SET post_count = post_count - 1 WHERE id = OLD.hashtag_id; END;
