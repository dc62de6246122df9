/* lockfile_test.c — kiln.lock parsing, canonical writing and lookups. */
#define TEST_IMPLEMENTATION
#include "test.h"

#include "debian.h"
#include "fsutil.h"

#define SHA_A "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_B "2222222222222222222222222222222222222222222222222222222222222222"

static const char sample[] =
	"# comment\n"
	"kiln-lock 1\n"
	"\n"
	"root b.cfg arm64\n"
	"  request zz\n"
	"root a.cfg amd64\n"
	"  request libc6\n"
	"  request busybox-static\n"
	"\n"
	"package libc6 2.36-9 amd64\n"
	"  size 10\n"
	"  sha256 " SHA_A "\n"
	"  filename pool/main/g/glibc/libc6_2.36-9_amd64.deb\n"
	"  depends libgcc-s1:amd64\n"
	"package busybox-static 1:1.35.0-4 amd64\n"
	"  size 20\n"
	"  sha256 " SHA_B "\n"
	"  filename pool/main/b/busybox/busybox-static_1.35.0-4_amd64.deb\n";

static int read_text(const char *text, struct lockfile *l, struct strbuf *err)
{
	char path[] = "lockXXXXXX";
	int fd = mkstemp(path), r;

	if (fd < 0)
		return -errno;
	write_full(fd, text, strlen(text));
	close(fd);
	r = lockfile_read(path, l, err);
	unlink(path);
	return r;
}

TEST(parses_sorts_and_looks_up)
{
	struct lockfile l;
	struct strbuf err = STRBUF_INIT;
	const struct lock_pkg *p;

	CHECK_EQ(read_text(sample, &l, &err), 0);
	CHECK_EQ(l.npkgs, 2);
	CHECK_EQ(l.nroots, 2);
	CHECK_STREQ(l.pkgs[0].name, "busybox-static");
	CHECK_STREQ(l.roots[0].config, "a.cfg");
	CHECK_STREQ(l.roots[0].requests.v[0], "busybox-static");
	p = lockfile_find_pkg(&l, "libc6", "amd64");
	CHECK(p && p->size == 10 && !strcmp(p->sha256, SHA_A) && p->deps.n == 1);
	CHECK(lockfile_find_pkg(&l, "libc6", "arm64") == NULL);
	CHECK(lockfile_find_for_arch(&l, "busybox-static", "amd64") == &l.pkgs[0]);
	CHECK(lockfile_find_edge(&l, "libc6:amd64") == p);
	CHECK(lockfile_find_edge(&l, "libc6") == NULL);
	CHECK(lockfile_find_root(&l, "b.cfg", "arm64") != NULL);
	lockfile_release(&l);
	strbuf_release(&err);
}

TEST(write_is_canonical_and_round_trips)
{
	struct lockfile l, l2;
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT, file = STRBUF_INIT;

	CHECK_EQ(read_text(sample, &l, &err), 0);
	lockfile_format(&l, &a);
	CHECK_EQ(read_text(a.buf, &l2, &err), 0);
	lockfile_format(&l2, &b);
	CHECK_STREQ(a.buf, b.buf);
	CHECK(strstr(a.buf, "\nroot a.cfg amd64\n  request busybox-static\n  request libc6\n"));
	CHECK(strstr(a.buf, "\npackage busybox-static 1:1.35.0-4 amd64\n  size 20\n  sha256 "));
	CHECK(strstr(a.buf, "root a.cfg") < strstr(a.buf, "root b.cfg"));
	CHECK_EQ(lockfile_write("out.lock", &l), 0);
	CHECK_EQ(read_file("out.lock", &file), 0);
	CHECK_STREQ(file.buf, a.buf);
	unlink("out.lock");
	lockfile_release(&l);
	lockfile_release(&l2);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&file);
	strbuf_release(&err);
}

/* Each malformed lock is refused with its line number. */
TEST(malformed_locks_name_the_line)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "", "empty lock file" },
		{ "kiln-lock 2\n", ":1: not a kiln.lock version 1" },
		{ "kiln-lock 1\npackage a 1 amd64\n  size 1\n  sha256 xyz\n", ":4: bad sha256" },
		{ "kiln-lock 1\npackage a 1 amd64\n  size 1\n", "lacks size, sha256 or filename" },
		{ "kiln-lock 1\npackage a 1 amd64\n  size one\n", ":3: bad size" },
		{ "kiln-lock 1\n  request x\n", ":2: field outside a record" },
		{ "kiln-lock 1\nwhat is this\n", ":2: expected 'root" },
		{ "kiln-lock 1\nroot a.cfg amd64\nroot a.cfg amd64\n", "root listed twice" },
		{ "kiln-lock 1\npackage a 1 amd64\n  size 1\n  sha256 " SHA_A "\n  filename f\n"
		  "  colour blue\n", ":6: unknown or repeated field" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct lockfile l;
		struct strbuf err = STRBUF_INIT;

		CHECK_EQ(read_text(cases[i].text, &l, &err), -EINVAL);
		if (!strstr(strbuf_str(&err), cases[i].want)) {
			fprintf(stderr, "# case %zu: '%s' lacks '%s'\n", i, strbuf_str(&err), cases[i].want);
			CHECK(0);
		}
		CHECK_EQ(l.npkgs, 0);
		strbuf_release(&err);
	}
}

TEST(missing_lock_is_enoent_without_message)
{
	struct lockfile l;
	struct strbuf err = STRBUF_INIT;

	CHECK_EQ(lockfile_read("no-such.lock", &l, &err), -ENOENT);
	CHECK_EQ(err.len, 0);
	strbuf_release(&err);
}

TEST(store_names_of_debs)
{
	char *a = deb_store_name("busybox-static", "1:1.35.0-4+deb12u1+b1");
	char *b = deb_store_name("linux-base", "4.12.1~deb12u1");

	CHECK_STREQ(a, "busybox-static-1_1.35.0-4+deb12u1+b1");
	CHECK_STREQ(b, "linux-base-4.12.1_deb12u1");
	CHECK(store_name_valid(a) && store_name_valid(b));
	free(a);
	free(b);
}

int main(void)
{
	return test_main();
}
