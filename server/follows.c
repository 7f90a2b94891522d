/* follows.c: following and unfollowing. Following runs the follow_user
 * saga (create_follow, then create_notification for the person followed);
 * unfollowing is a single transaction. The follower and following
 * counters are kept by the schema's triggers. */
#include "server.h"

/* Pre-checks of follow.create and follow.delete: fails with not_found for
 * an unknown user; sets *following to whether the caller follows them. */
static enum ag_err find_followee(struct req *rq, int64_t followee, bool *following)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = u.id)"
		" FROM users u WHERE u.id = ?2");
	if (!st)
		return req_db_error(rq, "find user");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, followee);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "User not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "find user");
	*following = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return AG_OK;
}

static void pack_following(struct req *rq, bool following)
{
	msgpack_pack_map(rq->out, 1);
	ag_pack_key(rq->out, "following");
	following ? msgpack_pack_true(rq->out) : msgpack_pack_false(rq->out);
}

enum ag_err h_follow_create(struct req *rq)
{
	int64_t followee = ag_arg_int(rq->args, "user_id", 0);
	bool following;
	struct saga_run run;
	enum ag_err rc;

	if (followee == rq->uid)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "user_id", "You cannot follow yourself.");
	if ((rc = find_followee(rq, followee, &following)) != AG_OK)
		return rc;
	if (following)
		return req_fail(rq, AG_E_CONFLICT, "You already follow this user.");

	if ((rc = saga_begin(&run, rq, &saga_follow_user)) != AG_OK
			|| (rc = saga_set_int(&run, "followee_id", followee)) != AG_OK
			|| (rc = saga_execute(&run)) != AG_OK)
		return rc;
	return run.def->reply(&run, rq);
}

enum ag_err h_follow_delete(struct req *rq)
{
	int64_t followee = ag_arg_int(rq->args, "user_id", 0);
	bool following;
	enum ag_err rc;

	if (db_begin(rq->db) != SQLITE_OK)
		return req_db_error(rq, "unfollow");
	if ((rc = find_followee(rq, followee, &following)) != AG_OK)
		goto fail;
	if (!following) {
		rc = req_fail(rq, AG_E_CONFLICT, "You do not follow this user.");
		goto fail;
	}
	sqlite3_stmt *st = db_prep(rq->db,
		"DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2");
	if (!st) {
		rc = req_db_error(rq, "unfollow");
		goto fail;
	}
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, followee);
	if (sqlite3_step(st) != SQLITE_DONE || db_commit(rq->db) != SQLITE_OK) {
		rc = req_db_error(rq, "unfollow");
		goto fail;
	}
	pack_following(rq, false);
	return AG_OK;
fail:
	db_rollback(rq->db);
	return rc;
}

/* ---- the follow_user saga: context followee_id (in), notification_id ---- */

static enum ag_err step_create_follow(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT OR IGNORE INTO follows (follower_id, followee_id, created_at) VALUES (?1, ?2, ?3)");
	if (!st)
		return saga_db_error(run, "create follow");
	sqlite3_bind_int64(st, 1, run->initiator);
	sqlite3_bind_int64(st, 2, saga_get_int(run, "followee_id"));
	sqlite3_bind_int64(st, 3, run->now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "create follow");
	if (sqlite3_changes(run->db->conn) == 0)
		return saga_fail(run, AG_E_CONFLICT, "You already follow this user.");
	return AG_OK;
}

static enum ag_err undo_create_follow(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2");
	if (!st)
		return saga_db_error(run, "undo follow");
	sqlite3_bind_int64(st, 1, run->initiator);
	sqlite3_bind_int64(st, 2, saga_get_int(run, "followee_id"));
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo follow");
	return AG_OK;
}

static enum ag_err step_notify_followee(struct saga_run *run)
{
	return saga_notify(run, saga_get_int(run, "followee_id"), "follow", run->initiator);
}

static const struct saga_step follow_user_steps[] = {
	{"create_follow", step_create_follow, undo_create_follow},
	{"create_notification", step_notify_followee, saga_unnotify},
};

static enum ag_err follow_user_reply(struct saga_run *run, struct req *rq)
{
	(void)run;
	pack_following(rq, true);
	return AG_OK;
}

const struct saga_def saga_follow_user = {
	"follow_user", follow_user_steps, sizeof follow_user_steps / sizeof follow_user_steps[0],
	follow_user_reply,
};
