/*
 * bootloader.h — the bootloader of a system as a store path of its own:
 * GRUB core images built from the pinned GRUB packages' modules.
 *
 *   <path>/boot.img            i386-pc MBR code (x86_64 with BIOS)
 *   <path>/core.img            i386-pc core for the BIOS boot partition
 *   <path>/EFI/BOOT/BOOTX64.EFI  or  BOOTAA64.EFI
 *
 * Input-addressed (derivation type "bootloader"): inputs are the GRUB
 * packages' store paths; params name the platforms, the early config and the
 * module list, and grub-mkimage's version. Built once, then reused.
 * root_label (the label the early config searches) is part of the early
 * config, so a medium's bootloader (GRUB_INSTALLER_LABEL) is a path of its
 * own, named grub-<arch>-<label>; the default (NULL) is the kiln-root one.
 */
#ifndef KILN_BOOTLOADER_H
#define KILN_BOOTLOADER_H

#include "compat.h"
#include "store.h"
#include "strbuf.h"

struct bootloader_spec {
	bool bios;                 /* i386-pc core + boot.img */
	bool uefi;                 /* EFI removable-media binary */
	bool aarch64;              /* arm64-efi instead of x86_64-efi */
	const char *pc_pkg;        /* store path of grub-pc-bin (bios) */
	const char *efi_pkg;       /* store path of grub-efi-amd64-bin / grub-efi-arm64-bin */
	const char *root_label;    /* root filesystem label to search; NULL = GRUB_ROOT_LABEL */
};

/* Realises the bootloader path for spec in s; *ret_path (caller frees). On
 * failure returns -1 with one line in err. */
int bootloader_realise(struct store *s, const struct bootloader_spec *spec, char **ret_path,
		       struct strbuf *err);

#endif
