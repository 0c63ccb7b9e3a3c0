/* Aligned text tables for people: each column as wide as its widest cell, optionally in
 * colour (the commands' listings and the report's tables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct table {
	size_t ncols;
	char **cells;	       /* rows x ncols, row 0 = headers */
	unsigned char *colors; /* enum text_color per cell */
	size_t nrows, cap;
	size_t *width;
	bool *right;
	bool color;
};

static const char *const ansi[] = {
    [COLOR_NONE] = "",		 [COLOR_RED] = "\033[31m", [COLOR_GREEN] = "\033[32m",
    [COLOR_YELLOW] = "\033[33m", [COLOR_BOLD] = "\033[1m", [COLOR_DIM] = "\033[2m",
};

const char *color_ansi(enum text_color c)
{
	return (unsigned)c < ARRAY_SIZE(ansi) ? ansi[c] : "";
}

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
	for (size_t i = 0; i < ncols; i++)
		t->colors[i] = COLOR_BOLD;
	return t;
}

void table_align_right(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = true;
}

void table_use_color(struct table *t, bool on)
{
	t->color = on;
}

void table_add_row(struct table *t, const char *const *cells)
{
	size_t cap = t->cap;

	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	if (t->cap != cap)
		t->colors = xrealloc(t->colors, t->cap);
	for (size_t i = 0; i < t->ncols; i++) {
		char *c = xstrdup(cells[i] ? cells[i] : "");
		size_t w;

		/* Names come from cluster APIs: no escape sequences reach the terminal. */
		for (char *p = c; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		w = text_width(c);

		t->cells[t->nrows * t->ncols + i] = c;
		t->colors[t->nrows * t->ncols + i] = COLOR_NONE;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

void table_color_cell(struct table *t, size_t col, enum text_color color)
{
	if (t->nrows > 1 && col < t->ncols)
		t->colors[(t->nrows - 1) * t->ncols + col] = (unsigned char)color;
}

size_t table_rows(const struct table *t)
{
	return t->nrows - 1;
}

static void print_cell(const struct table *t, size_t row, size_t col, FILE *f)
{
	const char *c = t->cells[row * t->ncols + col];
	enum text_color color = t->color ? t->colors[row * t->ncols + col] : COLOR_NONE;
	size_t pad = t->width[col] - text_width(c);
	bool last = col + 1 == t->ncols;

	if (t->right[col])
		fprintf(f, "%*s", (int)pad, "");
	if (color)
		fprintf(f, "%s%s" COLOR_RESET, ansi[color], c);
	else
		fputs(c, f);
	if (!t->right[col] && !last) /* no trailing blanks */
		fprintf(f, "%*s", (int)pad, "");
	fputs(last ? "\n" : "  ", f);
}

void table_print(const struct table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t col = 0; col < t->ncols; col++)
			print_cell(t, r, col, f);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	free(t->width);
	free(t->right);
	free(t);
}
