/* search.c: finding users, hashtags and the posts that carry a hashtag.
 *
 * Matching is on text folded with the SQL function ag_fold (Unicode
 * lowercase, registered by db.c) and uses instr(), not LIKE, so '%' and
 * '_' in the query match themselves.
 */
#include "server.h"

enum ag_err h_search_users(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " PUBLIC_USER_COLUMNS " FROM users u "
		"WHERE u.is_active AND (instr(ag_fold(u.username), ag_fold(?1)) > 0 "
		"OR instr(ag_fold(coalesce(u.full_name, '')), ag_fold(?1)) > 0) "
		"ORDER BY u.id DESC LIMIT ?2");
	if (!st)
		return req_db_error(rq, "search users");
	db_bind_text(st, 1, ag_arg_str(rq->args, "q"));
	sqlite3_bind_int64(st, 2, req_limit(rq));
	return pack_rows(rq, st, pack_public_user_row);
}

/* The text of a hashtag argument without its one optional leading '#'. */
static const char *strip_hash(const char *s)
{
	return *s == '#' ? s + 1 : s;
}

static enum ag_err pack_hashtag_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 3);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "name");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "post_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 2));
	return AG_OK;
}

/* Hashtags in use (post_count > 0) whose name contains q, most used first. */
enum ag_err h_search_hashtags(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT id, name, post_count FROM hashtags "
		"WHERE post_count > 0 AND instr(ag_fold(name), ag_fold(?1)) > 0 "
		"ORDER BY post_count DESC, name LIMIT ?2");
	if (!st)
		return req_db_error(rq, "search hashtags");
	db_bind_text(st, 1, strip_hash(ag_arg_str(rq->args, "q")));
	sqlite3_bind_int64(st, 2, req_limit(rq));
	return pack_rows(rq, st, pack_hashtag_row);
}

enum ag_err h_search_posts_by_hashtag(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " POST_COLUMNS " FROM hashtags h "
		"JOIN post_hashtags ph ON ph.hashtag_id = h.id JOIN posts p ON p.id = ph.post_id"
		POST_MEDIA_JOIN
		"WHERE h.name = ag_fold(?2) ORDER BY ph.post_id DESC LIMIT ?3 OFFSET ?4");
	if (!st)
		return req_db_error(rq, "posts by hashtag");
	sqlite3_bind_int64(st, 1, rq->uid);
	db_bind_text(st, 2, strip_hash(ag_arg_str(rq->args, "tag")));
	sqlite3_bind_int64(st, 3, req_limit(rq));
	sqlite3_bind_int64(st, 4, req_offset(rq));
	return pack_rows(rq, st, pack_post_row);
}
