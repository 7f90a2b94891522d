-- migration_4.sql: schema version 4 (embedded by db.c):
-- notifications of type 'mention' (PROTOCOL.md section 8), whose
-- reference_id is the post that mentions the user, or the post of the
-- comment that does. SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt with the same rows, the same indexes and the same
-- AUTOINCREMENT sequence (an id is never handed out twice).

CREATE TABLE notifications_v4 (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users(id),   -- who is notified
	actor_id     INTEGER NOT NULL REFERENCES users(id),   -- who caused it
	type         TEXT NOT NULL CHECK (type IN ('like', 'comment', 'follow', 'message', 'mention')),
	reference_id INTEGER NOT NULL,  -- post (like, comment, mention), follower (follow), message
	message      TEXT NOT NULL,
	is_read      INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
INSERT INTO notifications_v4 (id, user_id, actor_id, type, reference_id, message, is_read, created_at)
	SELECT id, user_id, actor_id, type, reference_id, message, is_read, created_at
	FROM notifications;
DELETE FROM sqlite_sequence WHERE name = 'notifications_v4';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'notifications_v4', seq FROM sqlite_sequence WHERE name = 'notifications';
DROP TABLE notifications;
ALTER TABLE notifications_v4 RENAME TO notifications;
CREATE INDEX notifications_user ON notifications(user_id, is_read, id);
CREATE INDEX notifications_ref ON notifications(type, reference_id);
