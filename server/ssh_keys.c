/* ssh_keys.c: SSH public keys linked to accounts (PROTOCOL.md section 7):
 * linking, listing and unlinking them, and auth.login_ssh, which the SSH
 * gateway (ansigram --ssh, run by sshd as a dedicated local account) calls
 * to log a person in by the key sshd authenticated. Only ipc:// peers
 * whose uid was given with --ssh-gateway-uid may call it. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "server.h"
#include "sshkey.h"

/* Parses the public_key arg into key, or fails with bad_request naming it. */
static enum ag_err parse_key_arg(struct req *rq, struct ag_sshkey *key)
{
	const char *line = ag_arg_str(rq->args, "public_key");
	char why[200];
	if (ag_sshkey_parse(line, strlen(line), key, why, sizeof why) != 0)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "public_key", "%s", why);
	return AG_OK;
}

/* The account a fingerprint is linked to: *uid (0 when none). */
static enum ag_err key_owner(struct req *rq, const char *fingerprint, int64_t *uid)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT user_id FROM ssh_keys WHERE fingerprint = ?1");
	if (!st)
		return req_db_error(rq, "ssh key owner");
	db_bind_text(st, 1, fingerprint);
	int step = sqlite3_step(st);
	*uid = 0;
	if (step == SQLITE_ROW)
		*uid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return req_db_error(rq, "ssh key owner");
	return AG_OK;
}

/* Fails with conflict when the key is linked already, to this account or
 * to another. */
static enum ag_err check_key_free(struct req *rq, const char *fingerprint)
{
	int64_t owner;
	enum ag_err rc = key_owner(rq, fingerprint, &owner);
	if (rc != AG_OK)
		return rc;
	if (owner == rq->uid)
		return ag_error_set(rq->err, AG_E_CONFLICT, "public_key",
			"This key is already linked to your account.");
	if (owner != 0)
		return ag_error_set(rq->err, AG_E_CONFLICT, "public_key",
			"This key is already linked to another account.");
	return AG_OK;
}

enum ag_err h_auth_ssh_key_add(struct req *rq)
{
	struct ag_sshkey key;
	enum ag_err rc = parse_key_arg(rq, &key);
	if (rc != AG_OK)
		return rc;
	if ((rc = check_key_free(rq, key.fingerprint)) != AG_OK)
		goto out;
	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO ssh_keys (user_id, fingerprint, key_type, key_blob, comment, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!st) {
		rc = req_db_error(rq, "ssh key add");
		goto out;
	}
	sqlite3_bind_int64(st, 1, rq->uid);
	db_bind_text(st, 2, key.fingerprint);
	db_bind_text(st, 3, key.type);
	sqlite3_bind_blob(st, 4, key.blob, (int)key.blob_len, SQLITE_TRANSIENT);
	db_bind_text(st, 5, key.comment);
	sqlite3_bind_int64(st, 6, rq->now);
	int step = db_step_write(rq->db, st);
	if ((step & 0xff) == SQLITE_CONSTRAINT) {
		/* Linked by someone else between the check and now. */
		if ((rc = check_key_free(rq, key.fingerprint)) == AG_OK)
			rc = req_db_error(rq, "ssh key add");
		goto out;
	}
	if (step != SQLITE_DONE) {
		rc = req_db_error(rq, "ssh key add");
		goto out;
	}
	ag_info("ssh key %s linked to user %lld", key.fingerprint, (long long)rq->uid);
	msgpack_pack_map(rq->out, 1);
	ag_pack_key(rq->out, "fingerprint");
	ag_pack_str(rq->out, key.fingerprint);
out:
	ag_sshkey_free(&key);
	return rc;
}

static enum ag_err pack_key_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 4);
	ag_pack_key(pk, "fingerprint");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 0));
	ag_pack_key(pk, "type");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "comment");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 3));
	return AG_OK;
}

enum ag_err h_auth_ssh_key_list(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT fingerprint, key_type, comment, created_at FROM ssh_keys"
		" WHERE user_id = ?1 ORDER BY id DESC");
	if (!st)
		return req_db_error(rq, "ssh key list");
	sqlite3_bind_int64(st, 1, rq->uid);
	return pack_rows(rq, st, pack_key_row);
}

enum ag_err h_auth_ssh_key_remove(struct req *rq)
{
	const char *fingerprint = ag_arg_str(rq->args, "fingerprint");
	if (!ag_sshkey_is_fingerprint(fingerprint))
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "fingerprint",
			"Give the key's fingerprint as ssh-keygen -l prints it (SHA256:...).");
	sqlite3_stmt *st = db_prep(rq->db,
		"DELETE FROM ssh_keys WHERE user_id = ?1 AND fingerprint = ?2");
	if (!st)
		return req_db_error(rq, "ssh key remove");
	sqlite3_bind_int64(st, 1, rq->uid);
	db_bind_text(st, 2, fingerprint);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
		return req_db_error(rq, "ssh key remove");
	if (sqlite3_changes(rq->db->conn) == 0)
		return req_fail(rq, AG_E_NOT_FOUND, "No key with this fingerprint is linked to "
			"your account.");
	ag_info("ssh key %s unlinked from user %lld", fingerprint, (long long)rq->uid);
	msgpack_pack_nil(rq->out);
	return AG_OK;
}

/* True when the request came over ipc:// from a --ssh-gateway-uid peer. */
bool peer_is_gateway(const struct peer *peer)
{
	if (!peer || !peer->is_ipc || peer->uid < 0)
		return false;
	for (int i = 0; i < g_config.n_ssh_gateway_uids; i++)
		if (g_config.ssh_gateway_uids[i] == peer->uid)
			return true;
	return false;
}

enum ag_err h_auth_login_ssh(struct req *rq)
{
	if (!peer_is_gateway(rq->peer)) {
		ag_warn("ssh login refused: not from an SSH gateway (ipc %s, uid %lld)",
			rq->peer && rq->peer->is_ipc ? "yes" : "no",
			(long long)(rq->peer ? rq->peer->uid : -1));
		return req_fail(rq, AG_E_FORBIDDEN,
			"Only the SSH gateway may log in by SSH key.");
	}
	struct ag_sshkey key;
	enum ag_err rc = parse_key_arg(rq, &key);
	if (rc != AG_OK)
		return rc;
	char fingerprint[AG_SSHKEY_FINGERPRINT_SIZE];
	memcpy(fingerprint, key.fingerprint, sizeof fingerprint);
	ag_sshkey_free(&key);

	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT u.id, u.username FROM ssh_keys k JOIN users u ON u.id = k.user_id"
		" WHERE k.fingerprint = ?1 AND u.is_active = 1");
	if (!st)
		return req_db_error(rq, "ssh login");
	db_bind_text(st, 1, fingerprint);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		ag_info("ssh login refused: key %s is not linked to an account", fingerprint);
		return req_fail(rq, AG_E_UNAUTHORIZED,
			"This SSH key is not linked to an account.");
	}
	if (step != SQLITE_ROW)
		return req_db_error(rq, "ssh login");
	int64_t uid = sqlite3_column_int64(st, 0);
	char account[64];
	ag_strlcpy(account, (const char *)sqlite3_column_text(st, 1), sizeof account);
	sqlite3_reset(st);
	ag_info("ssh login: %s (user %lld) by key %s", account, (long long)uid, fingerprint);
	return auth_open_session_reply(rq, uid);
}
