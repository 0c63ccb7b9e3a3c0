/* auth: per-request credentials — static token, token file (re-read on change), basic auth,
 * exec credential plugins (posix_spawn, no shell, bounded in time and output, cached). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubeconfig.h"

extern char **environ;

#define TOKEN_FILE_LIMIT  (64u << 10)
#define EXEC_STDOUT_LIMIT (1u << 20)
#define EXEC_STDERR_KEEP  4096
#define EXEC_TIMEOUT_MS	  30000
/* Refresh this long before the plugin's expiry (ms), but never later than half-way through
 * a credential's life: a 4 s token is not re-fetched on every request. */
#define EXEC_EXPIRY_MARGIN 5000

struct kube_auth {
	char *token;
	char *token_file;
	char *username, *password;
	struct kube_exec *exec;
	char *exec_info; /* KUBERNETES_EXEC_INFO value */
	char *user_name;
	/* token file cache: re-read when the file changes */
	struct stat tf_st;
	char *tf_token;
	/* exec credential cache */
	bool have_cred;
	int64_t expiry_ms;  /* 0: no expiry, valid until invalidated */
	int64_t fetched_ms; /* wall clock when the plugin answered */
	char *exec_token;
	struct kube_blob exec_cert, exec_key;
	long exec_timeout_ms;
	unsigned long exec_runs;
};

/* The ExecCredential request the plugin finds in KUBERNETES_EXEC_INFO. */
static char *exec_info_new(const struct kube_target *t)
{
	cJSON *root = cJSON_CreateObject(), *spec, *cl;
	char *s;

	cJSON_AddStringToObject(root, "apiVersion", t->exec->api_version);
	cJSON_AddStringToObject(root, "kind", "ExecCredential");
	spec = cJSON_AddObjectToObject(root, "spec");
	cJSON_AddBoolToObject(spec, "interactive", false);
	if (t->exec->provide_cluster_info) {
		cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", t->server ? t->server : "");
		if (t->tls_server_name)
			cJSON_AddStringToObject(cl, "tls-server-name", t->tls_server_name);
		if (t->insecure_skip_tls_verify)
			cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", true);
		if (t->ca.len) {
			char *b64 = base64_encode(t->ca.data, t->ca.len);

			cJSON_AddStringToObject(cl, "certificate-authority-data", b64);
			free(b64);
		}
		if (t->proxy_url)
			cJSON_AddStringToObject(cl, "proxy-url", t->proxy_url);
	}
	s = json_print(root);
	cJSON_Delete(root);
	return s;
}

struct kube_auth *kube_auth_new(const struct kube_target *t)
{
	struct kube_auth *a = xcalloc(1, sizeof(*a));

	a->token = t->token && *t->token ? xstrdup(t->token) : NULL;
	a->token_file = xstrdup_or_null(t->token_file);
	a->username = xstrdup_or_null(t->username);
	a->password = xstrdup_or_null(t->password);
	a->user_name = xstrdup(t->user_name ? t->user_name : "");
	a->exec_timeout_ms = EXEC_TIMEOUT_MS;
	if (t->exec) {
		a->exec = kube_exec_dup(t->exec);
		a->exec_info = exec_info_new(t);
	}
	return a;
}

static void auth_drop_cred(struct kube_auth *a)
{
	secret_free(a->exec_token);
	a->exec_token = NULL;
	kube_blob_release(&a->exec_cert);
	kube_blob_release(&a->exec_key);
	a->have_cred = false;
	a->expiry_ms = 0;
}

void kube_auth_free(struct kube_auth *a)
{
	if (!a)
		return;
	auth_drop_cred(a);
	secret_free(a->token);
	secret_free(a->tf_token);
	secret_free(a->password);
	free(a->token_file);
	free(a->username);
	free(a->user_name);
	free(a->exec_info);
	kube_exec_free(a->exec);
	free(a);
}

void kube_auth_invalidate(struct kube_auth *a)
{
	auth_drop_cred(a);
	memset(&a->tf_st, 0, sizeof(a->tf_st));
}

void kube_auth_set_exec_timeout(struct kube_auth *a, long ms)
{
	a->exec_timeout_ms = ms > 0 ? ms : EXEC_TIMEOUT_MS;
}

unsigned long kube_auth_exec_runs(const struct kube_auth *a)
{
	return a->exec_runs;
}

const struct kube_blob *kube_auth_client_cert(struct kube_auth *a)
{
	return a->exec_cert.len ? &a->exec_cert : NULL;
}

const struct kube_blob *kube_auth_client_key(struct kube_auth *a)
{
	return a->exec_key.len ? &a->exec_key : NULL;
}

/* ---- token file ----------------------------------------------------------------------- */

static bool stat_same(const struct stat *x, const struct stat *y)
{
	return x->st_ino == y->st_ino && x->st_dev == y->st_dev && x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* Strips surrounding whitespace in place (token files usually end with a newline). */
static char *str_trim(char *s, size_t len)
{
	while (len && strchr(" \t\r\n", s[len - 1]))
		s[--len] = '\0';
	while (*s && strchr(" \t\r\n", *s))
		s++;
	return s;
}

static int token_file_read(struct kube_auth *a, struct err *err)
{
	struct stat st;
	struct buf b;
	char *tok;
	int rc = -1;

	if (stat(a->token_file, &st) < 0)
		return err_set(err, ERR_IO, "token file %s: %s", a->token_file, strerror(errno));
	if (a->tf_token && stat_same(&st, &a->tf_st))
		return 0;
	buf_init(&b, TOKEN_FILE_LIMIT);
	if (file_read_all(a->token_file, TOKEN_FILE_LIMIT, &b, err) < 0) {
		err_prefix(err, "token file");
		goto out;
	}
	tok = str_trim(b.data, b.len);
	if (!*tok) {
		err_set(err, ERR_AUTH, "token file %s is empty", a->token_file);
		goto out;
	}
	if (!kube_token_valid(tok)) {
		err_set(err, ERR_AUTH, "token file %s holds a line break or control character",
			a->token_file);
		goto out;
	}
	secret_free(a->tf_token);
	a->tf_token = xstrdup(tok);
	a->tf_st = st;
	rc = 0;
out:
	buf_release_secret(&b);
	return rc;
}

/* ---- exec plugin: spawning ------------------------------------------------------------- */

static bool env_overridden(const char *item, char *const *plugin_env)
{
	size_t n = strcspn(item, "=");

	if (n == strlen("KUBERNETES_EXEC_INFO") && !strncmp(item, "KUBERNETES_EXEC_INFO", n))
		return true;
	for (char *const *e = plugin_env; e && *e; e++)
		if (!strncmp(*e, item, n) && (*e)[n] == '=')
			return true;
	return false;
}

/* Current environment + the plugin's env + KUBERNETES_EXEC_INFO (entries borrowed). */
static char **exec_envp(const struct kube_auth *a, char **info_item)
{
	size_t n = strv_len(environ) + strv_len(a->exec->env) + 2, k = 0;
	char **envp = xcalloc(n, sizeof(char *));

	for (char **e = environ; e && *e; e++)
		if (!env_overridden(*e, a->exec->env))
			envp[k++] = *e;
	for (char **e = a->exec->env; e && *e; e++)
		envp[k++] = *e;
	*info_item = xasprintf("KUBERNETES_EXEC_INFO=%s", a->exec_info);
	envp[k++] = *info_item;
	return envp;
}

static char **exec_argv(const struct kube_exec *x)
{
	size_t n = strv_len(x->args);
	char **argv = xcalloc(n + 2, sizeof(char *));

	argv[0] = x->command;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = x->args[i];
	return argv;
}

struct exec_io {
	int out_fd, err_fd;
	struct buf out;	 /* capped: more is an error */
	struct buf errb; /* the first EXEC_STDERR_KEEP bytes, the rest drained */
	bool out_overflow;
};

/* The plugin's path: as given when it has a '/', else the first executable in $PATH.
 * Looked up here so "not installed" reads the same however posix_spawnp reports it. */
static char *exec_find(const char *cmd, struct err *err)
{
	const char *path = getenv("PATH");
	char *list, *save = NULL, *found = NULL;

	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) == 0)
			return xstrdup(cmd);
		err_set(err, ERR_AUTH, "cannot run: %s", strerror(errno));
		return NULL;
	}
	list = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(list, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", d, cmd);

		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(list);
	if (!found)
		err_set(err, ERR_AUTH, "cannot run: not found in PATH");
	return found;
}

static int exec_spawn(const struct kube_auth *a, pid_t *pid, struct exec_io *io, struct err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int op[2], ep[2], rc;
	char *info = NULL, **envp, **argv;
	sigset_t none, dfl;
	char *cmd = exec_find(a->exec->command, err);

	if (!cmd)
		return -1;
	if (pipe2(op, O_CLOEXEC) < 0) {
		free(cmd);
		return err_set(err, ERR_IO, "pipe: %s", strerror(errno));
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(op[0]);
		close(op[1]);
		free(cmd);
		return err_set(err, ERR_IO, "pipe: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	/* Own process group, so a timeout kills whatever the plugin started too. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					    POSIX_SPAWN_SETPGROUP);
	envp = exec_envp(a, &info);
	argv = exec_argv(a->exec);
	rc = posix_spawnp(pid, cmd, &fa, &attr, argv, envp);
	free(cmd);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(envp);
	free(argv);
	free(info);
	close(op[1]);
	close(ep[1]);
	io->out_fd = op[0];
	io->err_fd = ep[0];
	if (rc != 0) {
		close(op[0]);
		close(ep[0]);
		io->out_fd = io->err_fd = -1;
		return err_set(err, ERR_AUTH, "cannot run: %s", strerror(rc));
	}
	return 0;
}

/* Reads what is available from fd; returns 0 at EOF (fd closed), 1 to keep reading. */
static int exec_drain(int *fd, struct buf *b, size_t keep, bool *overflow)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (b->len + (size_t)n > keep) {
		if (overflow)
			*overflow = true;
		n = (ssize_t)(keep > b->len ? keep - b->len : 0);
	}
	(void)!buf_append(b, chunk, (size_t)n); /* n was cut to what keep allows: it fits */
	return 1;
}

/* Collects output until both pipes close or the deadline passes. 0, or -1 on timeout. */
static int exec_collect(struct exec_io *io, int64_t deadline_us)
{
	while (io->out_fd >= 0 || io->err_fd >= 0) {
		struct pollfd p[2] = {{io->out_fd, POLLIN, 0}, {io->err_fd, POLLIN, 0}};
		int64_t left = deadline_us - time_mono_us();

		if (left <= 0 || io->out_overflow)
			return -1;
		if (poll(p, 2, (int)(left / 1000) + 1) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents && io->out_fd >= 0)
			exec_drain(&io->out_fd, &io->out, EXEC_STDOUT_LIMIT, &io->out_overflow);
		if (p[1].revents && io->err_fd >= 0)
			exec_drain(&io->err_fd, &io->errb, EXEC_STDERR_KEEP, NULL);
	}
	return 0;
}

/* Waits for the child until the deadline, then kills its process group. */
static int exec_reap(pid_t pid, int64_t deadline_us, bool kill_now, int *status)
{
	for (;;) {
		pid_t r;

		if (kill_now || time_mono_us() >= deadline_us) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno == ECHILD) { /* SIGCHLD ignored by the host: status is lost */
			*status = 0;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
	}
}

/* ---- exec plugin: errors and parsing --------------------------------------------------- */

/* One line of at most max characters from s (control characters become spaces). */
static void one_line(const char *s, size_t max, char *dst, size_t dstsz)
{
	size_t k = 0;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	for (; *s && *s != '\n' && k + 1 < dstsz && k < max; s++)
		dst[k++] = (unsigned char)*s < 0x20 ? ' ' : *s;
	while (k && dst[k - 1] == ' ')
		k--;
	dst[k] = '\0';
}

/* Folds a possibly multi-line install hint into one line. */
static void hint_line(const char *hint, char *dst, size_t dstsz)
{
	size_t k = 0;
	bool space = false;

	dst[0] = '\0';
	for (; hint && *hint && k + 1 < dstsz; hint++) {
		bool ws = (unsigned char)*hint <= ' ';

		if (ws) {
			space = k > 0;
			continue;
		}
		if (space && k + 2 < dstsz)
			dst[k++] = ' ';
		space = false;
		dst[k++] = *hint;
	}
	dst[k] = '\0';
}

static int exec_fail(const struct kube_auth *a, struct err *err, enum err_code code,
		     const char *what, const char *stderr_text)
{
	char line[200], hint[240];

	one_line(stderr_text ? stderr_text : "", 160, line, sizeof(line));
	hint_line(a->exec->install_hint, hint, sizeof(hint));
	return err_set(err, code, "exec plugin %s for user '%.60s': %s%s%s%s%s", a->exec->command,
		       a->user_name, what, *line ? ": " : "", line, *hint ? "; " : "", hint);
}

/* RFC 3339 with Z or a numeric offset; the common helper handles Z and +00:00. */
static int parse_rfc3339(const char *s, int64_t *ms)
{
	size_t n = strlen(s);
	int hh, mm;
	char *z;
	int rc;

	if (time_parse_iso(s, ms) == 0)
		return 0;
	if (n < 7 || (s[n - 6] != '+' && s[n - 6] != '-') || s[n - 3] != ':' ||
	    sscanf(s + n - 5, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
		return -1;
	z = xasprintf("%.*sZ", (int)(n - 6), s);
	rc = time_parse_iso(z, ms);
	free(z);
	if (rc == 0)
		*ms -= (s[n - 6] == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60) * 1000;
	return rc;
}

static int cred_status(struct kube_auth *a, const cJSON *status, const char *errtext,
		       struct err *err)
{
	const char *token = NULL, *cert = NULL, *key = NULL, *exp = NULL;
	struct err e = ERR_INIT;
	char what[160];

	if (json_get_string(status, "token", &token, &e) < 0 ||
	    json_get_string(status, "clientCertificateData", &cert, &e) < 0 ||
	    json_get_string(status, "clientKeyData", &key, &e) < 0 ||
	    json_get_string(status, "expirationTimestamp", &exp, &e) < 0) {
		snprintf(what, sizeof(what), "invalid ExecCredential status: %.100s", e.msg);
		return exec_fail(a, err, ERR_AUTH, what, errtext);
	}
	if (token && !*token)
		token = NULL;
	if ((cert && *cert) != (key && *key))
		return exec_fail(a, err, ERR_AUTH,
				 "ExecCredential has only one of clientCertificateData and "
				 "clientKeyData",
				 errtext);
	if (!token && !(cert && *cert))
		return exec_fail(a, err, ERR_AUTH,
				 "ExecCredential status has neither token nor client certificate",
				 errtext);
	if (token && !kube_token_valid(token))
		return exec_fail(a, err, ERR_AUTH,
				 "ExecCredential status.token contains a line break or control "
				 "character",
				 errtext);
	if (exp && parse_rfc3339(exp, &a->expiry_ms) < 0)
		return exec_fail(a, err, ERR_AUTH,
				 "ExecCredential status.expirationTimestamp is not RFC 3339",
				 errtext);
	a->exec_token = token ? xstrdup(token) : NULL;
	if (cert && *cert) {
		a->exec_cert.len = strlen(cert);
		a->exec_cert.data = (unsigned char *)xstrdup(cert);
		a->exec_key.len = strlen(key);
		a->exec_key.data = (unsigned char *)xstrdup(key);
	}
	a->fetched_ms = time_wall_ms();
	a->have_cred = true;
	return 0;
}

/* Accepts only an ExecCredential of the apiVersion we asked for. Never echoes stdout. */
static int cred_parse(struct kube_auth *a, const struct buf *out, const char *errtext,
		      struct err *err)
{
	struct err e = ERR_INIT;
	cJSON *j = json_parse(buf_str(out), out->len, EXEC_STDOUT_LIMIT, &e);
	const cJSON *status;
	const char *kind = NULL, *api = NULL;
	char what[200];
	int rc = -1;

	if (!j || !cJSON_IsObject(j)) {
		exec_fail(a, err, ERR_AUTH, "output is not an ExecCredential JSON object", errtext);
		goto out;
	}
	if (json_get_string(j, "kind", &kind, &e) != 0 || strcmp(kind, "ExecCredential")) {
		exec_fail(a, err, ERR_AUTH, "output kind is not ExecCredential", errtext);
		goto out;
	}
	if (json_get_string(j, "apiVersion", &api, &e) != 0 || strcmp(api, a->exec->api_version)) {
		snprintf(what, sizeof(what), "plugin answered apiVersion '%.60s', expected '%s'",
			 api ? api : "", a->exec->api_version);
		exec_fail(a, err, ERR_AUTH, what, errtext);
		goto out;
	}
	status = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (!cJSON_IsObject(status)) {
		exec_fail(a, err, ERR_AUTH, "ExecCredential has no status object", errtext);
		goto out;
	}
	rc = cred_status(a, status, errtext, err);
out:
	cJSON_Delete(j);
	return rc;
}

static int exec_run(struct kube_auth *a, struct err *err)
{
	struct exec_io io = {.out_fd = -1, .err_fd = -1};
	int64_t deadline = time_mono_us() + (int64_t)a->exec_timeout_ms * 1000;
	int status = 0, timed_out, rc = -1;
	pid_t pid;
	char what[96];

	if (str_eq(a->exec->interactive_mode, "Always"))
		return exec_fail(a, err, ERR_AUTH,
				 "interactiveMode is Always, but netctl runs plugins without a "
				 "terminal",
				 NULL);
	buf_init(&io.out, EXEC_STDOUT_LIMIT);
	buf_init(&io.errb, EXEC_STDERR_KEEP);
	a->exec_runs++;
	if (exec_spawn(a, &pid, &io, err) < 0) {
		str_copy(what, sizeof(what), err->msg);
		exec_fail(a, err, ERR_AUTH, what, NULL);
		goto out;
	}
	timed_out = exec_collect(&io, deadline);
	if (io.out_fd >= 0)
		close(io.out_fd);
	if (io.err_fd >= 0)
		close(io.err_fd);
	if (exec_reap(pid, deadline, timed_out < 0, &status) < 0) {
		if (io.out_overflow)
			snprintf(what, sizeof(what), "output larger than %u bytes",
				 EXEC_STDOUT_LIMIT);
		else
			snprintf(what, sizeof(what), "no answer within %ld ms (killed)",
				 a->exec_timeout_ms);
		exec_fail(a, err, io.out_overflow ? ERR_LIMIT : ERR_TIMEOUT, what, io.errb.data);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(status));
		exec_fail(a, err, ERR_AUTH, what, io.errb.data);
		goto out;
	}
	rc = cred_parse(a, &io.out, io.errb.data, err);
out:
	buf_release_secret(&io.out);
	buf_release(&io.errb);
	return rc;
}

static bool cred_valid(const struct kube_auth *a)
{
	int64_t margin = (a->expiry_ms - a->fetched_ms) / 2;

	if (!a->have_cred)
		return false;
	if (a->expiry_ms == 0)
		return true;
	if (margin > EXEC_EXPIRY_MARGIN)
		margin = EXEC_EXPIRY_MARGIN;
	return time_wall_ms() < a->expiry_ms - (margin > 0 ? margin : 0);
}

static int exec_credential(struct kube_auth *a, struct err *err)
{
	if (cred_valid(a))
		return 0;
	auth_drop_cred(a);
	if (exec_run(a, err) < 0) {
		auth_drop_cred(a);
		return -1;
	}
	return 0;
}

/* ---- header ----------------------------------------------------------------------------- */

bool kube_token_valid(const char *token)
{
	for (const unsigned char *c = (const unsigned char *)token; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static int put_bearer(struct buf *header, const char *token, struct err *err)
{
	if (!kube_token_valid(token))
		return err_set(err, ERR_AUTH,
			       "bearer token contains a line break or control character");
	if (buf_printf(header, "Authorization: Bearer %s", token) < 0)
		return err_set(err, ERR_LIMIT, "bearer token is too long");
	return 0;
}

static int put_basic(struct kube_auth *a, struct buf *header, struct err *err)
{
	char *pair = xasprintf("%s:%s", a->username, a->password);
	char *b64 = base64_encode((const unsigned char *)pair, strlen(pair));
	int rc = 0;

	if (buf_printf(header, "Authorization: Basic %s", b64) < 0)
		rc = err_set(err, ERR_LIMIT, "basic auth credentials are too long");
	secret_free(pair);
	secret_free(b64);
	return rc;
}

int kube_auth_header(struct kube_auth *a, struct buf *header, struct err *err)
{
	buf_reset(header);
	if (a->token)
		return put_bearer(header, a->token, err);
	if (a->token_file) {
		if (token_file_read(a, err) < 0)
			return -1;
		return put_bearer(header, a->tf_token, err);
	}
	if (a->exec) {
		if (exec_credential(a, err) < 0)
			return -1;
		return a->exec_token ? put_bearer(header, a->exec_token, err) : 0;
	}
	if (a->username)
		return put_basic(a, header, err);
	return 0;
}
