/*
 * apt.h — kiln's private apt state (internal to builder/'s Debian code).
 *
 * Everything lives under CACHE/apt-<debarch>/: etc/sources.list.d (a copy of
 * the host's *.list and *.sources files, so the host's mirrors and Signed-By
 * keyrings apply), etc/preferences.d (kiln's pins), state/ (lists, an empty
 * dpkg status) and cache/. apt-get and apt-cache run with -o options that
 * point every directory there and set APT::Architecture(s) to the one arch,
 * so the host's /var/lib/apt, /var/cache/apt and dpkg database are never read
 * or written. The host's apt.conf(.d) still applies (proxies, auth, trusted
 * keyrings).
 */
#ifndef KILN_APT_H
#define KILN_APT_H

#include "compat.h"
#include "debian.h"
#include "strbuf.h"

struct apt {
	char *dir;       /* CACHE/apt-<arch> */
	char *arch;      /* deb arch */
	char **opts;     /* "-o", "X=Y", … (NULL-terminated) */
	size_t nopts;
	bool updated;    /* apt_update() ran in this process */
};

/* Creates the private state for arch under cache_dir (refreshing the sources
 * copy from the host). */
int apt_init(struct apt *a, const char *cache_dir, const char *arch, struct strbuf *err);
void apt_release(struct apt *a);

/* `apt-get update` in the private state. */
int apt_update(struct apt *a, struct strbuf *err);
/* Runs apt_update() unless package lists exist already. */
int apt_ensure_lists(struct apt *a, struct strbuf *err);

/* Writes the pins (Pin-Priority 1001 for each package's version) that make apt
 * prefer the locked versions; n == 0 removes them. */
int apt_write_pins(struct apt *a, const struct lock_pkg *const *pkgs, size_t n);

/* Runs apt-get/apt-cache (tool) with the private options, then args (NULL-
 * terminated), in cwd (NULL: inherit). Captures stdout into out and stderr
 * into errout (either may be NULL). Returns the exit status (>= 0) or -errno. */
int apt_run(struct apt *a, const char *tool, const char *const *args, const char *cwd,
	    struct strbuf *out, struct strbuf *errout);

/* Appends apt's "E: …" lines from its stderr text, joined with "; ". */
void apt_errors(const char *text, struct strbuf *out);

/* Downloads the given packages into debs_dir/<sha256>.deb, verifying size and
 * sha256 first. If apt cannot find a version (even after refreshing the lists
 * once), err names it and the way to re-pin (CONFIG is config_path) and the
 * result is -ENOENT. */
int apt_download(struct apt *a, const struct lock_pkg *const *pkgs, size_t n,
		 const char *debs_dir, const char *config_path, struct strbuf *err);

#endif
