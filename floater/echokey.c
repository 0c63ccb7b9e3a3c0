/* The UDP echo key: read from a file (a mounted Secret, next to the token), re-read when
 * the file changes, the previous key accepted for a grace period, never logged. */
#include <string.h>
#include <time.h>

#include "floater.h"

#define ECHO_KEY_RECHECK_US 1000000
/* The kubelet refreshes a Secret volume a minute or two after the Secret changed, each
 * node on its own: probers may sign with the previous key that long after we moved on. */
#define ECHO_KEY_GRACE_US (300 * (int64_t)1000000)

static void echokey_load(struct echo_keys *k, int64_t now_us);

void echokey_init(struct echo_keys *k, const char *path, int64_t now_us)
{
	memset(k, 0, sizeof(*k));
	k->path = path;
	/* read now, not at the first datagram: the key we started with is the one a later
	 * change keeps as the previous */
	k->checked_us = now_us;
	file_stamp_update(&k->stamp, path);
	echokey_load(k, now_us);
}

static void echokey_load(struct echo_keys *k, int64_t now_us)
{
	struct err err = ERR_INIT;
	uint8_t key[SIPHASH_KEY_LEN];
	bool ok = false;
	struct buf b;

	buf_init(&b, 4096);
	if (file_read_all(k->path, 4096, &b, &err) < 0)
		err_prefix(&err, "UDP echo key unreadable");
	else if (echoauth_key_parse(b.data, b.len, key) < 0)
		err_set(&err, ERR_PROTO, "UDP echo key file %s: not %d hex digits", k->path,
			ECHO_KEY_HEX_LEN);
	else
		ok = true;
	buf_release_secret(&b);
	if (!ok && !k->warned)
		log_warn("%s: the UDP echo answers nothing and UDP probes fail until it is "
			 "readable",
			 err.msg);
	k->warned = !ok;
	if (ok && k->has_cur && !memcmp(key, k->cur, sizeof(key)))
		goto out; /* rewritten, same key */
	if (k->has_cur) {
		memcpy(k->prev, k->cur, sizeof(k->prev));
		k->has_prev = true;
		k->prev_until_us = now_us + ECHO_KEY_GRACE_US;
	}
	k->has_cur = ok;
	if (!ok)
		explicit_bzero(k->cur, sizeof(k->cur));
	else {
		memcpy(k->cur, key, sizeof(key));
		log_info("UDP echo key %s", k->has_prev ? "changed (the previous one is still "
							  "accepted for 300 s)"
							: "loaded");
	}
out:
	explicit_bzero(key, sizeof(key));
}

static void echokey_refresh(struct echo_keys *k, int64_t now_us)
{
	int changed;

	if (now_us - k->checked_us < ECHO_KEY_RECHECK_US)
		return;
	k->checked_us = now_us;
	if (k->has_prev && now_us >= k->prev_until_us) {
		explicit_bzero(k->prev, sizeof(k->prev));
		k->has_prev = false;
	}
	changed = file_stamp_update(&k->stamp, k->path);
	/* a brief absence (the kubelet swapping the volume's symlink) keeps the key */
	if (changed < 0 ? !k->has_cur : changed || !k->has_cur)
		echokey_load(k, now_us);
}

const uint8_t *echokey_current(struct echo_keys *k, int64_t now_us)
{
	echokey_refresh(k, now_us);
	return k->has_cur ? k->cur : NULL;
}

enum echo_verdict echokey_check(struct echo_keys *k, const uint8_t *dgram, size_t len,
				uint32_t now_s, int64_t now_us, const uint8_t **key)
{
	bool ok, cur;

	echokey_refresh(k, now_us);
	if (!k->has_cur && !k->has_prev)
		return ECHO_NO_KEY;
	/* both tags computed, whichever matches: the time taken says nothing about keys */
	cur = k->has_cur & echoauth_tag_ok(k->cur, dgram, len);
	ok = cur | (k->has_prev & echoauth_tag_ok(k->prev, dgram, len));
	if (!ok)
		return ECHO_BAD_MAC;
	if (key)
		*key = cur ? k->cur : k->prev;
	return echoauth_fresh(dgram, now_s) ? ECHO_OK : ECHO_STALE;
}

uint32_t echo_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}
