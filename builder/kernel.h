/*
 * kernel.h — the slim kernel: a store path holding the kernel image and only
 * the modules the system needs, so the system's closure carries neither the
 * whole linux-image package (every module, ~100 MB) nor its Depends
 * (initramfs-tools, kmod, udev, libc…), which only its maintainer scripts use.
 *
 * Layout of the path (no references: everything is copied into it):
 *   boot/vmlinuz-<kver>                     the package's kernel image, copied
 *   boot/config-<kver>                      its configuration, when shipped
 *   lib/modules/<kver>/kernel/...ko         the selected modules (as shipped)
 *   lib/modules/<kver>/modules.dep          "kernel/a.ko: kernel/b.ko ...", every
 *                                           module with its full dependency list,
 *                                           deepest last (load them reversed), as
 *                                           depmod writes it; busybox and kmod
 *                                           modprobe read it
 *   lib/modules/<kver>/modules.order        the package's order, selected lines
 *   lib/modules/<kver>/modules.builtin{,.modinfo}  copied when shipped
 *
 * Which modules: kmod_default_names (initrd/modules.h) as optional requests
 * plus boot.modules as explicit ones, with their dependencies read from the
 * modules' .modinfo — the same set the initrd carries.
 *
 * The derivation: type "kernel", name "linux-<kver>", input = the kernel
 * package's store path; params = format, modules (boot.modules joined by
 * ','), default-modules.
 */
#ifndef KILN_KERNEL_H
#define KILN_KERNEL_H

#include "compat.h"
#include "config.h"
#include "debian.h"
#include "store.h"
#include "strbuf.h"

/* The one "vmlinuz-<kver>" in real/boot (the bytewise greatest when a package
 * ships several), or -ENOENT; *ret_kver is the caller's to free. */
int kernel_find_vmlinuz(const char *real, char **ret_kver);

/* The package of boot.kernel's closure shipping boot/vmlinuz-*: the one
 * nearest boot.kernel, i.e. the last in debs' dependency order (searched from
 * there: a couple of directory lookups, not one per package of the
 * closure), or NULL with the reason in err. */
const struct deb_entry *kernel_package(const struct store *s, const struct kiln_config *c,
				       const struct deb_set *debs, struct strbuf *err);

/*
 * Builds (or finds valid) the slim kernel path of c in s: *ret_path (caller
 * frees). -1 with one line in err (no kernel package, a module that is
 * neither a module nor built in, I/O); nothing is left behind on failure.
 */
int kernel_realise(struct store *s, const struct kiln_config *c, const struct deb_set *debs,
		   char **ret_path, struct strbuf *err);

#endif
