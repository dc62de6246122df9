/*
 * gen_root.h — the two kinds of root generation.c edits, behind one set of
 * calls: an ext4 filesystem inside an image (lib/ext4, no mount) or a
 * directory (the running machine's "/"). Only lib/generation.c and
 * lib/gen_root.c include it; the rt_* calls are the only place that tells
 * the two apart. Paths are absolute within the root.
 */
#ifndef KILN_GEN_ROOT_H
#define KILN_GEN_ROOT_H

#include "generation.h"
#include "ext4.h"
#include "strbuf.h"

int rt_read(struct gen_root *r, const char *path, struct strbuf *out);
int rt_readlink(struct gen_root *r, const char *path, struct strbuf *out);
bool rt_exists(struct gen_root *r, const char *path);
int rt_symlink(struct gen_root *r, const char *path, const char *target);
int rt_replace_symlink(struct gen_root *r, const char *path, const char *target);
int rt_write(struct gen_root *r, const char *path, const void *data, size_t len);
int rt_remove(struct gen_root *r, const char *path);

/* A file or symlink written ahead of the sync that precedes its commit, so
 * the commit needs no sync of its own (ext4_stage_file). A directory root
 * (the running machine) just writes at commit. */
struct rt_staged {
	struct ext4_staged st;
	const char *path;
	struct strbuf data;
	bool symlink;
};
int rt_stage(struct gen_root *r, const char *path, const void *data, size_t len, bool symlink,
	     struct rt_staged *ret);
int rt_commit(struct gen_root *r, struct rt_staged *st);

struct name_list {
	char **v;
	size_t n, alloc;
};
/* Names in directory path, sorted. */
int rt_list(struct gen_root *r, const char *path, struct name_list *ret);
void name_list_release(struct name_list *l);

/* Makes everything so far durable; step_done also fires the crash hook
 * KILN_TEST_CRASH=point (generation.h). */
int rt_sync(struct gen_root *r);
int step_done(struct gen_root *r, const char *point);

#endif
