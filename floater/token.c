/* The control API token: read from a file (a mounted Secret), re-read when the file
 * changes, compared in constant time, never logged. */
#include <string.h>
#include <sys/stat.h>

#include "floater.h"

#define TOKEN_RECHECK_US 1000000

void token_init(struct token *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->path = path;
	t->checked_us = -TOKEN_RECHECK_US * 2;
}

static void token_load(struct token *t)
{
	struct err err = ERR_INIT;
	struct buf b;
	size_t n;

	buf_init(&b, 4096);
	t->len = 0; /* fail closed until a good token is read */
	if (file_read_all(t->path, 4096, &b, &err) < 0) {
		log_warn("token file unreadable, refusing authenticated requests: %s", err.msg);
		goto out;
	}
	n = b.len;
	while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' ' ||
		     b.data[n - 1] == '\t'))
		n--;
	if (!n || n >= sizeof(t->value)) {
		log_warn("token file %s: empty or longer than %zu bytes", t->path,
			 sizeof(t->value) - 1);
		goto out;
	}
	memcpy(t->value, b.data, n);
	t->value[n] = '\0';
	t->len = n;
out:
	buf_release_secret(&b);
}

int file_stamp_update(struct file_stamp *fs, const char *path)
{
	struct stat st;
	int64_t mtime;

	if (stat(path, &st) < 0)
		return -1;
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (st.st_dev == fs->dev && st.st_ino == fs->ino && mtime == fs->mtime_ns &&
	    st.st_size == fs->size)
		return 0;
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	fs->mtime_ns = mtime;
	fs->size = st.st_size;
	return 1;
}

static void token_refresh(struct token *t, int64_t now_us)
{
	int changed;

	if (now_us - t->checked_us < TOKEN_RECHECK_US)
		return;
	t->checked_us = now_us;
	changed = file_stamp_update(&t->stamp, t->path);
	/* Kubernetes swaps Secret files by symlink: a brief absence keeps the old one */
	if (changed < 0 ? !t->len : changed || !t->len)
		token_load(t);
}

bool token_check(struct token *t, const char *presented, size_t len, int64_t now_us)
{
	token_refresh(t, now_us);
	return token_equal(presented, len, t->value, t->len);
}
