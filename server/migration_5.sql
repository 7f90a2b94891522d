-- migration_5.sql: schema version 5 (embedded by db.c): photos stored by
-- the server (PROTOCOL.md section 8). A row holds the normalised JPEG and
-- its thumbnail, so the one database file (and its backup) holds every
-- photo. A photo is attached to at most one post or one story; one never
-- attached is removed 24 hours after upload. deleting_saga marks a photo a
-- running delete_post saga has taken off its post: kept, so that the
-- saga's compensation can put it back, until the saga's last step.

CREATE TABLE media (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	owner_id      INTEGER NOT NULL REFERENCES users(id),  -- who uploaded it
	mime          TEXT NOT NULL,
	width         INTEGER NOT NULL,
	height        INTEGER NOT NULL,
	bytes         INTEGER NOT NULL,
	data          BLOB NOT NULL,
	thumb_width   INTEGER NOT NULL,
	thumb_height  INTEGER NOT NULL,
	thumb_bytes   INTEGER NOT NULL,
	thumb         BLOB NOT NULL,
	created_at    INTEGER NOT NULL,
	post_id       INTEGER,          -- attached to this post, or NULL
	story_id      INTEGER,          -- attached to this story, or NULL
	deleting_saga TEXT,             -- see above; NULL otherwise
	CHECK (post_id IS NULL OR story_id IS NULL)
);
CREATE UNIQUE INDEX media_post ON media(post_id) WHERE post_id IS NOT NULL;
CREATE UNIQUE INDEX media_story ON media(story_id) WHERE story_id IS NOT NULL;
CREATE INDEX media_unattached ON media(created_at)
	WHERE post_id IS NULL AND story_id IS NULL AND deleting_saga IS NULL;

-- Accepted uploads, for the per-user limits (uploads a minute, bytes a
-- day); rows older than a day are pruned.
CREATE TABLE media_uploads (
	user_id    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	bytes      INTEGER NOT NULL
);
CREATE INDEX media_uploads_user ON media_uploads(user_id, created_at);
