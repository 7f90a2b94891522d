/* harness.c: the integration-test harness (see harness.h): starting and
 * stopping ansigramd, clients and users, asserted calls, and queries on
 * the server's database file. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#define CLIENT_TIMEOUT_MS 5000
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 15000

/* How the runner tells the test processes where the file's server is. */
#define ENV_URL "AG_TEST_URL"
#define ENV_PUB "AG_TEST_PUB"
#define ENV_DB "AG_TEST_DB"

extern char **environ;

/* ---- small things that live until the test ends ---- */

enum kept_kind { KEPT_MEMORY, KEPT_REPLY, KEPT_CLIENT };

struct kept {
	enum kept_kind kind;
	void *p;
	bool checked;   /* a reply whose outcome h_arrived has looked at */
};

static struct kept *kept;
static size_t n_kept, cap_kept;

static void *keep(enum kept_kind kind, void *p)
{
	cr_assert_not_null(p, "out of memory");
	if (n_kept == cap_kept) {
		cap_kept = cap_kept ? 2 * cap_kept : 64;
		kept = realloc(kept, cap_kept * sizeof *kept);
		cr_assert_not_null(kept, "out of memory");
	}
	kept[n_kept++] = (struct kept){kind, p, false};
	return p;
}

void h_test_fini(void)
{
	while (n_kept > 0) {
		struct kept *k = &kept[--n_kept];
		if (k->kind == KEPT_REPLY)
			ag_reply_free(k->p);
		else if (k->kind == KEPT_CLIENT)
			ag_client_close(k->p);
		if (k->kind != KEPT_CLIENT)
			free(k->p);
	}
	free(kept);
	kept = NULL;
	cap_kept = 0;
}

const char *h_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0, "out of memory");
	return keep(KEPT_MEMORY, s);
}

const char *h_unique(const char *prefix)
{
	static unsigned counter;
	return h_fmt("%s%ldx%u", prefix, (long)getpid(), ++counter);
}

const char *h_repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = keep(KEPT_MEMORY, malloc(len * n + 1));
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* ---- images ---- */

uint32_t h_crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

/* Appends a chunk (length, type, data, CRC) at p; returns its end. */
static unsigned char *png_chunk(unsigned char *p, const char *type, const unsigned char *data,
	size_t len)
{
	unsigned char *start = p + 4;
	p = put32(p, (uint32_t)len);
	memcpy(p, type, 4);
	if (len)
		memcpy(p + 4, data, len);
	p += 4 + len;
	return put32(p, h_crc32(start, len + 4));
}

const unsigned char *h_png(unsigned width, unsigned height, const unsigned char rgb[3],
	size_t *len)
{
	/* The pixels, each row behind filter byte 0, in stored (uncompressed)
	 * deflate blocks inside a zlib stream. */
	size_t row = 1 + 3 * (size_t)width, raw_len = row * height;
	unsigned char *raw = malloc(raw_len);
	for (size_t y = 0; y < height; y++) {
		raw[y * row] = 0;
		for (size_t x = 0; x < width; x++)
			memcpy(raw + y * row + 1 + 3 * x, rgb, 3);
	}
	size_t blocks = raw_len / 65535 + 1;
	size_t z_len = 2 + raw_len + 5 * blocks + 4;
	unsigned char *z = malloc(z_len), *q = z;
	*q++ = 0x78;
	*q++ = 0x01;
	uint32_t a = 1, b = 0;
	for (size_t off = 0, i = 0; i < blocks; i++) {
		size_t n = raw_len - off < 65535 ? raw_len - off : 65535;
		*q++ = i + 1 == blocks ? 1 : 0;
		*q++ = (unsigned char)n;
		*q++ = (unsigned char)(n >> 8);
		*q++ = (unsigned char)~n;
		*q++ = (unsigned char)(~n >> 8);
		memcpy(q, raw + off, n);
		for (size_t k = 0; k < n; k++) {
			a = (a + raw[off + k]) % 65521;
			b = (b + a) % 65521;
		}
		q += n;
		off += n;
	}
	q = put32(q, (b << 16) | a);
	unsigned char ihdr[13];
	put32(ihdr, width);
	put32(ihdr + 4, height);
	ihdr[8] = 8;   /* bits per sample */
	ihdr[9] = 2;   /* RGB */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	unsigned char *png = keep(KEPT_MEMORY, malloc(8 + 25 + 12 + (size_t)(q - z) + 12));
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	memcpy(png, sig, 8);
	unsigned char *p = png_chunk(png + 8, "IHDR", ihdr, sizeof ihdr);
	p = png_chunk(p, "IDAT", z, (size_t)(q - z));
	p = png_chunk(p, "IEND", NULL, 0);
	*len = (size_t)(p - png);
	free(raw);
	free(z);
	return png;
}

const struct ag_reply *h_upload_call(struct ag_client *c, const void *data, size_t len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	ag_pack_key(&pk, "data");
	msgpack_pack_bin(&pk, len);
	msgpack_pack_bin_body(&pk, data, len);
	const struct ag_reply *r = h_call_packed(c, "media.upload", sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

int64_t h_upload_photo(struct ag_client *c)
{
	static const unsigned char teal[3] = {0, 128, 128};
	size_t len;
	const unsigned char *png = h_png(24, 16, teal, &len);
	const struct ag_reply *r = h_upload_call(c, png, len);
	cr_assert(r->ok, "media.upload: %s: %s", r->code_name, r->message);
	return ag_obj_int(r->data, "id");
}

/* ---- servers ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/* The keeper: runs the server as its child and waits for SIGTERM (or the
 * runner's death) to stop it, so the server never exits under the test
 * runner's feet; exits with the server's status. Only async-signal-safe
 * calls here: the parent may have threads. */
static void keeper_main(const struct h_server *s, char *const argv[], char *const envp[],
	const sigset_t *old_mask)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	pid_t server = fork();
	if (server == 0) {
		int log = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (log < 0 || null < 0)
			_exit(126);
		dup2(null, 0);
		dup2(null, 1);
		dup2(log, 2);
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	if (server < 0)
		_exit(125);

	sigset_t wanted;
	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGCHLD);
	int status = 0;
	bool exited = false;
	for (;;) {
		int sig = 0;
		sigwait(&wanted, &sig);
		if (sig == SIGTERM)
			break;
		if (!exited && waitpid(server, &status, WNOHANG) == server)
			exited = true;
	}
	if (!exited) {
		kill(server, SIGTERM);
		for (int waited = 0; waitpid(server, &status, WNOHANG) != server; waited += 10) {
			if (waited >= STOP_TIMEOUT_MS) {
				kill(server, SIGKILL);
				waitpid(server, &status, 0);
				_exit(124);
			}
			sleep_ms(10);
		}
	}
	_exit(status_code(status));
}

/* The environment for the server: ours, with ANSIGRAM_FAULTS replaced. */
static char **server_environment(const char *faults)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + 2, sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ANSIGRAM_FAULTS=", 16) != 0)
			envp[k++] = environ[i];
	char *fault_var = NULL;
	if (faults && asprintf(&fault_var, "ANSIGRAM_FAULTS=%s", faults) >= 0)
		envp[k++] = fault_var;
	return envp;
}

static bool server_answers(const char *url)
{
	struct ag_client *c;
	if (ag_client_open(&c, url, 500) != 0)
		return false;
	struct ag_reply r;
	bool ok = ag_client_callf(c, &r, "server.ping", NULL, "") == 0 && r.ok;
	ag_reply_free(&r);
	ag_client_close(c);
	return ok;
}

bool h_server_start(struct h_server *s, const char *faults)
{
	return h_server_start_args(s, faults, NULL);
}

bool h_server_start_args(struct h_server *s, const char *faults, const char *const *extra)
{
	memset(s, 0, sizeof *s);
	const char *bin = getenv("ANSIGRAMD");
	if (bin == NULL || access(bin, X_OK) != 0) {
		fprintf(stderr, "harness: ANSIGRAMD must name the ansigramd binary\n");
		return false;
	}
	strcpy(s->dir, "/tmp/ag-integ-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		perror("harness: mkdtemp");
		return false;
	}
	snprintf(s->url, sizeof s->url, "ipc://%s/req.sock", s->dir);
	snprintf(s->pub_url, sizeof s->pub_url, "ipc://%s/pub.sock", s->dir);
	snprintf(s->db_path, sizeof s->db_path, "%s/test.db", s->dir);
	snprintf(s->log_path, sizeof s->log_path, "%s/server.log", s->dir);

	char *argv[32] = {(char *)bin, "--db", s->db_path, "--listen", s->url, "--pub", s->pub_url,
		"--pwhash", "min", "--workers", "4", NULL};
	for (size_t n = 11; extra && *extra && n < sizeof argv / sizeof argv[0] - 1; n++)
		argv[n] = (char *)*extra++;
	char **envp = server_environment(faults);
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	s->keeper = fork();
	if (s->keeper == 0)
		keeper_main(s, argv, envp, &old_mask);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], "ANSIGRAM_FAULTS=", 16) == 0)
			free(envp[i]);
	free(envp);
	if (s->keeper < 0) {
		perror("harness: fork");
		return false;
	}

	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		if (server_answers(s->url))
			return true;
		sleep_ms(20);
	}
	fprintf(stderr, "harness: ansigramd did not answer server.ping within %d ms\n",
		START_TIMEOUT_MS);
	h_server_print_log(s);
	return false;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void h_remove_tree(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int h_server_stop(struct h_server *s)
{
	if (s->keeper <= 0)
		return 1;
	kill(s->keeper, SIGTERM);
	int status = 0;
	while (waitpid(s->keeper, &status, 0) < 0 && errno == EINTR)
		;
	s->keeper = 0;
	int code = status_code(status);
	if (code == 0)
		nftw(s->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "harness: ansigramd exited with status %d; kept %s\n", code, s->dir);
	return code;
}

void h_server_print_log(const struct h_server *s)
{
	FILE *f = fopen(s->log_path, "r");
	if (f == NULL)
		return;
	/* The last 60 lines: enough to see what went wrong. */
	enum { KEEP = 60 };
	static char lines[KEEP][512];
	size_t n = 0;
	while (fgets(lines[n % KEEP], sizeof lines[0], f))
		n++;
	fclose(f);
	fprintf(stderr, "---- %s ----\n", s->log_path);
	for (size_t i = n > KEEP ? n - KEEP : 0; i < n; i++)
		fputs(lines[i % KEEP], stderr);
	fprintf(stderr, "----\n");
}

static struct h_server file_server;
static bool file_server_up;

void h_file_server_start(const char *faults)
{
	h_file_server_start_args(faults, NULL);
}

void h_file_server_start_args(const char *faults, const char *const *extra)
{
	file_server_up = h_server_start_args(&file_server, faults, extra);
	if (!file_server_up)
		return;
	setenv(ENV_URL, file_server.url, 1);
	setenv(ENV_PUB, file_server.pub_url, 1);
	setenv(ENV_DB, file_server.db_path, 1);
}

/* Stops the file's server after the last test, if H_SERVER_PER_FILE
 * started one. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	if (file_server.keeper == 0)
		return;
	if (!file_server_up) {
		h_server_stop(&file_server);
		stats->tests_failed++;
		return;
	}
	if (stats->tests_failed > 0 || stats->tests_crashed > 0)
		h_server_print_log(&file_server);
	int code = h_server_stop(&file_server);
	if (code != 0) {
		fprintf(stderr, "harness: ansigramd did not stop cleanly on SIGTERM (status %d)\n", code);
		h_server_print_log(&file_server);
		stats->tests_failed++;
	}
}

static const struct h_server *current;

void h_use_server(const struct h_server *s)
{
	current = s;
}

static const char *file_server_env(const char *name)
{
	const char *v = getenv(name);
	cr_assert_not_null(v, "the test server did not start (see the log above)");
	return v;
}

const char *h_url(void)
{
	return current ? current->url : file_server_env(ENV_URL);
}

const char *h_pub_url(void)
{
	return current ? current->pub_url : file_server_env(ENV_PUB);
}

const char *h_db_path(void)
{
	return current ? current->db_path : file_server_env(ENV_DB);
}

/* ---- clients and users ---- */

struct ag_client *h_client(void)
{
	struct ag_client *c = NULL;
	int rv = ag_client_open(&c, h_url(), CLIENT_TIMEOUT_MS);
	cr_assert_eq(rv, 0, "cannot connect to %s: %s", h_url(), nng_strerror(rv));
	return keep(KEPT_CLIENT, c);
}

void h_client_close(struct ag_client *c)
{
	for (size_t i = 0; c && i < n_kept; i++)
		if (kept[i].kind == KEPT_CLIENT && kept[i].p == c) {
			memmove(&kept[i], &kept[i + 1], (--n_kept - i) * sizeof *kept);
			ag_client_close(c);
			return;
		}
	cr_assert_null(c, "h_client_close: not a client of h_client");
}

struct ag_reply *h_reply_new(void)
{
	return keep(KEPT_REPLY, calloc(1, sizeof(struct ag_reply)));
}

/* The newest reply not yet checked: the one the call just filled, even
 * when that call's arguments made (and checked) calls of their own. */
static struct ag_reply *unchecked_reply(void)
{
	for (size_t i = n_kept; i-- > 0;) {
		if (kept[i].kind == KEPT_REPLY && !kept[i].checked) {
			kept[i].checked = true;
			return kept[i].p;
		}
	}
	cr_assert_fail("no reply to check");
	return NULL;
}

const struct ag_reply *h_arrived(const char *file, int line, const char *op, int rv)
{
	struct ag_reply *r = unchecked_reply();
	cr_assert_eq(rv, 0, "%s:%d: %s: no reply: %s", file, line, op, nng_strerror(rv));
	return r;
}

const msgpack_object *h_expect_ok(const char *file, int line, const char *op, int rv)
{
	const struct ag_reply *r = h_arrived(file, line, op, rv);
	cr_assert(r->ok, "%s:%d: %s: expected ok, got %s: %s%s%s", file, line, op,
		r->code_name, r->message, r->field[0] ? " field " : "", r->field);
	return r->data;
}

const struct ag_reply *h_expect_err(const char *file, int line, enum ag_err code,
	const char *op, int rv)
{
	const struct ag_reply *r = h_arrived(file, line, op, rv);
	cr_assert(!r->ok, "%s:%d: %s: expected %s, got ok", file, line, op, ag_err_name(code));
	cr_assert(r->code == code, "%s:%d: %s: expected %s, got %s: %s", file, line, op,
		ag_err_name(code), r->code_name, r->message);
	cr_assert(r->message[0] != '\0', "%s:%d: %s: %s without a message", file, line, op,
		r->code_name);
	return r;
}

static void login(const struct h_user *u, struct ag_client *c, char *token, size_t size)
{
	const msgpack_object *d = h_ok(c, "auth.login", "username:s password:s",
		u->username, u->password);
	char *t = ag_obj_strdup(d, "token");
	cr_assert_not_null(t, "auth.login gave no token");
	cr_assert_lt(strlen(t), size, "token too long");
	strcpy(token, t);
	free(t);
	ag_client_set_auth(c, token);
}

void h_user_new_named(struct h_user *u, const char *username, const char *full_name)
{
	memset(u, 0, sizeof *u);
	snprintf(u->username, sizeof u->username, "%s", username ? username : h_unique("u"));
	snprintf(u->email, sizeof u->email, "%s@example.com", u->username);
	snprintf(u->password, sizeof u->password, "pw-%s", u->username);
	u->c = h_client();
	const msgpack_object *user = full_name
		? h_ok(u->c, "auth.register", "username:s email:s password:s full_name:s",
			u->username, u->email, u->password, full_name)
		: h_ok(u->c, "auth.register", "username:s email:s password:s",
			u->username, u->email, u->password);
	u->id = ag_obj_int(user, "id");
	cr_assert_gt(u->id, 0, "auth.register gave no id");
	login(u, u->c, u->token, sizeof u->token);
}

void h_user_new(struct h_user *u)
{
	h_user_new_named(u, NULL, NULL);
}

struct ag_client *h_session(const struct h_user *u)
{
	struct ag_client *c = h_client();
	char token[128];
	login(u, c, token, sizeof token);
	return c;
}

/* ---- checks on replies ---- */

void h_check_str(const char *file, int line, const msgpack_object *obj, const char *key,
	const char *want)
{
	if (want == NULL) {
		cr_assert(ag_obj_is_nil(obj, key), "%s:%d: %s: expected nil", file, line, key);
		return;
	}
	char *got = ag_obj_strdup(obj, key);
	bool same = got && strcmp(got, want) == 0;
	char shown[120];
	snprintf(shown, sizeof shown, "%s", got ? got : "(not a string)");
	free(got);
	cr_assert(same, "%s:%d: %s: expected \"%s\", got \"%s\"", file, line, key, want, shown);
}

bool h_has_key(const msgpack_object *obj, const char *key)
{
	return ag_obj_get(obj, key) != NULL;
}

/* True when key (of len bytes) is one of the NULL-terminated names in ap. */
static bool key_listed(const char *key, size_t len, va_list ap)
{
	for (const char *name; (name = va_arg(ap, const char *)) != NULL;)
		if (strlen(name) == len && memcmp(name, key, len) == 0)
			return true;
	return false;
}

void h_check_keys(const char *file, int line, const msgpack_object *obj, ...)
{
	cr_assert(obj && obj->type == MSGPACK_OBJECT_MAP, "%s:%d: not a map", file, line);
	va_list ap;
	va_start(ap, obj);
	for (const char *key; (key = va_arg(ap, const char *)) != NULL;)
		cr_assert(h_has_key(obj, key), "%s:%d: key \"%s\" is missing", file, line, key);
	va_end(ap);
	for (uint32_t i = 0; i < obj->via.map.size; i++) {
		const msgpack_object *k = &obj->via.map.ptr[i].key;
		cr_assert_eq(k->type, MSGPACK_OBJECT_STR, "%s:%d: a key is not a string", file, line);
		va_start(ap, obj);
		bool listed = key_listed(k->via.str.ptr, k->via.str.size, ap);
		va_end(ap);
		cr_assert(listed, "%s:%d: unexpected key \"%.*s\"", file, line,
			(int)k->via.str.size, k->via.str.ptr);
	}
}

bool h_list_has_id(const msgpack_object *arr, const char *key, int64_t id)
{
	for (size_t i = 0; i < ag_obj_len(arr); i++)
		if (ag_obj_int(ag_obj_at(arr, i), key) == id)
			return true;
	return false;
}

void h_check_newest_first(const char *file, int line, const msgpack_object *arr,
	const char *key)
{
	for (size_t i = 1; i < ag_obj_len(arr); i++) {
		int64_t before = ag_obj_int(ag_obj_at(arr, i - 1), key);
		int64_t here = ag_obj_int(ag_obj_at(arr, i), key);
		cr_assert_lt(here, before, "%s:%d: item %zu (%s %lld) is not older than the one "
			"before (%lld)", file, line, i, key, (long long)here, (long long)before);
	}
}

/* ---- the database file ---- */

static sqlite3 *db_open_path(bool writable)
{
	sqlite3 *db = NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	int rc = sqlite3_open_v2(h_db_path(), &db, flags, NULL);
	cr_assert_eq(rc, SQLITE_OK, "cannot open %s: %s", h_db_path(), sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *db_query(sqlite3 *db, const char *sql, int n, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	cr_assert_eq(rc, SQLITE_OK, "cannot prepare \"%s\": %s", sql, sqlite3_errmsg(db));
	for (int i = 1; i <= n; i++)
		sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
	return st;
}

int64_t h_db_int(const char *sql, int n, ...)
{
	sqlite3 *db = db_open_path(false);
	va_list ap;
	va_start(ap, n);
	sqlite3_stmt *st = db_query(db, sql, n, ap);
	va_end(ap);
	int rc = sqlite3_step(st);
	cr_assert_eq(rc, SQLITE_ROW, "\"%s\" gave no row: %s", sql, sqlite3_errmsg(db));
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

const char *h_db_text(const char *sql, int n, ...)
{
	sqlite3 *db = db_open_path(false);
	va_list ap;
	va_start(ap, n);
	sqlite3_stmt *st = db_query(db, sql, n, ap);
	va_end(ap);
	int rc = sqlite3_step(st);
	cr_assert_eq(rc, SQLITE_ROW, "\"%s\" gave no row: %s", sql, sqlite3_errmsg(db));
	const unsigned char *text = sqlite3_column_text(st, 0);
	const char *v = h_fmt("%s", text ? (const char *)text : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void h_db_exec(const char *sql, int n, ...)
{
	sqlite3 *db = db_open_path(true);
	va_list ap;
	va_start(ap, n);
	sqlite3_stmt *st = db_query(db, sql, n, ap);
	va_end(ap);
	int rc = sqlite3_step(st);
	cr_assert_eq(rc, SQLITE_DONE, "\"%s\" failed: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Asserts the query (which counts offending rows) finds none. */
static void assert_none(const char *what, const char *sql)
{
	int64_t bad = h_db_int(sql, 0);
	cr_assert_eq(bad, 0, "%s: %lld rows disagree", what, (long long)bad);
}

void h_assert_counters(void)
{
	assert_none("users.post_count",
		"SELECT count(*) FROM users u WHERE post_count != "
		"(SELECT count(*) FROM posts p WHERE p.author_id = u.id)");
	assert_none("users.follower_count",
		"SELECT count(*) FROM users u WHERE follower_count != "
		"(SELECT count(*) FROM follows f WHERE f.followee_id = u.id)");
	assert_none("users.following_count",
		"SELECT count(*) FROM users u WHERE following_count != "
		"(SELECT count(*) FROM follows f WHERE f.follower_id = u.id)");
	assert_none("posts.like_count",
		"SELECT count(*) FROM posts p WHERE like_count != "
		"(SELECT count(*) FROM likes l WHERE l.post_id = p.id)");
	assert_none("posts.comment_count",
		"SELECT count(*) FROM posts p WHERE comment_count != "
		"(SELECT count(*) FROM comments c WHERE c.post_id = p.id)");
	assert_none("hashtags.post_count",
		"SELECT count(*) FROM hashtags h WHERE post_count != "
		"(SELECT count(*) FROM post_hashtags ph WHERE ph.hashtag_id = h.id)");
	assert_none("likes of deleted posts",
		"SELECT count(*) FROM likes WHERE post_id NOT IN (SELECT id FROM posts)");
	assert_none("comments of deleted posts",
		"SELECT count(*) FROM comments WHERE post_id NOT IN (SELECT id FROM posts)");
	assert_none("hashtag links of deleted posts",
		"SELECT count(*) FROM post_hashtags WHERE post_id NOT IN (SELECT id FROM posts)");
	assert_none("notifications about deleted posts",
		"SELECT count(*) FROM notifications WHERE type IN ('like', 'comment') "
		"AND reference_id NOT IN (SELECT id FROM posts)");
}

const char *h_read_file(const char *path)
{
	static char buf[20000];
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return h_fmt("%s", buf);
}

const char *h_v1_database(const char *sql)
{
	static char path[64];
	const char *schema_path = getenv("AG_SCHEMA_V1");
	cr_assert_not_null(schema_path, "AG_SCHEMA_V1 names server/schema.sql");
	char dir[] = "/tmp/ag-v1-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/v1.db", dir);
	sqlite3 *db;
	char *err = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, h_read_file(schema_path), NULL, NULL, &err), SQLITE_OK,
		"%s", err);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, &err), SQLITE_OK,
		"%s", err);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s", err);
	sqlite3_close(db);
	return path;
}

void h_v1_database_remove(const char *path)
{
	static const char *const files[] = {"", "-wal", "-shm", ".lock"};
	char name[80];
	for (size_t i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "%s%s", path, files[i]);
		unlink(name);
	}
	snprintf(name, sizeof name, "%s", path);
	char *slash = strrchr(name, '/');
	if (slash != NULL) {
		*slash = '\0';
		rmdir(name);
	}
}

int h_raw_ipc_connect(const char *url)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *path = url + strlen("ipc://");
	cr_assert_lt(strlen(path), sizeof addr.sun_path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	const unsigned char hello[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};  /* REQ v0 */
	cr_assert_eq(send(fd, hello, 8, MSG_NOSIGNAL), 8);
	unsigned char theirs[8];
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	cr_assert_eq(read(fd, theirs, 8), 8, "no SP handshake from the server");
	return fd;
}

/* Writes all of buf, or returns false when the peer has gone. */
static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool h_raw_ipc_send(int fd, uint32_t id, const void *body, size_t len)
{
	/* ipc framing: 0x01 and an 8-byte length, then the REQ id */
	uint64_t framed = len + 4;
	unsigned char head[13] = {1};
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)(framed >> (56 - 8 * i));
	id |= 0x80000000u;
	for (int i = 0; i < 4; i++)
		head[9 + i] = (unsigned char)(id >> (24 - 8 * i));
	return send_all(fd, head, sizeof head) && send_all(fd, body, len);
}
