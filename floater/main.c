/* floater: the netctl probe agent. One thread, one epoll loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "floater.h"

static const char usage_text[] =
    "usage: floater --port PORT --token-file FILE --node-name NAME --network pod|host\n"
    "               [--max-inflight N] [--listen ADDR] [--allow-port P[,P...]]\n"
    "               [--udp-echo-rate N] [--udp-echo-source-rate N] [--echo-key-file FILE]\n"
    "               [-v]\n";

struct sigctx {
	struct evh h;
	struct floater *fl;
};

static int parse_allow_ports(const char *s, struct request_policy *pol, struct err *err)
{
	char **v = str_split_list(s, REQ_MAX_ALLOW_PORTS, "--allow-port", err);
	long port;
	int rc = 0;

	if (!v)
		return -1;
	for (size_t i = 0; v[i]; i++) {
		if (str_to_long(v[i], 1, 65535, &port, "--allow-port", err) < 0 ||
		    pol->nallow == REQ_MAX_ALLOW_PORTS) {
			rc = pol->nallow == REQ_MAX_ALLOW_PORTS
				 ? err_set(err, ERR_USAGE, "--allow-port: at most %d ports",
					   REQ_MAX_ALLOW_PORTS)
				 : -1;
			break;
		}
		pol->allow[pol->nallow++] = (uint16_t)port;
	}
	strv_free(v);
	return rc;
}

/* "echo-key" next to the token file: both are keys of one Secret, mounted as one
 * directory, so the DaemonSets need no new argument (and an older floater image, which
 * would refuse one, still starts). */
static const char *echo_key_default(const char *token_file)
{
	const char *slash = strrchr(token_file, '/');

	if (!slash)
		return "echo-key";
	return xasprintf("%.*s/echo-key", (int)(slash - token_file), token_file);
}

static int parse_args(int argc, char **argv, struct fl_config *cfg, struct err *err)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"token-file", required_argument, NULL, 't'},
	    {"node-name", required_argument, NULL, 'n'},
	    {"network", required_argument, NULL, 'N'},
	    {"max-inflight", required_argument, NULL, 'm'},
	    {"listen", required_argument, NULL, 'l'},
	    {"allow-port", required_argument, NULL, 'a'},
	    {"udp-echo-rate", required_argument, NULL, 'r'},
	    {"udp-echo-source-rate", required_argument, NULL, 's'},
	    {"echo-key-file", required_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (str_to_long(optarg, 1, 65535, &v, "--port", err) < 0)
				return -1;
			cfg->port = (uint16_t)v;
			break;
		case 't':
			cfg->token_file = optarg;
			break;
		case 'n':
			cfg->node = optarg;
			break;
		case 'N':
			if (strcmp(optarg, "pod") && strcmp(optarg, "host"))
				return err_set(err, ERR_USAGE, "--network: pod or host");
			cfg->host_network = !strcmp(optarg, "host");
			break;
		case 'm':
			if (str_to_long(optarg, 1, FL_MAX_INFLIGHT, &v, "--max-inflight", err) < 0)
				return -1;
			cfg->max_inflight = (uint32_t)v;
			break;
		case 'l':
			cfg->listen = optarg;
			break;
		case 'a':
			if (parse_allow_ports(optarg, &cfg->policy, err) < 0)
				return -1;
			break;
		case 'r':
			if (str_to_long(optarg, 1, 100000000, &v, "--udp-echo-rate", err) < 0)
				return -1;
			cfg->echo_rate = v;
			break;
		case 's':
			if (str_to_long(optarg, 1, 100000000, &v, "--udp-echo-source-rate", err) <
			    0)
				return -1;
			cfg->echo_source_rate = v;
			break;
		case 'k':
			cfg->echo_key_file = optarg;
			break;
		case 'v':
			log_set_level(log_get_level() < LOG_DEBUG ? log_get_level() + 1
								  : LOG_TRACE);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("floater %s\n", NETCTL_VERSION);
			exit(0);
		default:
			return err_set(err, ERR_USAGE, "unknown option");
		}
	}
	if (optind < argc)
		return err_set(err, ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (!cfg->node)
		cfg->node = getenv("NODE_NAME");
	if (!cfg->token_file)
		return err_set(err, ERR_USAGE, "--token-file is required");
	if (!cfg->echo_key_file)
		cfg->echo_key_file = echo_key_default(cfg->token_file);
	cfg->policy.port = cfg->port;
	return 0;
}

/* Thousands of TCP probes in flight need as many descriptors. */
static void raise_nofile(struct floater *fl)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)fl->cfg.max_inflight + FL_MAX_CONNS + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		log_warn("descriptor limit %llu below --max-inflight: TCP probes beyond it fail",
			 (unsigned long long)rl.rlim_cur);
}

static void signal_event(struct evh *h, uint32_t events)
{
	struct sigctx *s = (struct sigctx *)h;
	struct signalfd_siginfo si;

	if (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		s->fl->stop = true;
}

/* Never runs: the signals stay blocked and are read from the signalfd. */
static void signal_noop(int sig)
{
	(void)sig;
}

/* SIGTERM and SIGINT end the loop. In a container the floater is its PID namespace's init,
 * and the kernel drops a signal whose disposition is SIG_DFL before it reaches init, blocked
 * or not: without a handler the kubelet's SIGTERM was lost and every pod deletion waited out
 * its 30 s grace period for the SIGKILL. */
static int signals_init(struct floater *fl, struct sigctx *s, struct err *err)
{
	struct sigaction sa = {.sa_handler = signal_noop};
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	s->fl = fl;
	s->h.fn = signal_event;
	s->h.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->h.fd < 0 || loop_add(&fl->loop, &s->h, EPOLLIN) < 0)
		return err_set(err, ERR_IO, "signalfd: %s", strerror(errno));
	return 0;
}

static int probe_sockets_open(struct floater *fl, struct err *err)
{
	static const int families[2] = {AF_INET, AF_INET6};
	struct err e6 = ERR_INIT;

	for (int i = 0; i < 2; i++) {
		struct err *e = i ? &e6 : err;

		if (psock_open_icmp(fl, &fl->icmp[i], families[i], e) < 0 ||
		    psock_open_udp(fl, &fl->udp[i], families[i], e) < 0) {
			if (!i)
				return -1;
			log_warn("IPv6 probes unavailable: %s", e6.msg);
		}
	}
	if (fl->icmp[0].raw)
		log_info("ICMP via raw sockets (ping sockets not permitted here)");
	return 0;
}

static int floater_run(struct floater *fl, struct err *err)
{
	struct sigctx sig = {.h.fd = -1};
	int rc = -1;

	if (loop_init(&fl->loop, err) < 0)
		return -1;
	fl->loop.after = engine_after;
	fl->loop.after_arg = fl;
	fl->started_us = time_mono_us();
	fl->echo_refill_us = fl->started_us;
	fl->echo_tokens = (double)fl->cfg.echo_rate;
	token_init(&fl->token, fl->cfg.token_file);
	echokey_init(&fl->echo_key, fl->cfg.echo_key_file, fl->started_us);
	fl->node_id = echoauth_node_id(fl->cfg.node ? fl->cfg.node : "");
	raise_nofile(fl);
	if (engine_init(fl, err) < 0 || signals_init(fl, &sig, err) < 0 ||
	    probe_sockets_open(fl, err) < 0 || server_listen(fl, err) < 0)
		goto out;
	log_info("floater %s listening on port %u (node %s, %s network)", NETCTL_VERSION,
		 fl->cfg.port, fl->cfg.node ? fl->cfg.node : "?",
		 fl->cfg.host_network ? "host" : "pod");
	while (!fl->stop) {
		/* no timer due: sleep until an event (signals come as one, from the signalfd) */
		if (loop_run_once(&fl->loop, -1) < 0) {
			err_set(err, ERR_IO, "epoll: %s", strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	server_close(fl);
	engine_release(fl);
	server_after(fl);
	for (int i = 0; i < 2; i++) {
		psock_close(fl, &fl->icmp[i]);
		psock_close(fl, &fl->udp[i]);
	}
	if (sig.h.fd >= 0)
		close(sig.h.fd);
	loop_release(&fl->loop);
	return rc;
}

int main(int argc, char **argv)
{
	static struct floater fl;
	struct err err = ERR_INIT;

	log_set_level(LOG_INFO);
	fl.cfg.port = FL_DEFAULT_PORT;
	fl.cfg.max_inflight = FL_DEFAULT_INFLIGHT;
	fl.cfg.echo_rate = 500000;
	fl.cfg.echo_source_rate = 10000;
	if (parse_args(argc, argv, &fl.cfg, &err) < 0) {
		fprintf(stderr, "floater: %s\n%s", err.msg, usage_text);
		return 2;
	}
	/* Nothing this process runs may gain privileges. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (floater_run(&fl, &err) < 0) {
		fprintf(stderr, "floater: %s\n", err.msg);
		return 1;
	}
	return 0;
}
