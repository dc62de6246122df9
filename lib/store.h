/*
 * store.h — kiln's store: immutable paths under a store directory, and the
 * registry that says which paths are valid.
 *
 * Two directories matter: the *logical* store dir that names paths
 * ("/kiln/store", what symlinks and the registry say, what a booted machine
 * sees) and the *real* directory holding them on this machine (e.g.
 * /var/lib/kiln/store on a build host, /kiln/store inside an image). The
 * registry lives in its own db directory.
 *
 * Adding is atomic: the caller builds under a temporary name inside the real
 * dir, store_add_commit() normalises it (files 0444 or 0555, dirs 0555, mtime
 * 1, no setuid/setgid), fsyncs it, renames it into place, then appends the
 * registration. A path is valid only once registered. store_open() holds an
 * exclusive lock for the store's lifetime and deletes leftovers of an
 * interrupted add (temporaries and unregistered paths).
 *
 * (The registry's format and the reason for it are described in store.c.)
 */
#ifndef KILN_STORE_H
#define KILN_STORE_H

#include "compat.h"
#include "hash.h"
#include "storepath.h"
#include "strbuf.h"

#define KILN_STORE_DIR "/kiln/store"

struct path_info {
	char *path;                 /* logical path */
	uint8_t nar_hash[SHA256_LEN];
	uint64_t nar_size;
	char *deriver;              /* may be NULL */
	struct path_list refs;      /* sorted logical paths */
};

struct store {
	char *storedir;  /* logical, e.g. "/kiln/store" */
	char *realdir;   /* directory holding the paths here */
	char *dbdir;     /* registry + lock */
	int lock_fd;
	int registry_fd;
	struct path_info **infos; /* sorted by path */
	size_t ninfos, alloc_infos;
	unsigned tmp_counter;
};

/* Opens (creating directories as needed) a store; takes the lock (blocking),
 * loads the registry, removes leftovers of interrupted adds. -EBADMSG if the
 * registry is corrupt (a torn last record is not: it is dropped). */
int store_open(struct store *s, const char *storedir, const char *realdir, const char *dbdir);
void store_close(struct store *s);

/* An in-memory, read-only store over registry text (another root's registry,
 * e.g. an image's /kiln/var/db/registry): store_query, store_closure and
 * store_is_valid work; no directory, no lock. A torn last line is dropped,
 * other bad lines are -EBADMSG. Release with store_close(). */
int store_load_registry(struct store *s, const char *storedir, const char *text, size_t len);

/* logical path (or anything below it) -> real path on this machine (caller frees).
 * NULL when path is not inside the logical store dir. */
char *store_real_path(const struct store *s, const char *path);
/* Accepts a logical path, a real path, or either with a trailing sub-path, and
 * returns the logical store path it names (caller frees); NULL if neither. */
char *store_to_logical(const struct store *s, const char *path);

/* Registration of a valid path, or NULL. */
const struct path_info *store_query(const struct store *s, const char *path);
bool store_is_valid(const struct store *s, const char *path);

/* A fresh temporary name inside the real dir for building a path (nothing is
 * created; caller frees). */
char *store_tmp_name(struct store *s);

/* Normalises, fsyncs and renames tmp (file, directory or symlink) to the
 * logical path `path`, then registers it with refs and deriver (either may be
 * NULL). If `path` is already valid, tmp is deleted and 0 returned. On any
 * error tmp is deleted and nothing is registered. */
int store_add_commit(struct store *s, const char *tmp, const char *path,
		     const struct path_list *refs, const char *deriver);

/* Content-addressed add: normalises tmp, computes its NAR hash and the
 * recursive fixed-output path for name+refs, and commits there. */
int store_add_recursive(struct store *s, const char *tmp, const char *name,
			const struct path_list *refs, char **ret_path);

/* Adds a text file (store_path_text) with contents. */
int store_add_text(struct store *s, const char *name, const void *data, size_t len,
		   const struct path_list *refs, char **ret_path);

/* Registers an already-present real path (used when copying between stores,
 * where the caller verified the NAR hash). Register in dependency order: here
 * and in every add, each reference must already be valid (or be the path
 * itself), else -ENOENT, so that a closure never dangles. */
int store_register(struct store *s, const struct path_info *info);

/* The closure of paths: every path reachable through references, sorted. */
int store_closure(const struct store *s, const struct path_list *roots, struct path_list *ret);

/* Re-hashes path and compares with its registration: 0 if it matches,
 * -ENOENT if missing/unregistered, -EBADMSG if the hash differs. */
int store_verify_path(const struct store *s, const char *path);

/* Appends pi's registration record (one line of the registry file, see
 * store.c) to out: how a registry for another root (an image) is written. */
void store_format_record(const struct path_info *pi, struct strbuf *out);

/* Removes a path from the registry and then from disk (GC; no reference
 * checks). A crash in between leaves an unregistered leftover, which
 * store_open() removes. -ENOENT if path is not valid. */
int store_delete(struct store *s, const char *path);

/* Reference scanning (refscan.c): which of candidates (logical store paths)
 * have their 32-char hash part in the files or symlink targets under real_path.
 * ret is sorted; caller releases it. -EINVAL if a candidate is malformed. */
int store_scan_refs(const struct store *s, const char *real_path,
		    const struct path_list *candidates, struct path_list *ret);

/* Test hook: if the environment variable KILN_TEST_CRASH equals `point`,
 * the process is killed with SIGKILL there (simulating a power cut). */
void store_crash_point(const char *point);

#endif
