/*
 * system.h — the system closure: the top-level store path of one machine.
 *
 * Layout of <system> (an input-addressed store path; etc/ lives inside it,
 * the merged package tree is a path of its own — NixOS's system-path — so
 * a switch that changes only the configuration, a hostname, copies a few
 * files and not hundreds of links):
 *   sw                -> <sw>: the merged package tree (see sw_merge), the
 *                     store path "<hash>-sw": derivation type "sw", inputs =
 *                     the merged packages, params = format and sw.prefer;
 *                     its references are its inputs
 *   etc/              generated from the configuration (etc.h)
 *   etc-modes         "MODE /etc/PATH" for files whose wanted mode the store
 *                     cannot keep (shadow 0640, files entries like "0600")
 *   init              -> sw/sbin/init (busybox init; argv[0] stays "…/init")
 *   kernel            -> <kernel>/boot/vmlinuz-<kver>
 *   kernel-modules    -> <kernel>/lib/modules/<kver> (if it has modules)
 *                     <kernel>: spec.kernel, else the kernel package; `kiln
 *                     build` passes the slim kernel (kernel.h: the image and
 *                     only the modules the system needs, no references)
 *   kernel-version    "<kver>\n"
 *   kernel-params     boot.params joined by spaces, "\n"
 *   initrd            -> the initrd store path, when one is given (issue 3)
 *   arch              "x86_64\n" / "aarch64\n"
 *   name              "<system.name>\n"
 *   packages          "name version arch path" per package in the closure, by name
 *   closure           "<path> sha256:<base32> <nar size>" for every path of the
 *                     closure except the system itself, sorted by path
 *
 * The derivation: type "system", name "<system.name>-system", inputs = the sw
 * path, the kernel path and the initrd; params = format, name, arch,
 * kernel version and params, os.version and the hash of the
 * generated etc tree (etc_tree_hash, taken before os-release gets BUILD_ID =
 * the system's own hash part). References of the path = its inputs.
 *
 * Which packages: sw holds the closure (Depends edges, through the packages'
 * store references) of `packages`, plus kiln-generation's path (imagegen.h:
 * sw/bin/kiln-generation on every system); the kernel package's closure is
 * referenced through the kernel path only, and none of it is merged into sw
 * unless `packages` needs it too.
 */
#ifndef KILN_SYSTEM_H
#define KILN_SYSTEM_H

#include "compat.h"
#include "config.h"
#include "debian.h"
#include "store.h"
#include "storepath.h"
#include "strbuf.h"

/* One package tree to merge into sw. */
struct sw_pkg {
	const char *name;        /* Debian package name (for errors and sw.prefer) */
	const char *path;        /* logical store path: what the links point at */
	const char *real;        /* its real directory on this machine */
};

/* A link to make only where no package provides the path (busybox applets). */
struct sw_fallback {
	char *rel;               /* "bin/ls" */
	char *target;            /* absolute link target */
};

struct sw_fallbacks {
	struct sw_fallback *v;
	size_t n, alloc;
};
#define SW_FALLBACKS_INIT { NULL, 0, 0 }
void sw_fallbacks_add(struct sw_fallbacks *f, const char *rel, const char *target);
void sw_fallbacks_release(struct sw_fallbacks *f);

/*
 * Merges the package trees into out_dir (created), as Nix's buildEnv does:
 * real directories, and for each file a symlink to "<path>/<rel>"; symlinks a
 * package ships are copied with their target verbatim. Every top-level
 * directory is merged except boot/ (the kernel is <system>/kernel) and the
 * documentation (usr/share/{doc,man,info,lintian}).
 * Two packages providing the same non-directory path (a file, or a file
 * against a directory) is an error naming both and the path, unless their
 * contents are identical (same symlink target, same bytes and x bit) or one
 * of them is in prefer (the first listed wins). Fallbacks fill paths no
 * package provides. Returns 0, or -1 with one line per conflict in err, or
 * -errno on I/O errors.
 */
int sw_merge(const struct sw_pkg *pkgs, size_t n, const struct cfg_strlist *prefer,
	     const struct sw_fallbacks *fallbacks, const char *out_dir, struct strbuf *err);

/*
 * The applets of the busybox binary at real_bin as fallbacks pointing at
 * target: its logical path, or a path relative to the sw root ("bin/busybox"),
 * in which case each link is made relative to where it lands ("busybox",
 * "../bin/busybox", "../../bin/busybox"). Relative links stay under ext4's
 * 60-byte fast-symlink limit, so a system's ~300 applets cost no data blocks
 * (absolute /kiln/store/… targets took one 4 KiB block each, 1.2 MiB per
 * system, most of what a hostname-only switch wrote). Runs `busybox --list-full` (through
 * qemu-aarch64/qemu-x86_64 from qemu-user when the binary's ELF machine is
 * not the host's) and keeps bin/, sbin/, usr/bin/ and usr/sbin/ entries.
 * -1 with the reason in err when it cannot be run.
 */
int busybox_applets(const char *real_bin, const char *target, struct sw_fallbacks *ret,
		    struct strbuf *err);

/* What a system is made of. */
struct system_spec {
	const struct kiln_config *cfg;
	const struct deb_set *debs;  /* debian_realise() of cfg */
	const char *kernel;          /* optional store path holding boot/vmlinuz-<kver> (and
					lib/modules/<kver>) replacing the kernel package, e.g.
					a slimmed kernel; NULL = the package's own */
	const char *initrd;          /* optional initrd store path, linked as `initrd` */
};

/*
 * Builds (or finds valid) the system path of spec in s: *ret_path (caller
 * frees). When the path is already valid nothing is written or hashed.
 * Errors: -1 with one line per problem in err (conflicts, no kernel, no
 * /sbin/init…), or -errno with a line in err.
 */
int system_build(struct store *s, const struct system_spec *spec, char **ret_path,
		 struct strbuf *err);

/*
 * The whole of `kiln build CONFIG` short of printing: loads the
 * configuration, reads <dir>/kiln.lock, realises the packages and builds the
 * system. initrd: a store path to use as the initrd, or NULL to make the
 * configuration's own with boot_realise_initrd() (boot.h). Prints its errors
 * (builder code); returns 0 or the command's exit code: 2 bad configuration
 * or a lock that is malformed or lacks a package the configuration asks for
 * (as `kiln fetch`), 3 a pinned package is no longer in the archive, 1
 * anything else (no kiln.lock at all, conflicts, I/O). On
 * success *ret_cfg (may be NULL) holds the configuration (caller releases).
 */
int system_build_config(struct store *s, const char *config_path, const char *initrd,
			struct kiln_config *ret_cfg, char **ret_path);

#endif
