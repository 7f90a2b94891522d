/* main.c: ansigramd's command line, start-up (database, migrations,
 * workers) and clean shutdown on SIGINT/SIGTERM. */
#include "server.h"

#include <getopt.h>
#include <pwd.h>
#include <pthread.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <sodium.h>

#include "clock.h"
#include "log.h"
#include "paths.h"

static const char usage_text[] =
	"Usage: ansigramd [OPTION]...\n"
	"The ansigram server: serves the protocol over nng and keeps its data in SQLite.\n"
	"\n"
	"  --db PATH            database file (default $ANSIGRAM_DB, else\n"
	"                       $XDG_DATA_HOME/ansigram/ansigram.db)\n"
	"  --listen URL         request (REQ/REP) URL; repeatable (default\n"
	"                       ipc://$XDG_RUNTIME_DIR/ansigram/ansigramd.sock)\n"
	"  --pub URL            push (PUB/SUB) URL; repeatable (default\n"
	"                       ipc://$XDG_RUNTIME_DIR/ansigram/ansigramd-pub.sock)\n"
	"  --push-shards N      PUB sockets live sessions are spread over, 1..1024 (default\n"
	"                       256 when every --pub URL is ipc:// or inproc://, fewer\n"
	"                       under a low open files limit; else 32);\n"
	"                       shard K > 0 of --pub ipc://P.sock listens on ipc://P-K.sock,\n"
	"                       of tcp://HOST:PORT on PORT+K; auth.login names a session's\n"
	"                       URLs\n"
	"  --workers N          request worker threads, 1..64 (default 4)\n"
	"  --pwhash COST        password hashing cost: min, interactive (default), moderate\n"
	"  --sync MODE          normal (default: a commit survives a crash of the server,\n"
	"                       a power loss may take back the last ones) or full (every\n"
	"                       commit is on the disk before its reply)\n"
	"  --tls-cert FILE      PEM certificate for tls+tcp:// URLs\n"
	"  --tls-key FILE       PEM private key for tls+tcp:// URLs\n"
	"  --ipc-mode MODE      permissions of ipc socket files, octal (default 0600)\n"
	"  --ssh-gateway-uid UID  local account (uid or name) whose ipc:// requests may\n"
	"                       log people in by SSH key (auth.login_ssh); repeatable\n"
	"  --media-limits N/MIB photo uploads allowed per user: N a minute and MIB\n"
	"                       mebibytes a day (default 30/200)\n"
	"  --log-level LEVEL    debug, info (default), warn or error\n"
	"  --probe-dial URL KIND  (internal) dial URL with a req or sub socket and wait;\n"
	"                       the listener guard runs this as its probe\n"
	"  --version            print the version and exit\n"
	"  --help               print this help and exit\n"
	"\n"
	"URLs: ipc://PATH, tcp://HOST:PORT, tls+tcp://HOST:PORT, inproc://NAME.\n"
	"Environment: ANSIGRAM_FAULTS=saga.step=fail|crash,... arms fault points (tests);\n"
	"ANSIGRAM_EXPLAIN=FILE appends each statement's query plan to FILE (tests).\n"
	"ANSIGRAM_UPLOAD_GATE=PATH makes uploads wait until PATH exists (tests).\n"
	"SIGINT or SIGTERM: stop taking requests (those already received are answered\n"
	"'unavailable'), finish those in flight, publish released events, exit 0 within\n"
	"5 seconds even when a network call is stuck (everything committed is on disk).\n";

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "ansigramd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'ansigramd --help'.\n");
	exit(2);
}

static char default_listen[4200], default_pub[4200];

/* --ssh-gateway-uid: a numeric uid, or the name of a local account. */
static void add_gateway_uid(const char *arg)
{
	if (g_config.n_ssh_gateway_uids == AG_MAX_GATEWAY_UIDS)
		usage_error("at most 8 --ssh-gateway-uid values%s", "");
	char *end;
	long long uid = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0') {
		struct passwd *pw = getpwnam(arg);
		if (pw == NULL)
			usage_error("--ssh-gateway-uid: no local account '%s'", arg);
		uid = pw->pw_uid;
	} else if (uid < 0 || uid > 0xfffffffeLL) {
		usage_error("--ssh-gateway-uid wants a uid or an account name, not '%s'", arg);
	}
	g_config.ssh_gateway_uids[g_config.n_ssh_gateway_uids++] = uid;
}

static void parse_args(int argc, char **argv)
{
	enum { O_DB = 256, O_LISTEN, O_PUB, O_WORKERS, O_PWHASH, O_CERT, O_KEY, O_IPC_MODE,
	       O_LOG, O_VERSION, O_HELP, O_SSH_GATEWAY_UID, O_PUSH_SHARDS, O_SYNC, O_MEDIA_LIMITS };
	static const struct option opts[] = {
		{"db", required_argument, NULL, O_DB},
		{"listen", required_argument, NULL, O_LISTEN},
		{"pub", required_argument, NULL, O_PUB},
		{"push-shards", required_argument, NULL, O_PUSH_SHARDS},
		{"workers", required_argument, NULL, O_WORKERS},
		{"pwhash", required_argument, NULL, O_PWHASH},
		{"sync", required_argument, NULL, O_SYNC},
		{"tls-cert", required_argument, NULL, O_CERT},
		{"tls-key", required_argument, NULL, O_KEY},
		{"ipc-mode", required_argument, NULL, O_IPC_MODE},
		{"log-level", required_argument, NULL, O_LOG},
		{"ssh-gateway-uid", required_argument, NULL, O_SSH_GATEWAY_UID},
		{"media-limits", required_argument, NULL, O_MEDIA_LIMITS},
		{"version", no_argument, NULL, O_VERSION},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	g_config.workers = 4;
	g_config.push_shards = 0;  /* chosen by apply_defaults */
	g_config.ipc_mode = 0600;
	g_config.pw_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	g_config.pw_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			if (strlen(optarg) >= sizeof g_config.db_path)
				usage_error("--db path is too long: %s", optarg);
			strcpy(g_config.db_path, optarg);
			break;
		case O_LISTEN:
			if (g_config.n_listen == AG_MAX_URLS)
				usage_error("at most 8 --listen URLs%s", "");
			g_config.listen[g_config.n_listen++] = optarg;
			break;
		case O_PUB:
			if (g_config.n_pub == AG_MAX_URLS)
				usage_error("at most 8 --pub URLs%s", "");
			g_config.pub[g_config.n_pub++] = optarg;
			break;
		case O_MEDIA_LIMITS: {
			long per_minute = strtol(optarg, &end, 10), mib = -1;
			if (*end == '/' && end > optarg && end[1] >= '0' && end[1] <= '9')
				mib = strtol(end + 1, &end, 10);
			if (*end || per_minute < 1 || per_minute > 100000 || mib < 1 || mib > 1048576)
				usage_error("--media-limits wants N/MIB (uploads a minute, 1..100000; "
					"mebibytes a day, 1..1048576), e.g. 30/200, not '%s'", optarg);
			media_set_limits((int)per_minute, (int64_t)mib << 20);
			break;
		}
		case O_WORKERS:
			g_config.workers = (int)strtol(optarg, &end, 10);
			if (*end || g_config.workers < 1 || g_config.workers > 64)
				usage_error("--workers wants a number from 1 to 64, not '%s'", optarg);
			break;
		case O_SYNC:
			if (strcmp(optarg, "normal") == 0 || strcmp(optarg, "full") == 0)
				g_config.sync_full = strcmp(optarg, "full") == 0;
			else
				usage_error("--sync wants normal or full, not '%s'", optarg);
			break;
		case O_PUSH_SHARDS:
			g_config.push_shards = (int)strtol(optarg, &end, 10);
			if (*end || g_config.push_shards < 1 || g_config.push_shards > AG_MAX_PUSH_SHARDS)
				usage_error("--push-shards wants a number from 1 to 1024, not '%s'", optarg);
			break;
		case O_PWHASH:
			if (strcmp(optarg, "min") == 0) {
				g_config.pw_opslimit = crypto_pwhash_OPSLIMIT_MIN;
				g_config.pw_memlimit = crypto_pwhash_MEMLIMIT_MIN;
			} else if (strcmp(optarg, "interactive") == 0) {
				g_config.pw_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
				g_config.pw_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
			} else if (strcmp(optarg, "moderate") == 0) {
				g_config.pw_opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
				g_config.pw_memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
			} else {
				usage_error("--pwhash wants min, interactive or moderate, not '%s'", optarg);
			}
			break;
		case O_CERT: g_config.tls_cert = optarg; break;
		case O_KEY: g_config.tls_key = optarg; break;
		case O_IPC_MODE:
			g_config.ipc_mode = (int)strtol(optarg, &end, 8);
			if (*end || g_config.ipc_mode <= 0 || g_config.ipc_mode > 0777)
				usage_error("--ipc-mode wants an octal mode such as 0660, not '%s'", optarg);
			break;
		case O_SSH_GATEWAY_UID:
			add_gateway_uid(optarg);
			break;
		case O_LOG: {
			int level = ag_log_parse_level(optarg);
			if (level < 0)
				usage_error("--log-level wants debug, info, warn or error, not '%s'", optarg);
			ag_log_set_level((enum ag_log_level)level);
			break;
		}
		case O_VERSION:
			printf("ansigramd %s (protocol %d)\n", AG_VERSION, AG_PROTOCOL_VERSION);
			exit(0);
		case O_HELP:
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'ansigramd --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	const char *env_db = getenv("ANSIGRAM_DB");
	if (!g_config.db_path[0] && env_db && env_db[0]) {
		if (strlen(env_db) >= sizeof g_config.db_path)
			usage_error("ANSIGRAM_DB path is too long: %s", env_db);
		strcpy(g_config.db_path, env_db);
	}
	if (strstr(g_config.db_path, "://"))
		usage_error("the database '%s' is a URI: this server keeps its data in SQLite, "
			"give a file path", g_config.db_path);
}

/* The push shards of local push URLs by default: LOCAL_SHARDS_DEFAULT,
 * halved until their listeners take at most an eighth of the open files
 * limit, which the clients need too. (More shards cost less per event
 * with many live sessions; --push-shards goes up to AG_MAX_PUSH_SHARDS.) */
#define LOCAL_SHARDS_DEFAULT 256
_Static_assert(AG_MAX_PUSH_SHARDS == 1024, "--push-shards' usage and error say 1024");
static int local_shards_default(void)
{
	struct rlimit lim;
	rlim_t files = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 1024;
	int shards = LOCAL_SHARDS_DEFAULT;
	while (shards > 1 && files != RLIM_INFINITY &&
	       (rlim_t)shards * (rlim_t)g_config.n_pub * 8 > files)
		shards /= 2;
	return shards;
}

/* Fills in the XDG defaults for whatever the command line left unset. */
static int apply_defaults(void)
{
	char dir[2048];
	if (!g_config.db_path[0]) {
		if (ag_path_data_dir(dir, sizeof dir) != 0 || ag_mkdirs(dir) != 0) {
			ag_error("cannot create the data directory %s", dir);
			return -1;
		}
		if (strlen(dir) + sizeof "/ansigram.db" > sizeof g_config.db_path) {
			ag_error("the data directory path is too long: %s", dir);
			return -1;
		}
		strcpy(g_config.db_path, dir);
		strcat(g_config.db_path, "/ansigram.db");
	}
	if (g_config.n_listen == 0 || g_config.n_pub == 0) {
		if (ag_path_runtime_dir(dir, sizeof dir) != 0 || ag_mkdirs(dir) != 0) {
			ag_error("cannot create the runtime directory %s", dir);
			return -1;
		}
		snprintf(default_listen, sizeof default_listen, "ipc://%s/ansigramd.sock", dir);
		snprintf(default_pub, sizeof default_pub, "ipc://%s/ansigramd-pub.sock", dir);
		if (g_config.n_listen == 0)
			g_config.listen[g_config.n_listen++] = default_listen;
		if (g_config.n_pub == 0)
			g_config.pub[g_config.n_pub++] = default_pub;
	}
	if (g_config.push_shards == 0) {
		/* Local sockets are files in a private directory and cost next to
		 * nothing, so many shards keep an event's fan-out small; a tcp
		 * push URL takes a port per shard, so fewer. */
		bool local = true;
		for (int i = 0; i < g_config.n_pub; i++)
			local = local && (strncmp(g_config.pub[i], "ipc://", 6) == 0 ||
				strncmp(g_config.pub[i], "inproc://", 9) == 0);
		g_config.push_shards = local ? local_shards_default() : 32;
	}
	return 0;
}

/* Shutdown's deadlines: the requests being served when the stop came may
 * take their time (a password hash on a loaded machine), up to
 * DRAIN_DEADLINE_MS; after that, everything committed is durable, so a
 * thread stuck in an nng call must not keep the process alive beyond
 * SHUTDOWN_DEADLINE_MS more. */
#define DRAIN_DEADLINE_MS 30000
#define SHUTDOWN_DEADLINE_MS 4000

static struct {
	pthread_mutex_t lock;
	pthread_cond_t drained;
	bool is_drained;
} shutdown_state = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

static void *shutdown_deadline(void *arg)
{
	(void)arg;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DRAIN_DEADLINE_MS / 1000;
	pthread_mutex_lock(&shutdown_state.lock);
	while (!shutdown_state.is_drained &&
	       pthread_cond_timedwait(&shutdown_state.drained, &shutdown_state.lock, &until) == 0)
		;
	bool drained = shutdown_state.is_drained;
	pthread_mutex_unlock(&shutdown_state.lock);
	if (drained) {
		struct timespec wait = {SHUTDOWN_DEADLINE_MS / 1000,
			(SHUTDOWN_DEADLINE_MS % 1000) * 1000000L};
		while (nanosleep(&wait, &wait) != 0)
			;
	}
	if (drained)
		ag_error("shutdown did not finish within %d ms of the last request (a network "
			"call is stuck); exiting anyway: everything committed is on disk",
			SHUTDOWN_DEADLINE_MS);
	else
		ag_error("requests in flight did not finish within %d ms of the stop; exiting "
			"anyway: everything committed is on disk", DRAIN_DEADLINE_MS);
	_exit(0);
}

static void shutdown_drained(void)
{
	pthread_mutex_lock(&shutdown_state.lock);
	shutdown_state.is_drained = true;
	pthread_cond_signal(&shutdown_state.drained);
	pthread_mutex_unlock(&shutdown_state.lock);
}

/* Raises the soft open files limit to the hard one: every push shard and
 * every connected client takes a descriptor, and the usual soft limit of
 * 1024 would refuse connections long before the machine runs out. */
static void raise_open_files_limit(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
		return;
	rlim_t was = lim.rlim_cur;
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim) == 0)
		ag_debug("open files limit raised from %llu to %llu", (unsigned long long)was,
			(unsigned long long)lim.rlim_max);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--probe-dial") == 0)
		return transport_probe_dial(argv[2], argv[3]);
	setlocale(LC_CTYPE, "C.UTF-8");  /* Unicode-aware iswalnum/towlower */
	if (sodium_init() < 0) {
		fprintf(stderr, "ansigramd: libsodium failed to initialise\n");
		return 1;
	}
	parse_args(argc, argv);
	raise_open_files_limit();
	const char *explain = getenv("ANSIGRAM_EXPLAIN");
	if (explain && *explain && db_explain_open(explain) != 0) {
		ag_error("ANSIGRAM_EXPLAIN: cannot open %s", explain);
		return 1;
	}
	if (apply_defaults() != 0 || faults_init(getenv("ANSIGRAM_FAULTS")) != 0)
		return 1;

	/* Block the stop signals in every thread; main waits for them below. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (media_init() != 0)
		return 1;

	/* The database is created private to its owner, then migrated once
	 * here before any worker opens it. */
	mode_t old_mask = umask(077);
	struct db db;
	if (storage_lock(g_config.db_path) != 0 || db_open(&db, g_config.db_path) != 0) {
		umask(old_mask);
		return 1;
	}
	umask(old_mask);
	if (storage_remember_file(g_config.db_path) != 0 || writer_open(g_config.db_path) != 0) {
		db_close(&db);
		return 1;
	}
	dispatch_expire_idempotency(&db, ag_now_ms());
	int recovered = saga_recover(&db);
	if (recovered < 0) {
		ag_error("saga recovery failed: the database could not be read");
		db_close(&db);
		return 1;
	}
	if (recovered > 0)
		ag_info("recovered %d unfinished saga(s)", recovered);
	if (dispatch_recover_idempotency(&db) < 0) {
		ag_error("recovery of idempotency records failed: the database could not be read");
		db_close(&db);
		return 1;
	}
	if (auth_init() != 0) {
		db_close(&db);
		return 1;
	}
	ag_info("ansigramd %s: database %s (synchronous %s)", AG_VERSION, g_config.db_path,
		g_config.sync_full ? "full" : "normal");
	for (int i = 0; i < g_config.n_ssh_gateway_uids; i++)
		ag_info("ssh gateway: uid %lld may log people in by SSH key",
			(long long)g_config.ssh_gateway_uids[i]);
	if (storage_keeper_start(g_config.db_path) != 0 || transport_start("/proc/self/exe") != 0) {
		transport_stop();
		storage_keeper_stop();
		db_close(&db);
		return 1;
	}

	int sig = 0;
	sigwait(&stop, &sig);
	ag_info("received %s: finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
	pthread_t deadline;
	if (pthread_create(&deadline, NULL, shutdown_deadline, NULL) == 0)
		pthread_detach(deadline);
	int64_t stop_at = ag_now_ms();
	transport_drain();
	shutdown_drained();
	int64_t drained_at = ag_now_ms();
	transport_stop();
	storage_keeper_stop();
	writer_close();
	db_close(&db);
	/* nng frees what closed sockets still held (events queued for slow
	 * subscribers) on a thread of its own: wait for it. */
	nng_fini();
	media_shutdown();
	ag_info("stopped: requests drained in %lld ms, the rest took %lld ms",
		(long long)(drained_at - stop_at), (long long)(ag_now_ms() - drained_at));
	return 0;
}
