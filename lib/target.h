/*
 * target.h — which disk the installer writes to: block devices found in a
 * sysfs tree, and the rule (installer.disk) that picks one of them.
 *
 * Everything reads from roots given in struct target_env (sysfs, the mounts
 * file, the /dev/disk/by-id directory), so tests run on fake trees and the
 * installer on the real /sys, /proc/self/mounts and /dev/disk/by-id.
 *
 * A disk is *eligible* when it is not the installer's own medium, not
 * read-only, not removable, not mounted or held (a partition mounted, or a
 * holder such as dm or md stacked on it) and at least as large as the target
 * needs. Rules (installer.disk):
 *   auto              the only eligible disk; two or more is a refusal
 *   /dev/NAME         that device (a /dev/disk/by-id/... path is resolved)
 *   by-id:NAME        /dev/disk/by-id/NAME
 *   serial:S wwn:W    the disk with that serial / WWN
 *   transport:T       T is virtio, nvme, sata, usb or scsi (the bare word works too)
 *   size:A-B          size range, "20G-100G", either end may be empty ("-100G")
 *                     (a bare "20G-100G" works too)
 *   anything else     a serial or a WWN, matched exactly
 * A rule that matches several eligible disks is refused like auto's ambiguity.
 */
#ifndef KILN_TARGET_H
#define KILN_TARGET_H

#include "compat.h"
#include "strbuf.h"

struct target_env {
	const char *sysfs;       /* "/sys" */
	const char *mounts;      /* "/proc/self/mounts"; NULL: nothing is mounted */
	const char *by_id;       /* "/dev/disk/by-id"; NULL: no by-id names */
	const char *medium;      /* the installer medium's disk or partition name
				  * ("vdb", "vdb2", "/dev/vdb2"), NULL when unknown */
};

struct target_disk {
	char *name;              /* "vda" */
	char *dev;               /* "/dev/vda" */
	uint64_t size;           /* bytes */
	char *model, *serial, *wwn; /* "" when sysfs has none */
	const char *transport;   /* "virtio", "nvme", "sata", "usb", "scsi" or "unknown" */
	bool removable, readonly;
	bool medium;             /* the installer's own medium */
	char *mounted;           /* first mount point of the disk or a partition, or NULL */
	char *holder;            /* first holder (e.g. "dm-0"), or NULL */
	char **parts;            /* partition names, sorted */
	size_t nparts;
	char **by_id;            /* by-id names pointing at the disk, sorted */
	size_t nby_id;
};

struct target_list {
	struct target_disk *v;   /* sorted by name */
	size_t n;
};

/* Reads every whole disk below env->sysfs/block (loop, ram, zram, dm, md,
 * nbd, sr and zero-sized devices are not disks to install on and are left
 * out). -errno when the block directory cannot be read. */
int target_scan(const struct target_env *env, struct target_list *ret);
void target_list_release(struct target_list *l);

/* Why d cannot take a target of `needed` bytes, as a short phrase ("the
 * installer's own medium", "read-only", ...), or NULL when it is eligible. */
const char *target_ineligible(const struct target_disk *d, uint64_t needed);

enum target_rule_kind {
	TRULE_AUTO, TRULE_PATH, TRULE_BY_ID, TRULE_SERIAL, TRULE_WWN,
	TRULE_SERIAL_OR_WWN, TRULE_TRANSPORT, TRULE_SIZE,
};

struct target_rule {
	enum target_rule_kind kind;
	char *value;             /* path, by-id name, serial, WWN or transport */
	uint64_t min, max;       /* TRULE_SIZE: bytes, inclusive; max 0 = no limit */
};

/* Parses a rule; -EINVAL with a reason in err for an empty rule, a bad size
 * range or an unknown transport. */
int target_rule_parse(const char *s, struct target_rule *ret, struct strbuf *err);
void target_rule_release(struct target_rule *r);

/* Does the rule name d (eligibility aside)? */
bool target_rule_matches(const struct target_env *env, const struct target_rule *r,
			 const struct target_disk *d);

/* One line describing d: "/dev/vda 20.0 GiB virtio model "QEMU" serial "x"". */
void target_describe(const struct target_disk *d, struct strbuf *out);

/*
 * Applies the rule to the scanned disks: *ret_index is the one chosen disk.
 * On refusal returns -ENODEV (nothing matches or nothing eligible) or
 * -EEXIST (several eligible disks match) and err gets one line of reason
 * followed by one line per disk considered ("  /dev/vda ...: why not").
 */
int target_choose(const struct target_env *env, const struct target_list *l,
		  const struct target_rule *r, uint64_t needed, size_t *ret_index,
		  struct strbuf *err);

/* Formats bytes for people: "20.0 GiB", "512 MiB", "4096 B". */
void target_format_size(uint64_t bytes, struct strbuf *out);

#endif
