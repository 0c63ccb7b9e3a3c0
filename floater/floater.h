/* floater: internal header shared by the agent's parts (engine, probes, server, main). */
#ifndef FLOATER_FLOATER_H
#define FLOATER_FLOATER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "common.h"
#include "echoauth.h"
#include "http.h"
#include "loop.h"
#include "request.h"
#include "result.h"
#include "stats.h"

#define FL_BATCH      64
#define FL_COOKIE_LEN 16
#define FL_MAX_CONNS  512
/* Slots only connections that presented the token may use: unauthenticated ones are
 * evicted, oldest first, to keep them free. */
#define FL_RESERVED_CONNS 64
/* Unauthenticated connections one source address may hold at once. */
#define FL_MAX_PEER_CONNS 32
#define FL_PEER_BUCKETS	  256
/* Request bodies being read at once, all connections together (a body is read only
 * after its head carried the token). */
#define FL_BODY_BUDGET	    (4 * 1024 * 1024)
#define FL_DEFAULT_PORT	    8889
#define FL_DEFAULT_INFLIGHT 4096
#define FL_MAX_INFLIGHT	    65536

/* First bytes of every probe payload: who sent it and which slot it belongs to. */
#define FL_MAGIC_ICMP	 0x4e43666cu /* "NCfl" */
#define FL_MAGIC_UDP_REQ 0x4e436675u /* "NCfu": please echo */
#define FL_MAGIC_UDP_REP 0x4e436672u /* "NCfr": the echo of a floater before node proofs */
/* "NCfn": the echo, its tag replaced by the responder's node proof (echoauth_prove) */
#define FL_MAGIC_UDP_REP_NODE 0x4e43666eu

struct cookie {
	uint32_t magic;
	uint32_t slot;
	uint32_t gen;
	uint32_t nonce;
};

struct fl_config {
	uint16_t port;
	const char *token_file;
	const char *node;
	bool host_network;
	uint32_t max_inflight;
	const char *listen;
	struct request_policy policy;
	long echo_rate;	       /* UDP echo replies per second */
	long echo_source_rate; /* ... to one source address */
	const char *echo_key_file;
};

/* One queued datagram probe, sent in a batch by sendmmsg. */
struct sendq_ent {
	uint8_t hdr[ECHO_HDR_LEN]; /* ICMP: its header and the cookie; UDP: the echo header */
	uint8_t hdrlen;
	uint16_t padlen;
	uint32_t slot;
	uint32_t gen;
	union sockaddr_any to;
};

struct sendq {
	unsigned n;
	struct sendq_ent ent[FL_BATCH];
};

/* A probe socket: ICMP (ping or raw) or UDP, one address family. */
struct psock {
	struct evh h;
	struct floater *fl;
	int family;
	enum probe_protocol proto;
	bool raw;
	uint16_t ident; /* raw ICMP echo id */
	uint16_t seq;
	struct sendq q;
};

/* One probe in flight. A fixed array of these bounds the in-flight count. */
struct slot {
	struct evh h; /* TCP probe socket; fd -1 for datagram probes */
	struct floater *fl;
	struct task *task; /* NULL when free */
	uint32_t gen;	   /* bumped on free: late answers for old probes are ignored */
	uint32_t next_free;
	int64_t sent_us;    /* CLOCK_MONOTONIC, for the timeout */
	int64_t sent_rt_ns; /* CLOCK_REALTIME, to match kernel receive timestamps */
	bool polled;	    /* TCP socket registered with epoll */
	struct timer timeout;
	struct dns_probe *dns; /* a DNS probe's query and answer (probe_dns.c); NULL else */
};

/* One (target, protocol) pair of a job: count probes, interval apart. */
struct task {
	struct job *job;
	struct timer send_timer;
	uint32_t target;
	enum probe_protocol proto;
	uint32_t done;
	int64_t start_us;
	struct rtt_stats st;
	LIST_ENTRY(task) link;	     /* job->active */
	TAILQ_ENTRY(task) wait_link; /* fl->waiting, while waiting is set */
	bool waiting;
	bool tcp_slow; /* connects here do not complete at once: wait for epoll */
};

struct conn;

struct job {
	struct floater *fl;
	struct probe_request req;
	struct conn *conn;
	size_t npairs;
	size_t next_pair;
	size_t finished;
	LIST_HEAD(tasks, task) active;
	int64_t start_us;
	struct result_prev prev; /* the compact answer's previous line */
	LIST_ENTRY(job) link;	 /* fl->jobs */
};

/* What a file was when last read: it is read again only when this changes. */
struct file_stamp {
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	off_t size;
};

struct token {
	const char *path;
	char value[HTTP_MAX_TOKEN];
	size_t len;
	int64_t checked_us;
	struct file_stamp stamp;
	bool warned;
};

/* The UDP echo key (a mounted Secret file too): the current one signs probes and is
 * accepted; the one before it is still accepted for a grace period, for probers whose
 * copy of the Secret is refreshed later than ours. */
struct echo_keys {
	const char *path;
	uint8_t cur[SIPHASH_KEY_LEN];
	uint8_t prev[SIPHASH_KEY_LEN];
	bool has_cur;
	bool has_prev;
	int64_t prev_until_us;
	int64_t checked_us;
	struct file_stamp stamp;
	bool warned; /* that there is no key: said once until there is one */
};

struct metrics {
	uint64_t sent[PROTO_MAX];
	uint64_t received[PROTO_MAX];
	uint64_t failed[PROTO_MAX];
	uint64_t requests;
	uint64_t responses[6]; /* by status class 1xx..5xx, index 1..5 */
	uint64_t auth_failures;
	uint64_t probe_requests;
	uint64_t echo_replies;
	uint64_t echo_dropped;	      /* over --udp-echo-rate, all sources together */
	uint64_t echo_refused[4];     /* by enum echo_verdict: no key, bad MAC, stale */
	uint64_t echo_source_limited; /* over --udp-echo-source-rate */
	uint64_t conns_refused;	      /* per-peer cap, or every slot held by authenticated ones */
	uint64_t conns_evicted;	      /* unauthenticated, closed to make room */
};

struct listener {
	struct evh h;
	struct floater *fl;
	struct timer resume; /* re-enables accepting after running out of descriptors */
};

struct echo {
	struct evh h;
	struct floater *fl;
	int family;
};

/* Idle TCP probe sockets, disconnected and ready for the next connect: reusing one
 * costs far less than a new socket and its close. */
struct tcp_pool {
	int *fd;
	size_t n;
	size_t cap;
};

struct floater {
	struct loop loop;
	struct fl_config cfg;
	uint32_t nonce;
	struct slot *slots;
	uint32_t nslots;
	uint32_t free_head;
	uint32_t inflight;
	struct psock icmp[2]; /* [0] IPv4, [1] IPv6 */
	struct psock udp[2];
	struct tcp_pool tcp_pool[2]; /* [0] IPv4, [1] IPv6 */
	struct echo echo[2];
	struct listener listen[2];
	LIST_HEAD(jobs, job) jobs;
	int njobs;
	size_t active_tasks;
	TAILQ_HEAD(waiting_tasks, task) waiting; /* tasks that want a slot, oldest first */
	LIST_HEAD(conns, conn) conns;		 /* every open connection */
	SLIST_HEAD(dirty_conns, conn) dirty;	 /* with output to flush or input to re-read */
	SLIST_HEAD(dead_conns, conn) dead;	 /* closed, freed after this loop step */
	size_t nconns;
	TAILQ_HEAD(unauth_conns, conn) unauth; /* not yet authenticated, oldest first */
	size_t nunauth;
	LIST_HEAD(peer_conns, conn) peers[FL_PEER_BUCKETS]; /* unauthenticated, by source */
	size_t body_bytes; /* reserved by requests whose body is being read */
	struct token token;
	struct echo_keys echo_key;
	uint64_t node_id; /* echoauth_node_id(--node-name): what our echoes prove */
	struct srclimit echo_src;
	struct metrics m;
	double echo_tokens;
	int64_t echo_refill_us;
	int64_t started_us;
	uint32_t dns_id_state; /* DNS query ids (probe_dns.c) */
	bool stop;
};

/* engine.c */
int engine_init(struct floater *fl, struct err *err);
void engine_release(struct floater *fl);
struct job *engine_job_start(struct floater *fl, struct probe_request *req, struct conn *c);
void engine_job_cancel(struct job *job);
void engine_after(void *arg);
/* A probe's outcome: frees the slot, updates its task. rtt_us ignored unless PROBE_OK. */
void probe_done(struct floater *fl, struct slot *s, enum probe_error e, int64_t rtt_us);
/* Slot named by a cookie from the wire, or NULL when stale or foreign. */
struct slot *slot_from_cookie(struct floater *fl, const struct cookie *ck, uint32_t magic,
			      enum probe_protocol proto);
int family_index(int family);

/* probe_dgram.c: ICMP and UDP probes, shared batching */
int psock_open_icmp(struct floater *fl, struct psock *ps, int family, struct err *err);
int psock_open_udp(struct floater *fl, struct psock *ps, int family, struct err *err);
void psock_close(struct floater *fl, struct psock *ps);
void psock_queue(struct floater *fl, struct psock *ps, struct slot *s, struct task *t);
void psock_flush(struct floater *fl, struct psock *ps);
int64_t time_real_ns(void);

/* probe_tcp.c */
void tcp_probe_start(struct floater *fl, struct slot *s, struct task *t);
void tcp_probe_close(struct floater *fl, struct slot *s);
/* Closes the idle sockets (nothing to probe for now). */
void tcp_pool_drain(struct floater *fl);

/* probe_dns.c */
struct dns_probe;
void dns_probe_start(struct floater *fl, struct slot *s, struct task *t);
void dns_probe_close(struct floater *fl, struct slot *s);
/* Whether the probe fell back to TCP (its timeout then counts as truncated). */
bool dns_probe_over_tcp(const struct slot *s);

/* echo.c: the UDP echo responder */
int echo_open(struct floater *fl, struct echo *e, int family, const char *addr, struct err *err);
void echo_close(struct floater *fl, struct echo *e);

/* server.c: HTTP connections */
int server_listen(struct floater *fl, struct err *err);
void server_close(struct floater *fl);
void server_after(struct floater *fl);
/* Streams one NDJSON line (no trailing newline needed) to the job's connection. */
void conn_stream_line(struct conn *c, const char *line, size_t len);
void conn_stream_end(struct conn *c);
/* Bytes waiting to be written: the engine stops starting pairs above a high-water mark. */
size_t conn_backlog(const struct conn *c);

/* api.c: routes */
/* At the end of a request head, before any body byte is read: 0 to go on, -1 when the
 * request was answered already (no or wrong token: the connection then ends). */
int api_admit(struct floater *fl, struct conn *c, struct http_req *req);
void api_dispatch(struct floater *fl, struct conn *c, struct http_req *req, const char *body,
		  size_t body_len);
void conn_respond(struct conn *c, int status, const char *ctype, const char *body, size_t len);
void conn_respond_error(struct conn *c, int status, const char *msg, const char *field);
void conn_start_stream(struct conn *c, struct job *job);

/* token.c */
/* 1 when the file at path is not what *fs says (*fs then updated), 0 when it is, -1 when
 * it cannot be looked at. */
int file_stamp_update(struct file_stamp *fs, const char *path);
void token_init(struct token *t, const char *path);
/* True when presented matches the current token (file re-read when it changed). */
bool token_check(struct token *t, const char *presented, size_t len, int64_t now_us);

/* echokey.c */
/* Reads the key file now (a missing or malformed one is said once in the log). */
void echokey_init(struct echo_keys *k, const char *path, int64_t now_us);
/* The key to sign probes with (the file re-read when it changed), NULL when none. */
const uint8_t *echokey_current(struct echo_keys *k, int64_t now_us);
/* Whether a datagram of len bytes that carries the request magic may be echoed; *key
 * (when key is not NULL) is then the key its tag was made with. */
enum echo_verdict echokey_check(struct echo_keys *k, const uint8_t *dgram, size_t len,
				uint32_t now_s, int64_t now_us, const uint8_t **key);
/* CLOCK_REALTIME seconds, mod 2^32: the probe header's clock. */
uint32_t echo_clock_s(void);

#endif
