/*
 * init-generation.c — linking the active generation inside the new root.
 *
 * /run/current-system -> the system path (on /run, a tmpfs: it names the
 * generation booted, never persists). /bin /sbin /lib /lib64 /usr point
 * through it into the system's merged package tree sw/, so every program
 * path resolves into the store via one link.
 *
 * /etc: a real directory on the root filesystem whose directories mirror
 * <system>/etc and whose other entries are symlinks to
 * /run/current-system/etc/<path>, not a copy and not one big link:
 *  - reading /etc/hostname gives the system's file (the link resolves into
 *    the store after switch_root), and the files stay the store's
 *    immutable, hash-verified bytes — nothing to copy at boot;
 *  - directories are real, so programs can add state beside the managed
 *    files (/etc/dropbear host keys, secrets written 0600 by the installer);
 *  - the links go through /run/current-system, so a switch that changes
 *    only that link already changes /etc, as NixOS's /etc/static does.
 * A local file or a foreign symlink where the system has an entry is kept
 * (and reported): it was put there on purpose (a secret, an admin's edit);
 * kiln-owned links to names the new system lacks are removed.
 */
#include "init.h"
#include "fsutil.h"

#include <dirent.h>

#define ETC_LINK_PREFIX "/run/current-system/etc/"

const char *const gen_toplevel[] = { "bin", "sbin", "lib", "lib64", "usr" };
const size_t gen_toplevel_count = ARRAY_SIZE(gen_toplevel);

int gen_check_system(const char *sysroot, const char *system, struct strbuf *err)
{
	char *dir = path_join(sysroot, system);
	char *init = path_join(dir, "init");
	struct stat st;
	int r = 0;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		r = -ENOENT;
		strbuf_addf(err, "system %s is not on the root filesystem", system);
	} else if (lstat(init, &st) < 0) {
		r = -ENOENT;
		strbuf_addf(err, "system %s has no init (stage 2)", system);
	} else if (S_ISREG(st.st_mode) && !(st.st_mode & 0111)) {
		r = -EACCES;
		strbuf_addf(err, "%s/init is not executable", system);
	}
	free(init);
	free(dir);
	return r;
}

/* Atomically makes path a symlink to target (via a temporary name). */
static int symlink_replace(const char *target, const char *path)
{
	char *tmp = xasprintf("%s.kiln-new", path);
	int r = 0;
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
	}
	free(tmp);
	return r;
}

/* Is path already a symlink to exactly target? */
static bool links_to(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, target);
}

int gen_link_current(const char *run_dir, const char *system, struct strbuf *err)
{
	char *path = path_join(run_dir, "current-system");
	int r = symlink_replace(system, path);
	if (r < 0)
		strbuf_addf(err, "cannot link %s -> %s: %s", path, system, strerror(-r));
	free(path);
	return r;
}

static int link_one_toplevel(const char *sysroot, const char *name, struct strbuf *err)
{
	char *path = path_join(sysroot, name);
	char *target = xasprintf("/run/current-system/sw/%s", name);
	struct stat st;
	int r = 0;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && rmdir(path) < 0) {
		r = -errno;
		strbuf_addf(err, "/%s is a %sdirectory on the root filesystem, where kiln links %s",
			    name, r == -ENOTEMPTY || r == -EEXIST ? "non-empty " : "", target);
	} else if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode)) {
		r = -EEXIST;
		strbuf_addf(err, "/%s is a file on the root filesystem, where kiln links %s", name, target);
	} else if (!links_to(path, target)) {
		r = symlink_replace(target, path);
		if (r < 0)
			strbuf_addf(err, "cannot link /%s -> %s: %s", name, target, strerror(-r));
	}
	free(target);
	free(path);
	return r;
}

int gen_link_toplevel(const char *sysroot, struct strbuf *err)
{
	for (size_t i = 0; i < gen_toplevel_count; i++) {
		int r = link_one_toplevel(sysroot, gen_toplevel[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- /etc ---- */

struct etc_walk {
	const char *src_root; /* <sysroot><system>/etc */
	const char *dst_root; /* <sysroot>/etc */
	struct strbuf *log, *err;
};

static bool is_kiln_link(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strncmp(buf, ETC_LINK_PREFIX, strlen(ETC_LINK_PREFIX));
}

static int mirror_dir(struct etc_walk *w, const char *rel);

/* One entry of <system>/etc at rel (e.g. "ssh/sshd_config"). */
static int mirror_entry(struct etc_walk *w, const char *rel)
{
	char *src = path_join(w->src_root, rel), *dst = path_join(w->dst_root, rel);
	char *target = xasprintf(ETC_LINK_PREFIX "%s", rel);
	struct stat s, d;
	bool have = lstat(dst, &d) == 0;
	int r = 0;

	if (lstat(src, &s) < 0) {
		r = -errno;
		strbuf_addf(w->err, "%s: %s", src, strerror(errno));
	} else if (S_ISDIR(s.st_mode)) {
		if (have && S_ISLNK(d.st_mode) && is_kiln_link(dst) && unlink(dst) == 0)
			have = false;
		if (!have && mkdir(dst, 0755) < 0) {
			r = -errno;
			strbuf_addf(w->err, "cannot create /etc/%s: %s", rel, strerror(errno));
		} else if (have && !S_ISDIR(d.st_mode)) {
			strbuf_addf(w->log, "keeping local /etc/%s (the system has a directory there)\n", rel);
		} else {
			r = mirror_dir(w, rel);
		}
	} else if (have && !(S_ISLNK(d.st_mode) && is_kiln_link(dst))) {
		strbuf_addf(w->log, "keeping local /etc/%s\n", rel);
	} else if (!links_to(dst, target)) {
		r = symlink_replace(target, dst);
		if (r < 0)
			strbuf_addf(w->err, "cannot link /etc/%s: %s", rel, strerror(-r));
	}
	free(target);
	free(dst);
	free(src);
	return r;
}

static int mirror_dir(struct etc_walk *w, const char *rel)
{
	char *src = rel[0] ? path_join(w->src_root, rel) : xstrdup(w->src_root);
	DIR *d = opendir(src);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = errno == ENOENT && !rel[0] ? 0 : -errno; /* a system without etc/ */
		if (r < 0)
			strbuf_addf(w->err, "%s: %s", src, strerror(errno));
		free(src);
		return r;
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *sub = rel[0] ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		r = mirror_entry(w, sub);
		free(sub);
	}
	closedir(d);
	free(src);
	return r;
}

/* Removes kiln's links under /etc/rel whose source the system no longer has. */
static int prune_dir(struct etc_walk *w, const char *rel)
{
	char *dst = rel[0] ? path_join(w->dst_root, rel) : xstrdup(w->dst_root);
	DIR *d = opendir(dst);
	struct dirent *de;
	int r = 0;

	if (!d) {
		strbuf_addf(w->err, "%s: %s", dst, strerror(errno));
		free(dst);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *sub = rel[0] ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		char *path = path_join(w->dst_root, sub), *src = path_join(w->src_root, sub);
		struct stat st, gone;
		bool exists = lstat(path, &st) == 0;
		if (exists && S_ISDIR(st.st_mode))
			r = prune_dir(w, sub);
		else if (exists && S_ISLNK(st.st_mode) && is_kiln_link(path) &&
			 lstat(src, &gone) < 0 && unlink(path) < 0) {
			r = -errno;
			strbuf_addf(w->err, "cannot remove stale /etc/%s: %s", sub, strerror(errno));
		}
		free(src);
		free(path);
		free(sub);
	}
	closedir(d);
	free(dst);
	return r;
}

int gen_populate_etc(const char *sysroot, const char *system, struct strbuf *log, struct strbuf *err)
{
	char *sys = path_join(sysroot, system);
	char *src = path_join(sys, "etc"), *dst = path_join(sysroot, "etc");
	struct etc_walk w = { src, dst, log, err };
	struct stat st;
	int r = 0;

	if (lstat(dst, &st) == 0 && !S_ISDIR(st.st_mode) && (!S_ISLNK(st.st_mode) || unlink(dst) < 0)) {
		r = -EEXIST;
		strbuf_addf(err, "/etc on the root filesystem is not a directory");
	} else if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		strbuf_addf(err, "cannot create /etc: %s", strerror(errno));
	}
	if (r == 0)
		r = prune_dir(&w, "");
	if (r == 0)
		r = mirror_dir(&w, "");
	free(dst);
	free(src);
	free(sys);
	return r;
}
