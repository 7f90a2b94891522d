/* test_counters.c: post_count, follower_count, following_count,
 * like_count, comment_count and hashtag post_count always equal the rows
 * they count. A mixed workload runs against a model of what it did; then
 * every counter the server reports is compared with the model and with a
 * COUNT over the database file. */
#include "harness.h"

#include <pthread.h>

H_SERVER_PER_FILE(NULL)
TestSuite(counters, .fini = h_test_fini);

#define N_USERS 5
#define N_TAGS 3
#define MAX_POSTS 64
#define MAX_COMMENTS 256

struct model_post {
	int64_t id;
	int author;
	int tag;                /* index into tags */
	bool alive;
	bool liked[N_USERS];
};

struct model_comment {
	int64_t id;
	int post;               /* index into posts */
	int author;
	bool alive;
};

struct model {
	struct h_user users[N_USERS];
	const char *tags[N_TAGS];
	struct model_post posts[MAX_POSTS];
	int n_posts;
	struct model_comment comments[MAX_COMMENTS];
	int n_comments;
	bool follows[N_USERS][N_USERS];
	uint32_t rng;
};

static uint32_t next_random(struct model *m, uint32_t below)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 17;
	m->rng ^= m->rng << 5;
	return m->rng % below;
}

/* An alive post chosen at random, or -1 when there is none. */
static int random_post(struct model *m)
{
	int alive[MAX_POSTS], n = 0;
	for (int i = 0; i < m->n_posts; i++)
		if (m->posts[i].alive)
			alive[n++] = i;
	return n ? alive[next_random(m, (uint32_t)n)] : -1;
}

static int random_comment(struct model *m)
{
	int alive[MAX_COMMENTS], n = 0;
	for (int i = 0; i < m->n_comments; i++)
		if (m->comments[i].alive)
			alive[n++] = i;
	return n ? alive[next_random(m, (uint32_t)n)] : -1;
}

static void create_post(struct model *m, int author)
{
	if (m->n_posts == MAX_POSTS)
		return;
	struct model_post *p = &m->posts[m->n_posts];
	p->author = author;
	p->tag = (int)next_random(m, N_TAGS);
	p->alive = true;
	p->id = ag_obj_int(h_ok(m->users[author].c, "post.create", "content:s",
		h_fmt("post %d #%s #%s", m->n_posts, m->tags[p->tag], m->tags[p->tag])), "id");
	m->n_posts++;
}

static void toggle_like(struct model *m, int user)
{
	int k = random_post(m);
	if (k < 0)
		return;
	struct model_post *p = &m->posts[k];
	const msgpack_object *d = h_ok(m->users[user].c, "post.like", "post_id:i", p->id);
	p->liked[user] = !p->liked[user];
	cr_assert_eq(ag_obj_bool(d, "liked"), p->liked[user]);
}

static void add_comment(struct model *m, int user)
{
	int k = random_post(m);
	if (k < 0 || m->n_comments == MAX_COMMENTS)
		return;
	struct model_comment *c = &m->comments[m->n_comments++];
	c->post = k;
	c->author = user;
	c->alive = true;
	c->id = ag_obj_int(h_ok(m->users[user].c, "comment.create", "post_id:i content:s",
		m->posts[k].id, "a comment"), "id");
}

/* Deletes a comment as its author or the post's author, or tries as
 * someone else and is refused. */
static void delete_comment(struct model *m, int user)
{
	int k = random_comment(m);
	if (k < 0)
		return;
	struct model_comment *c = &m->comments[k];
	struct h_user *u = &m->users[user];
	if (user == c->author || user == m->posts[c->post].author) {
		h_ok(u->c, "comment.delete", "comment_id:i", c->id);
		c->alive = false;
	} else {
		h_err(AG_E_FORBIDDEN, u->c, "comment.delete", "comment_id:i", c->id);
	}
}

static void delete_post(struct model *m, int user)
{
	int k = random_post(m);
	if (k < 0)
		return;
	struct model_post *p = &m->posts[k];
	if (user != p->author) {
		h_err(AG_E_FORBIDDEN, m->users[user].c, "post.delete", "post_id:i", p->id);
		return;
	}
	h_ok(m->users[user].c, "post.delete", "post_id:i", p->id);
	p->alive = false;
	for (int i = 0; i < m->n_comments; i++)
		if (m->comments[i].post == k)
			m->comments[i].alive = false;
}

static void toggle_follow(struct model *m, int user)
{
	int other = (int)next_random(m, N_USERS);
	struct h_user *u = &m->users[user];
	if (other == user) {
		h_err(AG_E_BAD_REQUEST, u->c, "follow.create", "user_id:i", u->id);
		return;
	}
	int64_t id = m->users[other].id;
	if (m->follows[user][other]) {
		h_ok(u->c, "follow.delete", "user_id:i", id);
		h_err(AG_E_CONFLICT, u->c, "follow.delete", "user_id:i", id);
	} else {
		h_ok(u->c, "follow.create", "user_id:i", id);
		h_err(AG_E_CONFLICT, u->c, "follow.create", "user_id:i", id);
	}
	m->follows[user][other] = !m->follows[user][other];
}

static void run_workload(struct model *m, int steps)
{
	for (int i = 0; i < N_USERS; i++)
		h_user_new(&m->users[i]);
	for (int t = 0; t < N_TAGS; t++)
		m->tags[t] = h_unique("ctr");
	m->rng = 0x9e3779b9u;
	for (int step = 0; step < steps; step++) {
		int user = (int)next_random(m, N_USERS);
		switch (next_random(m, 10)) {
		case 0: case 1: create_post(m, user); break;
		case 2: case 3: case 4: toggle_like(m, user); break;
		case 5: case 6: add_comment(m, user); break;
		case 7: delete_comment(m, user); break;
		case 8: delete_post(m, user); break;
		default: toggle_follow(m, user); break;
		}
	}
}

static void assert_users_match(const struct model *m)
{
	for (int i = 0; i < N_USERS; i++) {
		int64_t posts = 0, followers = 0, following = 0;
		for (int k = 0; k < m->n_posts; k++)
			posts += m->posts[k].alive && m->posts[k].author == i;
		for (int j = 0; j < N_USERS; j++) {
			followers += m->follows[j][i];
			following += m->follows[i][j];
		}
		int64_t id = m->users[i].id;
		const msgpack_object *p = h_ok(h_client(), "user.get", "user_id:i", id);
		cr_assert_eq(ag_obj_int(p, "post_count"), posts, "user %d post_count", i);
		cr_assert_eq(ag_obj_int(p, "follower_count"), followers, "user %d follower_count", i);
		cr_assert_eq(ag_obj_int(p, "following_count"), following, "user %d following_count", i);
		cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, id), posts);
		cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE followee_id = ?1", 1, id),
			followers);
		cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE follower_id = ?1", 1, id),
			following);
		cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.followers", "user_id:i limit:i", id,
			(int64_t)100)), (size_t)followers);
		cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.following", "user_id:i limit:i", id,
			(int64_t)100)), (size_t)following);
	}
}

static void assert_posts_match(const struct model *m)
{
	for (int k = 0; k < m->n_posts; k++) {
		const struct model_post *p = &m->posts[k];
		if (!p->alive) {
			h_err(AG_E_NOT_FOUND, h_client(), "post.get", "post_id:i", p->id);
			continue;
		}
		int64_t likes = 0, comments = 0;
		for (int u = 0; u < N_USERS; u++)
			likes += p->liked[u];
		for (int i = 0; i < m->n_comments; i++)
			comments += m->comments[i].alive && m->comments[i].post == k;
		const msgpack_object *got = h_ok(h_client(), "post.get", "post_id:i", p->id);
		cr_assert_eq(ag_obj_int(got, "like_count"), likes, "post %d like_count", k);
		cr_assert_eq(ag_obj_int(got, "comment_count"), comments, "post %d comment_count", k);
		cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE post_id = ?1", 1, p->id), likes);
		cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE post_id = ?1", 1, p->id),
			comments);
	}
}

static void assert_tags_match(const struct model *m)
{
	for (int t = 0; t < N_TAGS; t++) {
		int64_t posts = 0;
		for (int k = 0; k < m->n_posts; k++)
			posts += m->posts[k].alive && m->posts[k].tag == t;
		const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s", m->tags[t]);
		int64_t reported = ag_obj_len(list) ? ag_obj_int(ag_obj_at(list, 0), "post_count") : 0;
		cr_assert_eq(reported, posts, "#%s post_count", m->tags[t]);
		cr_assert_eq((int64_t)ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag",
			"tag:s limit:i", m->tags[t], (int64_t)100)), posts);
	}
}

Test(counters, mixed_workload_keeps_every_counter_equal_to_its_rows)
{
	static struct model m;
	run_workload(&m, 240);
	int deleted = 0, comments = 0;
	for (int k = 0; k < m.n_posts; k++)
		deleted += !m.posts[k].alive;
	for (int i = 0; i < m.n_comments; i++)
		comments += !m.comments[i].alive;
	cr_assert(m.n_posts > 20 && deleted > 0 && comments > 0,
		"the workload did too little: %d posts, %d deleted, %d comments deleted",
		m.n_posts, deleted, comments);
	assert_users_match(&m);
	assert_posts_match(&m);
	assert_tags_match(&m);
	h_assert_counters();
}

Test(counters, refused_writes_change_no_counter)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t post = ag_obj_int(h_ok(a.c, "post.create", "content:s", "#steady"), "id");
	int64_t comment = ag_obj_int(h_ok(b.c, "comment.create", "post_id:i content:s", post,
		"hi"), "id");
	h_ok(b.c, "post.like", "post_id:i", post);
	h_ok(b.c, "follow.create", "user_id:i", a.id);

	h_err(AG_E_FORBIDDEN, c.c, "post.delete", "post_id:i", post);
	h_err(AG_E_FORBIDDEN, c.c, "comment.delete", "comment_id:i", comment);
	h_err(AG_E_CONFLICT, b.c, "follow.create", "user_id:i", a.id);
	h_err(AG_E_CONFLICT, c.c, "follow.delete", "user_id:i", a.id);
	h_err(AG_E_BAD_REQUEST, a.c, "follow.create", "user_id:i", a.id);
	h_err(AG_E_BAD_REQUEST, b.c, "comment.create", "post_id:i content:s", post, "  ");
	h_err(AG_E_NOT_FOUND, b.c, "post.like", "post_id:i", post + 100000);

	const msgpack_object *p = h_ok(h_client(), "post.get", "post_id:i", post);
	cr_assert_eq(ag_obj_int(p, "like_count"), 1);
	cr_assert_eq(ag_obj_int(p, "comment_count"), 1);
	const msgpack_object *profile = h_ok(h_client(), "user.get", "user_id:i", a.id);
	cr_assert_eq(ag_obj_int(profile, "post_count"), 1);
	cr_assert_eq(ag_obj_int(profile, "follower_count"), 1);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", c.id),
		"following_count"), 0);
	h_assert_counters();
}

/* ---- at the same time ---- */

#define N_RACERS 8
#define ROUNDS 5

struct racer {
	pthread_t thread;
	struct ag_client *c;
	const char *op;
	const char *fmt;           /* one "name:i" item */
	int64_t arg;
	const char *content;       /* for comment.create: "post_id:i content:s" */
	int ok, refused, other;    /* outcomes; refused = conflict */
	char first_other[64];      /* the first unexpected outcome */
};

/* Calls op ROUNDS times; criterion asserts stay on the main thread. */
static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < ROUNDS; i++) {
		struct ag_reply reply;
		int rv = r->content
			? ag_client_callf(r->c, &reply, r->op, NULL, r->fmt, r->arg, r->content)
			: ag_client_callf(r->c, &reply, r->op, NULL, r->fmt, r->arg);
		if (rv == 0 && reply.ok)
			r->ok++;
		else if (rv == 0 && reply.code == AG_E_CONFLICT)
			r->refused++;
		else if (r->other++ == 0)
			snprintf(r->first_other, sizeof r->first_other, "%s",
				rv ? "no reply" : reply.code_name);
		if (rv == 0)
			ag_reply_free(&reply);
	}
	return NULL;
}

static void run_racers(struct racer *racers, int n)
{
	for (int i = 0; i < n; i++)
		cr_assert_eq(pthread_create(&racers[i].thread, NULL, race, &racers[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(racers[i].thread, NULL);
	for (int i = 0; i < n; i++)
		cr_assert_eq(racers[i].other, 0, "racer %d: %s %d times (first: %s)", i, racers[i].op,
			racers[i].other, racers[i].first_other);
}

Test(counters, concurrent_likes_and_comments_add_up)
{
	struct h_user author, users[N_RACERS];
	h_user_new(&author);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "#rush"), "id");
	struct racer racers[2 * N_RACERS];
	for (int i = 0; i < N_RACERS; i++) {
		h_user_new(&users[i]);
		racers[2 * i] = (struct racer){.c = users[i].c, .op = "post.like",
			.fmt = "post_id:i", .arg = post};
		racers[2 * i + 1] = (struct racer){.c = h_session(&users[i]), .op = "comment.create",
			.fmt = "post_id:i content:s", .arg = post, .content = "me too"};
	}
	run_racers(racers, 2 * N_RACERS);
	/* ROUNDS is odd: every user ends up liking the post */
	const msgpack_object *p = h_ok(h_client(), "post.get", "post_id:i", post);
	cr_assert_eq(ag_obj_int(p, "like_count"), N_RACERS);
	cr_assert_eq(ag_obj_int(p, "comment_count"), N_RACERS * ROUNDS);
	cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE post_id = ?1", 1, post), N_RACERS);
	h_assert_counters();
}

Test(counters, concurrent_follows_of_one_pair_succeed_once)
{
	struct h_user fan, star;
	h_user_new(&fan);
	h_user_new(&star);
	struct racer sessions[4];
	for (int i = 0; i < 4; i++)
		sessions[i] = (struct racer){.c = h_session(&fan), .op = "follow.create",
			.fmt = "user_id:i", .arg = star.id};
	run_racers(sessions, 4);
	int ok = 0;
	for (int i = 0; i < 4; i++)
		ok += sessions[i].ok;
	cr_assert_eq(ok, 1, "%d follows of the same pair succeeded", ok);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", star.id),
		"follower_count"), 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1", 1, star.id),
		1);
	h_assert_counters();
}
