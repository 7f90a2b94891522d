/* cli_cmds.c: the friendly commands (`feed`, `post TEXT`, `dm @bob hi`,
 * `login`...), each a thin layer over one or two ops: it fills the op's
 * args from its words, lets the op's own args through as options where
 * that makes sense (--limit...), and words its output for people, while
 * --json prints the reply's data. The table at the end lists them. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "text.h"

/* Sends line's request and prints its data (JSON, or readable text with
 * empty_text for an empty list). */
static int send_and_print(struct cli *c, struct ag_req *r, const char *empty_text)
{
	struct ag_reply rep;
	int code = cli_send(c, r, &rep);
	if (code == CLI_OK) {
		if (!c->opts.json && empty_text != NULL && rep.data != NULL &&
		    rep.data->type == MSGPACK_OBJECT_ARRAY && rep.data->via.array.size == 0)
			printf("%s\n", empty_text);
		else
			cli_print_data(c, rep.data);
	}
	ag_reply_free(&rep);
	return code;
}

/* Sets arg from line's positional word i (an id). */
static int set_id_word(struct cli *c, struct cli_line *line, int i, const char *arg,
	const char *shown)
{
	return cli_req_set_text(c, &line->req, arg, line->pos[i], shown);
}

/* Sets arg to the text of positional words from..n-1 (see cli_join_text). */
static int set_text_words(struct cli *c, struct cli_line *line, int from, const char *arg)
{
	char *text;
	int code = cli_join_text(c, line->pos + from, line->n_pos - from, &text);
	if (code == CLI_OK)
		code = cli_req_set_text(c, &line->req, arg, text, "TEXT");
	free(text);
	return code;
}

/* Sets user_id (or the given arg) from "@name" at word i, or to me when
 * there is no such word. */
static int set_user_word(struct cli *c, struct cli_line *line, int i, const char *arg)
{
	int64_t id;
	int code = i < line->n_pos ? cli_user_id(c, line->pos[i], &id) : cli_my_id(c, &id);
	return code == CLI_OK ? cli_req_set_int(c, &line->req, arg, id) : code;
}

/* "@name" without its "@", sanitized for printing. */
static const char *shown_name(struct ag_buf *b, const char *word)
{
	const char *bare = word[0] == '@' ? word + 1 : word;
	ag_buf_reset(b);
	ag_text_sanitize(b, bare, strlen(bare), 0);
	return ag_buf_str(b);
}

static int cmd_whoami(struct cli *c, struct cli_line *line)
{
	struct ag_reply rep;
	int code = cli_send(c, &line->req, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		cli_print_readable(c, rep.data);
		printf("  server: %s\n", c->opts.server_url);
		if (c->ssh) {
			printf("  session: by SSH key %s (kept in memory only)\n", c->ssh_fingerprint);
		} else if (c->token_from_env) {
			printf("  session: from ANSIGRAM_TOKEN\n");
		} else if (c->session.expires_at > 0) {
			char ago[32];
			ag_time_ago(c->session.expires_at, ag_now_ms(), ago, sizeof ago);
			printf("  session: %s, expires %s\n", c->opts.session_path, ago);
		}
	}
	ag_reply_free(&rep);
	return code;
}

static int cmd_feed(struct cli *c, struct cli_line *line)
{
	return send_and_print(c, &line->req, "Your feed is empty: follow people with "
		"'ansigram follow @name', or post with 'ansigram post TEXT'.");
}

/* Uploads the photo file named by --photo (media.upload) and sets the
 * request's media_id to it. The file was checked before: see
 * send_text_or_image. */
static int upload_photo(struct cli *c, struct ag_req *create, const unsigned char *data,
	size_t len)
{
	struct ag_req up;
	cli_req_init(&up, "media.upload");
	int code = CLI_OK;
	if (ag_req_set_bin(&up, "data", data, len) != AG_OK)
		code = cli_usage(c, "--photo: %s", up.error.message);
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send(c, &up, &rep);
	if (code == CLI_OK)
		code = cli_req_set_int(c, create, "media_id", ag_obj_int(rep.data, "id"));
	ag_reply_free(&rep);
	ag_req_free(&up);
	return code;
}

/* Sends a post or a story: TEXT words become content; one of TEXT,
 * --image and --photo is needed. A --photo file is read and checked
 * before anything is sent, then uploaded, then attached by the create. */
static int send_text_or_image(struct cli *c, struct cli_line *line, const char *what)
{
	const char *photo = cli_line_flag(line, "photo");
	int code = CLI_OK;
	if (line->n_pos > 0)
		code = set_text_words(c, line, 0, "content");
	else if (!ag_req_has(&line->req, "image_url") && photo == NULL)
		return cli_usage(c, "a %s needs TEXT, --image URL, --photo FILE, or some of them",
			what);
	if (code != CLI_OK || photo == NULL)
		return code == CLI_OK ? send_and_print(c, &line->req, NULL) : code;
	unsigned char *data;
	size_t len;
	code = cli_photo_read(c, photo, &data, &len);
	if (code != CLI_OK)
		return code;
	code = upload_photo(c, &line->req, data, len);
	free(data);
	return code == CLI_OK ? send_and_print(c, &line->req, NULL) : code;
}

static int cmd_post(struct cli *c, struct cli_line *line)
{
	return send_text_or_image(c, line, "post");
}

/* Fetches the post named by the first word into post (post.get), after
 * setting that id in line's own request too; get is freed by the caller. */
static int get_post_of_word(struct cli *c, struct cli_line *line, struct ag_req *get,
	struct ag_reply *post)
{
	memset(post, 0, sizeof *post);
	cli_req_init(get, "post.get");
	int code = cli_req_set_text(c, get, "post_id", line->pos[0], "POST_ID");
	if (code == CLI_OK)
		code = set_id_word(c, line, 0, "post_id", "POST_ID");
	return code == CLI_OK ? cli_send(c, get, post) : code;
}

/* Draws photo media_id on the terminal (media.get, full size); a photo
 * that cannot be fetched is warned about, the post still shown. */
static void show_photo(struct cli *c, int64_t media_id)
{
	struct ag_req get;
	cli_req_init(&get, "media.get");
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	int code = cli_req_set_int(c, &get, "media_id", media_id);
	if (code == CLI_OK)
		code = cli_send_allowing(c, &get, &rep, AG_E_NOT_FOUND);
	const msgpack_object *data = code == CLI_OK ? ag_obj_get(rep.data, "data") : NULL;
	if (data != NULL && data->type == MSGPACK_OBJECT_BIN)
		cli_draw_photo(c, data->via.bin.ptr, data->via.bin.size);
	else if (code == CLI_ERR_SERVER && rep.code == AG_E_NOT_FOUND)
		cli_warn("photo #%lld is not there any more", (long long)media_id);
	ag_reply_free(&rep);
	ag_req_free(&get);
}

static int cmd_show(struct cli *c, struct cli_line *line)
{
	struct ag_req get;
	struct ag_reply post, comments;
	memset(&comments, 0, sizeof comments);
	int code = get_post_of_word(c, line, &get, &post);
	if (code == CLI_OK)
		code = cli_send(c, &line->req, &comments);
	if (code == CLI_OK && c->opts.json) {
		json_t *v = json_object();
		json_object_set_new(v, "post", ag_json_from_msgpack(post.data));
		json_object_set_new(v, "comments", ag_json_from_msgpack(comments.data));
		cli_print_json(c, v);
	} else if (code == CLI_OK) {
		cli_print_readable(c, post.data);
		const msgpack_object *media = ag_obj_get(post.data, "media");
		if (c->stdout_tty && media != NULL && media->type == MSGPACK_OBJECT_MAP)
			show_photo(c, ag_obj_int(media, "id"));
		size_t n = ag_obj_len(comments.data);
		for (size_t i = n; i > 0; i--) {  /* oldest first, as a conversation reads */
			putchar('\n');
			cli_print_readable(c, ag_obj_at(comments.data, i - 1));
		}
	}
	ag_reply_free(&post);
	ag_reply_free(&comments);
	ag_req_free(&get);
	return code;
}

static int cmd_like(struct cli *c, struct cli_line *line)
{
	int code = set_id_word(c, line, 0, "post_id", "POST_ID");
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send(c, &line->req, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		int64_t n = ag_obj_int(rep.data, "like_count");
		printf(ag_obj_bool(rep.data, "liked") ? "You like post %s now (%lld like%s).\n"
			: "You no longer like post %s (%lld like%s).\n", line->pos[0], (long long)n,
			n == 1 ? "" : "s");
	}
	ag_reply_free(&rep);
	return code;
}

/* post.like toggles, so unlike reads the post first and toggles only when
 * I like it. That is two requests, not one atomic step: should a like from
 * elsewhere come between them, the toggle answers liked and is sent once
 * more, so that I do not like the post in the end. */
static int cmd_unlike(struct cli *c, struct cli_line *line)
{
	struct ag_req get;
	struct ag_reply post, rep;
	memset(&rep, 0, sizeof rep);
	int code = get_post_of_word(c, line, &get, &post);
	bool liked = code == CLI_OK && ag_obj_bool(post.data, "liked_by_me");
	int64_t likes = code == CLI_OK ? ag_obj_int(post.data, "like_count") : 0;
	for (int tries = 0; code == CLI_OK && liked && tries < 2; tries++) {
		ag_reply_free(&rep);
		code = cli_send(c, &line->req, &rep);
		liked = code == CLI_OK && ag_obj_bool(rep.data, "liked");
		likes = code == CLI_OK ? ag_obj_int(rep.data, "like_count") : likes;
	}
	if (code == CLI_OK && liked)
		code = cli_fail(c, CLI_ERR_SERVER, "post %s was liked again meanwhile; try again",
			line->pos[0]);
	if (code == CLI_OK && c->opts.json) {
		json_t *v = json_object();
		json_object_set_new(v, "liked", json_false());
		json_object_set_new(v, "like_count", json_integer(likes));
		cli_print_json(c, v);
	} else if (code == CLI_OK) {
		printf(rep.data != NULL ? "You no longer like post %s (%lld like%s).\n"
			: "You do not like post %s; nothing changed (%lld like%s).\n", line->pos[0],
			(long long)likes, likes == 1 ? "" : "s");
	}
	ag_reply_free(&post);
	ag_reply_free(&rep);
	ag_req_free(&get);
	return code;
}

static int cmd_comment(struct cli *c, struct cli_line *line)
{
	int code = set_id_word(c, line, 0, "post_id", "POST_ID");
	if (code == CLI_OK)
		code = set_text_words(c, line, 1, "content");
	return code == CLI_OK ? send_and_print(c, &line->req, NULL) : code;
}

/* follow and unfollow: the same shape, different words. A conflict
 * (following already, or not following) on unfollow changes nothing and
 * is not an error: said with unchanged, and --json prints the reply's
 * shape, {"following": false}. */
static int follow_change(struct cli *c, struct cli_line *line, const char *done,
	enum ag_err fine, const char *unchanged)
{
	int code = set_user_word(c, line, 0, "user_id");
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send_allowing(c, &line->req, &rep, fine);
	bool same = code == CLI_ERR_SERVER && fine != AG_OK && rep.code == fine;
	struct ag_buf b = {0};
	if (same && c->opts.json) {
		json_t *v = json_object();
		json_object_set_new(v, "following", json_false());
		cli_print_json(c, v);
	} else if (same) {
		printf("%s @%s; nothing changed.\n", unchanged, shown_name(&b, line->pos[0]));
	} else if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		printf("%s @%s.\n", done, shown_name(&b, line->pos[0]));
	}
	ag_buf_free(&b);
	ag_reply_free(&rep);
	return same ? CLI_OK : code;
}

static int cmd_follow(struct cli *c, struct cli_line *line)
{
	return follow_change(c, line, "You now follow", AG_OK, NULL);
}

static int cmd_unfollow(struct cli *c, struct cli_line *line)
{
	return follow_change(c, line, "You no longer follow", AG_E_CONFLICT, "You do not follow");
}

static int cmd_profile(struct cli *c, struct cli_line *line)
{
	int code = set_user_word(c, line, 0, "user_id");
	return code == CLI_OK ? send_and_print(c, &line->req, NULL) : code;
}

static int cmd_followers(struct cli *c, struct cli_line *line)
{
	int code = set_user_word(c, line, 0, "user_id");
	return code == CLI_OK ? send_and_print(c, &line->req, "No followers yet.") : code;
}

static int cmd_following(struct cli *c, struct cli_line *line)
{
	int code = set_user_word(c, line, 0, "user_id");
	return code == CLI_OK ? send_and_print(c, &line->req, "Not following anyone yet.") : code;
}

static int cmd_stories(struct cli *c, struct cli_line *line)
{
	return send_and_print(c, &line->req, "No stories in the last 24 hours.");
}

static int cmd_story(struct cli *c, struct cli_line *line)
{
	return send_text_or_image(c, line, "story");
}

static int cmd_dm(struct cli *c, struct cli_line *line)
{
	int code = set_user_word(c, line, 0, "receiver_id");
	if (code == CLI_OK)
		code = set_text_words(c, line, 1, "content");
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send(c, &line->req, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		struct ag_buf b = {0};
		printf("Sent to @%s (message #%lld).\n", shown_name(&b, line->pos[0]),
			(long long)ag_obj_int(rep.data, "id"));
		ag_buf_free(&b);
	}
	ag_reply_free(&rep);
	return code;
}

static int cmd_dms(struct cli *c, struct cli_line *line)
{
	return send_and_print(c, &line->req, "No conversations yet: start one with "
		"'ansigram dm @name TEXT'.");
}

/* One message of a thread: "@name · 5m ago" and the text. */
static void print_thread_message(struct cli *c, const msgpack_object *m, int64_t other_id,
	const char *other)
{
	char ago[32];
	bool theirs = ag_obj_int(m, "sender_id") == other_id;
	printf("%s%s%s%s · %s%s%s\n", cli_bold(c), theirs ? "@" : "", theirs ? other : "you",
		cli_reset(c), cli_dim(c), cli_ago(ago, sizeof ago, m, "created_at"), cli_reset(c));
	const msgpack_object *text = ag_obj_get(m, "content");
	if (text != NULL && text->type == MSGPACK_OBJECT_STR)
		cli_print_wrapped(c, text->via.str.ptr, text->via.str.size, 2);
}

static int cmd_thread(struct cli *c, struct cli_line *line)
{
	int code = set_user_word(c, line, 0, "user_id");
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send(c, &line->req, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		struct ag_buf name = {0};
		shown_name(&name, line->pos[0]);
		int64_t other_id = ag_req_int(&line->req, "user_id");
		size_t n = ag_obj_len(rep.data);
		if (n == 0)
			printf("No messages with @%s yet.\n", ag_buf_str(&name));
		for (size_t i = n; i > 0; i--)  /* oldest first, as a conversation reads */
			print_thread_message(c, ag_obj_at(rep.data, i - 1), other_id, ag_buf_str(&name));
		ag_buf_free(&name);
	}
	ag_reply_free(&rep);
	if (code != CLI_OK)
		return code;
	/* Having read the thread, their messages are read. */
	struct ag_req mark;
	cli_req_init(&mark, "message.mark_read");
	code = cli_req_set_int(c, &mark, "user_id", ag_req_int(&line->req, "user_id"));
	if (code == CLI_OK)
		code = cli_send(c, &mark, &rep);
	ag_reply_free(&rep);
	ag_req_free(&mark);
	return code;
}

static int cmd_notifications(struct cli *c, struct cli_line *line)
{
	return send_and_print(c, &line->req, "No notifications.");
}

static int cmd_read_all(struct cli *c, struct cli_line *line)
{
	struct ag_reply rep;
	int code = cli_send(c, &line->req, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		int64_t n = ag_obj_int(rep.data, "updated");
		printf("Marked %lld notification%s read.\n", (long long)n, n == 1 ? "" : "s");
	}
	ag_reply_free(&rep);
	return code;
}

static int cmd_search(struct cli *c, struct cli_line *line)
{
	int code = set_text_words(c, line, 0, "q");
	struct ag_req tags;
	cli_req_init(&tags, "search.hashtags");
	if (code == CLI_OK)
		code = cli_req_set_text(c, &tags, "q", ag_req_str(&line->req, "q"), "TEXT");
	if (code == CLI_OK && ag_req_has(&line->req, "limit"))
		code = cli_req_set_int(c, &tags, "limit", ag_req_int(&line->req, "limit"));
	struct ag_reply users, hashtags;
	memset(&users, 0, sizeof users);
	memset(&hashtags, 0, sizeof hashtags);
	if (code == CLI_OK)
		code = cli_send(c, &line->req, &users);
	if (code == CLI_OK)
		code = cli_send(c, &tags, &hashtags);
	if (code == CLI_OK && c->opts.json) {
		json_t *v = json_object();
		json_object_set_new(v, "users", ag_json_from_msgpack(users.data));
		json_object_set_new(v, "hashtags", ag_json_from_msgpack(hashtags.data));
		cli_print_json(c, v);
	} else if (code == CLI_OK) {
		if (ag_obj_len(users.data) + ag_obj_len(hashtags.data) == 0)
			printf("Nothing found.\n");
		if (ag_obj_len(users.data) > 0)
			cli_print_readable(c, users.data);
		if (ag_obj_len(users.data) > 0 && ag_obj_len(hashtags.data) > 0)
			putchar('\n');
		if (ag_obj_len(hashtags.data) > 0)
			cli_print_readable(c, hashtags.data);
	}
	ag_reply_free(&users);
	ag_reply_free(&hashtags);
	ag_req_free(&tags);
	return code;
}

static int cmd_tag(struct cli *c, struct cli_line *line)
{
	int code = cli_req_set_text(c, &line->req, "tag", line->pos[0], "NAME");
	return code == CLI_OK ? send_and_print(c, &line->req, "No posts with that hashtag.") : code;
}

/* Sets email or username from a login name word: an email when it has an
 * '@' past its first character, else a user name (a leading '@' dropped). */
static int set_login_name(struct cli *c, struct ag_req *r, const char *word)
{
	if (strchr(word + 1, '@') != NULL)
		return cli_req_set_text(c, r, "email", word, "NAME");
	return cli_req_set_text(c, r, "username", word[0] == '@' ? word + 1 : word, "NAME");
}

/* Logs in with r (auth.login), saves the session and reports it. */
static int login_with(struct cli *c, struct ag_req *r)
{
	struct ag_reply rep;
	int code = cli_send(c, r, &rep);
	if (code == CLI_OK)
		code = cli_save_login(c, rep.data);
	if (code == CLI_OK)
		cli_print_data(c, rep.data);
	ag_reply_free(&rep);
	return code;
}

static int cmd_login(struct cli *c, struct cli_line *line)
{
	struct ag_req *r = &line->req;
	int code = CLI_OK;
	if (line->n_pos > 0) {
		if (ag_req_has(r, "email") || ag_req_has(r, "username"))
			return cli_usage(c, "give the name as a word or with --email/--username, "
				"not both");
		code = set_login_name(c, r, line->pos[0]);
	} else if (!ag_req_has(r, "email") && !ag_req_has(r, "username")) {
		if (!isatty(STDIN_FILENO) || line->password_stdin)
			return cli_usage(c, "whom to log in? give a user name or email");
		fputs("User name or email: ", stderr);
		fflush(stderr);
		char *name = NULL;
		size_t cap = 0;
		ssize_t n = getline(&name, &cap, stdin);
		if (n > 0) {
			name[strcspn(name, "\r\n")] = '\0';
			code = name[0] ? set_login_name(c, r, name) : cli_usage(c, "no name given");
		} else {
			code = cli_usage(c, "no name given");
		}
		free(name);
	}
	if (code == CLI_OK)
		code = cli_fill_password(c, line, false);
	return code == CLI_OK ? login_with(c, r) : code;
}

static int cmd_logout(struct cli *c, struct cli_line *line)
{
	if (c->token == NULL) {
		if (!c->opts.json)
			printf("Not logged in.\n");
		else
			cli_print_json(c, json_null());
		return CLI_OK;
	}
	struct ag_reply rep;
	int code = cli_send(c, &line->req, &rep);
	bool ended = code == CLI_OK || (code == CLI_ERR_SERVER && rep.code == AG_E_UNAUTHORIZED);
	ag_reply_free(&rep);
	if (c->token_from_env) {
		if (code == CLI_OK && !c->opts.json)
			printf("Logged out: the token in ANSIGRAM_TOKEN no longer works.\n");
	} else if (ag_session_delete(c->opts.session_path) != 0) {
		return cli_fail(c, CLI_ERR_SERVER, "cannot remove %s: %s", c->opts.session_path,
			strerror(errno));
	} else if (code == CLI_ERR_UNREACHABLE) {
		cli_warn("removed %s, but the server was not told: the session stays valid "
			"there until it expires", c->opts.session_path);
	} else if (ended && !c->opts.json) {
		printf("Logged out.\n");
	}
	if (ended && c->opts.json)
		cli_print_json(c, json_null());
	return ended ? CLI_OK : code;
}

static int cmd_register(struct cli *c, struct cli_line *line)
{
	struct ag_req *r = &line->req;
	int code = CLI_OK;
	if (line->n_pos > 0) {
		if (ag_req_has(r, "username"))
			return cli_usage(c, "give the user name as a word or with --username, not both");
		const char *word = line->pos[0];
		code = cli_req_set_text(c, r, "username", word[0] == '@' ? word + 1 : word, "NAME");
	}
	if (code == CLI_OK && !ag_req_has(r, "username"))
		return cli_usage(c, "register needs a user name");
	if (code == CLI_OK && !ag_req_has(r, "email"))
		return cli_usage(c, "register needs --email EMAIL");
	if (code == CLI_OK)
		code = cli_fill_password(c, line, true);
	struct ag_reply rep;
	memset(&rep, 0, sizeof rep);
	if (code == CLI_OK)
		code = cli_send(c, r, &rep);
	ag_reply_free(&rep);
	if (code != CLI_OK)
		return code;

	struct ag_req login;
	cli_req_init(&login, "auth.login");
	code = cli_req_set_text(c, &login, "username", ag_req_str(r, "username"), "NAME");
	if (code == CLI_OK)
		code = cli_req_set_text(c, &login, "password", ag_req_str(r, "password"),
			"the password");
	if (code == CLI_OK)
		code = login_with(c, &login);
	ag_req_free(&login);
	return code;
}

static const struct cli_flag post_flags[] = {
	{"image", "image_url", "URL", "an image URL (http:// or https://)"},
	{"photo", NULL, "FILE", "a photo to upload and attach: JPEG, PNG, WebP or GIF, "
		"up to 8 MiB"},
	{0},
};
static const struct cli_flag notification_flags[] = {
	{"unread", "unread_only", NULL, "only unread ones"},
	{0},
};
static const struct cli_flag watch_flags[] = {
	{"count", NULL, "N", "exit after N events"},
	{"ping", NULL, "SECONDS", "ping the server every SECONDS (default 240)"},
	{0},
};

#define PAGE "limit offset before_id"
/* What --photo does, for post and story. */
#define PHOTO_HELP "--photo uploads the file (media.upload) and attaches it: a file that " \
	"cannot be read, is empty, over 8 MiB or not a JPEG, PNG, WebP or GIF is refused " \
	"(exit 2) before anything is sent. "
/* The words of commands that name a user. */
#define USER_WORD "user_id=@NAME username=@NAME"
/* How text that starts with one of the group's verbs is read (cli_run). */
#define TEXT_VS_VERB "Text may start with a verb of the operations (ansigram post like a " \
	"boss): it is text when other words follow; the operation is spelled with options " \
	"(ansigram post like --post-id ID) or dotted (post.like). A verb alone, or a verb " \
	"and a number, is the operation: put -- before such text (ansigram post -- delete 5)."

const struct cli_cmd cli_cmds[] = {
	{"whoami", "", "Show who I am logged in as, where, and until when.",
		"auth.me", NULL, 0, 0, NULL, NULL, cmd_whoami, NULL},
	{"feed", "", "Posts by the people I follow and by me, newest first.",
		"feed.get", PAGE, 0, 0, NULL, NULL, cmd_feed, NULL},
	{"post", "TEXT... [--image URL] [--photo FILE]",
		"Publish a post; #hashtags in it are found.",
		"post.create", NULL, 0, -1, post_flags,
		"The words are joined with spaces; a single - reads the text from stdin. " PHOTO_HELP
		TEXT_VS_VERB, cmd_post, "content=TEXT"},
	{"show", "POST_ID", "A post with its comments (oldest first).",
		"post.comments", PAGE, 1, 1, NULL,
		"On a terminal, the post's photo is drawn under it: with kitty graphics, sixel or "
		"iTerm2 images where the terminal has them, else in Unicode blocks; "
		"ANSIGRAM_IMAGES=auto|kitty|sixel|iterm|blocks|off chooses. With --json the post "
		"holds its media object.", cmd_show, "post_id=POST_ID"},
	{"like", "POST_ID", "Like a post, or unlike it if I already do.",
		"post.like", NULL, 1, 1, NULL, NULL, cmd_like, "post_id=POST_ID"},
	{"unlike", "POST_ID", "Stop liking a post; when I do not like it, nothing changes.",
		"post.like", NULL, 1, 1, NULL,
		"post.like toggles, so unlike reads the post first and toggles only when I like "
		"it: two requests, not one atomic step.", cmd_unlike, "post_id=POST_ID"},
	{"comment", "POST_ID TEXT...", "Comment on a post.",
		"comment.create", NULL, 2, -1, NULL,
		"The words are joined with spaces; a single - reads the text from stdin.",
		cmd_comment, "post_id=POST_ID content=TEXT"},
	{"follow", "@NAME", "Follow someone.", "follow.create", NULL, 1, 1, NULL, NULL, cmd_follow, USER_WORD},
	{"unfollow", "@NAME", "Stop following someone; when I do not, nothing changes.",
		"follow.delete", NULL, 1, 1, NULL, NULL, cmd_unfollow, USER_WORD},
	{"profile", "[@NAME]", "Someone's profile (mine without a name).",
		"user.get", NULL, 0, 1, NULL, NULL, cmd_profile, USER_WORD},
	{"followers", "[@NAME]", "Who follows someone (me without a name).",
		"user.followers", "limit offset", 0, 1, NULL, NULL, cmd_followers, USER_WORD},
	{"following", "[@NAME]", "Whom someone follows (me without a name).",
		"user.following", "limit offset", 0, 1, NULL, NULL, cmd_following, USER_WORD},
	{"stories", "", "Unexpired stories of the people I follow and mine.",
		"story.feed", NULL, 0, 0, NULL, NULL, cmd_stories, NULL},
	{"story", "TEXT... | --image URL | --photo FILE", "Share a story for 24 hours.",
		"story.create", NULL, 0, -1, post_flags,
		"The words are joined with spaces; a single - reads the text from stdin. " PHOTO_HELP
		TEXT_VS_VERB, cmd_story, "content=TEXT"},
	{"dm", "@NAME TEXT...", "Send a direct message.",
		"message.send", NULL, 2, -1, NULL,
		"The words are joined with spaces; a single - reads the text from stdin.", cmd_dm, "receiver_id=@NAME username=@NAME content=TEXT"},
	{"dms", "", "My conversations, latest first.",
		"message.conversations", NULL, 0, 0, NULL, NULL, cmd_dms, NULL},
	{"thread", "@NAME", "My messages with someone, oldest first.",
		"message.thread", PAGE, 1, 1, NULL,
		"Showing the thread marks their messages to me as read.", cmd_thread, USER_WORD},
	{"notifications", "[--unread]", "My notifications, newest first (* marks unread ones).",
		"notification.list", PAGE, 0, 0, notification_flags, NULL, cmd_notifications, NULL},
	{"read-all", "", "Mark all my notifications read.",
		"notification.mark_all_read", NULL, 0, 0, NULL, NULL, cmd_read_all, NULL},
	{"search", "TEXT...", "Users and hashtags whose names contain TEXT.",
		"search.users", "limit", 1, -1, NULL,
		"With --json: {\"users\": [...], \"hashtags\": [...]}. Text that starts with a "
		"verb of the search operations is searched for when other words follow (see "
		"'ansigram post --help').", cmd_search, "q=TEXT"},
	{"tag", "NAME", "Posts with a hashtag (with or without the #).",
		"search.posts_by_hashtag", "limit offset", 1, 1, NULL, NULL, cmd_tag, "tag=NAME"},
	{"watch", "[--count N] [--ping SECONDS]",
		"Print live events (notifications, messages, posts, stories).",
		NULL, NULL, 0, 0, watch_flags,
		"With --json, one line per event: {\"type\", \"seq\", \"at\", \"data\"}. It pings "
		"the server every 4 minutes (or --ping SECONDS) so the session stays live; when the "
		"session was revoked or has expired, it says so and exits 1. It notices missed events (a "
		"gap in seq, or seq starting again after a server restart) and fetches them again "
		"(those lines have seq 0), and keeps going across server restarts. Ctrl-C ends it "
		"(exit 0).", cli_run_watch, NULL},
	{"ssh-key", "add [FILE] | list | remove FINGERPRINT", "The SSH keys that log me in "
		"where ansigram is hosted over SSH.", NULL, NULL, 1, 2, NULL,
		"add links a public key: FILE (- for stdin), else ~/.ssh/id_ed25519.pub, else the "
		"first ~/.ssh/*.pub; over SSH only -. It prints the key's "
		"fingerprint, as 'ssh-keygen -l' does. remove takes that fingerprint; sessions the "
		"key opened stay open.", cli_run_ssh_key, NULL},
	{"login", "[NAME] [--password-stdin]", "Log in (NAME: user name or email) and save the "
		"session.", "auth.login", "email username password", 0, 1, NULL,
		"Without a password option, asks for it on the terminal without echo.", cmd_login, NULL},
	{"logout", "", "End the session and remove the session file.",
		"auth.logout", NULL, 0, 0, NULL, NULL, cmd_logout, NULL},
	{"register", "NAME --email EMAIL [--password-stdin]", "Create an account, then log in.",
		"auth.register", "username email password full_name", 0, 1, NULL,
		"Without a password option, asks for it twice on the terminal without echo.",
		cmd_register, NULL},
	{0},
};
