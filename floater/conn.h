/* conn: one HTTP connection (server.c owns it, api.c answers on it). */
#ifndef FLOATER_CONN_H
#define FLOATER_CONN_H

#include "floater.h"

enum conn_state { CONN_READ_HEAD, CONN_READ_BODY, CONN_STREAMING, CONN_DRAIN };

struct conn {
	struct evh h;
	struct floater *fl;
	enum conn_state state;
	struct buf in;
	struct buf out;
	struct buf body;
	struct http_req req;
	struct job *job;
	struct timer timer;
	bool close_after;
	bool continued;
	bool want_out;
	bool dirty;
	bool reprocess;
	bool closed;
	LIST_ENTRY(conn) link;	    /* fl->conns */
	SLIST_ENTRY(conn) dirty_link; /* fl->dirty */
	SLIST_ENTRY(conn) dead_link;  /* fl->dead */
};

void conn_send(struct conn *c, const void *data, size_t len);
void conn_close(struct conn *c);

#endif
