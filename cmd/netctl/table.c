/* Aligned text tables for people: each column as wide as its widest cell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

struct table {
	size_t ncols;
	char **cells; /* rows x ncols, row 0 = headers */
	size_t nrows, cap;
	size_t *width;
	bool *right;
};

/* Display width of UTF-8 text: code points, which is right for the names we print. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

struct table *table_new(const char *const *headers, size_t ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof(*t->width));
	t->right = xcalloc(ncols, sizeof(*t->right));
	table_add_row(t, headers);
	return t;
}

void table_align_right(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = true;
}

void table_add_row(struct table *t, const char *const *cells)
{
	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (size_t i = 0; i < t->ncols; i++) {
		char *c = xstrdup(cells[i] ? cells[i] : "");
		size_t w;

		/* Names come from cluster APIs: no escape sequences reach the terminal. */
		for (char *p = c; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		w = text_width(c);

		t->cells[t->nrows * t->ncols + i] = c;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

size_t table_rows(const struct table *t)
{
	return t->nrows - 1;
}

static void print_cell(const struct table *t, size_t col, const char *c, FILE *f)
{
	size_t pad = t->width[col] - text_width(c);
	bool last = col + 1 == t->ncols;

	if (t->right[col])
		fprintf(f, "%*s%s", (int)pad, "", c);
	else if (last)
		fputs(c, f); /* no trailing blanks */
	else
		fprintf(f, "%s%*s", c, (int)pad, "");
	fputs(last ? "\n" : "  ", f);
}

void table_print(const struct table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t col = 0; col < t->ncols; col++)
			print_cell(t, col, t->cells[r * t->ncols + col], f);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->right);
	free(t);
}
