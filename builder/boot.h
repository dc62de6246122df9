/*
 * boot.h — what a configuration needs to boot besides its system closure:
 * the initrd (a store path of its own, referenced by the system) and the
 * bootloader (GRUB core images, used by the disk writer, not in the closure).
 *
 * Packages kiln adds to every configuration's requests (boot_packages()):
 * e2fsck-static (stage 1 checks the root with it) and the GRUB module
 * packages for the firmware: grub-pc-bin (x86_64 bios/both),
 * grub-efi-amd64-bin (x86_64 uefi/both), grub-efi-arm64-bin (aarch64). They
 * are locked and pinned like every package.
 */
#ifndef KILN_BOOT_H
#define KILN_BOOT_H

#include "compat.h"
#include "config.h"
#include "debian.h"
#include "store.h"
#include "strbuf.h"

/* The implicit packages of c, NULL-terminated static strings. */
const char *const *boot_packages(const struct kiln_config *c);

/* SOURCE_DATE_EPOCH when set (and valid), else 1: every timestamp kiln writes. */
int64_t kiln_timestamp(void);

/* The static stage-1 init for arch: $KILN_INIT_DIR/init-<arch>, else
 * initrd/init-<arch> beside the kiln binary. Caller frees; NULL if absent. */
char *boot_init_binary(const char *arch);

/* The initrd of c (its kernel package's modules, the init, e2fsck) as a
 * store path holding one file; -1 with the reason in err. */
int boot_realise_initrd(struct store *s, const struct kiln_config *c, const struct deb_set *debs,
			char **ret_path, struct strbuf *err);

/* The bootloader path (bootloader/bootloader.h) for c's firmware. */
int boot_realise_bootloader(struct store *s, const struct kiln_config *c,
			    const struct deb_set *debs, char **ret_path, struct strbuf *err);
/* The same, its core images finding the root labelled root_label (NULL =
 * kiln-root, the path boot_realise_bootloader gives). */
int boot_realise_bootloader_label(struct store *s, const struct kiln_config *c,
				  const struct deb_set *debs, const char *root_label,
				  char **ret_path, struct strbuf *err);

#endif
