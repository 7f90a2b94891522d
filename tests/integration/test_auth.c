/* test_auth.c: accounts and sessions: auth.register, auth.login (its
 * back-off is in test_login.c), auth.me, auth.logout, and the token check every op marked
 * auth makes. */
#include "harness.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

H_SERVER_PER_FILE(NULL)
TestSuite(auth, .fini = h_test_fini);

#define USER_KEYS "id", "username", "email", "full_name", "bio", "profile_image_url", \
	"is_active", "created_at"

static const char *with_case(const char *s, int (*convert)(int))
{
	char *u = (char *)h_fmt("%s", s);
	for (char *p = u; *p; p++)
		*p = (char)convert((unsigned char)*p);
	return u;
}

static const char *upper(const char *s)
{
	return with_case(s, toupper);
}

/* A value that passes the arg's own rules, so that only the token is wrong. */
static void pack_valid_value(msgpack_packer *pk, const struct ag_arg_spec *a)
{
	switch (a->type) {
	case AG_T_ID:
		msgpack_pack_uint64(pk, 1);
		return;
	case AG_T_INT:
		msgpack_pack_int64(pk, a->min);
		return;
	case AG_T_BOOL:
		msgpack_pack_true(pk);
		return;
	case AG_T_BIN:
		msgpack_pack_bin(pk, 1);
		msgpack_pack_bin_body(pk, "x", 1);
		return;
	case AG_T_STR:
		switch (a->rule) {
		case AG_R_USERNAME: ag_pack_str(pk, "abc"); return;
		case AG_R_EMAIL: ag_pack_str(pk, "a@b.co"); return;
		case AG_R_PASSWORD: ag_pack_str(pk, "password1"); return;
		case AG_R_URL: ag_pack_str(pk, "https://example.com/a.png"); return;
		default: ag_pack_str(pk, "x"); return;
		}
	}
}

static void pack_valid_args(msgpack_sbuffer *sb, const struct ag_op_spec *op)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, op->n_args);
	for (size_t i = 0; i < op->n_args; i++) {
		ag_pack_key(&pk, op->args[i].name);
		pack_valid_value(&pk, &op->args[i]);
	}
}

/* Every op that needs auth refuses c (whose token is absent or bad). */
static void assert_every_auth_op_refuses(struct ag_client *c, const char *why)
{
	for (size_t k = 0; k < AG_OP__COUNT; k++) {
		const struct ag_op_spec *op = &ag_ops[k];
		if (op->auth != AG_AUTH_REQ)
			continue;
		msgpack_sbuffer sb;
		pack_valid_args(&sb, op);
		const struct ag_reply *r = h_call_packed(c, op->name, sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
		cr_assert_eq(r->code, AG_E_UNAUTHORIZED, "%s with %s gave %s", op->name, why,
			r->ok ? "ok" : r->code_name);
	}
}

Test(auth, register_returns_the_new_user)
{
	const char *name = h_unique("Reg");
	const char *email = h_fmt("%s@Example.COM", name);
	const msgpack_object *u = h_ok(h_client(), "auth.register",
		"username:s email:s password:s full_name:s", name, email, "secret-pass", "Reg Istered");
	h_assert_keys(u, USER_KEYS);
	cr_assert_gt(ag_obj_int(u, "id"), 0);
	h_assert_str(u, "username", with_case(name, tolower));
	h_assert_str(u, "email", with_case(email, tolower));
	h_assert_str(u, "full_name", "Reg Istered");
	h_assert_str(u, "bio", NULL);
	h_assert_str(u, "profile_image_url", NULL);
	cr_assert(ag_obj_bool(u, "is_active"));
	int64_t age = ag_now_ms() - ag_obj_int(u, "created_at");
	cr_assert(age > -60000 && age < 60000, "created_at is %lld ms off", (long long)age);
}

Test(auth, register_without_full_name_leaves_it_nil)
{
	const char *name = h_unique("nf");
	const msgpack_object *u = h_ok(h_client(), "auth.register", "username:s email:s password:s",
		name, h_fmt("%s@example.com", name), "secret-pass");
	h_assert_str(u, "full_name", NULL);
}

Test(auth, duplicate_email_is_a_conflict)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_err(AG_E_CONFLICT, h_client(), "auth.register",
		"username:s email:s password:s", h_unique("dup"), u.email, "secret-pass");
	cr_assert(strstr(r->message, "already registered"), "message: %s", r->message);
	r = h_err(AG_E_CONFLICT, h_client(), "auth.register",
		"username:s email:s password:s", h_unique("dup"), upper(u.email), "secret-pass");
	cr_assert(strstr(r->message, "already registered"), "message: %s", r->message);
}

Test(auth, duplicate_username_is_a_conflict)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_err(AG_E_CONFLICT, h_client(), "auth.register",
		"username:s email:s password:s", u.username, h_fmt("%s@example.com", h_unique("o")),
		"secret-pass");
	cr_assert(strstr(r->message, "already taken"), "message: %s", r->message);
	r = h_err(AG_E_CONFLICT, h_client(), "auth.register",
		"username:s email:s password:s", upper(u.username),
		h_fmt("%s@example.com", h_unique("o")), "secret-pass");
	cr_assert(strstr(r->message, "already taken"), "message: %s", r->message);
}

Test(auth, register_names_the_missing_field)
{
	struct ag_client *c = h_client();
	const char *name = h_unique("m");
	const char *email = h_fmt("%s@example.com", name);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, "auth.register", "email:s password:s",
		email, "secret-pass")->field, "username");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, "auth.register", "username:s password:s",
		name, "secret-pass")->field, "email");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, "auth.register", "username:s email:s",
		name, email)->field, "password");
}

Test(auth, login_by_username_gives_a_session)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *d = h_ok(h_client(), "auth.login", "username:s password:s",
		u.username, u.password);
	h_assert_keys(d, "token", "expires_at", "user", "push");
	char *token = ag_obj_strdup(d, "token");
	cr_assert(token && strlen(token) >= 32, "token too short");
	free(token);
	cr_assert_gt(ag_obj_int(d, "expires_at"), ag_now_ms());
	const msgpack_object *user = ag_obj_get(d, "user");
	h_assert_keys(user, USER_KEYS);
	cr_assert_eq(ag_obj_int(user, "id"), u.id);
	h_assert_str(user, "email", u.email);

	const msgpack_object *push = ag_obj_get(d, "push");
	const msgpack_object *topic = ag_obj_get(push, "topic");
	const msgpack_object *key = ag_obj_get(push, "key");
	cr_assert(topic && topic->type == MSGPACK_OBJECT_BIN && topic->via.bin.size == 16,
		"push.topic must be bin16");
	cr_assert(key && key->type == MSGPACK_OBJECT_BIN && key->via.bin.size == 32,
		"push.key must be bin32");
}

Test(auth, login_by_email_gives_a_session)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *d = h_ok(h_client(), "auth.login", "email:s password:s",
		u.email, u.password);
	cr_assert_eq(ag_obj_int(ag_obj_get(d, "user"), "id"), u.id);
}

Test(auth, every_login_is_a_new_session)
{
	struct h_user u;
	h_user_new(&u);
	char *a = ag_obj_strdup(h_ok(h_client(), "auth.login", "username:s password:s",
		u.username, u.password), "token");
	char *b = ag_obj_strdup(h_ok(h_client(), "auth.login", "username:s password:s",
		u.username, u.password), "token");
	cr_assert(a && b && strcmp(a, b) != 0, "two logins gave the same token");
	free(a);
	free(b);
}

Test(auth, login_ignores_case_of_username_and_email)
{
	struct h_user u;
	h_user_new(&u);
	h_ok(h_client(), "auth.login", "username:s password:s", upper(u.username), u.password);
	h_ok(h_client(), "auth.login", "email:s password:s", upper(u.email), u.password);
}

Test(auth, wrong_password_and_unknown_account_look_the_same)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *wrong = h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login",
		"username:s password:s", u.username, "not-the-password");
	const struct ag_reply *unknown = h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login",
		"username:s password:s", h_unique("ghost"), "not-the-password");
	const struct ag_reply *by_email = h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login",
		"email:s password:s", h_fmt("%s@example.com", h_unique("ghost")), "whatever1");
	cr_assert(strstr(wrong->message, "Invalid credentials"), "message: %s", wrong->message);
	cr_assert_str_eq(unknown->message, wrong->message);
	cr_assert_str_eq(by_email->message, wrong->message);
}

Test(auth, login_accepts_any_password_length_and_just_fails)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login", "username:s password:s",
		u.username, "short");
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login", "username:s password:s",
		u.username, h_repeat("p", 300));
}

Test(auth, login_needs_an_account_name)
{
	h_err(AG_E_BAD_REQUEST, h_client(), "auth.login", "password:s", "secret-pass");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, h_client(), "auth.login", "username:s",
		"someone")->field, "password");
}

Test(auth, me_returns_my_account)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *me = h_ok(u.c, "auth.me", "");
	h_assert_keys(me, USER_KEYS);
	cr_assert_eq(ag_obj_int(me, "id"), u.id);
	h_assert_str(me, "username", u.username);
	h_assert_str(me, "email", u.email);
}

Test(auth, me_needs_a_valid_token)
{
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.me", "");
	struct ag_client *c = h_client();
	ag_client_set_auth(c, "not-a-token");
	h_err(AG_E_UNAUTHORIZED, c, "auth.me", "");
	ag_client_set_auth(c, "");
	h_err(AG_E_UNAUTHORIZED, c, "auth.me", "");
}

Test(auth, logout_revokes_the_token)
{
	struct h_user u;
	h_user_new(&u);
	struct ag_client *second = h_session(&u);
	const msgpack_object *d = h_ok(u.c, "auth.logout", "");
	cr_assert(d == NULL || d->type == MSGPACK_OBJECT_NIL, "auth.logout data is not nil");
	h_err(AG_E_UNAUTHORIZED, u.c, "auth.me", "");
	h_err(AG_E_UNAUTHORIZED, u.c, "auth.logout", "");
	/* The same token from a fresh connection is just as dead. */
	struct ag_client *c = h_client();
	ag_client_set_auth(c, u.token);
	h_err(AG_E_UNAUTHORIZED, c, "auth.me", "");
	/* The user's other session lives on. */
	cr_assert_eq(ag_obj_int(h_ok(second, "auth.me", ""), "id"), u.id);
}

Test(auth, expired_token_is_refused)
{
	struct h_user u;
	h_user_new(&u);
	h_db_exec("UPDATE sessions SET expires_at = ?1 WHERE user_id = ?2", 2, ag_now_ms() - 1000,
		u.id);
	h_err(AG_E_UNAUTHORIZED, u.c, "auth.me", "");
	h_err(AG_E_UNAUTHORIZED, u.c, "server.ping", "");
	/* logging in again gives a working session */
	struct ag_client *fresh = h_session(&u);
	cr_assert_eq(ag_obj_int(h_ok(fresh, "auth.me", ""), "id"), u.id);
}

Test(auth, logout_needs_a_token)
{
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.logout", "");
}

Test(auth, revoked_token_is_refused_by_optional_auth_ops)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *post = h_ok(u.c, "post.create", "content:s", "hello");
	int64_t post_id = ag_obj_int(post, "id");
	h_ok(u.c, "auth.logout", "");
	h_err(AG_E_UNAUTHORIZED, u.c, "server.ping", "");
	h_err(AG_E_UNAUTHORIZED, u.c, "post.get", "post_id:i", post_id);
	h_err(AG_E_UNAUTHORIZED, u.c, "user.get", "user_id:i", u.id);
}

Test(auth, every_auth_op_refuses_a_missing_token)
{
	assert_every_auth_op_refuses(h_client(), "no token");
}

Test(auth, every_auth_op_refuses_an_unknown_token)
{
	struct ag_client *c = h_client();
	ag_client_set_auth(c, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_every_auth_op_refuses(c, "an unknown token");
}

Test(auth, every_auth_op_refuses_a_revoked_token)
{
	struct h_user u;
	h_user_new(&u);
	h_ok(u.c, "auth.logout", "");
	assert_every_auth_op_refuses(u.c, "a revoked token");
}

Test(auth, ops_without_auth_work_anonymously)
{
	struct h_user u;
	h_user_new(&u);
	struct ag_client *c = h_client();
	h_ok(c, "server.info", "");
	h_ok(c, "user.get", "user_id:i", u.id);
	h_ok(c, "search.users", "q:s", u.username);
}
