/*
 * sw.c — the merged package tree <system>/sw and busybox's applet links
 * (declared in system.h).
 *
 * Every package is walked into one array of nodes (relative path, package,
 * type), sorted by path with '/' ordering before every other byte, so a
 * directory's descendants follow it contiguously, then by package order.
 * One pass over the sorted array decides each path and writes it.
 */
#include "system.h"

#include <dirent.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "fsutil.h"

/* Not merged: the kernel is <system>/kernel, and documentation is not
 * needed to run (and doubles the link count). */
static const char *const sw_excluded[] = {
	"boot", "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian",
};

void sw_fallbacks_add(struct sw_fallbacks *f, const char *rel, const char *target)
{
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 64;
		f->v = xrealloc(f->v, f->alloc * sizeof(*f->v));
	}
	f->v[f->n].rel = xstrdup(rel);
	f->v[f->n].target = xstrdup(target);
	f->n++;
}

void sw_fallbacks_release(struct sw_fallbacks *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].rel);
		free(f->v[i].target);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->alloc = 0;
}

/* ---------------------------------------------------------------- nodes */

struct sw_node {
	char *rel;
	size_t pkg;              /* index in pkgs; n for a fallback */
	char type;               /* 'd', 'f', 'x' (executable file), 'l' */
	char *target;            /* link target ('l') */
};

struct sw_nodes {
	struct sw_node *v;
	size_t n, alloc;
};

static void nodes_add(struct sw_nodes *ns, const char *rel, size_t pkg, char type,
		      const char *target)
{
	if (ns->n == ns->alloc) {
		ns->alloc = ns->alloc ? 2 * ns->alloc : 1024;
		ns->v = xrealloc(ns->v, ns->alloc * sizeof(*ns->v));
	}
	ns->v[ns->n++] = (struct sw_node){ xstrdup(rel), pkg, type,
					   target ? xstrdup(target) : NULL };
}

static void nodes_release(struct sw_nodes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].rel);
		free(ns->v[i].target);
	}
	free(ns->v);
}

static int path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = *a == '/' ? 1 : (unsigned char)*a;
		unsigned char y = *b == '/' ? 1 : (unsigned char)*b;
		if (x != y || !x)
			return (int)x - (int)y;
	}
}

static int node_cmp(const void *a, const void *b)
{
	const struct sw_node *x = a, *y = b;
	int c = path_cmp(x->rel, y->rel);
	if (c)
		return c;
	return x->pkg < y->pkg ? -1 : x->pkg > y->pkg;
}

static bool excluded(const char *rel)
{
	for (size_t i = 0; i < ARRAY_SIZE(sw_excluded); i++)
		if (!strcmp(rel, sw_excluded[i]))
			return true;
	return false;
}

/* Adds the entries below real/rel (rel "" for the package root). */
static int walk(struct sw_nodes *ns, size_t pkg, const char *real, const char *rel)
{
	_cleanup_free_ char *dir = *rel ? path_join(real, rel) : xstrdup(real);
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (excluded(sub))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			nodes_add(ns, sub, pkg, 'd', NULL);
			r = walk(ns, pkg, real, sub);
		} else if (S_ISLNK(st.st_mode)) {
			char buf[PATH_MAX];
			ssize_t len = readlinkat(dirfd(d), de->d_name, buf, sizeof(buf) - 1);
			if (len < 0) {
				r = -errno;
			} else {
				buf[len] = '\0';
				nodes_add(ns, sub, pkg, 'l', buf);
			}
		} else if (S_ISREG(st.st_mode)) {
			nodes_add(ns, sub, pkg, (st.st_mode & S_IXUSR) ? 'x' : 'f', NULL);
		} else {
			r = -EINVAL;
		}
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	return r;
}

/* ------------------------------------------------------------ deciding */

static bool same_file(const struct sw_pkg *pkgs, const struct sw_node *a,
		      const struct sw_node *b)
{
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
	_cleanup_free_ char *pa = path_join(pkgs[a->pkg].real, a->rel);
	_cleanup_free_ char *pb = path_join(pkgs[b->pkg].real, b->rel);
	bool same;

	if (a->type != b->type)
		return false;
	if (a->type == 'l')
		return !strcmp(a->target, b->target);
	if (a->type == 'd')
		return true;
	same = read_file(pa, &x) >= 0 && read_file(pb, &y) >= 0 && x.len == y.len &&
	       !memcmp(strbuf_str(&x), strbuf_str(&y), x.len);
	strbuf_release(&x);
	strbuf_release(&y);
	return same;
}

/* Index (in v[0..k)) of the winner among the package nodes of one path, or
 * -1 for a conflict. */
static ssize_t pick(const struct sw_pkg *pkgs, const struct sw_node *v, size_t k,
		    const struct cfg_strlist *prefer)
{
	bool all_same = true;

	for (size_t i = 1; i < k && all_same; i++)
		all_same = same_file(pkgs, &v[0], &v[i]);
	if (all_same)
		return 0;
	for (size_t p = 0; prefer && p < prefer->n; p++)
		for (size_t i = 0; i < k; i++)
			if (!strcmp(pkgs[v[i].pkg].name, prefer->v[p].value))
				return (ssize_t)i;
	return -1;
}

static int make_link(const char *out_dir, const char *rel, const char *target)
{
	_cleanup_free_ char *path = path_join(out_dir, rel);

	if (symlink(target, path) == 0)
		return 0;
	if (errno == ENOENT) { /* a fallback below a directory no package has */
		_cleanup_free_ char *parent = xstrdup(path);
		int r;
		*strrchr(parent, '/') = '\0';
		r = mkdir_p(parent, 0755);
		if (r < 0)
			return r;
		if (symlink(target, path) == 0)
			return 0;
	}
	return -errno;
}

static int make_node(const struct sw_pkg *pkgs, const struct sw_node *w, const char *out_dir)
{
	_cleanup_free_ char *path = NULL;

	if (w->type == 'd') {
		path = path_join(out_dir, w->rel);
		return mkdir(path, 0755) < 0 ? -errno : 0;
	}
	if (w->type == 'l')
		return make_link(out_dir, w->rel, w->target);
	path = path_join(pkgs[w->pkg].path, w->rel);
	return make_link(out_dir, w->rel, path);
}

static void conflict(struct strbuf *err, const struct sw_pkg *pkgs, const struct sw_node *v,
		     size_t k)
{
	strbuf_addf(err, "%ssw: packages %s", err->len ? "\n" : "", pkgs[v[0].pkg].name);
	for (size_t i = 1; i < k; i++)
		strbuf_addf(err, "%s%s", i + 1 == k ? " and " : ", ", pkgs[v[i].pkg].name);
	strbuf_addf(err, " both provide /%s (list the one that should win in sw.prefer)",
		    v[0].rel);
}

int sw_merge(const struct sw_pkg *pkgs, size_t n, const struct cfg_strlist *prefer,
	     const struct sw_fallbacks *fallbacks, const char *out_dir, struct strbuf *err)
{
	struct sw_nodes ns = { NULL, 0, 0 };
	const char *shadowed = NULL; /* a non-directory hiding other packages' subtrees */
	size_t shadowed_len = 0;
	int r = 0, conflicts = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		r = walk(&ns, i, pkgs[i].real, "");
		if (r < 0)
			strbuf_addf(err, "%ssw: cannot read package %s (%s): %s",
				    err->len ? "\n" : "", pkgs[i].name, pkgs[i].real, strerror(-r));
	}
	for (size_t i = 0; fallbacks && i < fallbacks->n; i++)
		nodes_add(&ns, fallbacks->v[i].rel, n, 'l', fallbacks->v[i].target);
	if (r == 0 && mkdir(out_dir, 0755) < 0)
		r = -errno;
	if (ns.n)
		qsort(ns.v, ns.n, sizeof(*ns.v), node_cmp);

	for (size_t i = 0; i < ns.n && r == 0;) {
		size_t k = 1, npkg;
		ssize_t w;

		while (i + k < ns.n && !strcmp(ns.v[i + k].rel, ns.v[i].rel))
			k++;
		if (shadowed && !strncmp(ns.v[i].rel, shadowed, shadowed_len) &&
		    ns.v[i].rel[shadowed_len] == '/') {
			i += k;
			continue;
		}
		/* fallbacks sort last in a group: used only when alone */
		for (npkg = 0; npkg < k && ns.v[i + npkg].pkg < n; npkg++)
			;
		w = npkg ? pick(pkgs, &ns.v[i], npkg, prefer) : 0;
		if (w < 0) {
			if (conflicts++ < 20)
				conflict(err, pkgs, &ns.v[i], npkg);
			w = 0; /* keep going to report every conflict; nothing is kept */
		}
		r = make_node(pkgs, &ns.v[i + w], out_dir);
		if (r < 0)
			strbuf_addf(err, "%ssw: cannot create /%s: %s", err->len ? "\n" : "",
				    ns.v[i + w].rel, strerror(-r));
		if (ns.v[i + w].type != 'd') {
			shadowed = ns.v[i + w].rel;
			shadowed_len = strlen(shadowed);
		}
		i += k;
	}
	nodes_release(&ns);
	if (r == 0 && conflicts)
		r = -1;
	return r;
}

/* -------------------------------------------------------------- busybox */

/* The ELF machine of a file (0 if it is not ELF). */
static unsigned elf_machine(const char *path)
{
	unsigned char h[20];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read_full(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h, "\177ELF", 4))
		return 0;
	return h[5] == 2 ? (unsigned)h[18] << 8 | h[19] : (unsigned)h[19] << 8 | h[18];
}

static const char *qemu_for(unsigned machine)
{
	struct utsname u;
	unsigned host = 0;

	if (uname(&u) == 0)
		host = !strcmp(u.machine, "x86_64") ? 62 : !strcmp(u.machine, "aarch64") ? 183 : 0;
	if (machine == 0 || machine == host)
		return NULL;
	return machine == 183 ? "qemu-aarch64" : machine == 62 ? "qemu-x86_64" : "";
}

/* Runs argv with stdout into out (stderr discarded). Returns the exit
 * status, or -errno when it could not start. */
static int run_capture(char *const argv[], struct strbuf *out)
{
	static char *const env[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	int p[2], status;
	pid_t pid;
	char buf[4096];
	ssize_t len;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(p[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execvpe(argv[0], argv, env);
		_exit(127);
	}
	close(p[1]);
	while ((len = read(p[0], buf, sizeof(buf))) > 0 || (len < 0 && errno == EINTR))
		if (len > 0)
			strbuf_add(out, buf, (size_t)len);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool applet_dir_ok(const char *line, const char **ret_name)
{
	static const char *const dirs[] = { "bin/", "sbin/", "usr/bin/", "usr/sbin/" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t l = strlen(dirs[i]);
		if (!strncmp(line, dirs[i], l) && path_component_ok(line + l)) {
			*ret_name = line + l;
			return true;
		}
	}
	return false;
}

/* The link text that, placed at from (relative to the sw root), reaches to
 * (relative to the sw root): "busybox" within one directory, else "../"
 * for each directory of from, then to. Caller frees. */
static char *sw_relative_link(const char *from, const char *to)
{
	const char *slash = strrchr(from, '/'), *tslash = strrchr(to, '/');
	struct strbuf sb = STRBUF_INIT;

	if (slash && tslash && slash - from == tslash - to && !strncmp(from, to, slash - from))
		return xstrdup(tslash + 1);
	for (const char *p = from; (p = strchr(p, '/')); p++)
		strbuf_adds(&sb, "../");
	strbuf_adds(&sb, to);
	return strbuf_detach(&sb, NULL);
}

int busybox_applets(const char *real_bin, const char *target, struct sw_fallbacks *ret,
		    struct strbuf *err)
{
	unsigned machine = elf_machine(real_bin);
	const char *qemu = qemu_for(machine);
	char *argv[4];
	struct strbuf out = STRBUF_INIT;
	size_t argc = 0, count = 0;
	int r;

	if (qemu && !*qemu) {
		strbuf_addf(err, "busybox %s: ELF machine %u is neither x86_64 nor aarch64",
			    real_bin, machine);
		return -1;
	}
	if (qemu)
		argv[argc++] = (char *)qemu;
	argv[argc++] = (char *)real_bin;
	argv[argc++] = "--list-full";
	argv[argc] = NULL;
	r = run_capture(argv, &out);
	if (r != 0) {
		strbuf_addf(err, "cannot list the applets of %s: %s%s%s", real_bin,
			    qemu ? qemu : "busybox", r == 127 ? " could not be run" : " failed",
			    qemu && r == 127 ? " (install qemu-user)" : "");
		strbuf_release(&out);
		return -1;
	}
	for (char *line = out.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		const char *name;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (applet_dir_ok(line, &name) && strcmp(name, "busybox")) {
			if (target[0] == '/') {
				sw_fallbacks_add(ret, line, target);
			} else {
				_cleanup_free_ char *rel = sw_relative_link(line, target);
				sw_fallbacks_add(ret, line, rel);
			}
			count++;
		}
	}
	strbuf_release(&out);
	if (!count) {
		strbuf_addf(err, "%s --list-full listed no applets", real_bin);
		return -1;
	}
	return 0;
}
