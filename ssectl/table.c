/*
 * table.c: aligned text tables, as "ssectl list" prints them.
 *
 * Cells are collected first so each column gets the width of its widest
 * cell; widths count UTF-8 characters, not bytes.  What goes in the cells
 * is the caller's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssectl.h"

struct ctl_table {
	const struct ctl_column	*cols;
	size_t			 ncols;
	char			**cells;	/* nrows * ncols */
	size_t			 nrows, cap;
};

struct ctl_table *
ctl_table_new(const struct ctl_column *cols, size_t ncols)
{
	struct ctl_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/*
 * Add a row: cells holds ncols malloc'd strings, which the table now owns
 * (also on failure, when they are freed).  0, or -1 when out of memory.
 */
int
ctl_table_add(struct ctl_table *t, char **cells)
{
	size_t i, cap;
	char **p;

	if (t->nrows == t->cap) {
		cap = t->cap > 0 ? t->cap * 2 : 16;
		if ((p = reallocarray(t->cells, cap, t->ncols * sizeof(*p))) ==
		    NULL) {
			for (i = 0; i < t->ncols; i++)
				free(cells[i]);
			return -1;
		}
		t->cells = p;
		t->cap = cap;
	}
	memcpy(t->cells + t->nrows * t->ncols, cells, t->ncols * sizeof(*cells));
	t->nrows++;
	return 0;
}

static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
print_cell(FILE *fp, const char *s, size_t width, int right, int last)
{
	size_t pad = width - text_width(s);

	if (right)
		fprintf(fp, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, fp);
	else
		fprintf(fp, "%s%*s", s, (int)pad, "");
	fputs(last ? "\n" : "  ", fp);
}

/* The header line, then every row; columns two spaces apart. */
void
ctl_table_print(const struct ctl_table *t, FILE *fp)
{
	size_t *width, r, c, w;

	if ((width = calloc(t->ncols, sizeof(*width))) == NULL)
		return;
	for (c = 0; c < t->ncols; c++)
		width[c] = text_width(t->cols[c].title);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			w = text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (c = 0; c < t->ncols; c++)
		print_cell(fp, t->cols[c].title, width[c], t->cols[c].right,
		    c + 1 == t->ncols);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			print_cell(fp, t->cells[r * t->ncols + c], width[c],
			    t->cols[c].right, c + 1 == t->ncols);
	free(width);
}
