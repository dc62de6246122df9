/*
 * grub.h — GRUB for kiln images: core images, the BIOS boot sectors, and
 * grub.cfg with one menu entry per generation.
 *
 * Boot flow. The firmware loads a GRUB core image with every module it needs
 * embedded (no module is ever read from disk) and a small early config that
 * turns on the serial console, finds the root filesystem by its label
 * (kiln-root; kiln-installer on an installer medium) and sets prefix=($root)/boot/grub; `normal` then reads
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
/* The root label of installer media (`kiln installer`), never a target's. */
#define GRUB_INSTALLER_LABEL "kiln-installer"

/* "i386-pc", "x86_64-efi" or "arm64-efi". */
enum grub_platform { GRUB_I386_PC, GRUB_X86_64_EFI, GRUB_ARM64_EFI };
const char *grub_platform_name(enum grub_platform p);
/* EFI removable-media file name for the platform ("BOOTX64.EFI"…), NULL for BIOS. */
const char *grub_efi_filename(enum grub_platform p);

/* The early config embedded in every core image (appended to out): it
 * finds the root filesystem labelled GRUB_ROOT_LABEL. */
void grub_early_config(enum grub_platform p, struct strbuf *out);
/* The same, finding the root labelled root_label (NULL = GRUB_ROOT_LABEL).
 * An installer medium's root has a label of its own (GRUB_INSTALLER_LABEL)
 * so that its core images never find a target disk's kiln-root instead. */
void grub_early_config_label(enum grub_platform p, const char *root_label, struct strbuf *out);

/* The modules grub-mkimage embeds in p's core image (at most max, in
 * order, static strings): part of the bootloader's derivation, so that a
 * changed list gives a new store path. */
#define GRUB_MAX_CORE_MODULES 32
size_t grub_core_modules(enum grub_platform p, const char **ret, size_t max);

/* Runs grub-mkimage for p with modules from grub_lib_dir/<platform>/ and writes
 * the core image to out_path. On failure returns -1 with the reason in err. */
int grub_make_core(enum grub_platform p, const char *grub_lib_dir, const char *out_path,
		   struct strbuf *err);
/* grub_make_core whose early config searches root_label (NULL = GRUB_ROOT_LABEL). */
int grub_make_core_label(enum grub_platform p, const char *root_label, const char *grub_lib_dir,
			 const char *out_path, struct strbuf *err);

/* One boot menu entry: a generation of the system. */
struct grub_entry {
	int generation;          /* N of system-N-link */
	const char *system;      /* system store path */
	const char *name;        /* system name, for the title */
	const char *kernel;      /* absolute path of the kernel on the root fs */
	const char *initrd;      /* absolute path of the initrd on the root fs */
	const char *params;      /* kernel parameters from the configuration */
};

/*
 * Boot-once and boot counting (issue 4). State lives in GRUB's environment
 * block /boot/grub/grubenv on the root (1024 bytes, lib/generation.c writes
 * it; GRUB's save_env rewrites it in place). The root rather than the ESP:
 * GRUB finds it as $prefix/grubenv under every firmware (the BIOS core image
 * carries no FAT driver), ext4 does not checksum file data so save_env's
 * in-place write through the file's blocks is safe, and the running system
 * edits it as an ordinary file. Variables:
 *   kiln_once       gen-N to boot one time; GRUB clears it before booting it
 *   kiln_tries_gen  the generation on trial;  kiln_tries  attempts left
 *   kiln_ok         the trial that reached stage 2 (`kiln-generation mark-good`)
 *   kiln_good       where the trial falls back (kept for the host's rewrites)
 * grub.cfg names the trial (trial_gen) only while the default is on trial.
 * Each boot, in order:
 *   1. kiln_once set       -> boot it, clear it (a trial attempt is not used)
 *   2. trial, kiln_ok != trial:
 *        kiln_tries_gen != trial -> start the budget (tries)
 *        kiln_tries > 0          -> decrement, save, boot the trial
 *        kiln_tries = 0          -> boot good_gen with kiln.fallback=<trial>
 *   3. otherwise           -> boot the default
 * The transitions: `kiln switch` makes the new generation the default with
 * kiln_tries_gen=it, kiln_tries=tries, kiln_good=old default (TRIAL);
 * stage 2 of the trial runs `kiln-generation mark-good`, which sets
 * kiln_ok=it (GOOD: no more counting); a trial that never gets there spends
 * its budget and every later boot falls back (FELL BACK), where stage 2
 * sees kiln.fallback=N on its command line, says so, and makes good_gen the
 * default again (rollback: no trial, nothing counted). `kiln rollback` and
 * `kiln generations --boot-once N` are the host's ways to the same states.
 */
struct grub_cfg_opts {
	int timeout;             /* seconds */
	bool serial;             /* serial console (always on kiln images; a no-op on arm64-efi) */
	/* generations (all zero: the first entry is the default, no grubenv) */
	int default_gen;         /* boot gen-N by default; 0 = the first entry */
	bool bootenv;            /* honour grubenv: boot-once and boot counting */
	int trial_gen;           /* the default on trial, 0 = none */
	int good_gen;            /* where an exhausted trial falls back */
	int tries;               /* the trial's budget (1..9) */
};

/* grub.cfg text: entries in the given order, the first one the default
 * unless o->default_gen says otherwise. Each entry passes
 * root=LABEL=kiln-root kiln.system=<system> kiln.generation=<N>, the
 * entry's params and $kiln_extra (kiln.fallback=N after a fallback). */
void grub_cfg_generate(const struct grub_entry *entries, size_t n,
		       const struct grub_cfg_opts *o, struct strbuf *out);

struct gen_boot_menu;
/* A gen_menu_fn (lib/generation.h): grub.cfg for every generation, newest
 * first, with grubenv handling. opaque may be NULL or a struct grub_cfg_opts
 * whose serial field is used. Generations without a kernel or initrd are
 * left out of the menu. */
int grub_menu_for_generations(void *opaque, const struct gen_boot_menu *m, struct strbuf *out);

#endif
