/*
 * etc.h — the system's generated /etc, made from the configuration alone.
 *
 * The tree is built in memory (struct etc_tree: relative paths, contents,
 * wanted modes), so `kiln build` can hash it into the system's derivation and
 * find that the system already exists without touching the disk; only a real
 * build writes it out (into <system>/etc, see system.h).
 *
 * What it holds (every file is generated unless a `files` entry replaces it):
 *   hostname hosts passwd group shadow fstab motd inittab profile shells
 *   timezone os-release resolv.conf (static dns, or -> /run/resolv.conf with
 *   dhcp) and kiln/: sysinit (stage-2 mounts, hostname, network), network-up,
 *   udhcpc.script, stage2-up (prints "kiln: NAME generation N up").
 * No secret ever lands here (the store is world-readable): shadow only holds
 * locked entries ("!"); password hashes are applied at install time.
 *
 * The store keeps only 0444/0555; the modes a file wants (shadow 0640, a
 * `files` entry's "0600") are listed by etc_tree_modes() for stage 1.
 */
#ifndef KILN_ETC_H
#define KILN_ETC_H

#include "compat.h"
#include "config.h"
#include "hash.h"
#include "strbuf.h"

#define KILN_OS_VERSION "0.1"

enum etc_type { ETC_FILE, ETC_SYMLINK };

struct etc_entry {
	char *path;              /* relative to etc/, e.g. "network/interfaces" */
	enum etc_type type;
	char *data;              /* file contents, or the symlink target (NUL-terminated) */
	size_t len;
	mode_t mode;             /* wanted permission bits of a file */
};

struct etc_tree {
	struct etc_entry *v;     /* kept sorted by path */
	size_t n, alloc;
};
#define ETC_TREE_INIT { NULL, 0, 0 }

void etc_tree_release(struct etc_tree *t);
/* Adds or replaces a file (data copied) / a symlink. */
void etc_tree_set_file(struct etc_tree *t, const char *path, const void *data, size_t len,
		       mode_t mode);
void etc_tree_set_symlink(struct etc_tree *t, const char *path, const char *target);
/* The entry at path, or NULL. */
const struct etc_entry *etc_tree_find(const struct etc_tree *t, const char *path);

/*
 * Generates the whole tree for c (files entries applied last, replacing
 * generated files; `source` files are read now). Everything but os-release,
 * which carries the system's own hash: see etc_add_os_release(). On failure
 * returns -1 with "FILE:LINE: KEY: message" lines in err; *ret is initialised.
 */
int etc_generate(const struct kiln_config *c, struct etc_tree *ret, struct strbuf *err);

/* Adds os-release (ID=kiln, VERSION_ID, BUILD_ID=build_id) unless a files
 * entry already provides it. */
void etc_add_os_release(const struct kiln_config *c, struct etc_tree *t, const char *build_id);

/* sha256 of a canonical serialisation (paths, types, modes, contents). */
void etc_tree_hash(const struct etc_tree *t, uint8_t ret[SHA256_LEN]);

/* Writes the tree below dir (created; must not exist yet). */
int etc_tree_write(const struct etc_tree *t, const char *dir);

/* One line "MODE PATH" (octal, path under /etc) for every file whose wanted
 * mode, write bits aside, is not what the store keeps (0444, or 0555 when
 * owner-executable): shadow 0640, a files entry "0600", setuid bits. */
void etc_tree_modes(const struct etc_tree *t, struct strbuf *out);

/* Pieces of etc_generate, exposed for tests: the inittab, and passwd/group. */
void etc_inittab(const struct kiln_config *c, struct strbuf *out);
void etc_passwd(const struct kiln_config *c, struct strbuf *passwd, struct strbuf *group,
		struct strbuf *shadow);

#endif
