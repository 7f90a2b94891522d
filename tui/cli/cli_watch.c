/* cli_watch.c: `ansigram watch`: live events from the push plane.
 *
 * It subscribes with the session's push topic and key, pings the server
 * now and every four minutes so the session stays live for pushes, and
 * prints each event (one JSON line with --json). Events carry a per-session
 * seq. When it skips ahead (events were lost) or starts again lower (the
 * server restarted), when the push connection comes back after a loss
 * (nng redials by itself), or when the server answers again after a
 * silence, the notifications and messages newer than those seen are
 * fetched with the list ops and printed with seq 0; one that is both
 * fetched and pushed is printed once. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "clock.h"
#include "push.h"
#include "text.h"

#define PING_EVERY_S (4 * 60)
#define PING_MAX_S 3600
#define PING_RETRY_MS 5000
#define CONNECT_WAIT_MS 3000
#define REFETCH_LIMIT 50
#define NAME_CACHE 32
#define PRINTED_RING 256

/* The push socket, left open when watch ends (see cli_run_watch). */
static struct ag_sub *push_sub;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t in_request;  /* a blocking request is under way */
static int wake_fds[2] = {-1, -1};

/* SIGINT/SIGTERM: stop after the current event; during a request to a
 * server that does not answer, stop at once. */
static void on_stop(int sig)
{
	(void)sig;
	if (in_request)
		_exit(CLI_OK);
	stop_requested = 1;
	int saved = errno;
	ssize_t ignored = write(wake_fds[1], "", 1);  /* wakes poll(); a full pipe is fine */
	(void)ignored;
	errno = saved;
}

struct watch {
	struct cli *c;
	struct ag_sub *sub;
	long long count;           /* events left to print; -1: no limit */
	int64_t ping_every_ms;     /* the session is pinged this often */
	bool session_ended;        /* a request was refused as unauthorized */
	bool connected;            /* the push socket has connected once */
	uint64_t last_seq;         /* 0 before the first event */
	int64_t notification_max;  /* newest notification id seen */
	int64_t message_max;       /* newest message id seen */
	/* Notifications and messages printed lately (negative ids are
	 * messages), so one that is both fetched and pushed prints once. */
	int64_t printed[PRINTED_RING];
	size_t n_printed;
	struct { int64_t id; char name[64]; } names[NAME_CACHE];
	size_t n_names;
};

/* ---- requests ---- */

/* Sends op with one integer arg (arg NULL: none) while Ctrl-C may end
 * the process at once. */
static int watch_send(struct watch *w, const char *op, const char *arg, int64_t value,
	struct ag_reply *out)
{
	struct ag_req r;
	cli_req_init(&r, op);
	int code = arg != NULL ? cli_req_set_int(w->c, &r, arg, value) : CLI_OK;
	in_request = 1;
	if (code == CLI_OK)
		code = cli_send(w->c, &r, out);
	else
		memset(out, 0, sizeof *out);
	in_request = 0;
	if (code == CLI_ERR_SERVER && out->code == AG_E_UNAUTHORIZED)
		w->session_ended = true;
	ag_req_free(&r);
	return code;
}

/* A user's name, from the cache or user.get; "user N" when unknown. */
static const char *user_name(struct watch *w, int64_t id, struct ag_buf *out)
{
	ag_buf_reset(out);
	for (size_t i = 0; i < w->n_names; i++) {
		if (w->names[i].id == id) {
			ag_buf_printf(out, "@%s", w->names[i].name);
			return ag_buf_str(out);
		}
	}
	struct ag_reply rep;
	if (watch_send(w, "user.get", "user_id", id, &rep) == CLI_OK) {
		struct ag_buf name = {0};
		cli_str(&name, rep.data, "username");
		size_t slot = w->n_names < NAME_CACHE ? w->n_names++ : (size_t)id % NAME_CACHE;
		w->names[slot].id = id;
		ag_strlcpy(w->names[slot].name, ag_buf_str(&name), sizeof w->names[slot].name);
		ag_buf_printf(out, "@%s", ag_buf_str(&name));
		ag_buf_free(&name);
	} else {
		ag_buf_printf(out, "user %lld", (long long)id);
	}
	ag_reply_free(&rep);
	return ag_buf_str(out);
}

/* ---- printing events ---- */

static void print_readable(struct watch *w, const char *type, int64_t at,
	const msgpack_object *data)
{
	struct cli *c = w->c;
	struct ag_buf a = {0}, b = {0}, line = {0};
	char ago[32];
	ag_time_ago(at, ag_now_ms(), ago, sizeof ago);
	if (strcmp(type, "notification") == 0) {
		ag_buf_printf(&line, "%s", cli_str(&a, data, "message"));
	} else if (strcmp(type, "message") == 0) {
		int64_t from = ag_obj_int(data, "sender_id");
		if (from == w->c->session.user_id)
			ag_buf_printf(&line, "message to %s: ",
				user_name(w, ag_obj_int(data, "receiver_id"), &a));
		else
			ag_buf_printf(&line, "message from %s: ", user_name(w, from, &a));
		ag_buf_puts(&line, cli_str(&b, data, "content"));
	} else if (strcmp(type, "post") == 0) {
		ag_buf_printf(&line, "@%s posted #%lld: %s", cli_str(&a, data, "author_username"),
			(long long)ag_obj_int(data, "id"), cli_str(&b, data, "content"));
	} else if (strcmp(type, "story") == 0) {
		ag_buf_printf(&line, "@%s shared a story: %s", cli_str(&a, data, "author_username"),
			cli_str(&b, data, "content"));
	} else {
		ag_text_sanitize(&line, type, strlen(type), 0);
		ag_buf_puts(&line, " event");
	}
	/* One terminal line per event: the time (a date for old ones) takes
	 * what it needs and the text gets the rest of the width. */
	int used = printf("%s%-8s%s ", cli_dim(c), ago, cli_reset(c)) -
		(int)(strlen(cli_dim(c)) + strlen(cli_reset(c)));
	size_t fit = ag_text_fit(ag_buf_str(&line), c->cols - used > 3 ? c->cols - used : 3);
	printf("%.*s\n", (int)fit, ag_buf_str(&line));
	ag_buf_free(&a);
	ag_buf_free(&b);
	ag_buf_free(&line);
}

/* The key of a notification or message in the printed ring; 0 for other
 * events, which are never fetched. */
static int64_t printed_key(const char *type, const msgpack_object *data)
{
	int64_t id = ag_obj_int(data, "id");
	if (id <= 0)
		return 0;
	if (strcmp(type, "notification") == 0)
		return id;
	return strcmp(type, "message") == 0 ? -id : 0;
}

static bool printed_before(const struct watch *w, int64_t key)
{
	size_t n = w->n_printed < PRINTED_RING ? w->n_printed : PRINTED_RING;
	for (size_t i = 0; key != 0 && i < n; i++)
		if (w->printed[i] == key)
			return true;
	return false;
}

/* Prints one event (seq 0: fetched rather than pushed) and counts it,
 * unless it was printed already. */
static void print_event(struct watch *w, const char *type, uint64_t seq, int64_t at,
	const msgpack_object *data)
{
	int64_t key = printed_key(type, data);
	if (printed_before(w, key))
		return;
	if (key != 0)
		w->printed[w->n_printed++ % PRINTED_RING] = key;
	if (w->c->opts.json) {
		json_t *v = json_object();
		json_object_set_new(v, "type", json_string(type));
		json_object_set_new(v, "seq", json_integer((json_int_t)seq));
		json_object_set_new(v, "at", json_integer(at));
		json_object_set_new(v, "data", ag_json_from_msgpack(data));
		ag_json_print(stdout, v, 0);
		json_decref(v);
	} else {
		print_readable(w, type, at, data);
	}
	fflush(stdout);
	if (key > w->notification_max)
		w->notification_max = key;
	if (-key > w->message_max)
		w->message_max = -key;
	if (w->count > 0)
		w->count--;
}

/* ---- catching up ---- */

/* Prints the items of list (newest first) with an id above after,
 * oldest first, as fetched events of type. */
static void print_newer(struct watch *w, const char *type, const msgpack_object *list,
	int64_t after)
{
	for (size_t i = ag_obj_len(list); i > 0 && w->count != 0; i--) {
		const msgpack_object *item = ag_obj_at(list, i - 1);
		if (ag_obj_int(item, "id") > after)
			print_event(w, type, 0, ag_obj_int(item, "created_at"), item);
	}
}

/* Fetches and prints the notifications and messages with ids above the
 * given ones that were not printed yet. */
static void catch_up(struct watch *w, int64_t notifications_after, int64_t messages_after)
{
	struct ag_reply rep;
	if (watch_send(w, "notification.list", "limit", REFETCH_LIMIT, &rep) == CLI_OK)
		print_newer(w, "notification", rep.data, notifications_after);
	ag_reply_free(&rep);

	struct ag_reply convs;
	if (watch_send(w, "message.conversations", NULL, 0, &convs) == CLI_OK) {
		for (size_t i = 0; i < ag_obj_len(convs.data) && w->count != 0; i++) {
			const msgpack_object *conv = ag_obj_at(convs.data, i);
			if (ag_obj_int(ag_obj_get(conv, "last_message"), "id") <= messages_after)
				continue;
			if (watch_send(w, "message.thread", "user_id",
				    ag_obj_int(conv, "other_user_id"), &rep) == CLI_OK)
				print_newer(w, "message", rep.data, messages_after);
			ag_reply_free(&rep);
		}
	}
	ag_reply_free(&convs);
}

/* Records the newest notification and message ids there are now, so a
 * later catch-up prints only what came after the start. */
static int take_baseline(struct watch *w)
{
	struct ag_reply rep;
	int code = watch_send(w, "notification.list", "limit", 1, &rep);
	if (code == CLI_OK && ag_obj_len(rep.data) > 0)
		w->notification_max = ag_obj_int(ag_obj_at(rep.data, 0), "id");
	ag_reply_free(&rep);
	if (code != CLI_OK)
		return code;
	code = watch_send(w, "message.conversations", NULL, 0, &rep);
	for (size_t i = 0; code == CLI_OK && i < ag_obj_len(rep.data); i++) {
		int64_t id = ag_obj_int(ag_obj_get(ag_obj_at(rep.data, i), "last_message"), "id");
		if (id > w->message_max)
			w->message_max = id;
	}
	ag_reply_free(&rep);
	return code;
}

/* Prints a pushed event, then, after a gap in seq or a seq lower than the
 * last (a restarted server), fetches what may have been missed. */
static void handle_event(struct watch *w, const struct ag_event *ev)
{
	int64_t notifications_seen = w->notification_max, messages_seen = w->message_max;
	bool gap = w->last_seq != 0 && ev->seq != w->last_seq + 1;
	if (gap && ev->seq <= w->last_seq)
		cli_warn("event numbers started again (%llu after %llu): the server restarted; "
			"fetching what may have been missed",
			(unsigned long long)ev->seq, (unsigned long long)w->last_seq);
	else if (gap)
		cli_warn("missed %llu event%s (seq %llu after %llu); fetching them",
			(unsigned long long)(ev->seq - w->last_seq - 1),
			ev->seq - w->last_seq - 1 == 1 ? "" : "s",
			(unsigned long long)ev->seq, (unsigned long long)w->last_seq);
	w->last_seq = ev->seq;
	print_event(w, ev->type, ev->seq, ev->at, ev->data);
	if (gap && w->count != 0)
		catch_up(w, notifications_seen, messages_seen);
}

/* Handles news of the push connection: once it is back after a loss (or
 * up at last, when it was not at the start), events may have been sent
 * while it was down, so the session is pinged live and they are fetched. */
static void connection_news(struct watch *w)
{
	bool back = ag_sub_reconnected(w->sub);
	if (!back && w->connected)
		return;
	if (back)
		cli_warn("the push connection is back; fetching what may have been missed");
	w->connected = true;
	struct ag_reply rep;
	int code = watch_send(w, "server.ping", NULL, 0, &rep);
	ag_reply_free(&rep);
	if (code == CLI_OK)
		catch_up(w, w->notification_max, w->message_max);
}

/* ---- the loop ---- */

/* The push URL: --pub, else the one the login named, else the first one
 * server.info lists. */
static int push_url(struct watch *w, char *out, size_t size)
{
	if (w->c->opts.pub_url != NULL) {
		ag_strlcpy(out, w->c->opts.pub_url, size);
		return CLI_OK;
	}
	if (w->c->session.push_url[0]) {
		/* The server says where it publishes the session's events now: a
		 * restart with another shard count moves them. */
		struct ag_reply rep;
		if (watch_send(w, "auth.push", NULL, 0, &rep) == CLI_OK)
			ag_session_take_push_url(&w->c->session, ag_obj_get(rep.data, "urls"),
				w->c->opts.server_url);
		ag_reply_free(&rep);
		ag_strlcpy(out, w->c->session.push_url, size);
		return CLI_OK;
	}
	/* A session saved before the server named push URLs: its events may
	 * go out on another of the server's push shards. */
	cli_warn("this login names no push URL (it was saved by an older ansigram); "
		"if no events arrive, log in again");
	struct ag_reply rep;
	int code = watch_send(w, "server.info", NULL, 0, &rep);
	const msgpack_object *first = ag_obj_at(ag_obj_get(rep.data, "pub"), 0);
	if (code == CLI_OK && (first == NULL || first->type != MSGPACK_OBJECT_STR ||
			       first->via.str.size >= size)) {
		code = cli_fail(w->c, CLI_ERR_SERVER,
			"the server lists no push URL; give one with --pub URL");
	} else if (code == CLI_OK) {
		memcpy(out, first->via.str.ptr, first->via.str.size);
		out[first->via.str.size] = '\0';
	}
	ag_reply_free(&rep);
	return code;
}

static void install_signals(void)
{
	if (pipe(wake_fds) == 0) {
		fcntl(wake_fds[0], F_SETFL, O_NONBLOCK);
		fcntl(wake_fds[1], F_SETFL, O_NONBLOCK);
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Waits for events until stopped or the count is reached. */
static int watch_loop(struct watch *w)
{
	int64_t next_ping = ag_mono_ms() + w->ping_every_ms;
	bool server_lost = false;
	while (!stop_requested && w->count != 0 && !w->session_ended) {
		int64_t wait = next_ping - ag_mono_ms();
		struct pollfd fds[3] = {
			{.fd = ag_sub_fd(w->sub), .events = POLLIN},
			{.fd = ag_sub_state_fd(w->sub), .events = POLLIN},
			{.fd = wake_fds[0], .events = POLLIN},
		};
		if (poll(fds, 3, wait > 0 ? (int)wait : 0) < 0 && errno != EINTR) {
			return cli_fail(w->c, CLI_ERR_UNREACHABLE, "watch: poll: %s", strerror(errno));
		}
		struct ag_event ev;
		while (!stop_requested && w->count != 0 && ag_sub_next(w->sub, 0, &ev) == 0) {
			handle_event(w, &ev);
			ag_event_free(&ev);
		}
		if (fds[1].revents & POLLIN)
			connection_news(w);
		if (ag_mono_ms() < next_ping || stop_requested || w->count == 0 || w->session_ended)
			continue;
		struct ag_reply rep;
		int code = watch_send(w, "server.ping", NULL, 0, &rep);
		ag_reply_free(&rep);
		if (code == CLI_ERR_SERVER)
			return code;  /* the session ended: no more events will come */
		if (code != CLI_OK && !server_lost)
			cli_warn("watch: the server does not answer; trying again every %d s",
				PING_RETRY_MS / 1000);
		if (code == CLI_OK && server_lost) {
			cli_warn("watch: the server answers again; fetching what may have been missed");
			catch_up(w, w->notification_max, w->message_max);
		}
		server_lost = code != CLI_OK;
		next_ping = ag_mono_ms() + (server_lost ? PING_RETRY_MS : w->ping_every_ms);
	}
	return w->session_ended ? CLI_ERR_SERVER : CLI_OK;
}

/* Waits up to timeout_ms for the push socket's first connection. */
static void await_connection(struct watch *w, int timeout_ms)
{
	struct pollfd fd = {.fd = ag_sub_state_fd(w->sub), .events = POLLIN};
	if (poll(&fd, 1, timeout_ms) == 1) {
		ag_sub_reconnected(w->sub);
		w->connected = true;
	}
}

int cli_run_watch(struct cli *c, struct cli_line *line)
{
	struct watch w = {.c = c, .count = -1, .ping_every_ms = PING_EVERY_S * 1000};
	const char *count = cli_line_flag(line, "count");
	if (count != NULL) {
		char *end;
		errno = 0;
		w.count = strtoll(count, &end, 10);
		if (errno != 0 || end == count || *end != '\0' || w.count < 1)
			return cli_usage(c, "--count wants a whole number from 1, not '%s'", count);
	}
	const char *ping = cli_line_flag(line, "ping");
	if (ping != NULL) {
		char *end;
		errno = 0;
		long long seconds = strtoll(ping, &end, 10);
		if (errno != 0 || end == ping || *end != '\0' || seconds < 1 || seconds > PING_MAX_S)
			return cli_usage(c, "--ping wants seconds from 1 to %d, not '%s'", PING_MAX_S,
				ping);
		w.ping_every_ms = seconds * 1000;
	}
	if (c->token == NULL || c->token_from_env || !c->session.has_push) {
		return cli_fail(c, CLI_ERR_SERVER, "watch needs the push keys of a login saved in "
			"the session file; log in with 'ansigram login'");
	}
	install_signals();
	char url[1024];
	int code = push_url(&w, url, sizeof url);
	if (code != CLI_OK)
		return code;
	struct ag_tls tls = {c->opts.ca_file, c->opts.tls_server_name};
	int rv = ag_sub_open_tls(&w.sub, url, &tls, c->session.push_topic, c->session.push_key);
	if (rv != 0) {
		return cli_fail(c, CLI_ERR_UNREACHABLE, "cannot subscribe to %s: %s", url,
			nng_strerror(rv));
	}
	/* Connected before the session is pinged live and the newest ids are
	 * noted, so no event falls between; if the connection is slow, it is
	 * caught up on when it comes (connection_news). */
	await_connection(&w, CONNECT_WAIT_MS);
	struct ag_reply rep;
	code = watch_send(&w, "server.ping", NULL, 0, &rep);
	ag_reply_free(&rep);
	if (code == CLI_OK)
		code = take_baseline(&w);
	if (code == CLI_OK) {
		struct ag_buf name = {0};
		ag_text_sanitize(&name, c->session.username, strlen(c->session.username), 0);
		cli_warn("watching events for @%s from %s (Ctrl-C stops)", ag_buf_str(&name), url);
		if (!w.connected)
			cli_warn("not connected to %s yet; events will come once it answers", url);
		ag_buf_free(&name);
		code = watch_loop(&w);
	}
	if (w.session_ended && !c->opts.json)   /* with --json, the server's error said it */
		cli_warn("watch: your session was revoked or has expired; log in again");
	/* The process ends next, so the push socket is left for the kernel to
	 * close: nng 1.5's nng_close can deadlock on a subscriber with traffic
	 * in flight (nng issue 1543), which would hang `watch --count N` in a
	 * script. Ctrl-C and SIGTERM get their usual effect back. */
	push_sub = w.sub;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return code;
}
