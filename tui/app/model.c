/* model.c: the model's life: the saved session and logging in, the
 * connection state (keep-alive pings, noticing a lost server, refetching
 * after a reconnect or a gap in the push sequence), push events, unread
 * counts and stories. Lists and content are in model_data.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "buf.h"
#include "clock.h"
#include "drafts.h"
#include "idmap.h"
#include "model_int.h"
#include "monitor.h"
#include "parse.h"
#include "paths.h"
#include "push.h"
#include "text.h"

#define KEEPALIVE_MS (4 * 60 * 1000)   /* pushes stop after 15 idle minutes */
#define RETRY_MS 1000
/* While live, unread counts are asked this often, so reading elsewhere
 * (another client, the CLI) shows here within about a second. The same
 * authenticated request notices a session revoked elsewhere. */
#define COUNTS_EVERY_MS 1000

void model_note(struct model *m, enum note n, int64_t id, int64_t aux, const char *msg)
{
	if (m->note)
		m->note(m->note_ctx, n, id, aux, msg ? msg : "");
}

void model_failure_text(const struct job *j, char *out, size_t size)
{
	if (j->rv == NNG_ETIMEDOUT)
		snprintf(out, size, "The server did not answer in time.");
	else if (j->rv != 0)
		snprintf(out, size, "Cannot reach the server (%s).", nng_strerror(j->rv));
	else if (j->reply.code == AG_E_RATE_LIMITED && j->reply.retry_after_ms)
		snprintf(out, size, "Too many attempts: try again in %llu s.",
			(unsigned long long)(j->reply.retry_after_ms + 999) / 1000);
	else {
		/* The server's sentence, made safe to show. */
		struct ag_buf b = {0};
		ag_text_sanitize(&b, j->reply.message, strlen(j->reply.message), 0);
		snprintf(out, size, "%s", b.len ? ag_buf_str(&b) : "The request failed.");
		ag_buf_free(&b);
	}
}

void model_send(struct model *m, struct job *j, done_fn done, void *ctx)
{
	j->done = done;
	j->ctx = ctx;
	if (m->session.token[0] && j->req.op->auth != AG_AUTH_NONE) {
		j->auth = strdup(m->session.token);
		if (j->auth == NULL)
			abort();
	}
	worker_submit(m->worker, j);
}

bool job_ok(const struct job *j)
{
	return j->rv == 0 && j->reply.ok;
}

struct id_ctx *id_ctx_new(int64_t id)
{
	struct id_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	c->id = id;
	return c;
}

/* ---- seen stories: a small state file of "id expires_at" lines ---- */

/* Each account has its own file: $XDG_DATA_HOME/ansigram/seen-<user id>. */
static void seen_load(struct model *m)
{
	idmap_free(m->seen, NULL);
	m->seen = idmap_new();
	char dir[900];
	m->seen_path[0] = '\0';
	if (m->ssh)
		return;   /* shared local account: kept in memory only */
	if (ag_path_data_dir(dir, sizeof dir) == 0)
		snprintf(m->seen_path, sizeof m->seen_path, "%s/seen-%lld", dir, (long long)m->me.id);
	FILE *f = m->seen_path[0] ? fopen(m->seen_path, "r") : NULL;
	if (f == NULL)
		return;
	long long id, expires;
	int64_t now = ag_now_ms();
	while (fscanf(f, "%lld %lld", &id, &expires) == 2)
		if (id > 0 && expires > now)
			idmap_put(m->seen, id, (void *)(intptr_t)expires);
	fclose(f);
}

static void seen_save(struct model *m)
{
	if (!m->seen_path[0])
		return;
	char dir[1024], tmp[1100];
	snprintf(dir, sizeof dir, "%s", m->seen_path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		ag_mkdirs(dir);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", m->seen_path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	int64_t now = ag_now_ms();
	size_t pos = 0;
	void *value;
	int64_t id;
	while ((id = idmap_next(m->seen, &pos, &value)) != 0)
		if ((int64_t)(intptr_t)value > now)
			fprintf(f, "%lld %lld\n", (long long)id, (long long)(intptr_t)value);
	if (fclose(f) == 0)
		rename(tmp, m->seen_path);
	else
		unlink(tmp);
}

bool model_story_seen(const struct model *m, int64_t story_id)
{
	return idmap_get(m->seen, story_id) != NULL;
}

/* Groups stories by author: mine first, then authors with unseen stories,
 * then the rest, each by their latest story; stories oldest first. */
static void stories_regroup(struct model *m)
{
	for (size_t i = 0; i < m->n_groups; i++) {
		free(m->groups[i].author);
		free(m->groups[i].stories);
	}
	free(m->groups);
	m->groups = NULL;
	m->n_groups = 0;
	if (m->n_stories == 0)
		return;
	m->groups = calloc(m->n_stories, sizeof *m->groups);
	if (m->groups == NULL)
		abort();
	/* m->stories is newest first: walk it backwards to append oldest first. */
	for (size_t k = m->n_stories; k-- > 0;) {
		struct story *s = m->stories[k];
		struct story_group *g = NULL;
		for (size_t i = 0; i < m->n_groups && !g; i++)
			if (m->groups[i].author_id == s->author_id)
				g = &m->groups[i];
		if (g == NULL) {
			g = &m->groups[m->n_groups++];
			g->author_id = s->author_id;
			g->author = strdup(s->author);
			g->stories = calloc(m->n_stories, sizeof *g->stories);
			if (g->author == NULL || g->stories == NULL)
				abort();
		}
		g->stories[g->n++] = s;
		if (!model_story_seen(m, s->id))
			g->unseen = true;
	}
	/* Insertion sort by (mine, unseen, latest story) - a handful of groups. */
	for (size_t i = 1; i < m->n_groups; i++) {
		struct story_group g = m->groups[i];
		size_t j = i;
		for (; j > 0; j--) {
			struct story_group *h = &m->groups[j - 1];
			int g_rank = g.author_id == m->me.id ? 2 : g.unseen;
			int h_rank = h->author_id == m->me.id ? 2 : h->unseen;
			int64_t g_latest = g.stories[g.n - 1]->created_at;
			int64_t h_latest = h->stories[h->n - 1]->created_at;
			if (h_rank > g_rank || (h_rank == g_rank && h_latest >= g_latest))
				break;
			m->groups[j] = *h;
		}
		m->groups[j] = g;
	}
}

void model_story_mark_seen(struct model *m, const struct story *s)
{
	if (model_story_seen(m, s->id))
		return;
	idmap_put(m->seen, s->id, (void *)(intptr_t)s->expires_at);
	seen_save(m);
	for (size_t i = 0; i < m->n_groups; i++) {
		struct story_group *g = &m->groups[i];
		if (g->author_id != s->author_id)
			continue;
		g->unseen = false;
		for (size_t k = 0; k < g->n; k++)
			if (!model_story_seen(m, g->stories[k]->id))
				g->unseen = true;
	}
}

static void stories_clear(struct model *m)
{
	for (size_t i = 0; i < m->n_stories; i++)
		story_free(m->stories[i]);
	free(m->stories);
	m->stories = NULL;
	m->n_stories = 0;
	stories_regroup(m);
}

static void stories_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j))
		return;
	const msgpack_object *data = j->reply.data;
	stories_clear(m);
	size_t n = ag_obj_len(data);
	m->stories = calloc(n ? n : 1, sizeof *m->stories);
	if (m->stories == NULL)
		abort();
	int64_t now = ag_now_ms();
	for (size_t i = 0; i < n; i++) {
		struct story *s = malloc(sizeof *s);
		if (s == NULL)
			abort();
		parse_story(ag_obj_at(data, i), s);
		if (s->id <= 0 || (s->expires_at && s->expires_at <= now)) {
			story_free(s);
			continue;
		}
		m->stories[m->n_stories++] = s;
	}
	m->stories_loaded = true;
	stories_regroup(m);
}

void model_stories_refresh(struct model *m)
{
	model_send(m, job_new("story.feed"), stories_done, NULL);
}

/* A pushed or just created story goes in front (stories are newest first). */
static void story_add(struct model *m, struct story *s)
{
	for (size_t i = 0; i < m->n_stories; i++)
		if (m->stories[i]->id == s->id) {
			story_free(s);
			return;
		}
	struct story **grown = realloc(m->stories, (m->n_stories + 1) * sizeof *grown);
	if (grown == NULL)
		abort();
	m->stories = grown;
	memmove(m->stories + 1, m->stories, m->n_stories * sizeof *m->stories);
	m->stories[0] = s;
	m->n_stories++;
	stories_regroup(m);
}

/* ---- connection ---- */

static void ping_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	m->ping_in_flight = false;
	/* Failed, or answered before the server was lost: ask again. */
	if ((!job_ok(j) || j->started_ms < m->offline_at) && m->conn != CONN_ONLINE &&
	    m->retry_ms == 0)
		m->retry_ms = ag_mono_ms() + RETRY_MS;
}

static void ping(struct model *m)
{
	if (m->ping_in_flight)
		return;
	m->ping_in_flight = true;
	model_send(m, job_new("server.ping"), ping_done, NULL);
}

static void counts_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	m->counts_in_flight = false;
	if (m->counts_again)
		model_counts_refresh(m);
	if (!job_ok(j))
		return;
	m->unread_notifs = ag_obj_int(j->reply.data, "notifications_unread");
	m->unread_msgs = ag_obj_int(j->reply.data, "messages_unread");
	if (m->unread_notifs < 0)
		m->unread_notifs = 0;
	if (m->unread_msgs < 0)
		m->unread_msgs = 0;
}

void model_counts_refresh(struct model *m)
{
	if (!m->logged_in)
		return;
	if (m->counts_in_flight) {
		m->counts_again = true;
		return;
	}
	m->counts_in_flight = true;
	m->counts_again = false;
	m->next_counts_ms = ag_mono_ms() + COUNTS_EVERY_MS;
	model_send(m, job_new("inbox.counts"), counts_done, NULL);
}

/* Subscribes on the URL --pub (or the config) gave, else the one the
 * login named (the session's push shard), else server.info's first. */
static void open_push(struct model *m)
{
	const char *url = !m->pub_given && m->session.push_url[0] ? m->session.push_url
		: m->pub_url;
	if (m->sub || m->push_waiting || !url[0] || !m->session.has_push)
		return;
	if (ag_sub_open_tls(&m->sub, url, &m->tls, m->session.push_topic,
		m->session.push_key) != 0)
		m->sub = NULL;
	m->last_seq = 0;
}

static void close_push(struct model *m)
{
	ag_sub_close(m->sub);
	m->sub = NULL;
	m->last_seq = 0;
}

/* A different push URL than the session's moves the subscriber there (a
 * server restarted with another shard count carries the session's events
 * on another push shard). */
static void push_urls_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	m->push_waiting = false;
	if (!m->logged_in)
		return;
	char was[sizeof m->session.push_url];
	snprintf(was, sizeof was, "%s", m->session.push_url);
	if (job_ok(j))   /* else (a server without auth.push) the login's URL stays */
		ag_session_take_push_url(&m->session, ag_obj_get(j->reply.data, "urls"),
			m->server_url);
	if (strcmp(was, m->session.push_url) != 0) {
		if (!m->ssh && m->session_path[0])
			ag_session_save(m->session_path, &m->session);
		if (!m->pub_given)
			close_push(m);
	}
	open_push(m);
}

/* Asks where the server publishes the session's events now. */
static void push_urls_ask(struct model *m)
{
	if (m->logged_in && m->session.has_push)
		model_send(m, job_new("auth.push"), push_urls_done, NULL);
}

static void after_login(struct model *m);

static void me_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (job_ok(j)) {
		user_clear(&m->me);
		parse_user(j->reply.data, &m->me);
		/* A saved login's push URL may be stale: subscribe once the
		 * server said where its events go. */
		m->push_waiting = m->session.has_push;
		after_login(m);
		push_urls_ask(m);
	} else if (j->rv == 0) {
		m->me_pending = false;
		memset(&m->session, 0, sizeof m->session);
		model_note(m, NOTE_NEED_LOGIN, 0, 0, "Your session has ended. Please log in again.");
	} else {
		m->me_pending = false;   /* asked again once the server is back */
	}
}

static void check_session(struct model *m)
{
	m->me_pending = true;
	model_send(m, job_new("auth.me"), me_done, NULL);
}

static void info_done(struct model *m, const struct job *j, void *ctx);

void model_refresh_all(struct model *m)
{
	if (!m->logged_in)
		return;
	model_counts_refresh(m);
	model_stories_refresh(m);
	for (size_t i = 0; i < m->n_views; i++)
		model_view_refresh(m, m->views[i]);
	model_refresh_profiles(m);
	m->new_posts = 0;
	push_urls_ask(m);   /* a restarted server may publish elsewhere */
}

/* The monitor's dialer waits up to 2 s between attempts, so one opened
 * before the server was up may not have connected yet: dialing afresh
 * connects it now, so losing the server is noticed at once. */
static void restart_monitor(struct model *m)
{
	monitor_close(m->monitor);
	if (monitor_open(&m->monitor, m->server_url, &m->tls) != 0)
		m->monitor = NULL;
}

/* Any reply at all proves the server is there again. */
static void mark_online(struct model *m)
{
	if (m->conn == CONN_ONLINE)
		return;
	bool was_offline = m->conn == CONN_OFFLINE;
	bool first = !m->ever_online;
	m->conn = CONN_ONLINE;
	m->ever_online = true;
	m->retry_ms = 0;
	if (m->monitor && !m->monitor_up)
		restart_monitor(m);
	if (m->info_unanswered) {
		m->info_unanswered = false;
		model_send(m, job_new("server.info"), info_done, NULL);
	}
	if (m->me_pending)
		return;
	if (!m->logged_in && m->session.token[0] && (was_offline || first)) {
		check_session(m);
		return;
	}
	if (m->need_refetch) {
		m->need_refetch = false;
		model_refresh_all(m);
		if (was_offline)
			model_note(m, NOTE_INFO, 0, 0, "Reconnected.");
	}
	model_note(m, NOTE_CHANGED, 0, 0, NULL);
}

/* Before the server first answers the state stays "connecting". */
static void mark_offline(struct model *m)
{
	if (m->conn != CONN_OFFLINE && m->ever_online) {
		m->conn = CONN_OFFLINE;
		m->offline_at = ag_mono_ms();
		model_note(m, NOTE_CHANGED, 0, 0, NULL);
	}
	m->need_refetch = true;
	if (!m->ping_in_flight && m->retry_ms == 0)
		m->retry_ms = ag_mono_ms() + RETRY_MS;
}

int model_tick(struct model *m, int64_t now)
{
	if (m->conn != CONN_ONLINE && m->retry_ms && now >= m->retry_ms) {
		m->retry_ms = 0;
		ping(m);
	}
	if (m->logged_in && now >= m->next_ping_ms) {
		m->next_ping_ms = now + KEEPALIVE_MS;
		ping(m);
	}
	bool live = m->logged_in && m->conn == CONN_ONLINE;
	if (live && !m->counts_in_flight && now >= m->next_counts_ms)
		model_counts_refresh(m);
	int64_t next = m->logged_in ? m->next_ping_ms : now + KEEPALIVE_MS;
	int give_up_in = model_outbox_tick(m, now);
	if (give_up_in >= 0 && now + give_up_in < next)
		next = now + give_up_in;
	int save_in = drafts_tick(m->drafts, now);
	if (save_in >= 0 && now + save_in < next)
		next = now + save_in;
	if (live && !m->counts_in_flight && m->next_counts_ms < next)
		next = m->next_counts_ms;
	if (m->retry_ms && m->retry_ms < next)
		next = m->retry_ms;
	int64_t wait = next - now;
	return wait < 0 ? 0 : wait > KEEPALIVE_MS ? KEEPALIVE_MS : (int)wait;
}

int64_t model_busy_ms(const struct model *m, int64_t now)
{
	int64_t oldest = worker_oldest_ms(m->worker);
	return oldest ? now - oldest : 0;
}

/* ---- drafts ---- */

const char *model_draft(struct model *m, const char *key)
{
	return drafts_get(m->drafts, key);
}

void model_draft_save(struct model *m, const char *key, const char *text)
{
	drafts_set(m->drafts, key, text, ag_mono_ms());
}

void model_drafts_flush(struct model *m)
{
	drafts_flush(m->drafts);
}

bool model_drafts_kept(const struct model *m)
{
	return drafts_on_disk(m->drafts);
}

/* ---- SSH keys linked to my account ---- */

/* A key linked or unlinked: says so (said) and reloads the list, or says
 * why not. */
static void ssh_key_changed_done(struct model *m, const struct job *j, const char *said)
{
	if (job_ok(j)) {
		model_note(m, NOTE_INFO, 0, 0, said);
		model_ssh_keys_refresh(m);
	} else {
		char msg[300];
		model_failure_text(j, msg, sizeof msg);
		model_note(m, NOTE_ERROR, 0, 0, msg);
	}
}

static void ssh_key_added(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	ssh_key_changed_done(m, j, "Key linked: next time you are logged in by it.");
}

static void ssh_key_removed(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	ssh_key_changed_done(m, j, "Key removed: it no longer logs you in.");
}

void model_ssh_key_add(struct model *m, const char *public_key)
{
	struct job *j = job_new("auth.ssh_key_add");
	job_str(j, "public_key", public_key);
	model_send(m, j, ssh_key_added, NULL);
}

static void ssh_keys_done(struct model *m, const struct job *j, void *ctx);

void model_ssh_keys_refresh(struct model *m)
{
	model_send(m, job_new("auth.ssh_key_list"), ssh_keys_done, NULL);
}

void model_ssh_key_remove(struct model *m, const char *fingerprint)
{
	struct job *j = job_new("auth.ssh_key_remove");
	job_str(j, "fingerprint", fingerprint);
	model_send(m, j, ssh_key_removed, NULL);
}

static void ssh_keys_clear(struct model *m)
{
	for (size_t i = 0; i < m->n_ssh_keys; i++) {
		free(m->ssh_keys[i].fingerprint);
		free(m->ssh_keys[i].type);
		free(m->ssh_keys[i].comment);
	}
	free(m->ssh_keys);
	m->ssh_keys = NULL;
	m->n_ssh_keys = 0;
	m->ssh_keys_loaded = false;
}

static void ssh_keys_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j)) {
		model_failure_text(j, m->ssh_keys_error, sizeof m->ssh_keys_error);
		return;
	}
	const msgpack_object *data = j->reply.data;
	ssh_keys_clear(m);
	size_t n = ag_obj_len(data);
	m->ssh_keys = calloc(n ? n : 1, sizeof *m->ssh_keys);
	if (m->ssh_keys == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *o = ag_obj_at(data, i);
		struct ssh_key_item *k = &m->ssh_keys[m->n_ssh_keys++];
		k->fingerprint = obj_text(o, "fingerprint", false);
		k->type = obj_text(o, "type", false);
		k->comment = obj_text(o, "comment", false);
		k->created_at = ag_obj_int(o, "created_at");
	}
	m->ssh_keys_loaded = true;
	m->ssh_keys_error[0] = '\0';
}

/* ---- logging in ---- */

static void after_login(struct model *m)
{
	m->logged_in = true;
	m->me_pending = false;
	seen_load(m);
	drafts_use(m->drafts, m->me.id);
	if (!m->feed)
		m->feed = model_view_open(m, SRC_FEED, 0, NULL);
	if (!m->notifs)
		m->notifs = model_view_open(m, SRC_NOTIFS, 0, NULL);
	if (!m->convos)
		m->convos = model_view_open(m, SRC_CONVOS, 0, NULL);
	model_stories_refresh(m);
	model_counts_refresh(m);
	open_push(m);
	m->next_ping_ms = ag_mono_ms() + KEEPALIVE_MS;
	model_note(m, NOTE_LOGGED_IN, m->me.id, 0, NULL);
}

static bool copy_bin(const msgpack_object *o, uint8_t *out, size_t len)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != len)
		return false;
	memcpy(out, o->via.bin.ptr, len);
	return true;
}

/* Which form field an auth error is about: 1 username, 2 email,
 * 3 password, 4 full name, 0 none. */
static int64_t auth_field(const struct job *j)
{
	static const char *const fields[] = {"", "username", "email", "password", "full_name"};
	if (j->rv != 0)
		return 0;
	for (int64_t i = 1; i < 5; i++)
		if (strcmp(j->reply.field, fields[i]) == 0)
			return i;
	/* Conflicts name no field; their sentences say which one. */
	if (strstr(j->reply.message, "already registered"))
		return 2;
	if (strstr(j->reply.message, "already taken"))
		return 1;
	return 0;
}

static void auth_failed(struct model *m, const struct job *j)
{
	char why[200];
	model_failure_text(j, why, sizeof why);
	model_note(m, NOTE_AUTH_FAILED, 0, auth_field(j), why);
}

static void login_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j)) {
		auth_failed(m, j);
		return;
	}
	const msgpack_object *data = j->reply.data;
	struct ag_session *s = &m->session;
	memset(s, 0, sizeof *s);
	snprintf(s->server, sizeof s->server, "%s", m->server_url);
	const msgpack_object *token = ag_obj_get(data, "token");
	if (token && token->type == MSGPACK_OBJECT_STR && token->via.str.size < sizeof s->token) {
		memcpy(s->token, token->via.str.ptr, token->via.str.size);
		s->token[token->via.str.size] = '\0';
	}
	s->expires_at = ag_obj_int(data, "expires_at");
	const msgpack_object *user = ag_obj_get(data, "user");
	user_clear(&m->me);
	parse_user(user, &m->me);
	s->user_id = m->me.id;
	snprintf(s->username, sizeof s->username, "%s", m->me.username);
	const msgpack_object *push = ag_obj_get(data, "push");
	s->has_push = copy_bin(ag_obj_get(push, "topic"), s->push_topic, sizeof s->push_topic) &&
		copy_bin(ag_obj_get(push, "key"), s->push_key, sizeof s->push_key);
	ag_session_take_push_url(s, ag_obj_get(push, "urls"), m->server_url);
	if (m->session_path[0] && ag_session_save(m->session_path, s) != 0) {
		char msg[200];
		snprintf(msg, sizeof msg, "Logged in, but the session could not be saved: %s.",
			strerror(errno));
		model_note(m, NOTE_ERROR, 0, 0, msg);
	}
	after_login(m);
}

/* A login asked before the server ever answered is refused at once
 * rather than left waiting: the form keeps what was typed. */
static bool refuse_unconnected(struct model *m)
{
	if (m->ever_online)
		return false;
	model_note(m, NOTE_AUTH_FAILED, 0, 0,
		"Not connected yet: retry once the server is up.");
	return true;
}

void model_login(struct model *m, const char *account, const char *password)
{
	if (refuse_unconnected(m))
		return;
	struct job *j = job_new("auth.login");
	job_str(j, strchr(account, '@') ? "email" : "username", account);
	job_str(j, "password", password);
	model_send(m, j, login_done, NULL);
}

/* A registration keeps the name and password to log in once the account
 * exists; wiped when the job is freed. */
struct register_ctx {
	char *username, *password;
};

static void register_ctx_free(void *p)
{
	struct register_ctx *c = p;
	explicit_bzero(c->password, strlen(c->password));
	free(c->username);
	free(c->password);
	free(c);
}

static void register_done(struct model *m, const struct job *j, void *ctx)
{
	struct register_ctx *c = ctx;
	if (job_ok(j))
		model_login(m, c->username, c->password);
	else
		auth_failed(m, j);
}

void model_register(struct model *m, const char *username, const char *email,
	const char *password, const char *full_name)
{
	if (refuse_unconnected(m))
		return;
	struct job *j = job_new("auth.register");
	job_str(j, "username", username);
	job_str(j, "email", email);
	job_str(j, "password", password);
	if (full_name && full_name[0])
		job_str(j, "full_name", full_name);
	struct register_ctx *c = malloc(sizeof *c);
	if (c == NULL || (c->username = strdup(username)) == NULL ||
	    (c->password = strdup(password)) == NULL)
		abort();
	j->ctx_free = register_ctx_free;
	model_send(m, j, register_done, c);
}

/* Forgets the account and shows the login form, saying why (NULL: the
 * user asked). */
static void end_session(struct model *m, const char *why)
{
	if (m->session.token[0])
		model_send(m, job_new("auth.logout"), NULL, NULL);
	if (m->session_path[0])
		ag_session_delete(m->session_path);
	close_push(m);
	model_note(m, NOTE_LOGGED_OUT, 0, 0, NULL);
	/* The screens have let go of their views by now. */
	model_views_free(m);
	m->feed = m->notifs = m->convos = NULL;
	stories_clear(m);
	ssh_keys_clear(m);
	drafts_use(m->drafts, 0);   /* saved: they come back with the account */
	model_outbox_free(m);
	memset(&m->session, 0, sizeof m->session);
	user_clear(&m->me);
	m->logged_in = m->push_waiting = false;
	m->unread_notifs = m->unread_msgs = m->new_posts = 0;
	m->open_thread = 0;
	m->counts_again = false;
	m->counts_in_flight = false;
	model_note(m, NOTE_NEED_LOGIN, 0, 0, why);
}

void model_logout(struct model *m)
{
	end_session(m, NULL);
}

/* ---- replies ---- */

static void info_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	m->info_unanswered = j->rv != 0;
	if (!job_ok(j))
		return;
	const msgpack_object *pub = ag_obj_at(ag_obj_get(j->reply.data, "pub"), 0);
	if (m->pub_url[0] || pub == NULL || pub->type != MSGPACK_OBJECT_STR ||
	    pub->via.str.size >= sizeof m->pub_url)
		return;
	memcpy(m->pub_url, pub->via.str.ptr, pub->via.str.size);
	m->pub_url[pub->via.str.size] = '\0';
	if (m->logged_in)
		open_push(m);
}

static void on_worker(struct model *m)
{
	struct job *j;
	while ((j = worker_take(m->worker)) != NULL) {
		if (j->refused) {
			/* Never sent: says nothing about the server. */
		} else if (j->rv == 0) {
			/* A reply to a request sent before the server was lost, or
			 * answered while it shuts down, proves nothing about now:
			 * the monitor's reconnection does. */
			if (j->started_ms >= m->offline_at && !m->monitor_lost)
				mark_online(m);
		} else {
			mark_offline(m);
		}
		bool session_gone = j->rv == 0 && !j->reply.ok && j->reply.code == AG_E_UNAUTHORIZED &&
			m->logged_in && j->auth != NULL && strcmp(j->req.op->name, "auth.logout") != 0;
		if (session_gone) {
			/* Revoked or expired elsewhere: back to the login form. */
			if (m->session_path[0])
				ag_session_delete(m->session_path);
			job_free(j);
			end_session(m, "Logged out: your session was revoked or expired.");
			continue;
		}
		if (j->done)
			j->done(m, j, j->ctx);
		job_free(j);
		model_note(m, NOTE_CHANGED, 0, 0, NULL);
	}
}

/* ---- push events ---- */

static void apply_event(struct model *m, const struct ag_event *ev)
{
	const msgpack_object *d = ev->data;
	char text[300];
	if (strcmp(ev->type, "notification") == 0) {
		struct notif n;
		parse_notif(d, &n);
		model_notif_arrived(m, &n);
		if (strcmp(n.type, "message") != 0) {
			snprintf(text, sizeof text, "%s", n.text);
			model_note(m, NOTE_PUSH, n.id, 1, text);
		}
		free(n.actor);
		free(n.type);
		free(n.text);
	} else if (strcmp(ev->type, "message") == 0) {
		struct message msg;
		parse_message(d, &msg);
		model_message_arrived(m, &msg);
		message_clear(&msg);
	} else if (strcmp(ev->type, "post") == 0) {
		struct post *p = model_post_upsert(m, d);
		if (p && p->author_id != m->me.id) {
			bool shown = m->feed && model_view_has(m->feed, p->id);
			if (!shown)
				m->new_posts++;
			model_views_prepend(m, SRC_USER_POSTS, p->author_id, p, NULL);
		}
	} else if (strcmp(ev->type, "story") == 0) {
		struct story *s = malloc(sizeof *s);
		if (s == NULL)
			abort();
		parse_story(d, s);
		if (s->id > 0 && s->author_id != m->me.id) {
			snprintf(text, sizeof text, "@%s added to their story", s->author);
			story_add(m, s);
			model_note(m, NOTE_PUSH, 0, 0, text);
		} else {
			story_free(s);
		}
	}
}

static void on_push(struct model *m)
{
	if (m->sub == NULL)
		return;
	bool gap = false, any = false;
	struct ag_event ev;
	while (ag_sub_next(m->sub, 0, &ev) == 0) {
		if (m->last_seq && ev.seq != m->last_seq + 1)
			gap = true;
		m->last_seq = ev.seq;
		apply_event(m, &ev);
		ag_event_free(&ev);
		any = true;
	}
	if (gap)
		model_refresh_all(m);
	else if (any)
		model_counts_refresh(m);   /* the server's word on what is unread */
	model_note(m, NOTE_CHANGED, 0, 0, NULL);
}

static void on_monitor(struct model *m)
{
	int state = monitor_read(m->monitor);
	if (state >= 0) {
		m->monitor_lost = state == 0;
		m->monitor_up = state == 1;
	}
	if (state == 0) {
		mark_offline(m);
		ping(m);     /* answers as soon as the server is back */
	} else if (state == 1 && m->conn != CONN_ONLINE) {
		ping(m);
	}
}

/* ---- set-up ---- */

int model_poll_fds(const struct model *m, struct pollfd *fds)
{
	int n = 0;
	fds[n++] = (struct pollfd){.fd = worker_fd(m->worker), .events = POLLIN};
	if (m->monitor)
		fds[n++] = (struct pollfd){.fd = monitor_fd(m->monitor), .events = POLLIN};
	if (m->sub) {
		fds[n++] = (struct pollfd){.fd = ag_sub_fd(m->sub), .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = ag_sub_state_fd(m->sub), .events = POLLIN};
	}
	return n;
}

void model_on_poll(struct model *m, const struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (!(fds[i].revents & POLLIN))
			continue;
		/* Each handler checks its object still exists: one may close another. */
		if (fds[i].fd == worker_fd(m->worker))
			on_worker(m);
		else if (m->monitor && fds[i].fd == monitor_fd(m->monitor))
			on_monitor(m);
		else if (m->sub && fds[i].fd == ag_sub_fd(m->sub))
			on_push(m);
		else if (m->sub && fds[i].fd == ag_sub_state_fd(m->sub) && ag_sub_reconnected(m->sub))
			model_refresh_all(m);   /* events may have been missed meanwhile */
	}
}

bool model_give_up_setting(int64_t *ms)
{
	const char *text = getenv(OUTBOX_GIVE_UP_ENV);
	if (text == NULL || text[0] == '\0') {
		*ms = OUTBOX_GIVE_UP_MS;
		return true;
	}
	char *end;
	errno = 0;
	long long s = strtoll(text, &end, 10);
	if (errno || *end != '\0' || end == text || s < 1 || s > 86400 || text[0] == '+')
		return false;
	*ms = s * 1000;
	return true;
}

int model_init(struct model *m, const struct ag_client_opts *opts, const char *server_url,
	struct ag_client *client, note_fn note, void *note_ctx)
{
	memset(m, 0, sizeof *m);
	m->give_up_ms = OUTBOX_GIVE_UP_MS;
	model_give_up_setting(&m->give_up_ms);
	m->note = note;
	m->note_ctx = note_ctx;
	snprintf(m->server_url, sizeof m->server_url, "%s", server_url);
	m->tls = (struct ag_tls){opts->ca_file, opts->tls_server_name};
	m->pub_given = opts->pub_url != NULL;
	if (opts->pub_url)
		snprintf(m->pub_url, sizeof m->pub_url, "%s", opts->pub_url);
	m->ssh = opts->ssh;
	m->ssh_session = opts->ssh_session;
	m->ssh_fingerprint = opts->ssh_fingerprint;
	if (m->ssh)
		m->session_path[0] = '\0';   /* the session lives in memory only */
	else if (opts->session_path)
		snprintf(m->session_path, sizeof m->session_path, "%s", opts->session_path);
	else
		ag_session_path(m->session_path, sizeof m->session_path);
	m->posts = idmap_new();
	m->profiles = idmap_new();
	m->seen = idmap_new();
	char state_dir[1024];
	bool files = !m->ssh && ag_path_state_dir(state_dir, sizeof state_dir) == 0;
	m->drafts = drafts_new(files ? state_dir : NULL);
	if (worker_start(&m->worker, client) != 0)
		return -1;
	if (monitor_open(&m->monitor, server_url, &m->tls) != 0)
		m->monitor = NULL;   /* still works; only notices a lost server later */
	m->conn = CONN_CONNECTING;
	return 0;
}

void model_start(struct model *m)
{
	if (!m->pub_url[0])
		model_send(m, job_new("server.info"), info_done, NULL);
	struct ag_session s;
	bool usable;
	if (m->ssh) {
		usable = m->ssh_session != NULL;
		if (usable)
			s = *m->ssh_session;
	} else {
		usable = ag_session_load(m->session_path, &s) == 0 && s.token[0] &&
			(!s.server[0] || strcmp(s.server, m->server_url) == 0);
	}
	/* A login saved before logins named their push URL: its events may go
	 * out on a push shard this client cannot know, so it would never come
	 * live. */
	bool predates_push_urls = usable && !m->ssh && s.has_push && !s.push_url[0] &&
		!m->pub_given;
	if (!usable || predates_push_urls) {
		ping(m);
		/* The login form's banner is one short line; the fingerprint comes
		 * with the offer to link the key. */
		model_note(m, NOTE_NEED_LOGIN, 0, 0,
			m->ssh ? "This SSH key is not linked to an account yet."
			: predates_push_urls ? "Please log in again: saved by an older version."
			: NULL);
		return;
	}
	m->session = s;
	check_session(m);
}

void model_free(struct model *m)
{
	worker_stop(m->worker);
	monitor_close(m->monitor);
	close_push(m);
	model_views_free(m);
	stories_clear(m);
	ssh_keys_clear(m);
	idmap_free(m->posts, post_free);
	idmap_free(m->profiles, profile_free);
	idmap_free(m->seen, NULL);
	drafts_free(m->drafts);
	model_outbox_free(m);
	user_clear(&m->me);
	explicit_bzero(&m->session, sizeof m->session);
}
