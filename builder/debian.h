/*
 * debian.h — Debian packages: kiln.lock, resolution with a private apt state,
 * fetching into a cache keyed by sha256, and hostile-input-safe unpacking of
 * each .deb into its own store path.
 *
 * kiln.lock (one per configuration directory, like a workspace lock) is text,
 * written atomically and deterministically (everything sorted bytewise):
 *
 *   # kiln.lock — Debian packages pinned by `kiln lock`. ...comment lines...
 *   kiln-lock 1
 *
 *   root <config path relative to the lock's dir> <deb arch>
 *     request <package name>             one line per requested package (kernel included)
 *
 *   package <name> <version> <arch>       arch: the configuration's deb arch (see below)
 *     size <bytes>
 *     sha256 <hex>
 *     filename <pool path from the archive's Packages index>
 *     depends <name>:<arch>             one line per dependency edge kiln chose
 *
 * Blank lines and lines starting with '#' are ignored; records and their
 * indented fields appear in the order above. Roots are sorted by (config, arch),
 * packages by (name, arch); a (name, arch) appears once, shared by every root
 * that needs it. An "Architecture: all" .deb is pinned once per configuration
 * arch under that arch (its filename still says _all): its dependency edges
 * lead into that arch's packages. The depends edges form a DAG: Debian has dependency cycles
 * (libc6 <-> libgcc-s1) and store paths cannot, so kiln drops the edges that
 * close a cycle, deterministically (see apt.c), and records only what it kept.
 */
#ifndef KILN_DEBIAN_H
#define KILN_DEBIAN_H

#include "compat.h"
#include "config.h"
#include "store.h"
#include "storepath.h"
#include "strbuf.h"

struct lock_pkg {
	char *name, *version, *arch;
	char *sha256;            /* 64 lowercase hex digits */
	char *filename;          /* pool path from Packages ("pool/main/b/busybox/…deb") */
	uint64_t size;
	struct path_list deps;   /* chosen edges, "name:arch", sorted */
};

struct lock_root {
	char *config;            /* configuration path relative to the lock's directory */
	char *arch;              /* deb arch: "amd64", "arm64" */
	struct path_list requests; /* requested package names, sorted */
};

struct lockfile {
	struct lock_pkg *pkgs;   size_t npkgs, alloc_pkgs;    /* sorted by (name, arch) */
	struct lock_root *roots; size_t nroots, alloc_roots;  /* sorted by (config, arch) */
};

#define LOCKFILE_INIT { NULL, 0, 0, NULL, 0, 0 }
#define KILN_LOCK_NAME "kiln.lock"

/* Reads a lock file into *ret (initialised by the call). -ENOENT if it does
 * not exist (err untouched); -EINVAL with "PATH:LINE: message" in err if it is
 * malformed. */
int lockfile_read(const char *path, struct lockfile *ret, struct strbuf *err);
/* Writes l (sorting it first) atomically to path. */
int lockfile_write(const char *path, struct lockfile *l);
/* The canonical text lockfile_write() writes (l sorted first). */
void lockfile_format(struct lockfile *l, struct strbuf *out);
void lockfile_release(struct lockfile *l);

/* Lookups (l must be sorted, as lockfile_read leaves it). NULL if absent. */
const struct lock_pkg *lockfile_find_pkg(const struct lockfile *l, const char *name,
					 const char *arch);
const struct lock_root *lockfile_find_root(const struct lockfile *l, const char *config,
					   const char *arch);
/* The package a root of arch asks for by name: (name, arch), else (name, "all"). */
const struct lock_pkg *lockfile_find_for_arch(const struct lockfile *l, const char *name,
					      const char *arch);
/* The package a "name:arch" dependency edge names. */
const struct lock_pkg *lockfile_find_edge(const struct lockfile *l, const char *edge);
/* qsort/bsearch comparator of struct lock_pkg by (name, arch). */
int lock_pkg_cmp(const void *a, const void *b);
/* Sorts packages and roots (and their lists) into canonical order. */
void lockfile_sort(struct lockfile *l);

/*
 * Resolves c's kernel and packages (and their Depends/Pre-Depends closure)
 * for c->deb_arch with apt in a private state under cache_dir/apt-<arch>/
 * (never the host's apt lists, cache or dpkg database) and writes
 * c->dir/kiln.lock, keeping the other configurations' roots. Without update,
 * packages already pinned keep their pins while the archive still has them
 * (locking twice gives the identical file); with update, the archive index is
 * refreshed and this configuration's closure re-resolved to current versions.
 * Roots whose configuration file no longer exists beside the lock, and
 * packages no root needs any more, are dropped. On success *ret_npkgs (may be
 * NULL) is the size of this configuration's closure. Errors go to err (one
 * line each); returns -errno / -1.
 */
int debian_lock(const struct kiln_config *c, const char *cache_dir, bool update,
		size_t *ret_npkgs, struct strbuf *err);

/* One realised package of a configuration's closure. */
struct deb_entry {
	char *name, *version, *arch;
	char *path;              /* logical store path of the unpacked .deb */
};

struct deb_set {
	struct deb_entry *v;     /* dependency order: each entry after its dependencies */
	size_t n, alloc;
};
#define DEB_SET_INIT { NULL, 0, 0 }
void deb_set_release(struct deb_set *set);
/* The entry for a package name (any arch), or NULL. */
const struct deb_entry *deb_set_find(const struct deb_set *set, const char *name);

/*
 * Realises the configuration's requested packages (kernel included) and their
 * locked dependency closure as store paths. A package's path is input-
 * addressed (derivation type "deb", name "<pkg>-<version>" with characters
 * outside the store-name alphabet mapped to '_', params arch/sha256/version,
 * inputs = its dependencies' paths), so a valid path costs no fetch and no
 * hashing. Otherwise the .deb is fetched into cache_dir/debs/<sha256>.deb,
 * its size and sha256 checked, and unpacked with refs = dependency paths.
 *
 * l may be NULL (no lock). Errors (one line in err):
 *   -ESTALE  "CONFIG:LINE: package 'x' is not in kiln.lock; run 'kiln lock CONFIG'"
 *   -ENOENT  "package 'x' version V (arch) is no longer in the archive; re-pin with
 *             'kiln lock --update CONFIG'" (a pinned .deb can no longer be fetched)
 *   -EBADMSG hash/size mismatch or a refused member (names package and member)
 * and other -errno for I/O failures. *ret is initialised by the call.
 */
int debian_realise(struct store *s, const struct kiln_config *c, const struct lockfile *l,
		   const char *cache_dir, struct deb_set *ret, struct strbuf *err);

/* The derivation name for a package ("busybox-static-1_1.35.0-4+b1"); caller frees. */
char *deb_store_name(const char *name, const char *version);

/*
 * deb.c: unpacks the data.tar member of the .deb at deb_path into the store
 * path `path` with refs (may be NULL), via a temporary inside the store.
 * If expect_sha256 (hex) is non-NULL the file's sha256 must match it before
 * anything is unpacked. Refuses absolute members, ".." components, writing
 * through or below a symlink, symlinks whose relative target escapes the
 * package, hardlinks to anything not already extracted, device nodes, FIFOs,
 * sockets, conflicting duplicates, truncated or malformed archives: then the
 * temporary is removed, nothing is registered, and err gets one line naming
 * pkg and the member. Returns 0 or -errno (-EBADMSG for refused input).
 */
int deb_unpack(struct store *s, const char *deb_path, const char *pkg,
	       const char *expect_sha256, const char *path, const struct path_list *refs,
	       struct strbuf *err);

#endif
