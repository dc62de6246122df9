/* system_test.c — the sw merge on fixture package trees, busybox applets, and
 * system_build() on a private store (layout, closure file, no-op rebuild,
 * conflicts and sw.prefer). */
#include "system.h"

#include "fsutil.h"
#include "imagegen.h"
#include "nar.h"

#define TEST_IMPLEMENTATION
#include "test.h"

/* ------------------------------------------------------------ fixtures */

static void put(const char *root, const char *rel, const char *data, mode_t mode)
{
	_cleanup_free_ char *path = path_join(root, rel);
	_cleanup_free_ char *parent = xstrdup(path);
	int fd;

	*strrchr(parent, '/') = '\0';
	if (mkdir_p(parent, 0755) < 0)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write_full(fd, data, strlen(data)) < 0)
		abort();
	close(fd);
	chmod(path, mode);
}

static void put_link(const char *root, const char *rel, const char *target)
{
	_cleanup_free_ char *path = path_join(root, rel);
	_cleanup_free_ char *parent = xstrdup(path);

	*strrchr(parent, '/') = '\0';
	if (mkdir_p(parent, 0755) < 0 || symlink(target, path) < 0)
		abort();
}

#define FAKE_BUSYBOX                                                        \
	"#!/bin/sh\n"                                                       \
	"[ \"$1\" = --list-full ] || exit 1\n"                              \
	"printf 'bin/sh\\nbin/ls\\nsbin/init\\nusr/bin/env\\nusr/sbin/x\\nlinuxrc\\nbin/busybox\\n'\n"

/* Package trees under DIR/<name>: the contents each fixture package ships. */
static char *make_pkg(const char *dir, const char *name)
{
	char *root = path_join(dir, name);

	if (!strcmp(name, "fake-kernel")) {
		put(root, "boot/vmlinuz-1.0-test", "kernel image", 0644);
		put(root, "lib/modules/1.0-test/modules.order", "", 0644);
		put(root, "usr/share/doc/fake-kernel/copyright", "c", 0644);
	} else if (!strcmp(name, "fake-busybox")) {
		put(root, "bin/busybox", FAKE_BUSYBOX, 0755);
		put(root, "usr/share/doc/fake-busybox/copyright", "c", 0644);
	} else if (!strcmp(name, "tool-a")) {
		put(root, "bin/ls", "real ls", 0755);
		put(root, "usr/bin/tool", "tool a", 0755);
		put(root, "usr/lib/liba.so.1.0", "lib", 0644);
		put_link(root, "usr/lib/liba.so.1", "liba.so.1.0");
		put(root, "usr/share/same", "identical", 0644);
		put(root, "etc/tool.conf", "conf", 0644);
	} else if (!strcmp(name, "tool-b")) {
		put(root, "usr/bin/tool", "tool b", 0755);
		put(root, "usr/share/same", "identical", 0644);
		put(root, "usr/lib/liba.so.1", "a file where tool-a has a link", 0644);
	} else if (!strcmp(name, "dir-pkg")) {
		put(root, "usr/bin/tool/inner", "a directory where others have a file", 0644);
	}
	return root;
}

static char *read_link(const char *root, const char *rel)
{
	_cleanup_free_ char *path = path_join(root, rel);
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return xstrdup("(none)");
	buf[n] = '\0';
	return xstrdup(buf);
}

static bool is_dir(const char *root, const char *rel)
{
	_cleanup_free_ char *path = path_join(root, rel);
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *root, const char *rel)
{
	_cleanup_free_ char *path = path_join(root, rel);
	struct stat st;
	return lstat(path, &st) == 0;
}

/* ------------------------------------------------------------ sw_merge */

static const char *fixtures(void)
{
	static char *dir;
	if (!dir) {
		dir = path_join(test_tmpdir(), "pkgs");
		free(make_pkg(dir, "fake-busybox"));
		free(make_pkg(dir, "tool-a"));
		free(make_pkg(dir, "tool-b"));
		free(make_pkg(dir, "dir-pkg"));
	}
	return dir;
}

static struct sw_pkg fixture_pkg(const char *name)
{
	return (struct sw_pkg){ name, xasprintf("/kiln/store/00000000000000000000000000000000-%s", name),
				path_join(fixtures(), name) };
}

static void free_pkgs(struct sw_pkg *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)p[i].path);
		free((char *)p[i].real);
	}
}

TEST(busybox_applets_from_list_full)
{
	_cleanup_free_ char *bin = path_join(fixtures(), "fake-busybox/bin/busybox");
	struct sw_fallbacks f = SW_FALLBACKS_INIT;
	struct strbuf err = STRBUF_INIT;

	CHECK(busybox_applets(bin, "/kiln/store/x-bb/bin/busybox", &f, &err) == 0);
	/* linuxrc (not in a bin dir) and busybox itself are left out */
	CHECK_EQ(f.n, 5);
	CHECK_STREQ(f.v[0].rel, "bin/sh");
	CHECK_STREQ(f.v[2].rel, "sbin/init");
	CHECK_STREQ(f.v[4].rel, "usr/sbin/x");
	CHECK_STREQ(f.v[0].target, "/kiln/store/x-bb/bin/busybox");
	sw_fallbacks_release(&f);
	strbuf_release(&err);
}

TEST(busybox_applets_relative_to_sw_are_short)
{
	_cleanup_free_ char *bin = path_join(fixtures(), "fake-busybox/bin/busybox");
	struct sw_fallbacks f = SW_FALLBACKS_INIT;
	struct strbuf err = STRBUF_INIT;

	CHECK(busybox_applets(bin, "bin/busybox", &f, &err) == 0);
	CHECK_EQ(f.n, 5);
	CHECK_STREQ(f.v[0].rel, "bin/sh");
	CHECK_STREQ(f.v[0].target, "busybox");           /* same directory */
	CHECK_STREQ(f.v[2].rel, "sbin/init");
	CHECK_STREQ(f.v[2].target, "../bin/busybox");
	CHECK_STREQ(f.v[4].rel, "usr/sbin/x");
	CHECK_STREQ(f.v[4].target, "../../bin/busybox");
	sw_fallbacks_release(&f);
	strbuf_release(&err);
}

TEST(merge_links_files_keeps_symlinks_and_fills_applets)
{
	struct sw_pkg p[2] = { fixture_pkg("fake-busybox"), fixture_pkg("tool-a") };
	struct sw_fallbacks f = SW_FALLBACKS_INIT;
	_cleanup_free_ char *out = path_join(test_tmpdir(), "sw1");
	_cleanup_free_ char *bin = path_join(p[0].real, "bin/busybox");
	_cleanup_free_ char *bbtarget = path_join(p[0].path, "bin/busybox");
	struct strbuf err = STRBUF_INIT;
	char *l;

	CHECK(busybox_applets(bin, bbtarget, &f, &err) == 0);
	CHECK(sw_merge(p, 2, NULL, &f, out, &err) == 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	CHECK(is_dir(out, "bin") && is_dir(out, "usr/lib") && is_dir(out, "etc"));
	l = read_link(out, "bin/ls"); /* a package's file beats the applet */
	CHECK_STREQ(l, "/kiln/store/00000000000000000000000000000000-tool-a/bin/ls");
	free(l);
	l = read_link(out, "bin/sh");
	CHECK_STREQ(l, bbtarget);
	free(l);
	l = read_link(out, "usr/sbin/x"); /* a fallback creates its directory */
	CHECK_STREQ(l, bbtarget);
	free(l);
	l = read_link(out, "usr/lib/liba.so.1"); /* shipped symlink: target verbatim */
	CHECK_STREQ(l, "liba.so.1.0");
	free(l);
	l = read_link(out, "bin/busybox");
	CHECK_STREQ(l, bbtarget);
	free(l);
	CHECK(!exists(out, "usr/share/doc"));
	sw_fallbacks_release(&f);
	free_pkgs(p, 2);
	strbuf_release(&err);
}

TEST(conflict_names_both_packages_and_the_path)
{
	struct sw_pkg p[2] = { fixture_pkg("tool-a"), fixture_pkg("tool-b") };
	_cleanup_free_ char *out = path_join(test_tmpdir(), "sw2");
	struct strbuf err = STRBUF_INIT;

	CHECK(sw_merge(p, 2, NULL, NULL, out, &err) == -1);
	/* identical usr/share/same is fine; the two real conflicts are reported */
	CHECK_STREQ(err.buf, "sw: packages tool-a and tool-b both provide /usr/bin/tool "
			     "(list the one that should win in sw.prefer)\n"
			     "sw: packages tool-a and tool-b both provide /usr/lib/liba.so.1 "
			     "(list the one that should win in sw.prefer)");
	free_pkgs(p, 2);
	strbuf_release(&err);
}

TEST(prefer_decides_conflicts_first_listed_wins)
{
	struct sw_pkg p[2] = { fixture_pkg("tool-a"), fixture_pkg("tool-b") };
	_cleanup_free_ char *out = path_join(test_tmpdir(), "sw3");
	struct cfg_str pv[2] = { { "tool-b", { "x.cfg", 1 } }, { "tool-a", { "x.cfg", 1 } } };
	struct cfg_strlist prefer = { pv, 2 };
	struct strbuf err = STRBUF_INIT;
	char *l;

	CHECK(sw_merge(p, 2, &prefer, NULL, out, &err) == 0);
	l = read_link(out, "usr/bin/tool");
	CHECK_STREQ(l, "/kiln/store/00000000000000000000000000000000-tool-b/usr/bin/tool");
	free(l);
	l = read_link(out, "usr/lib/liba.so.1");
	CHECK_STREQ(l, "/kiln/store/00000000000000000000000000000000-tool-b/usr/lib/liba.so.1");
	free(l);
	l = read_link(out, "usr/share/same"); /* identical: the first package */
	CHECK_STREQ(l, "/kiln/store/00000000000000000000000000000000-tool-a/usr/share/same");
	free(l);
	free_pkgs(p, 2);
	strbuf_release(&err);
}

TEST(file_against_directory)
{
	struct sw_pkg p[2] = { fixture_pkg("tool-a"), fixture_pkg("dir-pkg") };
	_cleanup_free_ char *o1 = path_join(test_tmpdir(), "sw4");
	_cleanup_free_ char *o2 = path_join(test_tmpdir(), "sw5");
	struct cfg_str pv[1] = { { "tool-a", { "x.cfg", 1 } } };
	struct cfg_strlist prefer = { pv, 1 };
	struct strbuf err = STRBUF_INIT;
	char *l;

	CHECK(sw_merge(p, 2, NULL, NULL, o1, &err) == -1);
	CHECK(strstr(strbuf_str(&err), "packages tool-a and dir-pkg both provide /usr/bin/tool "));
	strbuf_reset(&err);
	/* the file wins: the other package's directory below it disappears */
	CHECK(sw_merge(p, 2, &prefer, NULL, o2, &err) == 0);
	l = read_link(o2, "usr/bin/tool");
	CHECK_STREQ(l, "/kiln/store/00000000000000000000000000000000-tool-a/usr/bin/tool");
	free(l);
	free_pkgs(p, 2);
	strbuf_release(&err);
}

/* --------------------------------------------------------- system_build */

struct world {
	struct store s;
	struct deb_set debs;
	struct kiln_config cfg;
};

/* Adds a fixture package to the store (refs: deps) and to w->debs. */
static char *add_pkg(struct world *w, const char *name, const struct path_list *deps)
{
	_cleanup_free_ char *dir = path_join(test_tmpdir(), "src");
	_cleanup_free_ char *root = make_pkg(dir, name);
	_cleanup_free_ char *tmp = store_tmp_name(&w->s);
	char *path = NULL;
	struct deb_entry *e;

	if (rename(root, tmp) < 0 || store_add_recursive(&w->s, tmp, name, deps, &path) < 0)
		abort();
	w->debs.v = xrealloc(w->debs.v, (w->debs.n + 1) * sizeof(*w->debs.v));
	e = &w->debs.v[w->debs.n++];
	*e = (struct deb_entry){ xstrdup(name), xstrdup("1.0"), xstrdup("amd64"), xstrdup(path) };
	return path;
}

static int world_open(struct world *w, const char *name, const char *cfg_text,
		      struct strbuf *err)
{
	_cleanup_free_ char *base = path_join(test_tmpdir(), name);
	_cleanup_free_ char *real = path_join(base, "store");
	_cleanup_free_ char *db = path_join(base, "db");
	_cleanup_free_ char *cfg = path_join(test_tmpdir(), "sys.cfg");
	struct path_list deps = PATH_LIST_INIT;
	char *bb;

	_cleanup_free_ char *gendir = path_join(test_tmpdir(), "gentool");
	char *gentool = NULL;
	struct strbuf gerr = STRBUF_INIT;

	memset(w, 0, sizeof(*w));
	if (store_open(&w->s, KILN_STORE_DIR, real, db) < 0)
		abort();
	/* every system carries kiln-generation (imagegen.h): a stand-in, added
	 * now so the tests' store counts only see what system_build adds */
	put(gendir, "kiln-generation-x86_64", "#!/bin/sh\n", 0755);
	setenv("KILN_GENTOOL_DIR", gendir, 1);
	if (gentool_realise(&w->s, "x86_64", &gentool, &gerr) < 0)
		abort();
	free(gentool);
	strbuf_release(&gerr);
	free(add_pkg(w, "fake-kernel", NULL));
	bb = add_pkg(w, "fake-busybox", NULL);
	path_list_add(&deps, bb);
	free(add_pkg(w, "tool-a", &deps)); /* tool-a depends on busybox */
	free(add_pkg(w, "tool-b", NULL));
	free(bb);
	path_list_release(&deps);
	if (write_file_atomic(cfg, cfg_text, strlen(cfg_text), 0644) < 0)
		abort();
	return config_load(cfg, &w->cfg, err);
}

static void world_close(struct world *w)
{
	deb_set_release(&w->debs);
	config_release(&w->cfg);
	store_close(&w->s);
}

#define SYS_CFG                                                               \
	"system = { name = \"fixture\"; };\n"                                 \
	"boot = { kernel = \"fake-kernel\"; params = [\"console=ttyS0\", \"quiet\"]; };\n" \
	"users = { admin = { uid = 1000; }; };\n"

static char *sys_file(const struct store *s, const char *sys, const char *rel)
{
	_cleanup_free_ char *logical = path_join(sys, rel);
	_cleanup_free_ char *real = store_real_path(s, logical);
	struct strbuf sb = STRBUF_INIT;
	if (read_file(real, &sb) < 0)
		strbuf_adds(&sb, "(unreadable)");
	return strbuf_detach(&sb, NULL);
}

TEST(system_build_layout_closure_and_noop)
{
	struct world w;
	struct strbuf err = STRBUF_INIT;
	struct system_spec spec;
	char *sys = NULL, *again = NULL, *t;
	_cleanup_free_ char *real = NULL;
	struct path_list roots = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	size_t before;

	CHECK(world_open(&w, "world1", SYS_CFG "packages = [\"tool-a\"];\n", &err) == 0);
	spec = (struct system_spec){ .cfg = &w.cfg, .debs = &w.debs };
	CHECK(system_build(&w.s, &spec, &sys, &err) == 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	if (!sys)
		return;
	CHECK(strstr(sys, "-fixture-system") != NULL);
	real = store_real_path(&w.s, sys);
	t = sys_file(&w.s, sys, "name");
	CHECK_STREQ(t, "fixture\n");
	free(t);
	t = sys_file(&w.s, sys, "arch");
	CHECK_STREQ(t, "x86_64\n");
	free(t);
	t = sys_file(&w.s, sys, "kernel-params");
	CHECK_STREQ(t, "console=ttyS0 quiet\n");
	free(t);
	t = sys_file(&w.s, sys, "kernel-version");
	CHECK_STREQ(t, "1.0-test\n");
	free(t);
	t = read_link(real, "kernel");
	CHECK(strstr(t, "-fake-kernel/boot/vmlinuz-1.0-test") != NULL);
	free(t);
	t = read_link(real, "kernel-modules");
	CHECK(strstr(t, "-fake-kernel/lib/modules/1.0-test") != NULL);
	free(t);
	t = read_link(real, "init");
	CHECK_STREQ(t, "sw/sbin/init");
	free(t);
	t = sys_file(&w.s, sys, "etc/passwd");
	CHECK(strstr(t, "admin:x:1000:1000::/home/admin:/bin/sh\n") != NULL);
	free(t);
	t = sys_file(&w.s, sys, "etc/os-release");
	{
		_cleanup_free_ char *id = xasprintf("BUILD_ID=%.32s\n", sys + strlen("/kiln/store/"));
		CHECK(strstr(t, id) != NULL);
	}
	free(t);
	/* sw: a path of its own holding tool-a and its dependency fake-busybox,
	 * not tool-b nor the kernel */
	t = read_link(real, "sw");
	CHECK(t && !strncmp(t, "/kiln/store/", 12) && strlen(t) == 12 + 32 + 3 &&
	      !strcmp(t + 12 + 32, "-sw"));
	{
		_cleanup_free_ char *sw = t ? store_real_path(&w.s, t) : NULL;
		CHECK(sw && exists(sw, "usr/bin/tool") && exists(sw, "sbin/init"));
		CHECK(sw && !exists(sw, "boot") && !exists(sw, "lib/modules"));
		free(t);
		t = sw ? read_link(sw, "usr/bin/tool") : NULL;
		CHECK(t && strstr(t, "-tool-a/usr/bin/tool") != NULL);
	}
	free(t);

	/* closure file = kiln closure minus the system, with NAR hash and size */
	path_list_add(&roots, sys);
	CHECK(store_closure(&w.s, &roots, &closure) == 0);
	CHECK_EQ(closure.n, 6); /* system, sw, kernel, tool-a, busybox, kiln-generation */
	t = sys_file(&w.s, sys, "closure");
	for (size_t i = 0; i < closure.n; i++) {
		const struct path_info *pi = store_query(&w.s, closure.v[i]);
		_cleanup_free_ char *h = nar_hash_format(pi->nar_hash);
		_cleanup_free_ char *line = xasprintf("%s %s %" PRIu64 "\n", pi->path, h, pi->nar_size);
		CHECK((strstr(t, line) != NULL) == (strcmp(closure.v[i], sys) != 0));
	}
	free(t);
	t = sys_file(&w.s, sys, "packages");
	CHECK(!strncmp(t, "fake-busybox 1.0 amd64 /kiln/store/", 35));
	CHECK(strstr(t, "\nfake-kernel 1.0 amd64 ") && strstr(t, "\ntool-a 1.0 amd64 "));
	CHECK(!strstr(t, "tool-b"));
	free(t);
	CHECK(store_verify_path(&w.s, sys) == 0);

	/* again: the same path, nothing added */
	before = w.s.ninfos;
	CHECK(system_build(&w.s, &spec, &again, &err) == 0);
	CHECK_STREQ(again, sys);
	CHECK_EQ(w.s.ninfos, before);
	free(sys);
	free(again);
	path_list_release(&roots);
	path_list_release(&closure);
	strbuf_release(&err);
	world_close(&w);
}

TEST(system_build_conflict_then_prefer)
{
	struct world w;
	struct strbuf err = STRBUF_INIT;
	struct system_spec spec;
	char *sys = NULL;
	size_t before;

	CHECK(world_open(&w, "world2", SYS_CFG "packages = [\"tool-a\", \"tool-b\"];\n", &err) == 0);
	spec = (struct system_spec){ .cfg = &w.cfg, .debs = &w.debs };
	before = w.s.ninfos;
	CHECK(system_build(&w.s, &spec, &sys, &err) == -1);
	CHECK(strstr(strbuf_str(&err), "sw: packages tool-a and tool-b both provide /usr/bin/tool"));
	CHECK_EQ(w.s.ninfos, before); /* nothing half-done */
	CHECK(sys == NULL);
	config_release(&w.cfg);
	strbuf_reset(&err);

	{
		_cleanup_free_ char *cfg = path_join(test_tmpdir(), "sys2.cfg");
		const char *text = SYS_CFG "packages = [\"tool-a\", \"tool-b\"];\n"
				   "sw = { prefer = [\"tool-b\"]; };\n";
		CHECK(write_file_atomic(cfg, text, strlen(text), 0644) == 0);
		CHECK(config_load(cfg, &w.cfg, &err) == 0);
	}
	CHECK(system_build(&w.s, &spec, &sys, &err) == 0);
	CHECK_EQ(w.s.ninfos, before + 2); /* sw and the system */
	free(sys);
	strbuf_release(&err);
	world_close(&w);
}

TEST(system_build_without_init_or_kernel_image)
{
	struct world w;
	struct strbuf err = STRBUF_INIT;
	struct system_spec spec;
	char *sys = NULL;

	/* tool-b alone: no busybox, so no /sbin/init */
	CHECK(world_open(&w, "world3", SYS_CFG "packages = [\"tool-b\"];\n", &err) == 0);
	spec = (struct system_spec){ .cfg = &w.cfg, .debs = &w.debs };
	CHECK(system_build(&w.s, &spec, &sys, &err) == -1);
	CHECK(strstr(strbuf_str(&err), "no package provides /sbin/init"));
	config_release(&w.cfg);
	strbuf_reset(&err);

	{
		_cleanup_free_ char *cfg = path_join(test_tmpdir(), "sys3.cfg");
		const char *text = "system = { name = \"k\"; };\nboot = { kernel = \"tool-b\"; };\n"
				   "packages = [\"tool-a\"];\n";
		CHECK(write_file_atomic(cfg, text, strlen(text), 0644) == 0);
		CHECK(config_load(cfg, &w.cfg, &err) == 0);
	}
	CHECK(system_build(&w.s, &spec, &sys, &err) == -1);
	CHECK(strstr(strbuf_str(&err), "sys3.cfg:2: boot.kernel: package 'tool-b' and its "
				       "dependencies ship no /boot/vmlinuz-*"));
	strbuf_release(&err);
	world_close(&w);
}

int main(void)
{
	return test_main();
}
