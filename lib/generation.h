/*
 * generation.h — the generations of a kiln root, edited in place: on an
 * image (or disk) through lib/ext4 with no mount, or on the running
 * machine's own root directory through plain file calls. One code path for
 * `kiln switch/generations/rollback/gc --image` on the host and for the
 * target's `kiln-generation` tool.
 *
 * What a root holds (lib/disk.h writes generation 1):
 *   /kiln/store/<paths>                  immutable
 *   /kiln/var/db/registry                which paths are valid (store.c format)
 *   /kiln/var/profiles/system-N-link     -> <system path>, one per generation
 *   /kiln/var/profiles/system            -> system-N-link: the default
 *   /boot/grub/grub.cfg                  one entry per generation, newest first
 *   /boot/grub/grubenv                   GRUB's 1024-byte environment block
 *                                        (boot counting, boot-once; grub.h)
 *
 * Crash safety of gen_add (each step is made durable — ext4_flush, or fsync —
 * before the next; KILN_TEST_CRASH=<point> kills the process after it):
 *   1. copy the store paths the root lacks          "gen-copied"
 *   2. replace the registry (old records + new)     "gen-registered"
 *   3. create system-(N+1)-link; grubenv gets the   "gen-linked"
 *      trial's budget (inert: no menu names it yet)
 *   4. replace `system` -> system-(N+1)-link        "gen-committed"  (commit)
 *   5. rewrite grub.cfg                             "gen-done"
 * (--boot-once: 1-3, then grub.cfg with the entry "gen-menu", then grubenv's
 * kiln_once "gen-done"; the default never changes.)
 * Until step 4 the old generation is the default and everything written is
 * unreferenced; after it the new one is complete. Stage 1 boots what the
 * GRUB entry names, so a crash between 4 and 5 still boots the old
 * generation; every later edit (and gen_sync_boot) rewrites grub.cfg from
 * the profiles, so the boot menu converges to the `system` link. Copied but
 * unregistered paths (a crash in 1) are removed before the next copy or by
 * gc. Within a step, libext2fs does not journal: a kill there can leave
 * bitmaps for e2fsck -p (stage 1 runs it) but never a wrong link.
 * On an image each file a step replaces (registry, grubenv, `system`,
 * grub.cfg) is staged under a temporary name in the step before, so the
 * step's one sync covers both (ext4.h, ext4_stage_file); a crash can leave
 * such names, which the next writable open removes.
 *
 * Nothing here prints. Errors are -errno; notable ones:
 *   -EMEDIUMTYPE  not a kiln image/root (no GPT, no kiln-root, no profiles)
 *   -ENOEXEC      the system is for another architecture than the image
 *   -EBUSY        deleting the default (or booted) generation
 *   -ESRCH        rollback with no older generation; no such generation
 */
#ifndef KILN_GENERATION_H
#define KILN_GENERATION_H

#include "compat.h"
#include "store.h"
#include "strbuf.h"

#define GEN_PROFILES "/kiln/var/profiles"
#define GEN_REGISTRY "/kiln/var/db/registry"
#define GEN_GRUB_CFG "/boot/grub/grub.cfg"
#define GEN_GRUBENV "/boot/grub/grubenv"
#define GEN_GRUBENV_SIZE 1024
#define GEN_DEFAULT_TRIES 3

struct ext4;

/* An open root: an image's root partition, or a directory. */
struct gen_root {
	int fd;                   /* the image (-1 for a directory root) */
	struct ext4 *fs;          /* NULL for a directory root */
	char *dir;                /* directory root ("/" on the target), else NULL */
	char arch[16];            /* "x86_64"/"aarch64": partition type, or uname */
	uint64_t root_offset;
	bool writable;
};

/* Opens the root partition of the image at fd: the GPT partition named
 * kiln-root (or of a Linux root type), ext4, holding the profiles. Writable
 * roots stamp timestamp (>= 1) on what they change. */
int gen_root_open_image(int fd, bool writable, int64_t timestamp, struct gen_root *ret);
/* A root that is a mounted directory (e.g. "/" on the running machine). */
int gen_root_open_dir(const char *dir, const char *arch, struct gen_root *ret);
/* Flushes (ext4) and releases; returns the first error. */
int gen_root_close(struct gen_root *r);

struct generation {
	int number;
	char *system;             /* logical system path */
	char *name;               /* <system>/name ("?" when unreadable) */
	char *kernel_version;     /* <system>/kernel-version ("?" when unreadable) */
	char *kernel, *initrd;    /* link targets of <system>/kernel, initrd (or NULL) */
	char *params;             /* <system>/kernel-params ("" when absent) */
	bool is_default;
};

struct gen_list {
	struct generation *v;     /* ascending by number */
	size_t n;
	int current;              /* number of the default, 0 when none */
	int timeout;              /* GRUB menu timeout read from grub.cfg (default 1) */
};

/* Lists the generations (system-N-link entries) and the default. */
int gen_list(struct gen_root *r, struct gen_list *ret);
void gen_list_release(struct gen_list *l);
/* The entry with number n, or NULL. */
const struct generation *gen_find(const struct gen_list *l, int n);

/* The boot state kept in GRUB's environment block (see bootloader/grub.h). */
struct gen_bootenv {
	char once[16];            /* kiln_once: "gen-N" to boot one time, "" */
	char tries_gen[16];       /* kiln_tries_gen: the trial being counted */
	int tries;                /* kiln_tries (-1 when unset) */
	char ok[16];              /* kiln_ok: the trial that booted good */
	char good[16];            /* kiln_good: where the trial falls back */
};
/* Parses a grubenv block (unknown variables are ignored); -EBADMSG when it
 * is not one. */
int gen_bootenv_parse(const char *data, size_t len, struct gen_bootenv *ret);
/* The 1024-byte block for env (padding '#', as grub-editenv writes). */
void gen_bootenv_format(const struct gen_bootenv *env, struct strbuf *out);
int gen_bootenv_read(struct gen_root *r, struct gen_bootenv *ret);
int gen_bootenv_write(struct gen_root *r, const struct gen_bootenv *env);

/* What a boot menu is made of: the generations, newest first, and the
 * trial state. The caller (builder/, the target tool) turns it into grub.cfg
 * text; lib/ does not know GRUB's syntax. */
struct gen_boot_menu {
	const struct gen_list *list;
	int default_gen;          /* boots by default */
	int trial_gen;            /* on trial (boot counting), 0 = none */
	int good_gen;             /* where an exhausted trial falls back */
	int tries;
};
typedef int gen_menu_fn(void *opaque, const struct gen_boot_menu *m, struct strbuf *out);

/* How a change is made and reported. */
struct gen_ops {
	gen_menu_fn *menu;        /* required for every edit */
	void *opaque;
	int tries;                /* boot budget of a new default; 0: GEN_DEFAULT_TRIES */
};

struct gen_add_result {
	int number;               /* the new generation */
	size_t paths_copied;
	uint64_t bytes_copied;    /* NAR bytes of the copied paths */
	uint64_t bytes_written;   /* bytes written into the image (ext4 roots) */
};

/* Adds system (valid in src, of the root's arch) as generation N+1: copies
 * the paths of its closure the root lacks, registers them, links it. With
 * boot_once, the default stays and the new generation boots once (kiln_once);
 * otherwise it becomes the default on trial (boot counting). */
int gen_add(struct gen_root *r, const struct store *src, const char *system, bool boot_once,
	    const struct gen_ops *ops, struct gen_add_result *ret);

/* Makes generation n the default (no trial: it booted before). n = 0: the
 * newest generation older than the default (-ESRCH when none). *ret_n (may
 * be NULL) is the new default. */
int gen_set_default(struct gen_root *r, int n, const struct gen_ops *ops, int *ret_n);

/* Boots generation n the next time only (kiln_once), default unchanged. */
int gen_boot_once(struct gen_root *r, int n);

/* Removes the profile links of the numbers given (-EBUSY for the default,
 * -ESRCH for one that does not exist; nothing is removed then), or with
 * keep > 0 every generation but the newest `keep` and the default. */
int gen_delete(struct gen_root *r, const int *numbers, size_t n, size_t keep,
	       const struct gen_ops *ops, size_t *ret_deleted);

/* Deletes store paths unreachable from every remaining generation: first the
 * registry is rewritten without them, then they are removed (a crash in
 * between leaves unregistered leftovers, which the next gc removes). */
int gen_gc(struct gen_root *r, size_t *ret_paths, uint64_t *ret_bytes);

/* Rewrites grub.cfg from the profiles (repairs an interrupted edit). */
int gen_sync_boot(struct gen_root *r, const struct gen_ops *ops);

/* Loads the root's registry as an in-memory store (store_load_registry). */
int gen_load_registry(struct gen_root *r, struct store *ret);

/* Reads a one-line file of a system inside the root (newline dropped). */
int gen_system_text(struct gen_root *r, const char *system, const char *file, char **ret);

/* Plain reads of a root, for readers beside this module (lib/verify.c):
 * a file's contents (symlinks followed); whether path exists (lstat); the
 * sorted names in a directory (caller frees each and the array); the NAR
 * hash and size of a path (through libext2fs for an image). */
int gen_root_read(struct gen_root *r, const char *path, struct strbuf *out);
bool gen_root_exists(struct gen_root *r, const char *path);
int gen_root_list(struct gen_root *r, const char *path, char ***ret_names, size_t *ret_n);
int gen_root_nar_hash(struct gen_root *r, const char *path, uint8_t ret_hash[SHA256_LEN],
		      uint64_t *ret_size);

#endif
