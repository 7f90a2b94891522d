/* auth.c: accounts and sessions. Registration hashes passwords with
 * argon2id (crypto_pwhash_str at the configured cost); login checks them,
 * rate-limits failures per account name and opens a session. A session
 * token is 32 random bytes in unpadded base64url; only its BLAKE2b hash is
 * stored, so a copy of the database cannot be used to log in. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "server.h"

#define SESSION_TTL_MS (30LL * 24 * 3600 * 1000)
#define SEEN_INTERVAL_MS (60LL * 1000)     /* last_seen_at granularity */

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
	int step = db_step_write(rq->db, st);
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

/* ---- login back-off ----
 *
 * Failed logins are counted per account and per source (the peer: a uid
 * on ipc, an address on tcp). Past a few free failures, each further
 * attempt must wait a back-off that starts at 1 s and doubles up to 5
 * minutes, so guessing stays slow. Nothing locks an account: a source the
 * account has logged in from before skips the account's back-off, so a
 * stranger failing on someone's username cannot keep them out. Counters
 * are forgotten after a quiet spell. */

#define ACCOUNT_FREE_FAILURES 5
#define SOURCE_FREE_FAILURES 20
#define BACKOFF_FIRST_MS 1000LL
#define BACKOFF_MAX_MS (5LL * 60 * 1000)
#define FAILURE_MEMORY_MS (15LL * 60 * 1000)
#define KEY_MAX (ACCOUNT_NAME_MAX + 16)

/* The failure counters' keys for this attempt: "account:NAME" (lower
 * case) and "source:PEER" (source[0] is '\0' when the transport names no
 * peer, as inproc). */
static void login_keys(const struct req *rq, const char *name, char account[KEY_MAX],
	char source[KEY_MAX])
{
	size_t n = snprintf(account, KEY_MAX, "account:%s", name);
	for (size_t i = 0; i < n && i < KEY_MAX; i++)
		if (account[i] >= 'A' && account[i] <= 'Z')
			account[i] = (char)(account[i] - 'A' + 'a');
	source[0] = '\0';
	/* Everyone hosted over SSH shares the gateway's uid: it is no one
	 * source, so those logins back off per account only. */
	if (!rq->peer || peer_is_gateway(rq->peer))
		return;
	if (rq->peer->is_ipc)
		snprintf(source, KEY_MAX, "source:uid:%lld", (long long)rq->peer->uid);
	else if (rq->peer->addr[0])
		snprintf(source, KEY_MAX, "source:%s", rq->peer->addr);
}

/* When the next attempt under key may be made (ms since the epoch; 0: at
 * once), given the failures it may have for free. -1 on a database error. */
static int64_t backoff_until(struct req *rq, const char *key, int free_failures)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT failures, last_at FROM login_failures WHERE key = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		sqlite3_reset(st);
		return step == SQLITE_DONE ? 0 : -1;
	}
	int64_t failures = sqlite3_column_int64(st, 0), last = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (failures < free_failures || rq->now - last > FAILURE_MEMORY_MS)
		return 0;
	int64_t doublings = failures - free_failures;
	int64_t wait = doublings >= 9 ? BACKOFF_MAX_MS : BACKOFF_FIRST_MS << doublings;
	return last + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
}

/* Counts a failure under key (a quiet spell starts the count again). A
 * database that cannot take the write (a full disk) only weakens the
 * back-off for a while: the login still gets its answer. */
static void count_failure(struct req *rq, const char *key)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO login_failures (key, failures, last_at) VALUES (?1, 1, ?2)"
		" ON CONFLICT (key) DO UPDATE SET"
		"  failures = CASE WHEN last_at + ?3 < ?2 THEN 1 ELSE failures + 1 END,"
		"  last_at = ?2");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rq->now);
	sqlite3_bind_int64(st, 3, FAILURE_MEMORY_MS);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
		ag_warn("auth: cannot count a failed login: %s", sqlite3_errmsg(rq->db->conn));
	sqlite3_reset(st);
}

/* True when uid has logged in from source before. */
static bool known_source(struct req *rq, int64_t uid, const char *source)
{
	if (!uid || !source[0])
		return false;
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT 1 FROM login_sources WHERE user_id = ?1 AND source = ?2");
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	bool known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return known;
}

static void remember_source(struct req *rq, int64_t uid, const char *source)
{
	if (!source[0])
		return;
	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO login_sources (user_id, source, last_ok_at) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (user_id, source) DO UPDATE SET last_ok_at = ?3");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rq->now);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
		ag_warn("auth: cannot remember a login source: %s", sqlite3_errmsg(rq->db->conn));
	sqlite3_reset(st);
}

/* Fails with rate_limited (retry_after_ms set) while the source, or the
 * account for a source it does not know, is backing off. */
static enum ag_err check_backoff(struct req *rq, int64_t uid, const char *account_key,
	const char *source_key)
{
	int64_t until = source_key[0] ? backoff_until(rq, source_key, SOURCE_FREE_FAILURES) : 0;
	if (until >= 0 && !known_source(rq, uid, source_key)) {
		int64_t account_until = backoff_until(rq, account_key, ACCOUNT_FREE_FAILURES);
		until = account_until < 0 ? -1 : account_until > until ? account_until : until;
	}
	if (until < 0)
		return req_db_error(rq, "login back-off");
	if (until <= rq->now)
		return AG_OK;
	req_fail(rq, AG_E_RATE_LIMITED, "Too many failed logins; try again in a moment.");
	rq->err->retry_after_ms = (uint64_t)(until - rq->now);
	return AG_E_RATE_LIMITED;
}

/* ---- sessions ---- */

/* Sessions opened while the database could not take their row (a full
 * disk) live here, with negative ids, until sessions_flush stores them.
 * They answer requests like any other; they get pushes once stored. */
#define MEM_SESSIONS 1024

struct mem_session {
	int64_t id;              /* < 0; 0: a free slot */
	unsigned char token_hash[32];
	int64_t uid, created_at, expires_at;
	unsigned char topic[PUSH_TOPIC_BYTES], key[PUSH_KEY_BYTES];
	bool revoked;
};

static struct mem_session mem_sessions[MEM_SESSIONS];
static int64_t mem_session_next_id = -1;
static int mem_session_count;
static pthread_mutex_t mem_sessions_lock = PTHREAD_MUTEX_INITIALIZER;

static bool remember_in_memory(const struct mem_session *s, int64_t *id)
{
	bool kept = false;
	pthread_mutex_lock(&mem_sessions_lock);
	for (int i = 0; i < MEM_SESSIONS && !kept; i++) {
		if (mem_sessions[i].id != 0)
			continue;
		mem_sessions[i] = *s;
		*id = mem_sessions[i].id = mem_session_next_id--;
		mem_session_count++;
		kept = true;
	}
	pthread_mutex_unlock(&mem_sessions_lock);
	return kept;
}

static bool find_in_memory(const unsigned char token_hash[32], int64_t now, int64_t *uid,
	int64_t *sid)
{
	bool found = false;
	pthread_mutex_lock(&mem_sessions_lock);
	for (int i = 0; i < MEM_SESSIONS && mem_session_count && !found; i++) {
		struct mem_session *m = &mem_sessions[i];
		if (m->id == 0 || m->revoked || m->expires_at <= now ||
		    sodium_memcmp(m->token_hash, token_hash, 32) != 0)
			continue;
		*uid = m->uid;
		*sid = m->id;
		found = true;
	}
	pthread_mutex_unlock(&mem_sessions_lock);
	return found;
}

/* Copies the push topic of in-memory session sid; false when it is gone. */
static bool topic_in_memory(int64_t sid, unsigned char topic[PUSH_TOPIC_BYTES])
{
	bool found = false;
	pthread_mutex_lock(&mem_sessions_lock);
	for (int i = 0; i < MEM_SESSIONS && !found; i++)
		if (mem_sessions[i].id == sid) {
			memcpy(topic, mem_sessions[i].topic, PUSH_TOPIC_BYTES);
			found = true;
		}
	pthread_mutex_unlock(&mem_sessions_lock);
	return found;
}

static void revoke_in_memory(int64_t sid)
{
	pthread_mutex_lock(&mem_sessions_lock);
	for (int i = 0; i < MEM_SESSIONS; i++)
		if (mem_sessions[i].id == sid)
			mem_sessions[i].revoked = true;
	pthread_mutex_unlock(&mem_sessions_lock);
}

static int insert_session(struct db *db, const struct mem_session *s)
{
	sqlite3_stmt *ins = db_prep(db,
		"INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at,"
		" push_topic, push_key, revoked) VALUES (?1, ?2, ?3, ?4, ?3, ?5, ?6, ?7)");
	if (!ins)
		return SQLITE_ERROR;
	sqlite3_bind_blob(ins, 1, s->token_hash, sizeof s->token_hash, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, s->uid);
	sqlite3_bind_int64(ins, 3, s->created_at);
	sqlite3_bind_int64(ins, 4, s->expires_at);
	sqlite3_bind_blob(ins, 5, s->topic, PUSH_TOPIC_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 6, s->key, PUSH_KEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(ins, 7, s->revoked);
	int rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sessions_flush(struct db *db)
{
	int stored = 0;
	for (int i = 0; i < MEM_SESSIONS; i++) {
		pthread_mutex_lock(&mem_sessions_lock);
		struct mem_session s = mem_sessions[i];
		pthread_mutex_unlock(&mem_sessions_lock);
		if (s.id == 0)
			continue;
		if (db_begin(db) != SQLITE_OK)
			return -1;
		if (insert_session(db, &s) != SQLITE_OK || db_commit(db) != SQLITE_OK) {
			db_rollback(db);
			return -1;
		}
		pthread_mutex_lock(&mem_sessions_lock);
		/* A logout meanwhile revoked the copy in memory: pass it on. */
		bool revoked_since = mem_sessions[i].revoked && !s.revoked;
		mem_sessions[i].id = 0;
		mem_session_count--;
		pthread_mutex_unlock(&mem_sessions_lock);
		if (revoked_since) {
			sqlite3_stmt *st = db_prep(db, "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1");
			if (st) {
				sqlite3_bind_blob(st, 1, s.token_hash, 32, SQLITE_STATIC);
				db_step_write(db, st);
				sqlite3_reset(st);
			}
		}
		stored++;
	}
	if (stored)
		ag_info("auth: %d session(s) kept in memory while storage was full are now stored",
			stored);
	return stored;
}

int sessions_in_memory(void)
{
	pthread_mutex_lock(&mem_sessions_lock);
	int n = mem_session_count;
	pthread_mutex_unlock(&mem_sessions_lock);
	return n;
}

/* Opens a session for uid, filling in the new token's text and the
 * session's push credentials. A database too full to take the row keeps
 * the session in memory instead, so people can still log in. */
static enum ag_err open_session(struct req *rq, int64_t uid, char token[TOKEN_TEXT_SIZE],
	unsigned char topic[PUSH_TOPIC_BYTES], unsigned char key[PUSH_KEY_BYTES])
{
	unsigned char raw[TOKEN_BYTES];
	struct mem_session s = {.uid = uid, .created_at = rq->now,
		.expires_at = rq->now + SESSION_TTL_MS};

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, TOKEN_TEXT_SIZE, raw, sizeof raw,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	hash_token(token, strlen(token), s.token_hash);
	randombytes_buf(s.topic, PUSH_TOPIC_BYTES);
	randombytes_buf(s.key, PUSH_KEY_BYTES);
	memcpy(topic, s.topic, PUSH_TOPIC_BYTES);
	memcpy(key, s.key, PUSH_KEY_BYTES);

	int rc = db_begin(rq->db);
	if (rc == SQLITE_OK && (rc = insert_session(rq->db, &s)) == SQLITE_OK &&
	    (rc = db_commit(rq->db)) == SQLITE_OK)
		return AG_OK;
	db_rollback(rq->db);
	int64_t id;
	if (storage_full_error(rc) && remember_in_memory(&s, &id)) {
		ag_warn("auth: storage is full: session %lld of user %lld kept in memory",
			(long long)id, (long long)uid);
		return AG_OK;
	}
	return req_db_error(rq, "login");
}

/* The PUB URLs of the shard a session's topic maps to now, one per --pub
 * transport. */
static void pack_push_urls(msgpack_packer *pk, const unsigned char *topic)
{
	int n_urls;
	const char *const *urls = transport_push_urls(transport_push_shard(topic), &n_urls);
	msgpack_pack_array(pk, (size_t)n_urls);
	for (int i = 0; i < n_urls; i++)
		ag_pack_str(pk, urls[i]);
}

enum ag_err h_auth_login(struct req *rq)
{
	const char *email = ag_arg_str(rq->args, "email");
	const char *username = ag_arg_str(rq->args, "username");
	const char *password = ag_arg_str(rq->args, "password");
	char account[64], hash[crypto_pwhash_STRBYTES];
	char account_key[KEY_MAX], source_key[KEY_MAX];
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
	 * against the name as given; names too long to be any account's are
	 * not worth a row. */
	const char *name = uid ? account : email ? email : username;
	bool countable = strlen(name) <= ACCOUNT_NAME_MAX;
	login_keys(rq, countable ? name : "", account_key, source_key);

	if ((rc = check_backoff(rq, uid, account_key, source_key)) != AG_OK)
		return rc;
	bool password_ok = crypto_pwhash_str_verify(uid ? hash : dummy_hash,
		password, strlen(password)) == 0;
	if (!uid || !active || !password_ok) {
		if (countable)
			count_failure(rq, account_key);
		if (source_key[0])
			count_failure(rq, source_key);
		return req_fail(rq, AG_E_UNAUTHORIZED, "Invalid credentials.");
	}

	if ((rc = auth_open_session_reply(rq, uid)) == AG_OK)
		remember_source(rq, uid, source_key);
	return rc;
}

enum ag_err auth_open_session_reply(struct req *rq, int64_t uid)
{
	char token[TOKEN_TEXT_SIZE];
	unsigned char topic[PUSH_TOPIC_BYTES], key[PUSH_KEY_BYTES];
	enum ag_err rc;
	if ((rc = open_session(rq, uid, token, topic, key)) != AG_OK)
		return rc;

	msgpack_packer *pk = rq->out;
	msgpack_pack_map(pk, 4);
	ag_pack_key(pk, "token");
	ag_pack_str(pk, token);
	ag_pack_key(pk, "expires_at");
	msgpack_pack_int64(pk, rq->now + SESSION_TTL_MS);
	ag_pack_key(pk, "push");
	msgpack_pack_map(pk, 3);
	ag_pack_key(pk, "topic");
	msgpack_pack_bin(pk, PUSH_TOPIC_BYTES);
	msgpack_pack_bin_body(pk, topic, PUSH_TOPIC_BYTES);
	ag_pack_key(pk, "key");
	msgpack_pack_bin(pk, PUSH_KEY_BYTES);
	msgpack_pack_bin_body(pk, key, PUSH_KEY_BYTES);
	ag_pack_key(pk, "urls");
	pack_push_urls(pk, topic);
	ag_pack_key(pk, "user");
	return pack_user_by_id(rq, pk, uid);
}

/* A session's push URLs as the server publishes now: a restart with
 * another --push-shards moves sessions to other shards, so a client
 * resuming a saved login asks again rather than trust the login's. */
enum ag_err h_auth_push(struct req *rq)
{
	unsigned char topic[PUSH_TOPIC_BYTES];
	bool found = false;
	if (rq->session_id < 0) {
		found = topic_in_memory(rq->session_id, topic);
	} else {
		sqlite3_stmt *st = db_prep(rq->db, "SELECT push_topic FROM sessions WHERE id = ?1");
		if (!st)
			return req_db_error(rq, "push URLs");
		sqlite3_bind_int64(st, 1, rq->session_id);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == PUSH_TOPIC_BYTES) {
			memcpy(topic, sqlite3_column_blob(st, 0), sizeof topic);
			found = true;
		}
		sqlite3_reset(st);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			return req_db_error(rq, "push URLs");
	}
	if (!found)
		return req_fail(rq, AG_E_UNAUTHORIZED, "This session has ended; log in again.");
	msgpack_pack_map(rq->out, 1);
	ag_pack_key(rq->out, "urls");
	pack_push_urls(rq->out, topic);
	return AG_OK;
}

enum ag_err h_auth_logout(struct req *rq)
{
	if (rq->session_id < 0) {
		revoke_in_memory(rq->session_id);
		msgpack_pack_nil(rq->out);
		return AG_OK;
	}
	sqlite3_stmt *st = db_prep(rq->db, "UPDATE sessions SET revoked = 1 WHERE id = ?1");
	if (!st)
		return req_db_error(rq, "logout");
	sqlite3_bind_int64(st, 1, rq->session_id);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
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
	if (step == SQLITE_DONE) {
		sqlite3_reset(st);
		return find_in_memory(token_hash, now, uid, sid) ? AG_OK : AG_E_UNAUTHORIZED;
	}
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
			if (db_step_write(db, seen) != SQLITE_DONE)
				ag_warn("auth: cannot mark session %lld seen: %s",
					(long long)*sid, sqlite3_errmsg(db->conn));
		}
	}
	return AG_OK;
}
