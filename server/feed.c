/* feed.c: feed.get, the posts of the people the caller follows and the
 * caller's own, newest first. */
#include "server.h"

enum ag_err h_feed_get(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " POST_COLUMNS " FROM posts p "
		"WHERE (p.author_id = ?1 "
		"OR p.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?1)) "
		"AND p.id < ?2 ORDER BY p.id DESC LIMIT ?3 OFFSET ?4");
	if (!st)
		return req_db_error(rq, "feed");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, req_before_id(rq));
	sqlite3_bind_int64(st, 3, req_limit(rq));
	sqlite3_bind_int64(st, 4, req_offset(rq));
	return pack_rows(rq, st, pack_post_row);
}
