/* auth.c: accounts and sessions. Registration hashes passwords with
 * argon2id (crypto_pwhash_str at the configured cost); login checks them,
 * rate-limits failures per account name and opens a session. A session
 * token is 32 random bytes in unpadded base64url; only its BLAKE2b hash is
 * stored, so a copy of the database cannot be used to log in. */
#include <sodium.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "server.h"

#define SESSION_TTL_MS (30LL * 24 * 3600 * 1000)
#define SEEN_INTERVAL_MS (60LL * 1000)     /* last_seen_at granularity */
#define LOGIN_MAX_FAILURES 5
#define LOGIN_WINDOW_MS (15LL * 60 * 1000)

#define TOKEN_BYTES 32
#define TOKEN_TEXT_SIZE sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
#define PUSH_TOPIC_BYTES 16
#define PUSH_KEY_BYTES 32
#define ACCOUNT_NAME_MAX 254   /* no email or username is longer */

/* A hash of a random password: verified against when the account does not
 * exist, so that costs as much as a wrong password. */
static char dummy_hash[crypto_pwhash_STRBYTES];

int auth_init(void)
{
	unsigned char secret[32];

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(secret, sizeof secret);
	if (crypto_pwhash_str(dummy_hash, (const char *)secret, sizeof secret,
			g_config.pw_opslimit, g_config.pw_memlimit) != 0) {
		ag_error("auth: cannot hash a password at the configured cost (out of memory?)");
		return -1;
	}
	return 0;
}

static void hash_token(const char *token, size_t len, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, len, NULL, 0);
}

/* Fails with conflict when the email or the username is in use (the email
 * is checked first), AG_OK when both are free. */
static enum ag_err check_account_free(struct req *rq, const char *username, const char *email)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT EXISTS (SELECT 1 FROM users WHERE email = lower(?1)),"
		" EXISTS (SELECT 1 FROM users WHERE username = lower(?2))");
	if (!st)
		return req_db_error(rq, "check account");
	db_bind_text(st, 1, email);
	db_bind_text(st, 2, username);
	if (sqlite3_step(st) != SQLITE_ROW)
		return req_db_error(rq, "check account");
	bool email_taken = sqlite3_column_int(st, 0);
	bool username_taken = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (email_taken)
		return req_fail(rq, AG_E_CONFLICT, "This email is already registered.");
	if (username_taken)
		return req_fail(rq, AG_E_CONFLICT, "This username is already taken.");
	return AG_OK;
}

enum ag_err h_auth_register(struct req *rq)
{
	const char *username = ag_arg_str(rq->args, "username");
	const char *email = ag_arg_str(rq->args, "email");
	const char *password = ag_arg_str(rq->args, "password");
	const char *full_name = ag_arg_str(rq->args, "full_name");
	char hash[crypto_pwhash_STRBYTES];
	enum ag_err rc;

	if (full_name && !*full_name)
		full_name = NULL;
	if ((rc = check_account_free(rq, username, email)) != AG_OK)
		return rc;
	if (crypto_pwhash_str(hash, password, strlen(password),
			g_config.pw_opslimit, g_config.pw_memlimit) != 0) {
		ag_error("auth: password hashing failed (out of memory?)");
		return req_fail(rq, AG_E_INTERNAL, "The server could not create the account.");
	}

	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO users (username, email, password_hash, full_name, created_at)"
		" VALUES (lower(?1), lower(?2), ?3, ?4, ?5)");
	if (!st)
		return req_db_error(rq, "register");
	db_bind_text(st, 1, username);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, hash);
	db_bind_text(st, 4, full_name);
	sqlite3_bind_int64(st, 5, rq->now);
	int step = sqlite3_step(st);
	if ((step & 0xff) == SQLITE_CONSTRAINT) {  /* extended codes are on */
		/* Someone registered the same name between the check and now. */
		if ((rc = check_account_free(rq, username, email)) != AG_OK)
			return rc;
		return req_db_error(rq, "register");
	}
	if (step != SQLITE_DONE)
		return req_db_error(rq, "register");
	return pack_user_by_id(rq, rq->out, sqlite3_last_insert_rowid(rq->db->conn));
}

/* Fails with rate_limited (retry_after_ms set) while account has used up
 * its failed attempts in the current window. */
static enum ag_err check_login_rate(struct req *rq, const char *account)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT failures, window_start FROM login_failures WHERE account = lower(?1)");
	if (!st)
		return req_db_error(rq, "login rate");
	db_bind_text(st, 1, account);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return AG_OK;
	if (step != SQLITE_ROW)
		return req_db_error(rq, "login rate");
	int64_t failures = sqlite3_column_int64(st, 0);
	int64_t window_end = sqlite3_column_int64(st, 1) + LOGIN_WINDOW_MS;
	sqlite3_reset(st);
	if (failures < LOGIN_MAX_FAILURES || window_end <= rq->now)
		return AG_OK;
	req_fail(rq, AG_E_RATE_LIMITED, "Too many failed logins; try again later.");
	rq->err->retry_after_ms = (uint64_t)(window_end - rq->now);
	return AG_E_RATE_LIMITED;
}

/* Counts a failed login for account, starting a new window when the last
 * one has ended. */
static enum ag_err record_login_failure(struct req *rq, const char *account)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO login_failures (account, failures, window_start) VALUES (lower(?1), 1, ?2)"
		" ON CONFLICT (account) DO UPDATE SET"
		"  failures = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE failures + 1 END,"
		"  window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END");
	if (!st)
		return req_db_error(rq, "login failure");
	db_bind_text(st, 1, account);
	sqlite3_bind_int64(st, 2, rq->now);
	sqlite3_bind_int64(st, 3, LOGIN_WINDOW_MS);
	if (sqlite3_step(st) != SQLITE_DONE)
		return req_db_error(rq, "login failure");
	return AG_OK;
}

/* Clears account's failures and inserts a session row for uid, filling
 * in the new token's text and the session's push credentials. */
static enum ag_err open_session(struct req *rq, int64_t uid, const char *account,
	char token[TOKEN_TEXT_SIZE], unsigned char topic[PUSH_TOPIC_BYTES],
	unsigned char key[PUSH_KEY_BYTES])
{
	unsigned char raw[TOKEN_BYTES], token_hash[32];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, TOKEN_TEXT_SIZE, raw, sizeof raw,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_token(token, strlen(token), token_hash);
	randombytes_buf(topic, PUSH_TOPIC_BYTES);
	randombytes_buf(key, PUSH_KEY_BYTES);

	if (db_begin(rq->db) != SQLITE_OK)
		return req_db_error(rq, "login");
	sqlite3_stmt *clear = db_prep(rq->db, "DELETE FROM login_failures WHERE account = lower(?1)");
	if (!clear)
		goto fail;
	db_bind_text(clear, 1, account);
	if (sqlite3_step(clear) != SQLITE_DONE)
		goto fail;
	sqlite3_stmt *ins = db_prep(rq->db,
		"INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at,"
		" push_topic, push_key) VALUES (?1, ?2, ?3, ?4, ?3, ?5, ?6)");
	if (!ins)
		goto fail;
	sqlite3_bind_blob(ins, 1, token_hash, sizeof token_hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins, 2, uid);
	sqlite3_bind_int64(ins, 3, rq->now);
	sqlite3_bind_int64(ins, 4, rq->now + SESSION_TTL_MS);
	sqlite3_bind_blob(ins, 5, topic, PUSH_TOPIC_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_blob(ins, 6, key, PUSH_KEY_BYTES, SQLITE_TRANSIENT);
	if (sqlite3_step(ins) != SQLITE_DONE)
		goto fail;
	if (db_commit(rq->db) != SQLITE_OK)
		goto fail;
	return AG_OK;
fail:
	req_db_error(rq, "login");
	db_rollback(rq->db);
	return AG_E_INTERNAL;
}

enum ag_err h_auth_login(struct req *rq)
{
	const char *email = ag_arg_str(rq->args, "email");
	const char *username = ag_arg_str(rq->args, "username");
	const char *password = ag_arg_str(rq->args, "password");
	char account[64], hash[crypto_pwhash_STRBYTES];
	int64_t uid = 0;
	bool active = false;
	enum ag_err rc;

	if (!email && !username)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "email",
			"Give an email or a username to log in.");

	sqlite3_stmt *st = email
		? db_prep(rq->db, "SELECT id, username, password_hash, is_active FROM users WHERE email = lower(?1)")
		: db_prep(rq->db, "SELECT id, username, password_hash, is_active FROM users WHERE username = lower(?1)");
	if (!st)
		return req_db_error(rq, "login");
	db_bind_text(st, 1, email ? email : username);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		uid = sqlite3_column_int64(st, 0);
		ag_strlcpy(account, (const char *)sqlite3_column_text(st, 1), sizeof account);
		ag_strlcpy(hash, (const char *)sqlite3_column_text(st, 2), sizeof hash);
		active = sqlite3_column_int(st, 3);
		sqlite3_reset(st);
	} else if (step != SQLITE_DONE) {
		return req_db_error(rq, "login");
	}
	/* Failures count against the account's username when it exists, else
	 * against the name as given (lower-cased by the statements); names too
	 * long to be any account's are not worth a row. */
	const char *rate_key = uid ? account : email ? email : username;

	if ((rc = check_login_rate(rq, rate_key)) != AG_OK)
		return rc;
	bool password_ok = crypto_pwhash_str_verify(uid ? hash : dummy_hash,
		password, strlen(password)) == 0;
	if (!uid || !active || !password_ok) {
		if (strlen(rate_key) <= ACCOUNT_NAME_MAX
				&& (rc = record_login_failure(rq, rate_key)) != AG_OK)
			return rc;
		return req_fail(rq, AG_E_UNAUTHORIZED, "Invalid credentials.");
	}

	return auth_open_session_reply(rq, uid, account);
}

enum ag_err auth_open_session_reply(struct req *rq, int64_t uid, const char *account)
{
	char token[TOKEN_TEXT_SIZE];
	unsigned char topic[PUSH_TOPIC_BYTES], key[PUSH_KEY_BYTES];
	enum ag_err rc;
	if ((rc = open_session(rq, uid, account, token, topic, key)) != AG_OK)
		return rc;

	msgpack_packer *pk = rq->out;
	msgpack_pack_map(pk, 4);
	ag_pack_key(pk, "token");
	ag_pack_str(pk, token);
	ag_pack_key(pk, "expires_at");
	msgpack_pack_int64(pk, rq->now + SESSION_TTL_MS);
	ag_pack_key(pk, "push");
	msgpack_pack_map(pk, 2);
	ag_pack_key(pk, "topic");
	msgpack_pack_bin(pk, PUSH_TOPIC_BYTES);
	msgpack_pack_bin_body(pk, topic, PUSH_TOPIC_BYTES);
	ag_pack_key(pk, "key");
	msgpack_pack_bin(pk, PUSH_KEY_BYTES);
	msgpack_pack_bin_body(pk, key, PUSH_KEY_BYTES);
	ag_pack_key(pk, "user");
	return pack_user_by_id(rq, pk, uid);
}

enum ag_err h_auth_logout(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db, "UPDATE sessions SET revoked = 1 WHERE id = ?1");
	if (!st)
		return req_db_error(rq, "logout");
	sqlite3_bind_int64(st, 1, rq->session_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return req_db_error(rq, "logout");
	msgpack_pack_nil(rq->out);
	return AG_OK;
}

enum ag_err h_auth_me(struct req *rq)
{
	return pack_user_by_id(rq, rq->out, rq->uid);
}

enum ag_err auth_resolve(struct db *db, const char *token, size_t len, int64_t now,
	int64_t *uid, int64_t *sid)
{
	unsigned char token_hash[32];

	if (len != TOKEN_TEXT_SIZE - 1)
		return AG_E_UNAUTHORIZED;
	hash_token(token, len, token_hash);
	sqlite3_stmt *st = db_prep(db,
		"SELECT s.id, s.user_id, s.last_seen_at FROM sessions s"
		" JOIN users u ON u.id = s.user_id"
		" WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at > ?2 AND u.is_active = 1");
	if (!st)
		return AG_E_INTERNAL;
	sqlite3_bind_blob(st, 1, token_hash, sizeof token_hash, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return AG_E_UNAUTHORIZED;
	if (step != SQLITE_ROW) {
		ag_error("auth: session lookup: %s", sqlite3_errmsg(db->conn));
		return AG_E_INTERNAL;
	}
	*sid = sqlite3_column_int64(st, 0);
	*uid = sqlite3_column_int64(st, 1);
	int64_t last_seen = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);

	if (now - last_seen > SEEN_INTERVAL_MS) {
		sqlite3_stmt *seen = db_prep(db, "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1");
		if (seen) {
			sqlite3_bind_int64(seen, 1, *sid);
			sqlite3_bind_int64(seen, 2, now);
			/* Only push liveness depends on this: a busy database must
			 * not turn the request away. */
			if (sqlite3_step(seen) != SQLITE_DONE)
				ag_warn("auth: cannot mark session %lld seen: %s",
					(long long)*sid, sqlite3_errmsg(db->conn));
		}
	}
	return AG_OK;
}
