/* The floater tests' fixture (test_floater_engine.c, test_floater_api.c): a floater without
 * its HTTP server. The fixture stands in for server.c: a connection is a struct conn whose
 * output is kept in c->out (the answer's head, then one result line per line), and the
 * targets are sockets the test opens on loopback. */
#ifndef NETCTL_TESTS_FLOATER_FIXTURE_H
#define NETCTL_TESTS_FLOATER_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

#define FLX_TOKEN     "0123456789abcdef"
#define FLX_ECHO_KEY  "000102030405060708090a0b0c0d0e0f" /* the UDP echo key file's text */
#define FLX_MAX_CONNS 8
#define FLX_MAX_LINES 256 /* of one answer */

struct flx {
	struct floater fl;
	char dir[64];
	char *token_path;
	char *echo_key_path;
	struct conn *conns[FLX_MAX_CONNS];
	int nconns;
	int fds[32]; /* target sockets, closed at teardown */
	int nfds;
};

/* cmocka setup and teardown: *state is a struct flx, its floater not yet started. */
int flx_setup(void **state);
int flx_teardown(void **state);
/* Starts the engine with max_inflight probe slots, UDP probe sockets for both families
 * and the UDP echo responder on a free port of 127.0.0.1 (the floater port). */
/* The node name the fixture's floater has (--node-name): its UDP echo proves it. */
#define FLX_NODE "flx-node"
void flx_start(struct flx *x, uint32_t max_inflight);

/* Target sockets on loopback (family AF_INET: 127.0.0.1, AF_INET6: ::1), their port
 * allowed in probe requests. A listener accepts TCP probes; a closed port (bound, not
 * listening) refuses them; a silent UDP port reads nothing and answers nothing. */
uint16_t flx_tcp_listener(struct flx *x, int family);
uint16_t flx_tcp_closed(struct flx *x, int family);
uint16_t flx_udp_silent(struct flx *x, int family);

struct conn *flx_conn(struct flx *x);
/* An HTTP request on c as server.c would hand it to api_dispatch; token NULL: none. */
void flx_request(struct flx *x, struct conn *c, enum http_method method, const char *path,
		 const char *token, const char *body);
/* POST /v1/probe with the token: the job the request started (NULL if refused). */
struct job *flx_probe(struct flx *x, struct conn *c, const char *body);
/* Runs the loop until every one of conns has its final line, at most max_ms; returns
 * whether they did. */
bool flx_run_until_done(struct flx *x, struct conn **conns, int n, int64_t max_ms);
void flx_run_for(struct flx *x, int64_t ms);
/* True when c's answer is complete (the final line is written). */
bool flx_done(const struct conn *c);
/* The HTTP status c was answered with (0: nothing yet). */
int flx_status(const struct conn *c);

/* One line of a probe answer. */
struct flx_line {
	bool done;
	int64_t ref; /* -1: none */
	char protocol[8];
	char error[24];
	int64_t sent, received, rtt_avg_us;
	char id[WIRE_MAX_ID + 1]; /* the final line: */
	int64_t results, elapsed_ms;
};

/* The lines of c's answer, in order; returns their number. */
int flx_lines(const struct conn *c, struct flx_line *out, int max);
/* The result line for ref and protocol; fails the test when there is none or more. */
struct flx_line flx_result(const struct conn *c, int64_t ref, const char *protocol);
/* The final line; fails the test when there is none. */
struct flx_line flx_final(const struct conn *c);

#endif
