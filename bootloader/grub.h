/*
 * grub.h — GRUB for kiln images: core images, the BIOS boot sectors, and
 * grub.cfg with one menu entry per generation.
 *
 * Boot flow. The firmware loads a GRUB core image with every module it needs
 * embedded (no module is ever read from disk) and a small early config that
 * turns on the serial console, finds the root filesystem by its label
 * (kiln-root) and sets prefix=($root)/boot/grub; `normal` then reads
 * /boot/grub/grub.cfg from the root. Kernels and initrds are read straight
 * from their store paths on ext4: nothing is copied to the ESP.
 *   x86_64 BIOS: MBR = boot.img (patched, see lib/biosboot.h), core.img in the
 *                BIOS boot partition.
 *   x86_64 UEFI: EFI/BOOT/BOOTX64.EFI on the ESP.   aarch64: EFI/BOOT/BOOTAA64.EFI.
 * One x86_64 disk carries both, so it boots under SeaBIOS and OVMF alike.
 *
 * Modules come from a GRUB lib directory (…/usr/lib/grub, holding i386-pc/,
 * x86_64-efi/, arm64-efi/): the pinned grub-*-bin .debs' store paths, so the
 * bytes depend only on the lock. grub-mkimage (host, grub-common) assembles
 * them; its output is deterministic.
 */
#ifndef KILN_GRUB_H
#define KILN_GRUB_H

#include "compat.h"
#include "strbuf.h"

#define GRUB_ROOT_LABEL "kiln-root"

/* "i386-pc", "x86_64-efi" or "arm64-efi". */
enum grub_platform { GRUB_I386_PC, GRUB_X86_64_EFI, GRUB_ARM64_EFI };
const char *grub_platform_name(enum grub_platform p);
/* EFI removable-media file name for the platform ("BOOTX64.EFI"…), NULL for BIOS. */
const char *grub_efi_filename(enum grub_platform p);

/* The early config embedded in every core image (appended to out). */
void grub_early_config(enum grub_platform p, struct strbuf *out);

/* Runs grub-mkimage for p with modules from grub_lib_dir/<platform>/ and writes
 * the core image to out_path. On failure returns -1 with the reason in err. */
int grub_make_core(enum grub_platform p, const char *grub_lib_dir, const char *out_path,
		   struct strbuf *err);

/* One boot menu entry: a generation of the system. */
struct grub_entry {
	int generation;          /* N of system-N-link */
	const char *system;      /* system store path */
	const char *name;        /* system name, for the title */
	const char *kernel;      /* absolute path of the kernel on the root fs */
	const char *initrd;      /* absolute path of the initrd on the root fs */
	const char *params;      /* kernel parameters from the configuration */
};

struct grub_cfg_opts {
	int timeout;             /* seconds */
	bool serial;             /* serial console (always on x86_64/aarch64 images) */
};

/* grub.cfg text: entries in the given order, the first one the default. Each
 * entry passes root=LABEL=kiln-root kiln.system=<system> kiln.generation=<N>
 * and the entry's params. */
void grub_cfg_generate(const struct grub_entry *entries, size_t n,
		       const struct grub_cfg_opts *o, struct strbuf *out);

#endif
