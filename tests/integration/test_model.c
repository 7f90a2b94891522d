/* test_model.c: the TUI's model with no terminal: a real ansigramd, the
 * model's own request thread and push subscription, and the state the
 * screens read (login, views and their pages, unread counts, the outbox of
 * messages, a session revoked elsewhere, drafts kept for the account).
 * Every wait polls the model's descriptors up to a deadline. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "model.h"
#include "session.h"

H_SERVER_PER_FILE(NULL)
static char state_dir[128];

static void model_fini(void)
{
	h_remove_tree(state_dir);
	h_test_fini();
}

TestSuite(model, .fini = model_fini);

#define DEADLINE_MS 10000

/* What the model told the interface, newest last. */
struct notes {
	enum note kinds[256];
	char last_msg[300];
	size_t n;
};

/* Filled in by each test's set-up. */
static struct notes notes;

static void on_note(void *ctx, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)ctx;
	(void)id;
	(void)aux;
	if (n == NOTE_CHANGED)
		return;
	if (notes.n < sizeof notes.kinds / sizeof notes.kinds[0])
		notes.kinds[notes.n++] = n;
	snprintf(notes.last_msg, sizeof notes.last_msg, "%s", msg);
}

static bool noted(enum note n)
{
	for (size_t i = 0; i < notes.n; i++)
		if (notes.kinds[i] == n)
			return true;
	return false;
}

/* A private home for the session, drafts and seen-stories files. */
static void private_dirs(void)
{
	if (state_dir[0])
		return;
	snprintf(state_dir, sizeof state_dir, "/tmp/ag-model-%d", (int)getpid());
	mkdir(state_dir, 0700);
	setenv("XDG_STATE_HOME", state_dir, 1);
	setenv("XDG_DATA_HOME", state_dir, 1);
	setenv("XDG_CONFIG_HOME", state_dir, 1);
}

static bool online(struct model *m, const void *arg)
{
	(void)arg;
	return m->conn == CONN_ONLINE;
}

static void run_until(struct model *m, bool (*done)(struct model *m, const void *arg),
	const void *arg, const char *what);

/* A model of the file's server, once the server has answered it. */
static void model_up(struct model *m)
{
	private_dirs();
	struct ag_client *c = NULL;
	cr_assert_eq(ag_client_open_background(&c, h_url(), 5000, NULL), 0);
	struct ag_client_opts opts = {0};
	opts.server_url = h_url();
	opts.session_path = h_fmt("%s/session", state_dir);
	opts.timeout_ms = 5000;
	cr_assert_eq(model_init(m, &opts, h_url(), c, on_note, NULL), 0);
	model_start(m);
	run_until(m, online, NULL, "online");
}

/* Runs the model's loop until done(m, arg) holds or ms pass; returns
 * whether it holds. */
static bool run_for(struct model *m, bool (*done)(struct model *m, const void *arg),
	const void *arg, int64_t ms)
{
	int64_t give_up = ag_mono_ms() + ms;
	while (!done(m, arg)) {
		int64_t now = ag_mono_ms();
		if (now >= give_up)
			return false;
		struct pollfd fds[MODEL_MAX_FDS];
		int n = model_poll_fds(m, fds);
		int wait = model_tick(m, now);
		if (wait > 100 || wait < 0)
			wait = 100;
		if (poll(fds, (nfds_t)n, wait) > 0)
			model_on_poll(m, fds, n);
	}
	return true;
}

/* Runs the model's loop until done(m, arg) holds; fails the test at the
 * deadline. */
static void run_until(struct model *m, bool (*done)(struct model *m, const void *arg),
	const void *arg, const char *what)
{
	cr_assert(run_for(m, done, arg, DEADLINE_MS), "the model never got to: %s", what);
}

static bool logged_in(struct model *m, const void *arg)
{
	(void)arg;
	return m->logged_in;
}

static bool view_loaded(struct model *m, const void *arg)
{
	(void)m;
	const struct view *v = arg;
	return v->loaded && !v->loading;
}

static bool outbox_empty(struct model *m, const void *arg)
{
	(void)arg;
	return m->n_outbox == 0;
}

static bool outbox_failed(struct model *m, const void *arg)
{
	(void)arg;
	return m->n_outbox == 1 && m->outbox[0]->failed;
}

static bool unread_messages(struct model *m, const void *arg)
{
	return m->unread_msgs == *(const int64_t *)arg;
}

static bool needs_login(struct model *m, const void *arg)
{
	(void)arg;
	return !m->logged_in && noted(NOTE_NEED_LOGIN);
}

static void login(struct model *m, const struct h_user *u)
{
	model_login(m, u->username, u->password);
	run_until(m, logged_in, NULL, "logged in");
	cr_assert_str_eq(m->me.username, u->username);
	cr_assert_eq(m->me.id, u->id);
}

Test(model, logs_in_and_loads_the_feed)
{
	struct h_user u;
	h_user_new(&u);
	h_ok(u.c, "post.create", "content:s", "first words");
	struct model m;
	model_up(&m);
	login(&m, &u);
	cr_assert(noted(NOTE_LOGGED_IN));
	cr_assert_not_null(m.feed);
	run_until(&m, view_loaded, m.feed, "the feed loaded");
	cr_assert_eq(m.feed->n, 1);
	const struct post *p = m.feed->items[0];
	cr_assert_str_eq(p->content, "first words");
	cr_assert(m.feed->at_end);
	model_free(&m);
}

Test(model, a_wrong_password_is_refused_with_the_servers_reason)
{
	struct h_user u;
	h_user_new(&u);
	struct model m;
	model_up(&m);
	model_login(&m, u.username, "not the password");
	int64_t give_up = ag_mono_ms() + DEADLINE_MS;
	while (!noted(NOTE_AUTH_FAILED)) {
		cr_assert_lt(ag_mono_ms(), give_up);
		struct pollfd fds[MODEL_MAX_FDS];
		int n = model_poll_fds(&m, fds);
		if (poll(fds, (nfds_t)n, 100) > 0)
			model_on_poll(&m, fds, n);
		model_tick(&m, ag_mono_ms());
	}
	cr_assert_not(m.logged_in);
	cr_assert_neq(notes.last_msg[0], '\0');
	model_free(&m);
}

/* Pages ask for the op table's default page size: 20 posts for
 * user.posts, then the rest. */
Test(model, a_users_posts_come_in_pages_of_the_ops_default_size)
{
	struct h_user u;
	h_user_new(&u);
	for (int i = 0; i < 25; i++)
		h_ok(u.c, "post.create", "content:s", h_fmt("post %d", i));
	struct model m;
	model_up(&m);
	login(&m, &u);
	struct view *v = model_view_open(&m, SRC_USER_POSTS, u.id, NULL);
	run_until(&m, view_loaded, v, "the first page");
	cr_assert_eq(v->n, 20);
	cr_assert_not(v->at_end);
	cr_assert_str_eq(((struct post *)v->items[0])->content, "post 24");
	model_view_more(&m, v);
	cr_assert(v->loading);
	run_until(&m, view_loaded, v, "the second page");
	cr_assert_eq(v->n, 25);
	cr_assert(v->at_end);
	cr_assert_str_eq(((struct post *)v->items[24])->content, "post 0");
	model_view_close(&m, v);
	model_free(&m);
}

Test(model, a_message_waits_in_the_outbox_until_the_server_has_it)
{
	struct h_user me, them;
	h_user_new(&me);
	h_user_new(&them);
	struct model m;
	model_up(&m);
	login(&m, &me);
	struct view *thread = model_view_open(&m, SRC_THREAD, them.id, NULL);
	run_until(&m, view_loaded, thread, "the empty thread");
	model_draft_save(&m, h_fmt("dm-%lld", (long long)them.id), "hello there");
	model_message_send(&m, them.id, "hello there");
	cr_assert_eq(m.n_outbox, 1);
	cr_assert(m.outbox[0]->in_flight);
	run_until(&m, outbox_empty, NULL, "the message sent");
	cr_assert(noted(NOTE_MESSAGE_SENT));
	cr_assert_eq(thread->n, 1);
	cr_assert_str_eq(((struct message *)thread->items[0])->content, "hello there");
	/* Sent: its draft is done with. */
	cr_assert_null(model_draft(&m, h_fmt("dm-%lld", (long long)them.id)));
	cr_assert_eq(h_db_int("SELECT COUNT(*) FROM messages WHERE sender_id = ?1", 1, me.id), 1);
	model_view_close(&m, thread);
	model_free(&m);
}

/* A message the request builder refuses is marked not sent, with the
 * arg's reason, and never reaches the server. */
Test(model, a_message_too_long_is_refused_before_it_is_sent)
{
	struct h_user me, them;
	h_user_new(&me);
	h_user_new(&them);
	struct model m;
	model_up(&m);
	login(&m, &me);
	model_message_send(&m, them.id, h_repeat("x", 5000));
	run_until(&m, outbox_failed, NULL, "the message refused");
	cr_assert(strstr(m.outbox[0]->why, "content") != NULL, "why: %s", m.outbox[0]->why);
	cr_assert(noted(NOTE_MESSAGE_FAILED));
	cr_assert_eq(m.conn, CONN_ONLINE);
	cr_assert_eq(h_db_int("SELECT COUNT(*) FROM messages WHERE sender_id = ?1", 1, me.id), 0);
	model_free(&m);
}

Test(model, a_pushed_message_counts_as_unread_and_reading_it_clears_it)
{
	struct h_user me, them;
	h_user_new(&me);
	h_user_new(&them);
	struct model m;
	model_up(&m);
	login(&m, &me);
	run_until(&m, view_loaded, m.convos, "the conversations");
	h_ok(them.c, "message.send", "receiver_id:i content:s", me.id, "ping");
	int64_t one = 1, none = 0;
	run_until(&m, unread_messages, &one, "one unread message");
	model_thread_open(&m, them.id);
	run_until(&m, unread_messages, &none, "no unread message");
	cr_assert_eq(h_db_int("SELECT COUNT(*) FROM messages WHERE receiver_id = ?1 AND is_read = 0",
		1, me.id), 0);
	model_free(&m);
}

Test(model, a_session_revoked_elsewhere_goes_back_to_the_login_form)
{
	struct h_user u;
	h_user_new(&u);
	struct model m;
	model_up(&m);
	login(&m, &u);
	/* End the model's own session from another client. */
	struct ag_client *other = h_client();
	ag_client_set_auth(other, m.session.token);
	h_ok(other, "auth.logout", "");
	notes.n = 0;
	/* The model asks inbox.counts every second while live. */
	run_until(&m, needs_login, NULL, "the login form");
	cr_assert(strstr(notes.last_msg, "revoked") != NULL, "said: %s", notes.last_msg);
	cr_assert_null(m.feed);
	cr_assert_eq(m.session.token[0], '\0');
	model_free(&m);
}

static bool push_connected(struct model *m, const void *arg)
{
	(void)arg;
	return m->sub && ag_sub_connected(m->sub);
}

/* A draft is kept per account on disk: a new model for the same account
 * offers it again. (Each login's push connection is waited for before the
 * logout: nng 1.5.2 never frees one closed in the middle of its handshake.) */
Test(model, a_draft_outlives_the_model)
{
	struct h_user u;
	h_user_new(&u);
	struct model m;
	model_up(&m);
	login(&m, &u);
	run_until(&m, push_connected, NULL, "push connected");
	model_draft_save(&m, "compose", "half a thought");
	model_drafts_flush(&m);
	model_logout(&m);
	cr_assert_null(model_draft(&m, "compose"));
	model_free(&m);

	struct model again;
	model_up(&again);
	login(&again, &u);
	run_until(&again, push_connected, NULL, "push connected");
	cr_assert_not_null(model_draft(&again, "compose"));
	cr_assert_str_eq(model_draft(&again, "compose"), "half a thought");
	model_free(&again);
}

static bool pushed(struct model *m, const void *arg)
{
	(void)m;
	(void)arg;
	return noted(NOTE_PUSH);
}

/* A saved login whose push URL went stale (the server restarted with
 * another shard count) is subscribed where auth.push says the events go
 * now, and saved so. */
Test(model, a_saved_login_subscribes_where_the_server_publishes_now)
{
	struct h_user me, them;
	h_user_new(&me);
	h_user_new(&them);
	struct model m;
	model_up(&m);
	login(&m, &me);
	run_until(&m, push_connected, NULL, "push connected");
	char right[sizeof m.session.push_url];
	snprintf(right, sizeof right, "%s", m.session.push_url);
	model_free(&m);
	const char *path = h_fmt("%s/session", state_dir);
	struct ag_session saved;
	cr_assert_eq(ag_session_load(path, &saved), 0);
	snprintf(saved.push_url, sizeof saved.push_url, "%s-gone.sock", h_pub_url());
	cr_assert_eq(ag_session_save(path, &saved), 0);

	notes.n = 0;
	struct model again;
	model_up(&again);
	run_until(&again, logged_in, NULL, "the saved login resumed");
	run_until(&again, push_connected, NULL, "push connected");
	cr_assert_str_eq(again.session.push_url, right);
	h_ok(them.c, "message.send", "receiver_id:i content:s", me.id, "found you");
	run_until(&again, pushed, NULL, "the pushed message");
	cr_assert_eq(ag_session_load(path, &saved), 0);
	cr_assert_str_eq(saved.push_url, right);
	model_free(&again);
}

static bool some_new_posts(struct model *m, const void *arg)
{
	(void)arg;
	return m->new_posts > 0;
}

/* A post pushed by someone I follow waits above the feed until shown. The
 * PUB side may attach a new subscriber after the first post's event has
 * gone, so they post again (up to five times) until one is pushed. */
Test(model, a_pushed_post_waits_above_the_feed)
{
	struct h_user me, them;
	h_user_new(&me);
	h_user_new(&them);
	h_ok(me.c, "follow.create", "user_id:i", them.id);
	struct model m;
	model_up(&m);
	login(&m, &me);
	run_until(&m, view_loaded, m.feed, "the empty feed");
	cr_assert_eq(m.feed->n, 0);
	int posted = 0;
	while (posted < 5 && !some_new_posts(&m, NULL)) {
		h_ok(them.c, "post.create", "content:s", h_fmt("news %d from them", ++posted));
		run_for(&m, some_new_posts, NULL, 2000);
	}
	cr_assert_gt(m.new_posts, 0, "no post was pushed");
	cr_assert_leq(m.new_posts, posted);
	cr_assert_eq(m.feed->n, 0, "not shown until asked");
	model_feed_show_new(&m);
	cr_assert_eq(m.new_posts, 0);
	run_until(&m, view_loaded, m.feed, "the feed again");
	cr_assert_eq(m.feed->n, (size_t)posted);
	cr_assert_str_eq(((struct post *)m.feed->items[0])->content,
		h_fmt("news %d from them", posted));
	model_free(&m);
}
