/*
 * init.h — kiln's stage-1 init (PID 1 in the initrd), shared between its
 * files:
 *   init.c             main: mounts, the boot flow, switch_root, fatal
 *   init-cmdline.c     kernel command line (pure, unit-tested on the host)
 *   init-modules.c     loading the initrd's modules with finit_module
 *   init-root.c        finding the root through libblkid, e2fsck, mount
 *   init-generation.c  linking the active generation inside the new root
 *                      (pure file operations, unit-tested on the host)
 *
 * Everything the init prints is a "kiln-init: ..." line on the console.
 * Helpers return 0 or -errno and explain failures in a strbuf; only init.c
 * decides what is fatal.
 */
#ifndef KILN_INIT_H
#define KILN_INIT_H

#include "compat.h"
#include "strbuf.h"

/* ---- init-cmdline.c ---- */

#define KILN_DEFAULT_ROOT "LABEL=kiln-root"
#define KILN_DEFAULT_ROOT_TIMEOUT 30

struct boot_args {
	char *system;            /* kiln.system=/kiln/store/<hash>-<name> (NULL if absent) */
	char *root;              /* root=..., default KILN_DEFAULT_ROOT */
	char **modules;          /* kiln.modules=a,b (extra modules to load) */
	size_t nmodules;
	unsigned root_timeout;   /* kiln.roottimeout=N seconds, default 30 */
	bool fsck;               /* false with kiln.fsck=0 or fsck.mode=skip */
	char *mode;              /* kiln.mode=... (default "boot") */
};

/*
 * Splits the next parameter off *p as the kernel does (whitespace separates,
 * double quotes group and are removed): key and value (NULL for a bare
 * word), both malloc'd. Returns 1, or 0 at the end or at "--".
 */
int cmdline_next(const char **p, char **ret_key, char **ret_value);

/* Parses a whole command line. Bad values (-EINVAL) are named in err. */
int boot_args_parse(const char *cmdline, struct boot_args *ret, struct strbuf *err);
void boot_args_release(struct boot_args *a);

enum root_kind { ROOT_LABEL, ROOT_UUID, ROOT_PARTLABEL, ROOT_PARTUUID, ROOT_PATH };

struct root_spec {
	enum root_kind kind;
	const char *value;       /* points into the string given to root_spec_parse */
};

/* "LABEL=x", "UUID=x", "PARTLABEL=x", "PARTUUID=x" or "/dev/...": 0 or -EINVAL. */
int root_spec_parse(const char *s, struct root_spec *ret);

/* Is path a store path of a system: /kiln/store/<name> with a single
 * component, no "..", no trailing "/"? */
bool system_path_ok(const char *path);

/* ---- init-generation.c (paths are host paths; sysroot is the new root) ---- */

/* The top-level links, in order: bin sbin lib lib64 usr. */
extern const char *const gen_toplevel[];
extern const size_t gen_toplevel_count;

/* Checks that sysroot holds the system and its executable init. */
int gen_check_system(const char *sysroot, const char *system, struct strbuf *err);

/* run_dir/current-system -> system (replacing an older link). */
int gen_link_current(const char *run_dir, const char *system, struct strbuf *err);

/*
 * sysroot/{bin,sbin,lib,lib64,usr} -> /run/current-system/sw/... Existing
 * symlinks and empty directories are replaced; anything else in the way is
 * an error (-EEXIST/-ENOTEMPTY) naming it.
 */
int gen_link_toplevel(const char *sysroot, struct strbuf *err);

/*
 * Makes sysroot/etc a real directory tree mirroring <system>/etc: its
 * directories become directories, every other entry a symlink to
 * /run/current-system/etc/<same path>. Links left by an older generation
 * that the new one lacks are removed; local files are kept (one line each
 * in log). See init-generation.c for why.
 */
int gen_populate_etc(const char *sysroot, const char *system, struct strbuf *log, struct strbuf *err);

/* ---- init.c ---- */

/* "kiln-init: <message>" on the console. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kiln-init: FATAL: <reason>", then power off after 10 s. Never returns. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Seconds since boot, for the log lines. */
double uptime_s(void);

/* ---- init-modules.c ---- */

/* Loads each module listed in load_order (a file), then the extra ones by
 * name (found below /lib/modules). Failures are printed, not fatal. */
void modules_load(const char *load_order, char *const *extra, size_t nextra);

/* ---- init-root.c ---- */

/*
 * Waits up to timeout seconds for the root device, printing what it waits
 * for; on success *ret_dev is its /dev path and *ret_type its filesystem
 * (both malloc'd). -ETIMEDOUT with what was seen in err.
 */
int root_find(const char *spec, unsigned timeout, char **ret_dev, char **ret_type, struct strbuf *err);

/* Runs /sbin/e2fsck -p on dev if the initrd carries it; fatal when the
 * filesystem cannot be repaired, reboots when e2fsck asks for it. */
void root_check(const char *dev, const char *type);

/* Mounts dev (of type) read-write on dir; -errno with a reason in err. */
int root_mount(const char *dev, const char *type, const char *dir, struct strbuf *err);

#endif
