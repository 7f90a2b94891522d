-- migration_6.sql: schema version 6 (embedded by db.c): a page of posts in
-- one statement. A post's hashtags are kept on its row too (posts.tags:
-- the names in order of first appearance, separated by one space; a name
-- never holds a space), rewritten by triggers whenever a link is made or
-- removed, so every path that touches post_hashtags (sagas, their
-- compensations, recovery) keeps the two equal. A post's photo is found
-- through an index that holds the columns the Media object needs, so the
-- photo's blobs are never read to describe it.

ALTER TABLE posts ADD COLUMN tags TEXT NOT NULL DEFAULT '';

CREATE TRIGGER post_hashtags_tags_ins AFTER INSERT ON post_hashtags BEGIN
	UPDATE posts SET tags = coalesce((SELECT group_concat(name, ' ') FROM (
		SELECT h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id
		WHERE ph.post_id = NEW.post_id ORDER BY ph.position)), '')
	WHERE id = NEW.post_id; END;
CREATE TRIGGER post_hashtags_tags_del AFTER DELETE ON post_hashtags BEGIN
	UPDATE posts SET tags = coalesce((SELECT group_concat(name, ' ') FROM (
		SELECT h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id
		WHERE ph.post_id = OLD.post_id ORDER BY ph.position)), '')
	WHERE id = OLD.post_id; END;

UPDATE posts SET tags = coalesce((SELECT group_concat(name, ' ') FROM (
	SELECT h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id
	WHERE ph.post_id = posts.id ORDER BY ph.position)), '')
WHERE id IN (SELECT post_id FROM post_hashtags);

CREATE INDEX media_post_described ON media(post_id, id, mime, width, height, bytes,
	thumb_width, thumb_height, thumb_bytes) WHERE post_id IS NOT NULL;
