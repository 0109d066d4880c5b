/*
 * table.c: text tables, as "ssectl list" prints them, the records of a
 * reply as a table or as JSON lines, and a map as "name value" lines.
 *
 * Cells are collected first so each column gets the width of its widest
 * cell; widths count UTF-8 characters, not bytes.  Unaligned (stdout is
 * not a terminal), columns are one space apart.  What goes in the cells
 * is the caller's, or the column's field of each record.
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

	if (width == 0)
		fputs(s, fp);
	else if (right)
		fprintf(fp, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, fp);
	else
		fprintf(fp, "%s%*s", s, (int)pad, "");
	fputs(last ? "\n" : width == 0 ? " " : "  ", fp);
}

/*
 * The header line, then every row: aligned, columns two spaces apart,
 * or not (one space apart).
 */
void
ctl_table_print(const struct ctl_table *t, FILE *fp, int align)
{
	size_t *width, r, c, w;

	if ((width = calloc(t->ncols, sizeof(*width))) == NULL)
		return;
	for (c = 0; c < t->ncols && align; c++)
		width[c] = text_width(t->cols[c].title);
	for (r = 0; r < t->nrows && align; r++) {
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

/* A row of the columns' fields of map, in their units.  0, or -1 (nomem). */
int
ctl_table_add_map(struct ctl_table *t, const struct ctl_ctx *ctx,
    const msgpack_object *map)
{
	char **cells;
	size_t c;
	int rc = -1;

	if ((cells = calloc(t->ncols, sizeof(*cells))) == NULL)
		return -1;
	for (c = 0; c < t->ncols; c++)
		if ((cells[c] = ctl_fmt_cell(ctx, map, t->cols[c].key,
		    t->cols[c].unit)) == NULL)
			break;
	if (c == t->ncols)
		rc = ctl_table_add(t, cells);
	else
		while (c > 0)
			free(cells[--c]);
	free(cells);
	return rc;
}

/*
 * Print the array key of the result res: with --json one line of JSON
 * per element, else a table of the given columns.  A CTL_EXIT_* code.
 */
int
ctl_print_records(const struct ctl_ctx *ctx, const msgpack_object *res,
    const char *key, const struct ctl_column *cols, size_t ncols)
{
	const msgpack_object *a;
	struct ctl_table *t = NULL;
	uint32_t i;
	int rc;

	if ((rc = ctl_result_array(&ctx->client, res, key, &a)) != 0)
		return rc;
	if (ctx->json) {
		for (i = 0; i < a->via.array.size && rc == 0; i++)
			rc = ctl_json_print(&a->via.array.ptr[i]);
		return rc;
	}
	if ((t = ctl_table_new(cols, ncols)) == NULL)
		return ctl_nomem();
	for (i = 0; i < a->via.array.size && rc == 0; i++)
		if (ctl_table_add_map(t, ctx, &a->via.array.ptr[i]) == -1)
			rc = ctl_nomem();
	if (rc == 0)
		ctl_table_print(t, stdout, ctx->human);
	ctl_table_free(t);
	return rc;
}

/* The unit of each field the daemon sends with one; the rest have none. */
static const struct {
	const char	*key;
	enum ctl_unit	 unit;
} field_units[] = {
	{ "uptime",		CTL_UNIT_SECONDS },
	{ "connected_at",	CTL_UNIT_AGE },
	{ "created",		CTL_UNIT_AGE },
	{ "token_expires",	CTL_UNIT_UNTIL },
	{ "stalled_ms",		CTL_UNIT_MS },
	{ "bytes_sent",		CTL_UNIT_BYTES },
	{ "queued_bytes",	CTL_UNIT_BYTES },
	{ "queue_high_water",	CTL_UNIT_BYTES },
	{ "rate",		CTL_UNIT_RATE },
};

static enum ctl_unit
field_unit(const msgpack_object *key)
{
	size_t i;

	for (i = 0; i < sizeof(field_units) / sizeof(field_units[0]); i++)
		if (strlen(field_units[i].key) == key->via.str.size &&
		    memcmp(field_units[i].key, key->via.str.ptr,
		    key->via.str.size) == 0)
			return field_units[i].unit;
	return CTL_UNIT_NONE;
}

/*
 * One "name value" line per field of map, in the daemon's order; on a
 * terminal the names are padded to one width and values with a unit
 * are for people (connected_at becomes the time since), otherwise one
 * space and the value as sent.  CTL_EXIT_OK, or out of memory.
 */
int
ctl_print_kv(const struct ctl_ctx *ctx, const msgpack_object *map)
{
	const msgpack_object_kv *kv;
	enum ctl_unit u;
	int width = 0;
	uint32_t i;
	char *v;

	for (i = 0; ctx->human && i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    (int)kv->key.via.str.size > width)
			width = (int)kv->key.via.str.size;
	}
	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		u = ctx->human ? field_unit(&kv->key) : CTL_UNIT_NONE;
		if ((v = ctl_fmt_unit(ctx, &kv->val, u)) == NULL)
			return ctl_nomem();
		printf("%-*.*s%s%s%s\n", width, (int)kv->key.via.str.size,
		    kv->key.via.str.ptr, ctx->human ? "  " : " ", v,
		    u == CTL_UNIT_AGE &&
		    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    " ago" : "");
		free(v);
	}
	return CTL_EXIT_OK;
}

/* A map: as one line of JSON with --json, else as ctl_print_kv does. */
int
ctl_print_map(const struct ctl_ctx *ctx, const msgpack_object *map)
{
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return ctl_bad_reply(&ctx->client, "a map is missing");
	if (ctx->json)
		return ctl_json_print(map);
	return ctl_print_kv(ctx, map);
}
