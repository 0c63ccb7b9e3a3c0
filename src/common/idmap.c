#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Open addressing with linear probing; keys are sparse int64 ids (node ids, cluster-pair
 * keys) and lookups happen once per streamed row, so this must stay O(1). */

#define IDMAP_EMPTY UINT32_MAX

static size_t idmap_slot(int64_t key, size_t cap)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17) & (cap - 1);
}

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void idmap_release(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	idmap_init(m);
}

long idmap_get(const struct idmap *m, int64_t key)
{
	size_t i;

	if (!m->cap)
		return -1;
	for (i = idmap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == IDMAP_EMPTY)
			return -1;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

static void idmap_insert(int64_t *keys, uint32_t *vals, size_t cap, int64_t key, uint32_t val)
{
	size_t i;

	for (i = idmap_slot(key, cap);; i = (i + 1) & (cap - 1)) {
		if (vals[i] == IDMAP_EMPTY || keys[i] == key) {
			keys[i] = key;
			vals[i] = val;
			return;
		}
	}
}

static void idmap_grow(struct idmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	int64_t *keys = xcalloc(cap, sizeof(*keys));
	uint32_t *vals = xmalloc(cap * sizeof(*vals));

	memset(vals, 0xff, cap * sizeof(*vals));
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i] != IDMAP_EMPTY)
			idmap_insert(keys, vals, cap, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
}

void idmap_put(struct idmap *m, int64_t key, uint32_t val)
{
	if (idmap_get(m, key) < 0) {
		/* Keep the load factor under one half so probe chains stay short. */
		if ((m->len + 1) * 2 > m->cap)
			idmap_grow(m);
		m->len++;
	}
	idmap_insert(m->keys, m->vals, m->cap, key, val);
}
