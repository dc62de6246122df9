/*
 * config-check.h — internal to the configuration loader: the checks of
 * single string values (names, paths, addresses), each with the words an
 * error message uses for what was expected.
 */
#ifndef KILN_CONFIG_CHECK_H
#define KILN_CONFIG_CHECK_H

#include "compat.h"

struct check {
	bool (*fn)(const char *s);
	const char *what;        /* "a valid host name (...)" */
};

extern const struct check check_hostname_label; /* system.name: one DNS label */
extern const struct check check_hostname;       /* dotted labels, <= 253 */
extern const struct check check_timezone;       /* "UTC", "Europe/Paris" */
extern const struct check check_package;        /* a Debian package name */
extern const struct check check_param;          /* one kernel parameter */
extern const struct check check_module;         /* a kernel module name */
extern const struct check check_unix_name;      /* user and group names */
extern const struct check check_abs_path;       /* absolute, no . or .. */
extern const struct check check_file_path;      /* check_abs_path and not "/" */
extern const struct check check_mount;          /* a mount point */
extern const struct check check_gecos;          /* no ':' and no control chars */
extern const struct check check_line;           /* non-empty, no control chars */
extern const struct check check_nonempty;       /* non-empty */
extern const struct check check_command;        /* absolute command line */
extern const struct check check_iface;          /* network interface name */
extern const struct check check_service;        /* service name */
extern const struct check check_tty;            /* "ttyS0", "console" */
extern const struct check check_ipv4;           /* a.b.c.d */
extern const struct check check_ipv4_cidr;      /* a.b.c.d/n */
extern const struct check check_ip;             /* IPv4 or IPv6 address */
extern const struct check check_mode;           /* "0644": octal <= 07777 */
extern const struct check check_fs_label;       /* an ext4 label */

#endif
