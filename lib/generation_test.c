#define TEST_IMPLEMENTATION
#include "test.h"
#include "generation.h"
#include "fsutil.h"

#define H1 "/kiln/store/0123456789abcdfghijklmnpqrsvwxyz"
#define SYS1 H1 "-a-system"
#define SYS2 "/kiln/store/1123456789abcdfghijklmnpqrsvwxyz-b-system"
#define PKG1 "/kiln/store/2123456789abcdfghijklmnpqrsvwxyz-only1"
#define PKG2 "/kiln/store/3123456789abcdfghijklmnpqrsvwxyz-shared"

static void put(const char *root, const char *path, const char *text)
{
	_cleanup_free_ char *p = path_join(root, path);
	_cleanup_free_ char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755);
	write_file_atomic(p, text, strlen(text), 0644);
}

static void link_(const char *root, const char *path, const char *target)
{
	_cleanup_free_ char *p = path_join(root, path);
	if (symlink(target, p) < 0)
		abort();
}

static void record(struct strbuf *reg, const char *path, const char *ref1, const char *ref2)
{
	struct path_info pi = { .path = (char *)path, .nar_size = 1000 };
	if (ref1)
		path_list_add(&pi.refs, ref1);
	if (ref2)
		path_list_add(&pi.refs, ref2);
	path_list_sort_uniq(&pi.refs);
	store_format_record(&pi, reg);
	path_list_release(&pi.refs);
}

/* Two systems: 1 uses PKG1 and PKG2, 2 uses PKG2; generation 1 is the default. */
static char *make_root(const char *name, bool two)
{
	char *root = path_join(test_tmpdir(), name);
	struct strbuf reg = STRBUF_INIT;
	put(root, PKG1 "/f", "one");
	put(root, PKG2 "/f", "shared");
	put(root, SYS1 "/name", "a\n");
	put(root, SYS1 "/kernel-version", "6.1\n");
	link_(root, SYS1 "/kernel", PKG2 "/f");
	link_(root, SYS1 "/initrd", PKG2 "/f");
	record(&reg, PKG1, NULL, NULL);
	record(&reg, PKG2, NULL, NULL);
	record(&reg, SYS1, PKG1, PKG2);
	if (two) {
		put(root, SYS2 "/name", "b\n");
		link_(root, SYS2 "/kernel", PKG2 "/f");
		link_(root, SYS2 "/initrd", PKG2 "/f");
		record(&reg, SYS2, PKG2, NULL);
	}
	put(root, GEN_REGISTRY, reg.buf);
	put(root, "/boot/grub/grub.cfg", "set timeout=5\n");
	put(root, GEN_PROFILES "/.keep", "");
	link_(root, GEN_PROFILES "/system-1-link", SYS1);
	if (two)
		link_(root, GEN_PROFILES "/system-2-link", SYS2);
	link_(root, GEN_PROFILES "/system", "system-1-link");
	strbuf_release(&reg);
	return root;
}

struct menu_seen {
	int calls, default_gen, trial_gen, good_gen, entries, timeout;
};

static int menu(void *opaque, const struct gen_boot_menu *m, struct strbuf *out)
{
	struct menu_seen *s = opaque;
	s->calls++;
	s->default_gen = m->default_gen;
	s->trial_gen = m->trial_gen;
	s->good_gen = m->good_gen;
	s->entries = (int)m->list->n;
	s->timeout = m->list->timeout;
	strbuf_addf(out, "set timeout=%d\nset default='gen-%d'\n", m->list->timeout, m->default_gen);
	return 0;
}

TEST(bootenv_is_1024_bytes_and_round_trips)
{
	struct gen_bootenv e = { .tries = 2 }, back;
	struct strbuf sb = STRBUF_INIT;
	snprintf(e.tries_gen, sizeof(e.tries_gen), "gen-3");
	snprintf(e.good, sizeof(e.good), "gen-2");
	gen_bootenv_format(&e, &sb);
	CHECK_EQ(sb.len, GEN_GRUBENV_SIZE);
	CHECK(!strncmp(sb.buf, "# GRUB Environment Block\n", 25));
	CHECK_EQ(gen_bootenv_parse(sb.buf, sb.len, &back), 0);
	CHECK_STREQ(back.tries_gen, "gen-3");
	CHECK_STREQ(back.good, "gen-2");
	CHECK_STREQ(back.once, "");
	CHECK_EQ(back.tries, 2);
	CHECK_EQ(gen_bootenv_parse("garbage", 7, &back), -EBADMSG);
	strbuf_release(&sb);
}

TEST(list_reads_profiles_names_and_default)
{
	_cleanup_free_ char *root = make_root("list", true);
	struct gen_root r;
	struct gen_list l;
	CHECK_EQ(gen_root_open_dir(root, "x86_64", &r), 0);
	CHECK_EQ(gen_list(&r, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.current, 1);
	CHECK_EQ(l.timeout, 5);
	CHECK_STREQ(l.v[0].system, SYS1);
	CHECK_STREQ(l.v[0].name, "a");
	CHECK_STREQ(l.v[0].kernel_version, "6.1");
	CHECK(l.v[0].is_default && !l.v[1].is_default);
	CHECK_STREQ(l.v[1].kernel, PKG2 "/f");
	gen_list_release(&l);
	gen_root_close(&r);
}

TEST(not_a_kiln_root)
{
	struct gen_root r;
	CHECK_EQ(gen_root_open_dir(test_tmpdir(), "x86_64", &r), -EMEDIUMTYPE);
}

TEST(rollback_needs_an_older_generation)
{
	_cleanup_free_ char *root = make_root("one", false);
	struct menu_seen seen = { 0 };
	struct gen_ops ops = { menu, &seen, 0 };
	struct gen_root r;
	CHECK_EQ(gen_root_open_dir(root, "x86_64", &r), 0);
	CHECK_EQ(gen_set_default(&r, 0, &ops, NULL), -ESRCH);
	CHECK_EQ(seen.calls, 0);
	gen_root_close(&r);
}

TEST(set_default_moves_the_link_and_rewrites_the_menu)
{
	_cleanup_free_ char *root = make_root("default", true);
	_cleanup_free_ char *cfg = path_join(root, GEN_GRUB_CFG);
	struct menu_seen seen = { 0 };
	struct gen_ops ops = { menu, &seen, 0 };
	struct gen_root r;
	struct strbuf sb = STRBUF_INIT;
	int n = 0;
	CHECK_EQ(gen_root_open_dir(root, "x86_64", &r), 0);
	CHECK_EQ(gen_set_default(&r, 2, &ops, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(seen.default_gen, 2);
	CHECK_EQ(seen.trial_gen, 0);
	CHECK_EQ(read_file(cfg, &sb), 0);
	CHECK(strstr(sb.buf, "set default='gen-2'") != NULL);
	/* rollback from 2 goes to 1 */
	CHECK_EQ(gen_set_default(&r, 0, &ops, &n), 0);
	CHECK_EQ(n, 1);
	strbuf_release(&sb);
	gen_root_close(&r);
}

TEST(trial_is_named_until_marked_good)
{
	_cleanup_free_ char *root = make_root("trial", true);
	struct menu_seen seen = { 0 };
	struct gen_ops ops = { menu, &seen, 0 };
	struct gen_bootenv env = { .tries = 3 };
	struct gen_root r;
	CHECK_EQ(gen_root_open_dir(root, "x86_64", &r), 0);
	/* what gen_add leaves: 2 default on trial, falling back to 1 */
	snprintf(env.tries_gen, sizeof(env.tries_gen), "gen-2");
	snprintf(env.good, sizeof(env.good), "gen-1");
	CHECK_EQ(gen_bootenv_write(&r, &env), 0);
	_cleanup_free_ char *sys = path_join(root, GEN_PROFILES "/system");
	unlink(sys);
	link_(root, GEN_PROFILES "/system", "system-2-link");
	CHECK_EQ(gen_sync_boot(&r, &ops), 0);
	CHECK_EQ(seen.trial_gen, 2);
	CHECK_EQ(seen.good_gen, 1);
	snprintf(env.ok, sizeof(env.ok), "gen-2");
	CHECK_EQ(gen_bootenv_write(&r, &env), 0);
	CHECK_EQ(gen_sync_boot(&r, &ops), 0);
	CHECK_EQ(seen.trial_gen, 0);
	gen_root_close(&r);
}

TEST(delete_refuses_the_default_and_gc_frees_only_unreachable)
{
	_cleanup_free_ char *root = make_root("gc", true);
	_cleanup_free_ char *only1 = path_join(root, PKG1);
	_cleanup_free_ char *shared = path_join(root, PKG2);
	struct menu_seen seen = { 0 };
	struct gen_ops ops = { menu, &seen, 0 };
	struct gen_root r;
	struct stat st;
	size_t deleted = 0, paths = 0;
	uint64_t bytes = 0;
	int one = 1, nine = 9;
	CHECK_EQ(gen_root_open_dir(root, "x86_64", &r), 0);
	CHECK_EQ(gen_delete(&r, &one, 1, 0, &ops, &deleted), -EBUSY);
	CHECK_EQ(gen_delete(&r, &nine, 1, 0, &ops, &deleted), -ESRCH);
	CHECK_EQ(gen_set_default(&r, 2, &ops, NULL), 0);
	CHECK_EQ(gen_delete(&r, &one, 1, 0, &ops, &deleted), 0);
	CHECK_EQ(deleted, 1);
	CHECK_EQ(seen.entries, 1);
	CHECK_EQ(gen_gc(&r, &paths, &bytes), 0);
	CHECK_EQ(paths, 2); /* SYS1 and PKG1 */
	CHECK_EQ(bytes, 2000);
	CHECK(lstat(only1, &st) < 0 && errno == ENOENT);
	CHECK_EQ(lstat(shared, &st), 0);
	struct store reg;
	CHECK_EQ(gen_load_registry(&r, &reg), 0);
	CHECK(!store_is_valid(&reg, SYS1) && !store_is_valid(&reg, PKG1));
	CHECK(store_is_valid(&reg, SYS2) && store_is_valid(&reg, PKG2));
	store_close(&reg);
	gen_root_close(&r);
}

int main(void)
{
	return test_main();
}
