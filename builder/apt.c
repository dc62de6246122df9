/*
 * apt.c — kiln's private apt state: set-up, running apt-get/apt-cache in it,
 * and downloading pinned .debs into the sha256-keyed cache.
 *
 * Fetching goes through `apt-get download` rather than a URL kiln builds
 * itself: apt then applies the host's mirrors, proxies and authentication,
 * and it only offers versions listed in the signed indices. The lock's
 * sha256 and size are checked on top, before a file enters the cache.
 */
#include "apt.h"
#include "fsutil.h"
#include "hash.h"

#include <dirent.h>
#include <poll.h>
#include <sys/wait.h>

static void add_opt(struct apt *a, const char *key, const char *value)
{
	a->opts = xrealloc(a->opts, (a->nopts + 3) * sizeof(*a->opts));
	a->opts[a->nopts++] = xstrdup("-o");
	a->opts[a->nopts++] = xasprintf("%s=%s", key, value);
	a->opts[a->nopts] = NULL;
}

void apt_release(struct apt *a)
{
	for (size_t i = 0; i < a->nopts; i++)
		free(a->opts[i]);
	free(a->opts);
	free(a->dir);
	free(a->arch);
	memset(a, 0, sizeof(*a));
}

static bool is_source_file(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".list")) ||
	       (n > 8 && !strcmp(name + n - 8, ".sources"));
}

/* Rewrites path only when its contents change: apt rebuilds its package
 * cache (seconds) whenever a sources or preferences file is newer than it. */
static int write_if_changed(const char *path, const char *data, size_t len)
{
	struct strbuf old = STRBUF_INIT;
	bool same = read_file(path, &old) >= 0 && old.len == len &&
		    (len == 0 || !memcmp(old.buf, data, len));

	strbuf_release(&old);
	return same ? 0 : write_file_atomic(path, data ? data : "", len, 0644);
}

/* Mirrors the host's apt sources (*.list, *.sources) into etc/. */
static int copy_sources(struct apt *a)
{
	_cleanup_free_ char *parts = path_join(a->dir, "etc/sources.list.d");
	_cleanup_free_ char *list = path_join(a->dir, "etc/sources.list");
	struct strbuf sb = STRBUF_INIT;
	struct dirent **names = NULL;
	int n, r;

	r = mkdir_p(parts, 0755);
	if (r < 0)
		return r;
	if (read_file("/etc/apt/sources.list", &sb) < 0)
		strbuf_reset(&sb);
	r = write_if_changed(list, sb.buf, sb.len);
	n = scandir("/etc/apt/sources.list.d", &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (r >= 0 && is_source_file(names[i]->d_name)) {
			_cleanup_free_ char *src = path_join("/etc/apt/sources.list.d", names[i]->d_name);
			_cleanup_free_ char *dst = path_join(parts, names[i]->d_name);

			strbuf_reset(&sb);
			if (read_file(src, &sb) >= 0)
				r = write_if_changed(dst, sb.buf, sb.len);
		}
		free(names[i]);
	}
	free(names);
	/* drop copies of sources the host no longer has */
	n = scandir(parts, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *src = path_join("/etc/apt/sources.list.d", names[i]->d_name);
		_cleanup_free_ char *dst = path_join(parts, names[i]->d_name);

		if (names[i]->d_name[0] != '.' && (!is_source_file(names[i]->d_name) ||
						   access(src, F_OK) < 0))
			unlink(dst);
		free(names[i]);
	}
	free(names);
	strbuf_release(&sb);
	return r;
}

int apt_init(struct apt *a, const char *cache_dir, const char *arch, struct strbuf *err)
{
	static const char *const dirs[] = { "etc/preferences.d", "state/lists/partial",
					    "cache/archives/partial" };
	_cleanup_free_ char *status = NULL;
	char *sub = xasprintf("apt-%s", arch);
	int r = 0;

	memset(a, 0, sizeof(*a));
	a->dir = path_join(cache_dir, sub);
	free(sub);
	a->arch = xstrdup(arch);
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && r >= 0; i++) {
		_cleanup_free_ char *d = path_join(a->dir, dirs[i]);
		r = mkdir_p(d, 0755);
	}
	status = path_join(a->dir, "state/status");
	if (r >= 0 && access(status, F_OK) < 0)
		r = write_file_atomic(status, "", 0, 0644);
	if (r >= 0)
		r = copy_sources(a);
	if (r < 0) {
		strbuf_addf(err, "%s: %s", a->dir, strerror(-r));
		return r;
	}
	{
		_cleanup_free_ char *state = path_join(a->dir, "state");
		_cleanup_free_ char *cache = path_join(a->dir, "cache");
		_cleanup_free_ char *list = path_join(a->dir, "etc/sources.list");
		_cleanup_free_ char *parts = path_join(a->dir, "etc/sources.list.d");
		_cleanup_free_ char *prefs = path_join(a->dir, "etc/preferences");
		_cleanup_free_ char *prefparts = path_join(a->dir, "etc/preferences.d");

		add_opt(a, "Dir::State", state);
		add_opt(a, "Dir::State::status", status);
		add_opt(a, "Dir::Cache", cache);
		add_opt(a, "Dir::Cache::pkgcache", "pkgcache.bin");
		add_opt(a, "Dir::Cache::srcpkgcache", "srcpkgcache.bin");
		add_opt(a, "Dir::Etc::SourceList", list);
		add_opt(a, "Dir::Etc::SourceParts", parts);
		add_opt(a, "Dir::Etc::Preferences", prefs);
		add_opt(a, "Dir::Etc::PreferencesParts", prefparts);
		add_opt(a, "Dir::Log", cache);
		add_opt(a, "Dir::Log::Planner", "/dev/null");
		add_opt(a, "APT::Architecture", arch);
		add_opt(a, "APT::Architectures", arch);
		add_opt(a, "APT::Sandbox::User", "root");
		add_opt(a, "Debug::NoLocking", "1");
		add_opt(a, "APT::Get::AllowUnauthenticated", "false");
	}
	return 0;
}

/* Reads the child's stdout and stderr together (no deadlock on full pipes). */
static int drain(int out_fd, int err_fd, struct strbuf *out, struct strbuf *errout)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	struct strbuf *dst[2] = { out, errout };
	char buf[16384];
	int open_fds = 2;

	while (open_fds) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open_fds--;
			} else if (dst[i]) {
				strbuf_add(dst[i], buf, (size_t)n);
			}
		}
	}
	return 0;
}

int apt_run(struct apt *a, const char *tool, const char *const *args, const char *cwd,
	    struct strbuf *out, struct strbuf *errout)
{
	size_t nargs = 0, k = 0;
	const char **argv;
	int opipe[2], epipe[2], status, r;
	pid_t pid;

	while (args[nargs])
		nargs++;
	argv = xcalloc(a->nopts + nargs + 2, sizeof(*argv));
	argv[k++] = tool;
	for (size_t i = 0; i < a->nopts; i++)
		argv[k++] = a->opts[i];
	for (size_t i = 0; i < nargs; i++)
		argv[k++] = args[i];
	if (pipe2(opipe, O_CLOEXEC) < 0) {
		free(argv);
		return -errno;
	}
	if (pipe2(epipe, O_CLOEXEC) < 0) {
		r = -errno;
		close(opipe[0]);
		close(opipe[1]);
		free(argv);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(opipe[1], 1);
		dup2(epipe[1], 2);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		setenv("LC_ALL", "C", 1);
		setenv("DEBIAN_FRONTEND", "noninteractive", 1);
		execvp(tool, (char *const *)argv);
		_exit(127);
	}
	r = pid < 0 ? -errno : 0;
	close(opipe[1]);
	close(epipe[1]);
	if (r == 0)
		r = drain(opipe[0], epipe[0], out, errout);
	close(opipe[0]);
	close(epipe[0]);
	free(argv);
	if (pid < 0)
		return r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (r < 0)
		return r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* apt's own "E: …" lines, joined with "; " (the useful part of its stderr). */
void apt_errors(const char *text, struct strbuf *out)
{
	const char *p = text;
	bool any = false;

	while (p && *p) {
		const char *nl = strchrnul(p, '\n');

		if (!strncmp(p, "E: ", 3)) {
			strbuf_addf(out, "%s%.*s", any ? "; " : "", (int)(nl - p - 3), p + 3);
			any = true;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (!any)
		strbuf_adds(out, "apt failed");
}

int apt_update(struct apt *a, struct strbuf *err)
{
	static const char *const args[] = { "-q", "update", NULL };
	struct strbuf eo = STRBUF_INIT;
	int r = apt_run(a, "apt-get", args, NULL, NULL, &eo);

	if (r != 0) {
		strbuf_addf(err, "apt-get update (private state %s) failed: ", a->dir);
		if (r < 0)
			strbuf_adds(err, strerror(-r));
		else
			apt_errors(eo.buf, err);
		r = -EIO;
	} else {
		a->updated = true;
	}
	strbuf_release(&eo);
	return r;
}

int apt_ensure_lists(struct apt *a, struct strbuf *err)
{
	_cleanup_free_ char *lists = path_join(a->dir, "state/lists");
	struct dirent **names = NULL;
	bool have = false;
	int n = scandir(lists, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, "_Packages"))
			have = true;
		free(names[i]);
	}
	free(names);
	return have ? 0 : apt_update(a, err);
}

int apt_write_pins(struct apt *a, const struct lock_pkg *const *pkgs, size_t n)
{
	_cleanup_free_ char *path = path_join(a->dir, "etc/preferences.d/kiln-lock.pref");
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (n == 0) {
		r = unlink(path);
		return r < 0 && errno != ENOENT ? -errno : 0;
	}
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "Package: %s\nPin: version %s\nPin-Priority: 1001\n\n",
			    pkgs[i]->name, pkgs[i]->version);
	r = write_if_changed(path, sb.buf, sb.len);
	strbuf_release(&sb);
	return r;
}

/* The file name apt-get download gives a package (':' in versions as %3a). */
static char *download_name(const struct lock_pkg *p)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s_", p->name);
	for (const char *v = p->version; *v; v++) {
		if (*v == ':')
			strbuf_adds(&sb, "%3a");
		else
			strbuf_addch(&sb, *v);
	}
	/* the .deb's own Architecture ("all" for a package the lock pins per arch) */
	{
		const char *us = strrchr(p->filename, '_');
		if (us && strlen(us) > 5 && !strcmp(us + strlen(us) - 4, ".deb"))
			strbuf_adds(&sb, us);
		else
			strbuf_addf(&sb, "_%s.deb", p->arch);
	}
	return strbuf_detach(&sb, NULL);
}

static int run_download(struct apt *a, const struct lock_pkg *const *pkgs, size_t n,
			const char *dir, struct strbuf *errout)
{
	const char **args = xcalloc(n + 3, sizeof(*args));
	char **specs = xcalloc(n, sizeof(*specs));
	int r;

	args[0] = "-q";
	args[1] = "download";
	for (size_t i = 0; i < n; i++) {
		specs[i] = xasprintf("%s:%s=%s", pkgs[i]->name, a->arch, pkgs[i]->version);
		args[i + 2] = specs[i];
	}
	r = apt_run(a, "apt-get", args, dir, NULL, errout);
	for (size_t i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
	free(args);
	return r;
}

/* Verifies one downloaded file and moves it to debs_dir/<sha256>.deb. */
static int adopt_download(const struct lock_pkg *p, const char *dir, const char *debs_dir,
			  struct strbuf *err)
{
	_cleanup_free_ char *name = download_name(p);
	_cleanup_free_ char *src = path_join(dir, name);
	_cleanup_free_ char *dst = xasprintf("%s/%s.deb", debs_dir, p->sha256);
	uint8_t digest[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	struct stat st;
	int r;

	if (stat(src, &st) < 0) {
		strbuf_addf(err, "package '%s' version %s (%s): apt-get download left no %s",
			    p->name, p->version, p->arch, name);
		return -EIO;
	}
	r = sha256_file(src, digest);
	if (r < 0) {
		strbuf_addf(err, "%s: %s", src, strerror(-r));
		return r;
	}
	hex_encode(digest, SHA256_LEN, hex);
	if ((uint64_t)st.st_size != p->size || strcmp(hex, p->sha256)) {
		strbuf_addf(err, "package '%s' version %s (%s): the archive's .deb (sha256 %s, "
			    "%" PRIu64 " bytes) differs from the pin (sha256 %s, %" PRIu64 " bytes)",
			    p->name, p->version, p->arch, hex, (uint64_t)st.st_size, p->sha256, p->size);
		return -EBADMSG;
	}
	if (rename(src, dst) < 0 || fsync_parent(dst) < 0) {
		strbuf_addf(err, "%s: %s", dst, strerror(errno));
		return -errno;
	}
	return 0;
}

/* After a failed batch: the packages apt says it cannot offer at all
 * ("Version 'V' for 'NAME' was not found", "Can't find a source to download
 * version 'V' of 'NAME:ARCH'"), each reported with the way to re-pin. */
static int report_missing(const struct lock_pkg *const *pkgs, size_t n, const char *text,
			  const char *config_path, struct strbuf *err)
{
	int missing = 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *a = xasprintf("Version '%s' for '%s' was not found",
						   pkgs[i]->version, pkgs[i]->name);
		_cleanup_free_ char *b = xasprintf("version '%s' of '%s:", pkgs[i]->version,
						   pkgs[i]->name);

		if (!strstr(text, a) && !strstr(text, b))
			continue;
		strbuf_addf(err, "%spackage '%s' version %s (%s) is no longer in the archive; "
			    "re-pin with 'kiln lock --update %s'", missing ? "\n" : "",
			    pkgs[i]->name, pkgs[i]->version, pkgs[i]->arch, config_path);
		missing++;
	}
	return missing ? -ENOENT : 0;
}

int apt_download(struct apt *a, const struct lock_pkg *const *pkgs, size_t n,
		 const char *debs_dir, const char *config_path, struct strbuf *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/tmp-%ld", debs_dir, (long)getpid());
	struct strbuf eo = STRBUF_INIT;
	int r;

	rm_rf(dir);
	r = mkdir_p(dir, 0755);
	if (r < 0) {
		strbuf_addf(err, "%s: %s", dir, strerror(-r));
		return r;
	}
	r = apt_ensure_lists(a, err);
	if (r < 0)
		goto out;
	r = run_download(a, pkgs, n, dir, &eo);
	if (r != 0 && !a->updated) {
		/* The lists may predate the lock: refresh once and retry. */
		r = apt_update(a, err);
		if (r < 0)
			goto out;
		strbuf_reset(&eo);
		r = run_download(a, pkgs, n, dir, &eo);
	}
	if (r != 0) {
		r = report_missing(pkgs, n, eo.buf ? eo.buf : "", config_path, err);
		if (r == 0) {
			strbuf_adds(err, "apt-get download failed: ");
			apt_errors(eo.buf ? eo.buf : "", err);
			r = -EIO;
		}
		goto out;
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		r = adopt_download(pkgs[i], dir, debs_dir, err);
out:
	strbuf_release(&eo);
	rm_rf(dir);
	return r;
}
