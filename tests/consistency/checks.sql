-- checks.sql: what a consistent ansigramd database looks like, as queries
-- that list what is wrong with one (embedded in agcheck and the tests).
--
-- Every statement returns one text column, one row per problem; a clean
-- database makes every statement return nothing. The checks are meant for
-- a quiet database (no request in flight), e.g. after a crash and restart.

-- ---- counters equal the rows they count (schema.sql's triggers) ----

SELECT 'users.post_count of user ' || id || ' is ' || post_count
	|| ' but the user has ' || n || ' posts'
FROM (SELECT u.id, u.post_count,
	(SELECT count(*) FROM posts p WHERE p.author_id = u.id) AS n FROM users u)
WHERE post_count != n;

SELECT 'users.follower_count of user ' || id || ' is ' || follower_count
	|| ' but ' || n || ' users follow them'
FROM (SELECT u.id, u.follower_count,
	(SELECT count(*) FROM follows f WHERE f.followee_id = u.id) AS n FROM users u)
WHERE follower_count != n;

SELECT 'users.following_count of user ' || id || ' is ' || following_count
	|| ' but they follow ' || n || ' users'
FROM (SELECT u.id, u.following_count,
	(SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS n FROM users u)
WHERE following_count != n;

SELECT 'posts.like_count of post ' || id || ' is ' || like_count
	|| ' but it has ' || n || ' likes'
FROM (SELECT p.id, p.like_count,
	(SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS n FROM posts p)
WHERE like_count != n;

SELECT 'posts.comment_count of post ' || id || ' is ' || comment_count
	|| ' but it has ' || n || ' comments'
FROM (SELECT p.id, p.comment_count,
	(SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS n FROM posts p)
WHERE comment_count != n;

SELECT 'posts.tags of post ' || id || ' is "' || tags || '" but its hashtags are "' || t || '"'
FROM (SELECT p.id, p.tags, coalesce((SELECT group_concat(name, ' ') FROM (
	SELECT h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id
	WHERE ph.post_id = p.id ORDER BY ph.position)), '') AS t FROM posts p)
WHERE tags != t;

SELECT 'hashtags.post_count of #' || name || ' (hashtag ' || id || ') is ' || post_count
	|| ' but ' || n || ' posts carry it'
FROM (SELECT h.id, h.name, h.post_count,
	(SELECT count(*) FROM post_hashtags ph WHERE ph.hashtag_id = h.id) AS n FROM hashtags h)
WHERE post_count != n;

-- ---- rows about posts that are gone ----

SELECT 'like by user ' || user_id || ' of post ' || post_id || ': the post does not exist'
FROM likes WHERE post_id NOT IN (SELECT id FROM posts);

SELECT 'comment ' || id || ' on post ' || post_id || ': the post does not exist'
FROM comments WHERE post_id NOT IN (SELECT id FROM posts);

SELECT 'hashtag link of post ' || post_id || ' to hashtag ' || hashtag_id
	|| ': the post does not exist'
FROM post_hashtags WHERE post_id NOT IN (SELECT id FROM posts);

SELECT 'hashtag link of post ' || post_id || ' to hashtag ' || hashtag_id
	|| ': the hashtag does not exist'
FROM post_hashtags WHERE hashtag_id NOT IN (SELECT id FROM hashtags);

SELECT 'notification ' || id || ' (' || type || ') is about post ' || reference_id
	|| ', which does not exist'
FROM notifications
WHERE type IN ('like', 'comment', 'mention') AND reference_id NOT IN (SELECT id FROM posts);

-- ---- notifications about follows and messages ----

-- A follow notification names the follower (its actor). Unfollowing keeps
-- the notification, so the follow itself may be gone; the user may not.
SELECT 'notification ' || id || ' (follow) is about user ' || reference_id
	|| ', which does not exist'
FROM notifications
WHERE type = 'follow' AND reference_id NOT IN (SELECT id FROM users);

SELECT 'notification ' || id || ' (follow) is about user ' || reference_id
	|| ' but was caused by user ' || actor_id
FROM notifications WHERE type = 'follow' AND reference_id != actor_id;

SELECT 'notification ' || id || ' (message) is about message ' || reference_id
	|| ', which does not exist'
FROM notifications
WHERE type = 'message' AND reference_id NOT IN (SELECT id FROM messages);

-- ---- user ids that point at no user ----

SELECT 'session ' || id || ' belongs to user ' || user_id || ', who does not exist'
FROM sessions WHERE user_id NOT IN (SELECT id FROM users);

SELECT 'post ' || id || ' has author ' || author_id || ', who does not exist'
FROM posts WHERE author_id NOT IN (SELECT id FROM users);

SELECT 'like of post ' || post_id || ' is by user ' || user_id || ', who does not exist'
FROM likes WHERE user_id NOT IN (SELECT id FROM users);

SELECT 'comment ' || id || ' has author ' || author_id || ', who does not exist'
FROM comments WHERE author_id NOT IN (SELECT id FROM users);

SELECT 'follow of user ' || followee_id || ' by user ' || follower_id
	|| ': the follower does not exist'
FROM follows WHERE follower_id NOT IN (SELECT id FROM users);

SELECT 'follow of user ' || followee_id || ' by user ' || follower_id
	|| ': the followed user does not exist'
FROM follows WHERE followee_id NOT IN (SELECT id FROM users);

SELECT 'story ' || id || ' has author ' || author_id || ', who does not exist'
FROM stories WHERE author_id NOT IN (SELECT id FROM users);

SELECT 'message ' || id || ' has sender ' || sender_id || ', who does not exist'
FROM messages WHERE sender_id NOT IN (SELECT id FROM users);

SELECT 'message ' || id || ' has receiver ' || receiver_id || ', who does not exist'
FROM messages WHERE receiver_id NOT IN (SELECT id FROM users);

SELECT 'notification ' || id || ' is for user ' || user_id || ', who does not exist'
FROM notifications WHERE user_id NOT IN (SELECT id FROM users);

SELECT 'notification ' || id || ' was caused by user ' || actor_id || ', who does not exist'
FROM notifications WHERE actor_id NOT IN (SELECT id FROM users);

-- ---- photos (media) ----

SELECT 'photo ' || id || ' is attached to post ' || post_id || ', which does not exist'
FROM media WHERE post_id IS NOT NULL AND post_id NOT IN (SELECT id FROM posts);

SELECT 'photo ' || id || ' is attached to story ' || story_id || ', which does not exist'
FROM media WHERE story_id IS NOT NULL AND story_id NOT IN (SELECT id FROM stories);

SELECT 'photo ' || id || ' belongs to user ' || owner_id || ', who does not exist'
FROM media WHERE owner_id NOT IN (SELECT id FROM users);

SELECT 'photo ' || m.id || ' of user ' || m.owner_id || ' is on post ' || p.id
	|| ' by user ' || p.author_id
FROM media m JOIN posts p ON p.id = m.post_id WHERE p.author_id != m.owner_id;

SELECT 'photo ' || m.id || ' of user ' || m.owner_id || ' is on story ' || s.id
	|| ' by user ' || s.author_id
FROM media m JOIN stories s ON s.id = m.story_id WHERE s.author_id != m.owner_id;

SELECT 'photo ' || id || ' is kept for post deletion saga ' || deleting_saga
	|| ', which is not running'
FROM media WHERE deleting_saga IS NOT NULL AND deleting_saga NOT IN
	(SELECT id FROM sagas WHERE type = 'delete_post' AND state IN ('running', 'compensating'));

SELECT 'photo ' || id || ' says ' || bytes || ' and ' || thumb_bytes
	|| ' bytes but stores ' || length(data) || ' and ' || length(thumb)
FROM media WHERE bytes != length(data) OR thumb_bytes != length(thumb);

-- A post or unexpired story made with a photo still carries it.
SELECT 'post ' || p.val || ' was created with photo ' || m.val
	|| ', which it does not carry'
FROM sagas s
JOIN saga_values p ON p.saga_id = s.id AND p.key = 'post_id' AND p.idx = 0
JOIN saga_values m ON m.saga_id = s.id AND m.key = 'media_id' AND m.idx = 0
WHERE s.type = 'create_post' AND s.state = 'completed' AND m.val IS NOT NULL
	AND p.val IN (SELECT id FROM posts)
	AND NOT EXISTS (SELECT 1 FROM media x WHERE x.id = m.val AND x.post_id = p.val);

SELECT 'story ' || st.val || ' was created with photo ' || m.val
	|| ', which it does not carry'
FROM sagas s
JOIN saga_values st ON st.saga_id = s.id AND st.key = 'story_id' AND st.idx = 0
JOIN saga_values m ON m.saga_id = s.id AND m.key = 'media_id' AND m.idx = 0
WHERE s.type = 'create_story' AND s.state = 'completed' AND m.val IS NOT NULL
	AND st.val IN (SELECT id FROM stories WHERE expires_at > unixepoch('now') * 1000)
	AND NOT EXISTS (SELECT 1 FROM media x WHERE x.id = m.val AND x.story_id = st.val);

-- ---- sagas: every one finished, its events gone with it ----

SELECT 'saga ' || id || ' (' || type || ') is ' || state
	|| ', not completed or compensated'
FROM sagas WHERE state IN ('running', 'compensating', 'failed');

SELECT 'saga step row ' || id || ' (' || name || ') belongs to saga ' || saga_id
	|| ', which does not exist'
FROM saga_steps WHERE saga_id NOT IN (SELECT id FROM sagas);

SELECT 'saga value ' || key || ' belongs to saga ' || saga_id || ', which does not exist'
FROM saga_values WHERE saga_id NOT IN (SELECT id FROM sagas);

SELECT 'outbox event ' || o.id || ' (' || o.type || ') of saga ' || o.saga_id || ' ('
	|| coalesce(s.state, 'missing') || ') is still queued: only a completed saga has events'
FROM outbox o LEFT JOIN sagas s ON s.id = o.saga_id
WHERE s.state IS NOT 'completed';

SELECT 'outbox event ' || o.id || ' (' || o.type || ') of completed saga ' || o.saga_id
	|| ' was never released'
FROM outbox o JOIN sagas s ON s.id = o.saga_id
WHERE s.state = 'completed' AND o.released = 0;

-- ---- SQLite's own checks ----

SELECT 'integrity_check: ' || integrity_check
FROM pragma_integrity_check WHERE integrity_check != 'ok';

-- The tables above already have their references checked, with clearer
-- messages; this catches references of tables added later.
SELECT 'foreign_key_check: a row of ' || "table" || coalesce(' (rowid ' || rowid || ')', '')
	|| ' points at a missing ' || parent || ' row'
FROM pragma_foreign_key_check
WHERE "table" NOT IN ('sessions', 'posts', 'post_hashtags', 'likes', 'comments', 'follows',
	'stories', 'messages', 'notifications', 'saga_steps', 'media');
