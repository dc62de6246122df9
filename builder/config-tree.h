/*
 * config-tree.h — internal to the configuration loader (config.c reads and
 * merges, config-schema.c validates). Not for other parts: they use config.h.
 *
 * A configuration is first read into a small tree of values that keeps the
 * file:line of every value (libconfig's settings cannot be merged across
 * files), merged there, and only then converted into struct kiln_config.
 */
#ifndef KILN_CONFIG_TREE_H
#define KILN_CONFIG_TREE_H

#include "config.h"

enum cnode_type {
	CNODE_GROUP,   /* { key = value; ... }   children have keys */
	CNODE_LIST,    /* ( ... ) or [ ... ]     children have no keys */
	CNODE_STRING,
	CNODE_INT,
	CNODE_FLOAT,
	CNODE_BOOL,
};

struct cnode {
	enum cnode_type type;
	char *key;             /* setting name; NULL for list elements and the root */
	struct cfg_loc loc;    /* where it was set (first set, for groups and lists) */
	char *s;               /* CNODE_STRING */
	int64_t i;             /* CNODE_INT */
	double f;              /* CNODE_FLOAT */
	bool b;                /* CNODE_BOOL */
	struct cnode **kids;   /* CNODE_GROUP, CNODE_LIST, in order */
	size_t nkids, alloc;
};

/* One error line, with what it is sorted by (file, line, then order). */
struct cfg_msg {
	size_t file_rank;        /* index in files_read: top-level file first */
	int line;
	int seq;
	char *text;
};

/* What loading is doing: the config being filled (its files_read owns the
 * interned file names) and the errors collected so far. */
struct cfg_ctx {
	struct kiln_config *c;
	struct cfg_msg *msgs;
	int nerr;
};

/* Collects "FILE:LINE: KEY: message" (KEY omitted when NULL) as an error. */
void cfg_error(struct cfg_ctx *x, const struct cfg_loc *loc, const char *key,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "a group", "a list", "a string", "an integer", "a float", "a boolean". */
const char *cnode_type_name(enum cnode_type t);

/* The child of a group named key, or NULL. */
struct cnode *cnode_get(const struct cnode *group, const char *key);

/* Appends s in double quotes, with \" \\ \n \t and \xHH escapes, cut to
 * max characters followed by "..." when max is not 0. */
void cfg_quote(struct strbuf *sb, const char *s, size_t max);

/* Frees a node and everything below it (NULL is fine). */
void cnode_free(struct cnode *n);

/* Absolute directory of the file a value was set in (caller frees), for
 * paths written relative to that file. */
char *cfg_loc_dir(const struct cfg_loc *loc);

/* Validates the merged tree (root) and fills x->c; errors go to x. */
void config_schema_apply(struct cfg_ctx *x, const struct cnode *root);

#endif
