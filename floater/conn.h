/* conn: one HTTP connection (server.c owns it, api.c answers on it). */
#ifndef FLOATER_CONN_H
#define FLOATER_CONN_H

#include "floater.h"

enum conn_state { CONN_READ_HEAD, CONN_READ_BODY, CONN_STREAMING, CONN_DRAIN };

struct conn {
	struct evh h;
	struct floater *fl;
	enum conn_state state;
	struct buf in; /* bytes before in_pos are consumed */
	size_t in_pos;
	size_t head_scan; /* bytes of the pending head already searched for its end */
	struct http_chunked chunked;
	size_t body_reserved; /* of fl->body_bytes, while this request's body is read */
	struct buf out;
	struct http_req req;
	union sockaddr_any peer;
	uint32_t events; /* epoll interest */
	bool authed;	 /* a request carried the token: out of the unauthenticated pool */
	bool req_authed; /* the current request did */
	struct job *job;
	struct timer timer;
	struct buf pend;    /* result lines not yet chunked (conn_stream_line) */
	struct timer batch; /* when pend goes out */
	bool close_after;
	bool continued;
	bool want_out;
	bool dirty;
	bool reprocess;
	bool paused; /* requests wait until the client reads its answers */
	bool closed;
	LIST_ENTRY(conn) link;	       /* fl->conns */
	TAILQ_ENTRY(conn) unauth_link; /* fl->unauth, oldest first, until authed */
	LIST_ENTRY(conn) peer_link;    /* fl->peers[hash], until authed */
	SLIST_ENTRY(conn) dirty_link;  /* fl->dirty */
	SLIST_ENTRY(conn) dead_link;   /* fl->dead */
};

void conn_send(struct conn *c, const void *data, size_t len);
/* The current request carried the token: the connection leaves the pool of
 * unauthenticated ones (per-peer cap, eviction). */
void conn_authenticated(struct conn *c);
void conn_close(struct conn *c);

#endif
