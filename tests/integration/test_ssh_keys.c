/* test_ssh_keys.c: SSH keys (PROTOCOL.md section 7): auth.ssh_key_add's
 * validation of OpenSSH public keys made by ssh-keygen in the test,
 * fingerprints equal to `ssh-keygen -lf`, add/list/remove, conflicts, and
 * auth.login_ssh: allowed only over ipc:// from a --ssh-gateway-uid peer
 * (this file's server names our own uid and also listens on tcp://), and
 * the migration that brings a version 1 database to version 2. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#define ENV_TCP "AG_TEST_SSH_TCP_URL"

/* This file's server: our uid is its SSH gateway; it also listens on a
 * TCP port, where the gateway op must be refused. */
ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
	(void)tests;
	static char uid[32], tcp_url[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("test_ssh_keys: free port");
		exit(1);
	}
	snprintf(tcp_url, sizeof tcp_url, "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	close(fd);
	snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
	static const char *extra[] = {"--ssh-gateway-uid", uid, "--listen", tcp_url, NULL};
	setenv(ENV_TCP, tcp_url, 1);
	h_file_server_start_args(NULL, extra);
}
TestSuite(ssh_keys, .fini = h_test_fini);

/* ---- keys made by ssh-keygen ---- */

struct keyfile {
	char path[160];      /* the private key; path.pub is the public one */
	char pub[20000];     /* the .pub line without its newline */
	char private_text[8192];  /* the private key file */
	char fingerprint[80];/* as `ssh-keygen -lf` prints it */
};

/* Runs argv, asserting it exits 0. */
static void run(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	cr_assert(pid > 0 && waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", argv[0]);
}

/* A fresh key pair of type (with bits, 0: default) made by ssh-keygen. */
static void keygen(struct keyfile *k, const char *type, int bits)
{
	char dir[] = "/tmp/ag-sshkey-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(k->path, sizeof k->path, "%s/key", dir);
	char bits_text[16];
	snprintf(bits_text, sizeof bits_text, "%d", bits);
	const char *comment = h_fmt("%s-%d@test", type, bits);
	if (bits > 0)
		run((char *[]){"ssh-keygen", "-q", "-t", (char *)type, "-b", bits_text, "-N", "",
			"-C", (char *)comment, "-f", k->path, NULL});
	else
		run((char *[]){"ssh-keygen", "-q", "-t", (char *)type, "-N", "", "-C",
			(char *)comment, "-f", k->path, NULL});
	snprintf(k->pub, sizeof k->pub, "%s", h_read_file(h_fmt("%s.pub", k->path)));
	k->pub[strcspn(k->pub, "\n")] = '\0';

	FILE *p = popen(h_fmt("ssh-keygen -lf '%s.pub'", k->path), "r");
	cr_assert_not_null(p);
	char line[512] = "";
	cr_assert_not_null(fgets(line, sizeof line, p));
	cr_assert_eq(pclose(p), 0);
	cr_assert_eq(sscanf(line, "%*d %79s", k->fingerprint), 1, "ssh-keygen -l said: %s", line);
	snprintf(k->private_text, sizeof k->private_text, "%s", h_read_file(k->path));
	unlink(h_fmt("%s.pub", k->path));
	unlink(k->path);
	rmdir(dir);
}

/* The key's base64 blob, decoded. */
static size_t key_blob(const char *pub, unsigned char *out, size_t size)
{
	const char *b64 = strchr(pub, ' ') + 1;
	size_t b64_len = strcspn(b64, " ");
	size_t len = 0;
	cr_assert_eq(sodium_base642bin(out, size, b64, b64_len, NULL, &len, NULL,
		sodium_base64_VARIANT_ORIGINAL), 0);
	return len;
}

/* "TYPE BASE64(blob)" for a blob changed by the test. */
static const char *key_line(const char *type, const unsigned char *blob, size_t len)
{
	char *b64 = malloc(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL));
	cr_assert_not_null(b64);
	sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL),
		blob, len, sodium_base64_VARIANT_ORIGINAL);
	const char *line = h_fmt("%s %s", type, b64);
	free(b64);
	return line;
}

static const msgpack_object *add_key(struct h_user *u, const char *pub)
{
	return h_ok(u->c, "auth.ssh_key_add", "public_key:s", pub);
}

/* Asserts adding pub fails with bad_request on public_key, saying `says`. */
static void assert_rejected(struct h_user *u, const char *pub, const char *says)
{
	const struct ag_reply *r = h_err(AG_E_BAD_REQUEST, u->c, "auth.ssh_key_add",
		"public_key:s", pub);
	cr_assert_str_eq(r->field, "public_key", "field for %.60s", pub);
	cr_assert_not_null(strstr(r->message, says), "for '%.80s': message '%s' lacks '%s'",
		pub, r->message, says);
}

/* ---- fingerprints and types ---- */

Test(ssh_keys, fingerprints_equal_ssh_keygen)
{
	static const struct {
		const char *type;
		int bits;
		const char *name;
	} kinds[] = {
		{"ed25519", 0, "ssh-ed25519"},
		{"ecdsa", 256, "ecdsa-sha2-nistp256"},
		{"ecdsa", 384, "ecdsa-sha2-nistp384"},
		{"ecdsa", 521, "ecdsa-sha2-nistp521"},
		{"rsa", 2048, "ssh-rsa"},
		{"rsa", 3072, "ssh-rsa"},
	};
	struct h_user u;
	h_user_new(&u);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct keyfile k;
		keygen(&k, kinds[i].type, kinds[i].bits);
		const msgpack_object *d = add_key(&u, k.pub);
		h_assert_keys(d, "fingerprint");
		h_assert_str(d, "fingerprint", k.fingerprint);
		const msgpack_object *list = h_ok(u.c, "auth.ssh_key_list", "");
		cr_assert_eq(ag_obj_len(list), i + 1);
		const msgpack_object *newest = ag_obj_at(list, 0);
		h_assert_keys(newest, "fingerprint", "type", "comment", "created_at");
		h_assert_str(newest, "fingerprint", k.fingerprint);
		h_assert_str(newest, "type", kinds[i].name);
		h_assert_str(newest, "comment", h_fmt("%s-%d@test", kinds[i].type, kinds[i].bits));
	}
}

/* Appends an SSH wire string (uint32 length + bytes) to blob at *len. */
static void put_string(unsigned char *blob, size_t *len, const void *s, size_t n)
{
	blob[(*len)++] = (unsigned char)(n >> 24);
	blob[(*len)++] = (unsigned char)(n >> 16);
	blob[(*len)++] = (unsigned char)(n >> 8);
	blob[(*len)++] = (unsigned char)n;
	memcpy(blob + *len, s, n);
	*len += n;
}

/* The fingerprint ssh-keygen -lf prints for a public key line. */
static const char *keygen_fingerprint(const char *line)
{
	char path[] = "/tmp/ag-sshkey-pub-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	FILE *p = popen(h_fmt("ssh-keygen -lf '%s'", path), "r");
	char out[512] = "", fp[80] = "";
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, sizeof out, p), "ssh-keygen -lf read nothing");
	pclose(p);
	unlink(path);
	cr_assert_eq(sscanf(out, "%*d %79s", fp), 1, "ssh-keygen -l said: %s", out);
	return h_fmt("%s", fp);
}

/* Security keys (FIDO) cannot be made without the hardware: their public
 * halves are built from ordinary keys' points, with an application. */
Test(ssh_keys, security_key_types_are_accepted)
{
	struct h_user u;
	h_user_new(&u);
	struct keyfile ed, ec;
	keygen(&ed, "ed25519", 0);
	keygen(&ec, "ecdsa", 256);
	unsigned char raw[1024], blob[1024];
	size_t raw_len, len = 0;

	/* ssh-ed25519: string type, string key(32) */
	raw_len = key_blob(ed.pub, raw, sizeof raw);
	const char *sk_ed = "sk-ssh-ed25519@openssh.com";
	put_string(blob, &len, sk_ed, strlen(sk_ed));
	memcpy(blob + len, raw + 4 + 11, raw_len - 4 - 11);
	len += raw_len - 4 - 11;
	put_string(blob, &len, "ssh:", 4);
	const char *line = key_line(sk_ed, blob, len);
	h_assert_str(add_key(&u, line), "fingerprint", keygen_fingerprint(line));
	/* Without its application it is truncated. */
	assert_rejected(&u, key_line(sk_ed, blob, len - 8), "truncated");

	/* ecdsa-sha2-nistp256: string type, string curve, string point */
	raw_len = key_blob(ec.pub, raw, sizeof raw);
	const char *sk_ec = "sk-ecdsa-sha2-nistp256@openssh.com";
	len = 0;
	put_string(blob, &len, sk_ec, strlen(sk_ec));
	size_t inner = 4 + strlen("ecdsa-sha2-nistp256");
	memcpy(blob + len, raw + inner, raw_len - inner);
	len += raw_len - inner;
	put_string(blob, &len, "ssh:", 4);
	line = key_line(sk_ec, blob, len);
	h_assert_str(add_key(&u, line), "fingerprint", keygen_fingerprint(line));

	const msgpack_object *list = h_ok(u.c, "auth.ssh_key_list", "");
	cr_assert_eq(ag_obj_len(list), 2);
	h_assert_str(ag_obj_at(list, 0), "type", sk_ec);
	h_assert_str(ag_obj_at(list, 1), "type", sk_ed);
}

/* ---- what auth.ssh_key_add rejects ---- */

Test(ssh_keys, malformed_keys_are_bad_request_on_public_key)
{
	struct h_user u;
	h_user_new(&u);
	struct keyfile ed, ed2, rsa_short;
	keygen(&ed, "ed25519", 0);
	keygen(&ed2, "ed25519", 0);
	keygen(&rsa_short, "rsa", 1024);
	unsigned char blob[4096];
	size_t len = key_blob(ed.pub, blob, sizeof blob);
	/* "TYPE BASE64" without the comment. */
	const char *type_and_b64 = h_fmt("%.*s", (int)(strrchr(ed.pub, ' ') - ed.pub), ed.pub);

	assert_rejected(&u, "ssh-ed25519", "missing");
	assert_rejected(&u, "ssh-ed25519 AAAA!!!!", "not valid base64");
	assert_rejected(&u, h_fmt("%.*s", (int)strlen(type_and_b64) - 6, type_and_b64),
		"not valid base64");
	/* Cut: the key's length prefix promises more than there is. */
	assert_rejected(&u, key_line("ssh-ed25519", blob, len - 5), "truncated");
	assert_rejected(&u, key_line("ssh-ed25519", blob, 9), "truncated");
	/* Consistent lengths, but a 31-byte ed25519 key (the prefix sits at 15). */
	unsigned char short_key[4096];
	memcpy(short_key, blob, len);
	short_key[18] = 31;
	assert_rejected(&u, key_line("ssh-ed25519", short_key, len - 1), "32 bytes, not 31");
	unsigned char longer[4096];
	memcpy(longer, blob, len);
	memset(longer + len, 0, 4);
	assert_rejected(&u, key_line("ssh-ed25519", longer, len + 4), "unexpected bytes");
	assert_rejected(&u, key_line("ssh-rsa", blob, len), "not a ssh-rsa key");
	assert_rejected(&u, key_line("ecdsa-sha2-nistp256", blob, len),
		"not a ecdsa-sha2-nistp256 key");
	assert_rejected(&u, ed.private_text, "private key");
	assert_rejected(&u, h_fmt("%s %s", ed.pub, ed2.pub), "one key, on one line");
	assert_rejected(&u, h_fmt("%s\n%s\n", ed.pub, ed2.pub), "one key, on one line");
	assert_rejected(&u, rsa_short.pub, "at least 2048 bits; this one has 1024");
	assert_rejected(&u, h_fmt("ssh-dss %s", strchr(ed.pub, ' ') + 1), "Unsupported key type");
	assert_rejected(&u, h_fmt("from=\"10.0.0.1\" %s", ed.pub), "without authorized_keys options");
	assert_rejected(&u, h_fmt("%s bad\x01comment", type_and_b64), "control character");
	assert_rejected(&u, "   ", "Give a public key");
	h_err(AG_E_BAD_REQUEST, u.c, "auth.ssh_key_add", "public_key:s", "");

	/* Nothing was stored; a trailing newline and no comment are fine. */
	cr_assert_eq(ag_obj_len(h_ok(u.c, "auth.ssh_key_list", "")), 0);
	h_assert_str(add_key(&u, h_fmt("%s\n", type_and_b64)), "fingerprint", ed.fingerprint);
	h_assert_str(ag_obj_at(h_ok(u.c, "auth.ssh_key_list", ""), 0), "comment", "");
}

Test(ssh_keys, a_key_links_to_one_account)
{
	struct h_user alice, bob;
	h_user_new(&alice);
	h_user_new(&bob);
	struct keyfile k;
	keygen(&k, "ed25519", 0);
	add_key(&alice, k.pub);
	const struct ag_reply *r = h_err(AG_E_CONFLICT, alice.c, "auth.ssh_key_add",
		"public_key:s", k.pub);
	cr_assert_not_null(strstr(r->message, "already linked to your account"), "%s", r->message);
	/* The same key with another comment is the same key. */
	char *sp = strrchr(k.pub, ' ');
	r = h_err(AG_E_CONFLICT, bob.c, "auth.ssh_key_add", "public_key:s",
		h_fmt("%.*s other-comment", (int)(sp - k.pub), k.pub));
	cr_assert_not_null(strstr(r->message, "another account"), "%s", r->message);
	cr_assert_eq(ag_obj_len(h_ok(bob.c, "auth.ssh_key_list", "")), 0);
	cr_assert_eq(ag_obj_len(h_ok(alice.c, "auth.ssh_key_list", "")), 1);
}

Test(ssh_keys, add_list_remove)
{
	struct h_user alice, bob;
	h_user_new(&alice);
	h_user_new(&bob);
	struct keyfile k1, k2;
	keygen(&k1, "ed25519", 0);
	keygen(&k2, "ecdsa", 256);
	add_key(&alice, k1.pub);
	add_key(&alice, k2.pub);
	const msgpack_object *list = h_ok(alice.c, "auth.ssh_key_list", "");
	cr_assert_eq(ag_obj_len(list), 2);
	h_assert_str(ag_obj_at(list, 0), "fingerprint", k2.fingerprint);   /* newest first */
	h_assert_str(ag_obj_at(list, 1), "fingerprint", k1.fingerprint);

	/* Someone else's key, or no key at all, is not_found. */
	h_err(AG_E_NOT_FOUND, bob.c, "auth.ssh_key_remove", "fingerprint:s", k1.fingerprint);
	const struct ag_reply *r = h_err(AG_E_BAD_REQUEST, alice.c, "auth.ssh_key_remove",
		"fingerprint:s", "MD5:12:34");
	cr_assert_str_eq(r->field, "fingerprint");
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.ssh_key_list", "");

	const msgpack_object *gone = h_ok(alice.c, "auth.ssh_key_remove", "fingerprint:s",
		k1.fingerprint);
	cr_assert(gone == NULL || gone->type == MSGPACK_OBJECT_NIL, "data is nil");
	list = h_ok(alice.c, "auth.ssh_key_list", "");
	cr_assert_eq(ag_obj_len(list), 1);
	h_assert_str(ag_obj_at(list, 0), "fingerprint", k2.fingerprint);
	h_err(AG_E_NOT_FOUND, alice.c, "auth.ssh_key_remove", "fingerprint:s", k1.fingerprint);
	/* Once removed, it may be linked again, by anyone. */
	add_key(&bob, k1.pub);
}

/* ---- auth.login_ssh ---- */

static const msgpack_object *login_ssh(struct ag_client *c, const char *pub)
{
	return h_ok(c, "auth.login_ssh", "public_key:s", pub);
}

Test(ssh_keys, gateway_logs_in_by_a_linked_key)
{
	struct h_user u;
	h_user_new(&u);
	struct keyfile k, other;
	keygen(&k, "ed25519", 0);
	keygen(&other, "ed25519", 0);
	add_key(&u, k.pub);

	const msgpack_object *d = login_ssh(h_client(), k.pub);
	h_assert_keys(d, "token", "expires_at", "push", "user");
	h_assert_str(ag_obj_get(d, "user"), "username", u.username);
	/* The session works like a password login's. */
	struct ag_client *c = h_client();
	char *token = ag_obj_strdup(d, "token");
	ag_client_set_auth(c, token);
	h_assert_str(h_ok(c, "auth.me", ""), "username", u.username);
	free(token);

	const struct ag_reply *r = h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login_ssh",
		"public_key:s", other.pub);
	cr_assert_not_null(strstr(r->message, "not linked"), "%s", r->message);
	r = h_err(AG_E_BAD_REQUEST, h_client(), "auth.login_ssh", "public_key:s", "ssh-ed25519 AAAA");
	cr_assert_str_eq(r->field, "public_key");
	/* The log names the account and the fingerprint, never key material. */
	const char *db = h_db_path();
	const char *log = h_read_file(h_fmt("%.*s/server.log", (int)(strrchr(db, '/') - db), db));
	cr_assert_not_null(strstr(log, h_fmt("ssh login: %s (user %lld) by key %s", u.username,
		(long long)u.id, k.fingerprint)), "the login is logged");
	cr_assert_not_null(strstr(log, other.fingerprint), "the refusal names the fingerprint");
	char *sp = strchr(other.pub, ' ') + 1;
	cr_assert_null(strstr(log, h_fmt("%.*s", (int)strcspn(sp, " "), sp)), "no key material");
}

Test(ssh_keys, removing_a_key_stops_the_next_login_not_open_sessions)
{
	struct h_user u;
	h_user_new(&u);
	struct keyfile k;
	keygen(&k, "ecdsa", 384);
	add_key(&u, k.pub);
	const msgpack_object *d = login_ssh(h_client(), k.pub);
	struct ag_client *by_key = h_client();
	char *token = ag_obj_strdup(d, "token");
	ag_client_set_auth(by_key, token);

	h_ok(u.c, "auth.ssh_key_remove", "fingerprint:s", k.fingerprint);
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login_ssh", "public_key:s", k.pub);
	h_assert_str(h_ok(by_key, "auth.me", ""), "username", u.username);
	h_ok(by_key, "post.create", "content:s", "still here after the key went");
	free(token);
}

Test(ssh_keys, gateway_op_over_tcp_is_forbidden)
{
	struct h_user u;
	h_user_new(&u);
	struct keyfile k;
	keygen(&k, "ed25519", 0);
	add_key(&u, k.pub);
	struct ag_client *tcp = NULL;
	cr_assert_eq(ag_client_open(&tcp, getenv(ENV_TCP), 5000), 0);
	const struct ag_reply *r = h_err(AG_E_FORBIDDEN, tcp, "auth.login_ssh", "public_key:s", k.pub);
	cr_assert(!h_has_key(r->data, "token"));
	ag_client_close(tcp);
}

/* A server whose gateway is another uid (or none): we are not it. */
static void not_the_gateway(const char *const *extra)
{
	struct h_server s;
	cr_assert(h_server_start_args(&s, NULL, extra));
	h_use_server(&s);
	struct h_user u;
	h_user_new(&u);
	struct keyfile k;
	keygen(&k, "ed25519", 0);
	add_key(&u, k.pub);
	const struct ag_reply *r = h_err(AG_E_FORBIDDEN, h_client(), "auth.login_ssh",
		"public_key:s", k.pub);
	cr_assert_not_null(strstr(r->message, "SSH gateway"), "%s", r->message);
	/* Even an invalid key is refused before it is looked at. */
	h_err(AG_E_FORBIDDEN, h_client(), "auth.login_ssh", "public_key:s", "ssh-ed25519 AAAA");
	h_test_fini();
	cr_assert_eq(h_server_stop(&s), 0);
}

Test(ssh_keys, a_process_that_is_not_the_gateway_uid_is_forbidden)
{
	char other[32];
	snprintf(other, sizeof other, "%u", (unsigned)getuid() + 4242);
	not_the_gateway((const char *[]){"--ssh-gateway-uid", other, NULL});
}

Test(ssh_keys, without_gateway_uids_everyone_is_forbidden)
{
	not_the_gateway(NULL);
}

/* ---- schema migration ---- */

static int64_t user_version(const char *path)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

Test(ssh_keys, a_version_1_database_upgrades_and_keeps_its_data)
{
	const char *path = h_v1_database("INSERT INTO users (username, email, password_hash, created_at)"
		" VALUES ('olduser', 'old@example.com', 'x', 1)");

	struct h_server s;
	cr_assert(h_server_start_args(&s, NULL, (const char *[]){"--db", path, NULL}));
	h_use_server(&s);
	h_assert_str(h_ok(h_client(), "user.get", "username:s", "olduser"), "username", "olduser");
	struct h_user u;
	h_user_new(&u);
	struct keyfile k;
	keygen(&k, "ed25519", 0);
	h_assert_str(add_key(&u, k.pub), "fingerprint", k.fingerprint);
	h_test_fini();
	cr_assert_eq(h_server_stop(&s), 0);
	cr_assert_eq(user_version(path), 7);
	h_v1_database_remove(path);
}
