/*
 * disk.h — kiln's disk writer: a whole bootable disk written into a file
 * descriptor. `kiln image` runs it on an image file; the installer runs the
 * same code on a block device. No root, no loop device, no mount.
 *
 * Layout (GPT, partitions aligned to 1 MiB, sizes in bytes):
 *   1  BIOS boot   1 MiB   x86_64 only: GRUB's core.img
 *   2  ESP        32 MiB   FAT: EFI/BOOT/BOOT{X64,AA64}.EFI
 *   3  root                ext4, label kiln-root: the store, profiles, grub.cfg
 *                          (an installer medium: layout->root_label, its own)
 *                          (journal 4 MiB under 256 MiB, else ext4.h's 16 MiB)
 *   4  data                optional ext4 (disk.data), kept by reinstall/recovery
 * (without the BIOS boot partition the ESP is number 1 and so on.)
 *
 * The root holds /kiln/store/<paths> (the closure), the registration in
 * /kiln/var/db/registry (lib/store.c's format, so the booted system and
 * `kiln switch` open it with store_open()), /kiln/var/profiles/system-1-link
 * -> <system>, system -> system-1-link, /boot/grub/grub.cfg, and empty /var
 * /home /root /tmp /run /proc /sys /dev /mnt /etc.
 *
 * Write order is the crash-safety argument for the installer: partition
 * table, root filesystem (fully flushed), ESP, and the BIOS boot sectors
 * last, so an interrupted write never leaves a disk whose boot code points at
 * half a system.
 *
 * Every GUID, UUID, hash seed and timestamp derives from layout->seed (the
 * system path) and the timestamp: same inputs, same bytes.
 */
#ifndef KILN_DISK_H
#define KILN_DISK_H

#include "compat.h"
#include "gpt.h"
#include "store.h"

#define DISK_BIOS_SIZE (UINT64_C(1) << 20)
#define DISK_ESP_SIZE (UINT64_C(32) << 20)
#define DISK_ROOT_LABEL "kiln-root"
#define DISK_LABEL_MAX 16         /* ext4's volume name */

struct disk_layout {
	uint64_t size;            /* whole disk; 0 = minimal size for root_min */
	uint64_t root_min;        /* bytes the root filesystem needs at least */
	bool bios;                /* a BIOS boot partition (x86_64) */
	bool aarch64;             /* root partition type: aarch64 root, else x86-64 root */
	bool has_data;
	uint64_t data_size;       /* 0 = everything after root */
	const char *data_label;
	const char *seed;         /* GUIDs, UUIDs, hash seeds derive from it */
	/* The root filesystem's label and GPT partition name; NULL = DISK_ROOT_LABEL.
	 * An installer medium takes one of its own, so a target's kiln-root is
	 * never mistaken for it. At most DISK_LABEL_MAX bytes. */
	const char *root_label;
};

struct disk_part {
	int number;               /* GPT partition number, 0 when absent */
	uint64_t offset, size;
};

struct disk_plan {
	uint64_t size;
	struct disk_part bios, esp, root, data;
	struct gpt_disk gpt;
	uint8_t root_uuid[16], root_hash_seed[16], data_uuid[16];
	uint32_t esp_volume_id;
	bool keep_data;           /* disk_plan_keep_data: disk_write leaves data's bytes alone */
	char root_label[DISK_LABEL_MAX + 1]; /* the root's label (layout->root_label or the default) */
};

/* Places the partitions. Without data the root takes the rest of the disk;
 * with data and data_size 0, root gets root_min plus headroom and data the
 * rest. -ENOSPC when layout->size is too small: *ret_needed (may be NULL)
 * then says how many bytes the disk needs; -EINVAL for an empty root_label
 * or one longer than DISK_LABEL_MAX. */
int disk_plan_make(const struct disk_layout *l, struct disk_plan *ret, uint64_t *ret_needed);

/* Recovery: plans the disk around an existing data partition `keep` (from
 * gpt_read of this disk, l->size its size), kept at its exact offset, size,
 * type, GUID and name as the partition after root; root fills the space
 * between the ESP and it, and disk_write leaves its bytes alone. Nothing
 * is written here. -EEXIST when the BIOS boot partition, ESP and root_min would
 * overlap it (then *ret_needed is the offset it would have to start at),
 * -EINVAL when it is not 1 MiB aligned or lies outside the disk. */
int disk_plan_keep_data(const struct disk_layout *l, const struct gpt_part *keep,
			struct disk_plan *ret, uint64_t *ret_needed);

/* The root filesystem size a closure needs: its files rounded to blocks,
 * inodes, journal and metadata, plus free space for new generations. */
uint64_t disk_root_size_for(uint64_t content_bytes, uint64_t nfiles);

struct disk_esp_file {
	const char *path;         /* "EFI/BOOT/BOOTX64.EFI" */
	const void *data;
	size_t len;
};

struct disk_content {
	const char *system;       /* logical system path, generation 1 */
	const struct store *src;  /* the store the closure is copied from */
	const struct path_list *closure; /* logical paths, sorted */
	const char *grub_cfg;
	const void *boot_img;     /* 512 bytes; with core_img, NULL when !bios */
	const void *core_img;
	size_t core_len;
	const struct disk_esp_file *esp_files;
	size_t nesp_files;
	int64_t timestamp;        /* every time stamp in every filesystem */
	/* Extra files written into the root after grub.cfg (the installer
	 * medium's kiln/installer/manifest): absolute paths, mode 0644, parent
	 * directories made 0755. NULL/0 for none. */
	const struct disk_esp_file *root_files;
	size_t nroot_files;
};

/* Progress: phase ("partition", "root", "copy", "esp", "bootloader") and bytes done/total. */
typedef void (*disk_progress_fn)(void *opaque, const char *phase, uint64_t done, uint64_t total);

/* Writes the whole disk: plan->size bytes at fd (a file is extended to it,
 * sparse). progress may be NULL. Returns 0 or -errno; *err_what (may be NULL)
 * names the object that failed (a store path, a file). */
int disk_write(int fd, const struct disk_plan *plan, const struct disk_content *c,
	       disk_progress_fn progress, void *opaque, char **err_what);

#endif
