/*
 * image.h — everything a disk needs before lib/disk.c writes it, for one
 * configuration: its system (as `kiln build`), the bootloader from the same
 * lock, grub.cfg for generation 1, the closure and the disk plan. Shared by
 * `kiln image` and `kiln installer` (whose medium carries a target's disk
 * content too).
 */
#ifndef KILN_IMAGE_H
#define KILN_IMAGE_H

#include "compat.h"
#include "config.h"
#include "disk.h"
#include "store.h"
#include "strbuf.h"

struct image_build {
	struct kiln_config cfg;
	char *system;             /* system store path */
	char *bootloader;         /* bootloader store path */
	struct strbuf grub_cfg;   /* generation 1's grub.cfg */
	struct path_list closure; /* the system's closure, sorted */
	bool bios, uefi, aarch64;
	struct strbuf boot_img, core_img, efi; /* bootloader files (empty when unused) */
	const char *efi_name;     /* "EFI/BOOT/BOOTX64.EFI" or "…BOOTAA64.EFI" */
	uint64_t root_min;        /* bytes the root filesystem needs */
	struct disk_esp_file esp; /* the ESP's one file, for disk_content */
	const char *root_label;   /* the root's label (static); NULL = kiln-root */
};

/* Builds and gathers everything for config_path (firmware overrides the
 * configuration's when non-NULL). Prints its errors; returns 0 or the
 * command's exit code (2 bad configuration or usage, 3 a pinned package left
 * the archive, 1 anything else). */
int image_prepare(struct store *s, const char *config_path, const char *firmware,
		  struct image_build *ret);
/* image_prepare for a disk whose root is labelled root_label (a static
 * string; NULL = kiln-root): the bootloader's core images search it and
 * image_layout passes it on. `kiln installer` labels its medium so. */
int image_prepare_label(struct store *s, const char *config_path, const char *firmware,
			const char *root_label, struct image_build *ret);
void image_build_release(struct image_build *b);

/* The layout for b: size 0 = automatic (disk.size of the configuration when set). */
void image_layout(const struct image_build *b, uint64_t size, struct disk_layout *ret);

/* disk_write's content for b, reading from s (valid while b lives). */
void image_content(const struct image_build *b, const struct store *s, struct disk_content *ret);

/* The checks every command writing a disk makes before any work: --size
 * (NULL = automatic; *ret_size 0) parses, and an existing out is only
 * replaced with force. Prints the error; returns 0 or the exit code. */
int image_check_output(const char *out, bool force, const char *size, uint64_t *ret_size);

/* Prints "kiln: copying the closure: N%" lines (a disk_progress_fn; opaque: int, init -1). */
void image_progress(void *opaque, const char *phase, uint64_t done, uint64_t total);

/* One-line text file <system>/<name> without its newline, or NULL (caller frees). */
char *system_text(const struct store *s, const char *system, const char *name);
/* Target of the symlink <system>/<name>, or NULL (caller frees). */
char *system_link(const struct store *s, const char *system, const char *name);

#endif
