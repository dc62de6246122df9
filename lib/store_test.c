/* store_test.c — the store: adds, registry durability, closure, verify, GC. */
#include "store.h"

#include <dirent.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "nar.h"
#include "strbuf.h"
#define TEST_IMPLEMENTATION
#include "test.h"

/* Each test gets its own store below the test tmpdir. */
struct fixture {
	char *root, *real, *db;
};

static void fixture_init(struct fixture *f, const char *tag)
{
	f->root = path_join(test_tmpdir(), tag);
	f->real = path_join(f->root, "store");
	f->db = path_join(f->root, "db");
}

static void fixture_release(struct fixture *f)
{
	rm_rf(f->root);
	free(f->root);
	free(f->real);
	free(f->db);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	chmod(path, mode); /* beyond the umask */
}

/* A small tree under a fresh temporary name: bin/hello (setuid, 0755),
 * share/doc (0600), link -> bin/hello. Returns the tmp (caller frees). */
static char *make_tree(struct store *s, const char *doc_text)
{
	char *tmp = store_tmp_name(s);
	_cleanup_free_ char *bin = path_join(tmp, "bin");
	_cleanup_free_ char *share = path_join(tmp, "share");
	_cleanup_free_ char *hello = path_join(bin, "hello");
	_cleanup_free_ char *doc = path_join(share, "doc");
	_cleanup_free_ char *link = path_join(tmp, "link");

	if (mkdir(tmp, 0700) || mkdir(bin, 0775) || mkdir(share, 0700))
		abort();
	write_text(hello, "#!/bin/sh\necho hello\n", 04755);
	write_text(doc, doc_text, 0600);
	if (symlink("bin/hello", link))
		abort();
	return tmp;
}

static char *add_tree(struct store *s, const char *doc_text, const struct path_list *refs)
{
	_cleanup_free_ char *tmp = make_tree(s, doc_text);
	char *path = NULL;
	if (store_add_recursive(s, tmp, "tree", refs, &path) < 0)
		return NULL;
	return path;
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

TEST(add_query_reopen)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "reopen");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *path = add_tree(&s, "doc\n", NULL);
	CHECK(path != NULL);
	CHECK(!strncmp(path, KILN_STORE_DIR "/", strlen(KILN_STORE_DIR) + 1));
	CHECK(store_is_valid(&s, path));

	/* The registration equals an independent NAR hash of the real path. */
	_cleanup_free_ char *real = store_real_path(&s, path);
	uint8_t h[SHA256_LEN];
	uint64_t size = 0;
	CHECK_EQ(nar_hash_path(real, h, &size), 0);
	const struct path_info *pi = store_query(&s, path);
	CHECK(pi && !memcmp(pi->nar_hash, h, SHA256_LEN) && pi->nar_size == size);
	CHECK(pi && pi->refs.n == 0 && pi->deriver == NULL);
	/* And the path is the recursive content address of that hash. */
	_cleanup_free_ char *want = store_path_recursive(KILN_STORE_DIR, h, "tree", NULL, false);
	CHECK_STREQ(path, want);
	store_close(&s);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, path));
	CHECK_EQ(store_verify_path(&s, path), 0);
	CHECK_EQ(s.ninfos, 1);
	store_close(&s);
	fixture_release(&f);
}

TEST(readd_is_noop)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "readd");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *a = add_tree(&s, "same\n", NULL);
	_cleanup_free_ char *b = add_tree(&s, "same\n", NULL);
	CHECK(a && b);
	CHECK_STREQ(a, b);
	CHECK_EQ(s.ninfos, 1);
	CHECK_EQ(count_entries(f.real), 1); /* the second tmp was deleted */
	_cleanup_free_ char *reg = path_join(f.db, "registry");
	struct strbuf sb = STRBUF_INIT;
	CHECK_EQ(read_file(reg, &sb), 0);
	size_t lines = 0;
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n';
	CHECK_EQ(lines, 1);
	strbuf_release(&sb);
	store_close(&s);
	fixture_release(&f);
}

TEST(normalisation)
{
	struct fixture f;
	struct store s;
	struct stat st;
	fixture_init(&f, "norm");
	mode_t old = umask(077);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *path = add_tree(&s, "doc\n", NULL);
	umask(old);
	CHECK(path != NULL);
	_cleanup_free_ char *real = store_real_path(&s, path);
	_cleanup_free_ char *bin = path_join(real, "bin");
	_cleanup_free_ char *hello = path_join(real, "bin/hello");
	_cleanup_free_ char *doc = path_join(real, "share/doc");
	_cleanup_free_ char *link = path_join(real, "link");

	CHECK(lstat(real, &st) == 0 && (st.st_mode & 07777) == 0555 && st.st_mtime == 1);
	CHECK(lstat(bin, &st) == 0 && (st.st_mode & 07777) == 0555 && st.st_mtime == 1);
	CHECK(lstat(hello, &st) == 0 && (st.st_mode & 07777) == 0555 && st.st_mtime == 1);
	CHECK(lstat(doc, &st) == 0 && (st.st_mode & 07777) == 0444 && st.st_mtime == 1);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && st.st_mtime == 1);
	if (geteuid() == 0)
		CHECK(lstat(doc, &st) == 0 && st.st_uid == 0 && st.st_gid == 0);

	/* A single file and a symlink as whole paths. */
	_cleanup_free_ char *tf = store_tmp_name(&s);
	write_text(tf, "x", 06777);
	_cleanup_free_ char *fp = NULL;
	CHECK_EQ(store_add_recursive(&s, tf, "file", NULL, &fp), 0);
	_cleanup_free_ char *freal = store_real_path(&s, fp);
	CHECK(lstat(freal, &st) == 0 && (st.st_mode & 07777) == 0555 && st.st_mtime == 1);

	/* Only the owner x bit makes a file executable (as in the NAR): a
	 * group-only x bit gives 0444, and the path matches the unnormalised NAR. */
	_cleanup_free_ char *tg = store_tmp_name(&s);
	write_text(tg, "g", 0654);
	uint8_t gh[SHA256_LEN];
	uint64_t gsize;
	CHECK_EQ(nar_hash_path(tg, gh, &gsize), 0);
	_cleanup_free_ char *gwant = store_path_recursive(KILN_STORE_DIR, gh, "g", NULL, false);
	_cleanup_free_ char *gp = NULL;
	CHECK_EQ(store_add_recursive(&s, tg, "g", NULL, &gp), 0);
	CHECK_STREQ(gp, gwant);
	_cleanup_free_ char *greal = store_real_path(&s, gp);
	CHECK(lstat(greal, &st) == 0 && (st.st_mode & 07777) == 0444);

	_cleanup_free_ char *tl = store_tmp_name(&s);
	CHECK(symlink("/nowhere", tl) == 0);
	_cleanup_free_ char *lp = NULL;
	CHECK_EQ(store_add_recursive(&s, tl, "link", NULL, &lp), 0);
	_cleanup_free_ char *lreal = store_real_path(&s, lp);
	CHECK(lstat(lreal, &st) == 0 && S_ISLNK(st.st_mode) && st.st_mtime == 1);
	store_close(&s);
	fixture_release(&f);
}

TEST(rejects_fifo_and_bad_names)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "reject");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *tmp = store_tmp_name(&s);
	_cleanup_free_ char *fifo = path_join(tmp, "fifo");
	CHECK(mkdir(tmp, 0755) == 0 && mkfifo(fifo, 0644) == 0);
	char *p = NULL;
	CHECK_EQ(store_add_recursive(&s, tmp, "bad", NULL, &p), -EINVAL);
	CHECK(!exists(tmp)); /* deleted on error */
	CHECK_EQ(s.ninfos, 0);

	_cleanup_free_ char *t2 = store_tmp_name(&s);
	write_text(t2, "x", 0644);
	CHECK_EQ(store_add_recursive(&s, t2, ".hidden", NULL, &p), -EINVAL);
	CHECK(!exists(t2));
	CHECK_EQ(count_entries(f.real), 0);
	store_close(&s);
	fixture_release(&f);
}

TEST(closure_across_refs)
{
	struct fixture f;
	struct store s;
	struct path_list refs = PATH_LIST_INIT, roots = PATH_LIST_INIT, out = PATH_LIST_INIT;
	fixture_init(&f, "closure");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	CHECK_EQ(store_add_text(&s, "a", "a", 1, NULL, &a), 0);
	CHECK_EQ(store_add_text(&s, "unrelated", "u", 1, NULL, &d), 0);
	path_list_add(&refs, a);
	CHECK_EQ(store_add_text(&s, "b", "b", 1, &refs, &b), 0);
	path_list_release(&refs);
	path_list_add(&refs, b);
	c = add_tree(&s, "c\n", &refs);
	CHECK(c != NULL);

	/* An unknown reference is refused: closures never dangle. */
	_cleanup_free_ char *ghost = xasprintf("%s/%032d-ghost", KILN_STORE_DIR, 0);
	struct path_list bad = PATH_LIST_INIT;
	path_list_add(&bad, ghost);
	char *p = NULL;
	CHECK_EQ(store_add_text(&s, "x", "x", 1, &bad, &p), -ENOENT);

	path_list_add(&roots, c);
	CHECK_EQ(store_closure(&s, &roots, &out), 0);
	CHECK_EQ(out.n, 3);
	for (size_t i = 0; i < out.n; i++)
		CHECK(!strcmp(out.v[i], a) || !strcmp(out.v[i], b) || !strcmp(out.v[i], c));
	for (size_t i = 1; i < out.n; i++)
		CHECK(strcmp(out.v[i - 1], out.v[i]) < 0);
	path_list_release(&out);

	path_list_add(&roots, ghost);
	CHECK_EQ(store_closure(&s, &roots, &out), -ENOENT);

	/* References survive a reopen. */
	store_close(&s);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	const struct path_info *pi = store_query(&s, b);
	CHECK(pi && pi->refs.n == 1 && !strcmp(pi->refs.v[0], a));

	path_list_release(&bad);
	path_list_release(&refs);
	path_list_release(&roots);
	store_close(&s);
	fixture_release(&f);
}

TEST(verify_detects_corruption_and_missing)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "verify");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *a = add_tree(&s, "original\n", NULL);
	_cleanup_free_ char *b = add_tree(&s, "other\n", NULL);
	CHECK(a && b);
	CHECK_EQ(store_verify_path(&s, a), 0);

	_cleanup_free_ char *real = store_real_path(&s, a);
	_cleanup_free_ char *doc = path_join(real, "share/doc");
	CHECK(chmod(doc, 0644) == 0);
	write_text(doc, "tampered\n", 0644);
	CHECK_EQ(store_verify_path(&s, a), -EBADMSG);

	_cleanup_free_ char *rb = store_real_path(&s, b);
	CHECK_EQ(rm_rf(rb), 0);
	CHECK_EQ(store_verify_path(&s, b), -ENOENT);
	CHECK_EQ(store_verify_path(&s, KILN_STORE_DIR "/00000000000000000000000000000000-x"), -ENOENT);
	store_close(&s);
	fixture_release(&f);
}

TEST(torn_registry_line_is_ignored)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "torn");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
	CHECK_EQ(store_add_text(&s, "a", "a", 1, NULL, &a), 0);
	CHECK_EQ(store_add_text(&s, "b", "b", 1, NULL, &b), 0);
	store_close(&s);

	/* Cut the last record in half, as a power cut mid-write would. */
	_cleanup_free_ char *reg = path_join(f.db, "registry");
	struct stat st;
	CHECK(stat(reg, &st) == 0);
	CHECK(truncate(reg, st.st_size - 20) == 0);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, a));
	CHECK(!store_is_valid(&s, b));
	_cleanup_free_ char *rb = store_real_path(&s, b);
	CHECK(!exists(rb)); /* unregistered, so removed as a leftover */
	CHECK_EQ(store_add_text(&s, "c", "c", 1, NULL, &c), 0);
	store_close(&s);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, a) && store_is_valid(&s, c) && !store_is_valid(&s, b));
	CHECK_EQ(s.ninfos, 2);
	store_close(&s);

	/* A complete last line with a wrong checksum is also a torn write. */
	struct strbuf sb = STRBUF_INIT;
	CHECK_EQ(read_file(reg, &sb), 0);
	sb.buf[sb.len - 2] = sb.buf[sb.len - 2] == '0' ? '1' : '0';
	CHECK_EQ(write_file_atomic(reg, sb.buf, sb.len, 0644), 0);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, a) && !store_is_valid(&s, c));
	store_close(&s);

	/* But a damaged line in the middle is corruption, not a torn write. */
	strbuf_reset(&sb);
	CHECK_EQ(read_file(reg, &sb), 0);
	strbuf_adds(&sb, sb.buf); /* two copies: the first line is now mid-file */
	sb.buf[5] ^= 1;
	CHECK_EQ(write_file_atomic(reg, sb.buf, sb.len, 0644), 0);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), -EBADMSG);
	strbuf_release(&sb);
	fixture_release(&f);
}

TEST(leftovers_removed_on_open)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "leftovers");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *keep = add_tree(&s, "keep\n", NULL);
	_cleanup_free_ char *tmp = make_tree(&s, "half-built\n");
	CHECK(chmod(tmp, 0555) == 0);
	store_close(&s);

	/* A renamed-but-never-registered path, read-only like a real one. */
	_cleanup_free_ char *orphan = path_join(f.real, "0123456789abcdfghijklmnpqrsvwxyz-orphan");
	_cleanup_free_ char *orphan_file = path_join(orphan, "f");
	CHECK(mkdir(orphan, 0755) == 0);
	write_text(orphan_file, "x", 0444);
	CHECK(chmod(orphan, 0555) == 0);
	/* Something that is not a store path at all is left alone. */
	_cleanup_free_ char *foreign = path_join(f.real, "README");
	write_text(foreign, "x", 0644);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *kreal = store_real_path(&s, keep);
	CHECK(exists(kreal));
	CHECK(!exists(tmp));
	CHECK(!exists(orphan));
	CHECK(exists(foreign));
	CHECK_EQ(count_entries(f.real), 2);
	store_close(&s);
	fixture_release(&f);
}

TEST(delete_then_readd)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "delete");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *a = add_tree(&s, "gc me\n", NULL);
	_cleanup_free_ char *real = store_real_path(&s, a);
	CHECK(exists(real));
	CHECK_EQ(store_delete(&s, a), 0);
	CHECK(!exists(real));
	CHECK(!store_is_valid(&s, a));
	CHECK_EQ(store_delete(&s, a), -ENOENT);
	store_close(&s);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(!store_is_valid(&s, a));
	_cleanup_free_ char *again = add_tree(&s, "gc me\n", NULL);
	CHECK_STREQ(again, a);
	CHECK_EQ(store_verify_path(&s, a), 0);
	store_close(&s);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, a));
	store_close(&s);
	fixture_release(&f);
}

TEST(registry_compacted_on_open)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "compact");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *keep = NULL;
	CHECK_EQ(store_add_text(&s, "keep", "k", 1, NULL, &keep), 0);
	for (int i = 0; i < 40; i++) {
		char *p = NULL;
		CHECK_EQ(store_add_text(&s, "churn", "c", 1, NULL, &p), 0);
		CHECK_EQ(store_delete(&s, p), 0);
		free(p);
	}
	store_close(&s);
	_cleanup_free_ char *reg = path_join(f.db, "registry");
	struct stat st;
	CHECK(stat(reg, &st) == 0 && st.st_size > 40 * 60);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK_EQ(s.ninfos, 1);
	CHECK(store_is_valid(&s, keep));
	store_close(&s);
	struct strbuf sb = STRBUF_INIT;
	CHECK_EQ(read_file(reg, &sb), 0);
	CHECK(sb.len > 0 && strchr(sb.buf, '\n') == sb.buf + sb.len - 1); /* one line */
	CHECK(sb.buf && !strncmp(sb.buf, "R\t", 2) && strstr(sb.buf, keep));
	strbuf_release(&sb);
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK(store_is_valid(&s, keep) && store_verify_path(&s, keep) == 0);
	store_close(&s);
	fixture_release(&f);
}

TEST(text_paths)
{
	struct fixture f;
	struct store s;
	struct stat st;
	fixture_init(&f, "text");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	_cleanup_free_ char *p = NULL, *q = NULL;
	CHECK_EQ(store_add_text(&s, "motd", "managed by kiln\n", 16, NULL, &p), 0);
	_cleanup_free_ char *want = store_path_text(KILN_STORE_DIR, "motd", "managed by kiln\n", 16, NULL);
	CHECK_STREQ(p, want);
	_cleanup_free_ char *real = store_real_path(&s, p);
	struct strbuf sb = STRBUF_INIT;
	CHECK_EQ(read_file(real, &sb), 0);
	CHECK_STREQ(sb.buf, "managed by kiln\n");
	strbuf_release(&sb);
	CHECK(lstat(real, &st) == 0 && (st.st_mode & 07777) == 0444 && st.st_mtime == 1);
	CHECK_EQ(store_add_text(&s, "motd", "managed by kiln\n", 16, NULL, &q), 0);
	CHECK_STREQ(p, q);
	CHECK_EQ(s.ninfos, 1);
	char *bad = NULL;
	CHECK_EQ(store_add_text(&s, "a/b", "x", 1, NULL, &bad), -EINVAL);
	store_close(&s);
	fixture_release(&f);
}

TEST(register_and_commit_at_given_path)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "register");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	/* store_add_commit at a caller-chosen (input-addressed) path. */
	const char *path = KILN_STORE_DIR "/0123456789abcdfghijklmnpqrsvwxyz-built";
	_cleanup_free_ char *tmp = make_tree(&s, "built\n");
	CHECK_EQ(store_add_commit(&s, tmp, path, NULL, NULL), 0);
	CHECK_EQ(store_verify_path(&s, path), 0);
	CHECK_EQ(store_add_commit(&s, tmp, "/elsewhere/x-y", NULL, NULL), -EINVAL);

	/* store_register: a path placed by a copier, with a deriver. */
	const char *p2 = KILN_STORE_DIR "/1123456789abcdfghijklmnpqrsvwxyz-copied";
	_cleanup_free_ char *real2 = store_real_path(&s, p2);
	write_text(real2, "copied", 0444);
	struct path_info info = { .path = (char *)p2, .deriver = (char *)path };
	CHECK_EQ(nar_hash_path(real2, info.nar_hash, &info.nar_size), 0);
	path_list_add(&info.refs, path);
	CHECK_EQ(store_register(&s, &info), 0);
	path_list_release(&info.refs);
	store_close(&s);

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	const struct path_info *pi = store_query(&s, p2);
	CHECK(pi && pi->deriver && !strcmp(pi->deriver, path));
	CHECK(pi && pi->refs.n == 1);
	CHECK_EQ(store_verify_path(&s, p2), 0);
	store_close(&s);
	fixture_release(&f);
}

TEST(logical_and_real_paths)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "paths");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	const char *p = KILN_STORE_DIR "/0123456789abcdfghijklmnpqrsvwxyz-x";
	_cleanup_free_ char *real = store_real_path(&s, p);
	_cleanup_free_ char *want = path_join(f.real, "0123456789abcdfghijklmnpqrsvwxyz-x");
	CHECK_STREQ(real, want);
	_cleanup_free_ char *sub = xasprintf("%s/bin/sh", p);
	_cleanup_free_ char *l1 = store_to_logical(&s, sub);
	_cleanup_free_ char *sub_real = xasprintf("%s/bin/sh", real);
	_cleanup_free_ char *l2 = store_to_logical(&s, sub_real);
	CHECK_STREQ(l1, p);
	CHECK_STREQ(l2, p);
	CHECK(store_to_logical(&s, "/kiln/storex/abc") == NULL);
	CHECK(store_to_logical(&s, KILN_STORE_DIR) == NULL);
	CHECK(store_real_path(&s, "/usr/bin") == NULL);
	store_close(&s);
	fixture_release(&f);
}

TEST(scan_refs)
{
	struct fixture f;
	struct store s;
	struct path_list cand = PATH_LIST_INIT, found = PATH_LIST_INIT;
	fixture_init(&f, "scan");
	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	const char *a = KILN_STORE_DIR "/0123456789abcdfghijklmnpqrsvwxyz-a";
	const char *b = KILN_STORE_DIR "/11111111111111111111111111111111-b";
	const char *c = KILN_STORE_DIR "/22222222222222222222222222222222-c";
	path_list_add(&cand, a);
	path_list_add(&cand, b);
	path_list_add(&cand, c);
	_cleanup_free_ char *dir = path_join(f.root, "scan");
	_cleanup_free_ char *file = path_join(dir, "f");
	_cleanup_free_ char *link = path_join(dir, "l");
	CHECK(mkdir(dir, 0755) == 0);
	/* a is embedded mid-line; c only as a symlink target; b is absent
	 * (a run of 33 '1's still contains b's hash part, so avoid that). */
	write_text(file, "prefix/kiln/store/0123456789abcdfghijklmnpqrsvwxyz-a/bin 1111111111", 0644);
	CHECK(symlink("/kiln/store/22222222222222222222222222222222-c/x", link) == 0);
	CHECK_EQ(store_scan_refs(&s, dir, &cand, &found), 0);
	CHECK_EQ(found.n, 2);
	CHECK(path_list_has(&found, a) && path_list_has(&found, c) && !path_list_has(&found, b));
	path_list_release(&found);
	path_list_release(&cand);
	store_close(&s);
	fixture_release(&f);
}

TEST(crash_after_rename_leaves_nothing_valid)
{
	struct fixture f;
	struct store s;
	fixture_init(&f, "crash");
	pid_t pid = fork();
	if (pid == 0) {
		setenv("KILN_TEST_CRASH", "after-rename", 1);
		if (store_open(&s, KILN_STORE_DIR, f.real, f.db) < 0)
			_exit(3);
		char *p = add_tree(&s, "crash\n", NULL);
		_exit(p ? 0 : 4);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ(count_entries(f.real), 1); /* renamed, not registered */

	CHECK_EQ(store_open(&s, KILN_STORE_DIR, f.real, f.db), 0);
	CHECK_EQ(s.ninfos, 0);
	CHECK_EQ(count_entries(f.real), 0);
	_cleanup_free_ char *p = add_tree(&s, "crash\n", NULL);
	CHECK(p && store_verify_path(&s, p) == 0);
	store_close(&s);
	fixture_release(&f);
}

int main(void)
{
	return test_main();
}
