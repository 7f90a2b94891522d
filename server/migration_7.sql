-- migration_7.sql: schema version 7 (embedded by db.c): a saga's context
-- as rows, not one JSON object rewritten for every key a step sets. Each
-- key is one row holding its value as written (an integer, text, or the
-- JSON text of rows a deletion saved); a list (new hashtag ids, mention
-- ids) has one row per item, numbered from 1, and a scalar has idx 0.

CREATE TABLE saga_values (
	saga_id TEXT NOT NULL,
	key     TEXT NOT NULL,
	idx     INTEGER NOT NULL DEFAULT 0,
	val,
	PRIMARY KEY (saga_id, key, idx)
) WITHOUT ROWID;

-- The contexts so far, so that a saga left unfinished by the old version
-- is finished by this one: lists of numbers item by item, the rest (saved
-- rows as JSON text) as they were.
INSERT INTO saga_values (saga_id, key, idx, val)
	SELECT s.id, c.key, 0, c.value FROM sagas s, json_each(s.context) c
	WHERE c.key NOT IN ('new_hashtag_ids', 'mention_ids');
INSERT INTO saga_values (saga_id, key, idx, val)
	SELECT s.id, c.key, item.key + 1, item.value
	FROM sagas s, json_each(s.context) c, json_each(c.value) item
	WHERE c.key IN ('new_hashtag_ids', 'mention_ids') AND c.type = 'array';
UPDATE sagas SET context = '{}' WHERE context != '{}';
