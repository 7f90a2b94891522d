/* users.c: people as others see them. Profiles (with counters and whether
 * the caller follows them), editing my own profile, follower and
 * following lists, and the packers for the three ways a user is shown:
 * User (my own account, with email), Profile and PublicUser. */
#include "server.h"

#define USER_COLUMNS "id, username, email, full_name, bio, profile_image_url, is_active, created_at"

enum ag_err pack_user_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1");
	if (!st)
		return req_db_error(rq, "read user");
	sqlite3_bind_int64(st, 1, id);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "User not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "read user");
	msgpack_pack_map(pk, 8);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "email");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "full_name");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "bio");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "profile_image_url");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 5));
	ag_pack_key(pk, "is_active");
	sqlite3_column_int(st, 6) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 7));
	sqlite3_reset(st);
	return AG_OK;
}

enum ag_err pack_profile_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT id, username, full_name, bio, profile_image_url, post_count,"
		" follower_count, following_count, created_at,"
		" EXISTS (SELECT 1 FROM follows WHERE follower_id = ?2 AND followee_id = u.id)"
		" FROM users u WHERE id = ?1");
	if (!st)
		return req_db_error(rq, "read profile");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->uid);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "User not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "read profile");
	msgpack_pack_map(pk, 10);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "full_name");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "bio");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "profile_image_url");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "post_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	ag_pack_key(pk, "follower_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 6));
	ag_pack_key(pk, "following_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 7));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 8));
	ag_pack_key(pk, "is_following");
	sqlite3_column_int(st, 9) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	sqlite3_reset(st);
	return AG_OK;
}

enum ag_err pack_public_user_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 6);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "full_name");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "bio");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "profile_image_url");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	return AG_OK;
}

enum ag_err user_require(struct req *rq, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT 1 FROM users WHERE id = ?1");
	if (!st)
		return req_db_error(rq, "find user");
	sqlite3_bind_int64(st, 1, id);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "User not found.");
	return step == SQLITE_ROW ? AG_OK : req_db_error(rq, "find user");
}

enum ag_err h_user_get(struct req *rq)
{
	if (ag_arg_present(rq->args, "user_id"))
		return pack_profile_by_id(rq, rq->out, ag_arg_int(rq->args, "user_id", 0));

	const char *username = ag_arg_str(rq->args, "username");
	if (!username)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "user_id",
			"Give a user_id or a username.");
	sqlite3_stmt *st = db_prep(rq->db, "SELECT id FROM users WHERE username = lower(?1)");
	if (!st)
		return req_db_error(rq, "find user");
	db_bind_text(st, 1, username);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "User not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "find user");
	int64_t id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return pack_profile_by_id(rq, rq->out, id);
}

/* Binds a profile field of user.update as a pair of parameters: whether
 * to change it (?i) and its new value (?i+1: NULL for nil or ""). */
static void bind_update_field(struct req *rq, sqlite3_stmt *st, int i, const char *name)
{
	const char *value = ag_arg_str(rq->args, name);

	sqlite3_bind_int(st, i, ag_arg_present(rq->args, name));
	db_bind_text(st, i + 1, value && *value ? value : NULL);
}

enum ag_err h_user_update(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"UPDATE users SET"
		" full_name = CASE WHEN ?1 THEN ?2 ELSE full_name END,"
		" bio = CASE WHEN ?3 THEN ?4 ELSE bio END,"
		" profile_image_url = CASE WHEN ?5 THEN ?6 ELSE profile_image_url END"
		" WHERE id = ?7");
	if (!st)
		return req_db_error(rq, "update profile");
	bind_update_field(rq, st, 1, "full_name");
	bind_update_field(rq, st, 3, "bio");
	bind_update_field(rq, st, 5, "profile_image_url");
	sqlite3_bind_int64(st, 7, rq->uid);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
		return req_db_error(rq, "update profile");
	return pack_user_by_id(rq, rq->out, rq->uid);
}

/* Lists one side of user_id's follows with sql (?1 user, ?2 limit, ?3 offset). */
static enum ag_err list_follows(struct req *rq, const char *sql, const char *what)
{
	int64_t id = ag_arg_int(rq->args, "user_id", 0);
	enum ag_err rc = user_require(rq, id);
	if (rc != AG_OK)
		return rc;
	sqlite3_stmt *st = db_prep(rq->db, sql);
	if (!st)
		return req_db_error(rq, what);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, req_limit(rq));
	sqlite3_bind_int64(st, 3, req_offset(rq));
	return pack_rows(rq, st, pack_public_user_row);
}

enum ag_err h_user_followers(struct req *rq)
{
	return list_follows(rq,
		"SELECT " PUBLIC_USER_COLUMNS " FROM follows f JOIN users u ON u.id = f.follower_id"
		" WHERE f.followee_id = ?1 ORDER BY f.created_at DESC, u.id DESC LIMIT ?2 OFFSET ?3",
		"list followers");
}

enum ag_err h_user_following(struct req *rq)
{
	return list_follows(rq,
		"SELECT " PUBLIC_USER_COLUMNS " FROM follows f JOIN users u ON u.id = f.followee_id"
		" WHERE f.follower_id = ?1 ORDER BY f.created_at DESC, u.id DESC LIMIT ?2 OFFSET ?3",
		"list following");
}
