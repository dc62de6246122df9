/*
 * config.h — a kiln configuration, read with libconfig, composed through
 * `imports` and checked against kiln's schema, as one typed model.
 *
 * config_load() is the only entry point: it parses the file and its imports
 * (relative import paths are relative to the importing file), merges them
 * (imports first, in order; groups merge key by key; a scalar set later
 * overrides; lists concatenate with duplicates dropped), validates every key
 * and fills struct kiln_config. The full key reference is in README.md.
 *
 * Every value remembers where it was set (struct cfg_loc), so later stages
 * (lock, build) can name file:line in their errors too.
 */
#ifndef KILN_CONFIG_H
#define KILN_CONFIG_H

#include "compat.h"
#include "strbuf.h"

struct cfg_loc {
	const char *file; /* owned by the config (interned) */
	int line;
};

struct cfg_str {
	char *value;
	struct cfg_loc loc;
};

struct cfg_strlist {
	struct cfg_str *v;
	size_t n;
};

struct cfg_user {
	char *name;
	int uid, gid;            /* gid defaults to uid */
	char *home;              /* default /home/<name> (/root for uid 0) */
	char *shell;             /* default /bin/sh */
	char *description;       /* GECOS, default "" */
	struct cfg_strlist groups;          /* supplementary groups */
	struct cfg_strlist authorized_keys;
	char *password_hash_file; /* a path on the build host, read at install time; never in the store */
	struct cfg_loc loc;
};

struct cfg_iface {
	char *name;              /* eth0 */
	bool dhcp;
	char *address;           /* "192.0.2.10/24" or NULL */
	char *gateway;
	struct cfg_strlist dns;
	struct cfg_loc loc;
};

struct cfg_service {
	char *name;
	char *command;           /* absolute command line */
	char *action;            /* inittab action: "respawn" (default), "once", "sysinit", "wait" */
	char *tty;               /* optional console device, e.g. "ttyS0" */
	struct cfg_loc loc;
};

struct cfg_file {
	char *path;              /* absolute target path, under /etc for now */
	char *text;              /* inline contents, or NULL */
	char *source;            /* a host file (resolved to an absolute path), or NULL */
	mode_t mode;             /* default 0644 */
	struct cfg_loc loc;
};

struct kiln_config {
	char *path;              /* absolute path of the top-level file */
	char *dir;               /* its directory: where kiln.lock lives */
	struct cfg_strlist files_read; /* every file read, top-level first */

	/* system */
	struct cfg_str name;     /* required; also the hostname unless system.hostname */
	char *hostname;
	char *arch;              /* "x86_64" (default) or "aarch64" */
	const char *deb_arch;    /* "amd64" / "arm64" */
	char *timezone;          /* default "UTC" */

	/* boot */
	char *firmware;          /* "bios", "uefi" or "both"; default "both" on x86_64, "uefi" on aarch64 */
	struct cfg_str kernel;   /* Debian package of the kernel, required */
	struct cfg_strlist params;      /* kernel command line */
	struct cfg_strlist modules;     /* extra initrd modules */
	int boot_timeout;        /* GRUB menu timeout, seconds, default 0 */

	struct cfg_strlist packages;    /* Debian packages (kernel excluded) */
	struct cfg_strlist prefer;      /* sw.prefer: packages that win file conflicts, in order */

	struct cfg_user *users;      size_t nusers;
	struct cfg_iface *ifaces;    size_t nifaces;
	struct cfg_service *services; size_t nservices;
	struct cfg_file *files;      size_t nfiles;

	/* disk */
	uint64_t disk_size;      /* bytes, 0 = automatic */
	bool has_data;
	char *data_label;        /* default "kiln-data" */
	uint64_t data_size;      /* bytes, 0 = rest of the disk */
	char *data_mount;        /* default "/var/lib/data"? see README */

	/* installer (has_installer only when the block exists) */
	bool has_installer;
	char *installer_target;  /* absolute path of the target configuration */
	char *installer_disk;    /* rule, default "auto" */
	bool installer_wipe;
	char *installer_after;   /* "poweroff" (default) or "reboot" */
	char *installer_mode;    /* "install" (default) or "recover" */
	bool installer_dry_run;
};

/*
 * Loads path into *ret. On failure returns -1 and appends to err one line per
 * problem, each "FILE:LINE: KEY: message" (no trailing newline on the last);
 * *ret is then released. Never prints, never exits.
 */
int config_load(const char *path, struct kiln_config *ret, struct strbuf *err);
void config_release(struct kiln_config *c);

/* "amd64"/"arm64" for "x86_64"/"aarch64", NULL for anything else. */
const char *config_deb_arch(const char *arch);

#endif
