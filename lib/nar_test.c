/* nar_test.c — NAR bytes of small trees built here, against an independent
 * serialiser in this file and against hashes printed by nix-hash 2.8. */
#include "nar.h"
#include "ext4.h"
#include "fsutil.h"
#include "strbuf.h"
#define TEST_IMPLEMENTATION
#include "test.h"

/* The expected-bytes builder: one NAR string token. */
static void tok(struct strbuf *sb, const char *s, size_t len)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)len >> (8 * i));
	strbuf_add(sb, le, 8);
	strbuf_add(sb, s, len);
	while (sb->len % 8)
		strbuf_addch(sb, '\0');
}

static void toks(struct strbuf *sb, const char *const *v)
{
	for (; *v; v++)
		tok(sb, *v, strlen(*v));
}
#define TOKS(sb, ...) toks(sb, (const char *const[]){ __VA_ARGS__, NULL })

static int collect(void *opaque, const void *data, size_t len)
{
	strbuf_add(opaque, data, len);
	return 0;
}

static char *tmp(const char *name)
{
	return path_join(test_tmpdir(), name);
}

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	_cleanup_free_ char *p = path_join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	if (chmod(p, mode) < 0)
		abort();
}

/* t/{a: "hello", d/: empty, l -> a, x: executable "#!/bin/sh\n"} */
static char *make_tree(const char *name)
{
	char *t = tmp(name);
	_cleanup_free_ char *d = path_join(t, "d"), *l = path_join(t, "l");

	if (mkdir(t, 0755) < 0 || mkdir(d, 0755) < 0 || symlink("a", l) < 0)
		abort();
	put(t, "x", "#!/bin/sh\n", 0755);
	put(t, "a", "hello", 0644);
	return t;
}

TEST(nar_tree_bytes_and_nix_hash)
{
	_cleanup_free_ char *t = make_tree("t");
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	uint8_t h[SHA256_LEN];
	uint64_t size = 0;
	_cleanup_free_ char *fmt = NULL;

	TOKS(&want, "nix-archive-1", "(", "type", "directory");
	TOKS(&want, "entry", "(", "name", "a", "node", "(", "type", "regular", "contents",
	     "hello", ")", ")");
	TOKS(&want, "entry", "(", "name", "d", "node", "(", "type", "directory", ")", ")");
	TOKS(&want, "entry", "(", "name", "l", "node", "(", "type", "symlink", "target", "a",
	     ")", ")");
	TOKS(&want, "entry", "(", "name", "x", "node", "(", "type", "regular", "executable",
	     "", "contents", "#!/bin/sh\n", ")", ")");
	TOKS(&want, ")");

	CHECK_EQ(nar_dump(t, collect, &got), 0);
	CHECK_EQ(got.len, want.len);
	CHECK(got.len == want.len && memcmp(got.buf, want.buf, got.len) == 0);

	CHECK_EQ(nar_hash_path(t, h, &size), 0);
	CHECK_EQ(size, 880); /* nix-store --dump t | wc -c */
	fmt = nar_hash_format(h);
	/* nix-hash --type sha256 --base32 t */
	CHECK_STREQ(fmt, "sha256:0dpnvlip7lb211lj43ak05xqnpxqjx4h24mncawjpfy4x9hmh4wl");
	strbuf_release(&got);
	strbuf_release(&want);
}

TEST(nar_single_nodes_match_nix)
{
	_cleanup_free_ char *f = tmp("abc"), *e = tmp("empty"), *dl = tmp("dangling"),
			    *dir = tmp("emptydir");
	char *s;
	uint8_t h[SHA256_LEN];
	uint64_t size = 0;

	put(test_tmpdir(), "abc", "abc", 0644);
	put(test_tmpdir(), "empty", "", 0644);
	CHECK_EQ(symlink("/nonexistent/dangling", dl), 0);
	CHECK_EQ(mkdir(dir, 0755), 0);

	CHECK_EQ(nar_hash_path(f, h, &size), 0);
	CHECK_EQ(size, 120);
	s = nar_hash_format(h);
	CHECK_STREQ(s, "sha256:0c2jffsl15masdjkw0akr32jl4daplrwaq81lapg84nqai3ip9qi");
	free(s);
	CHECK_EQ(nar_hash_path(e, h, NULL), 0);
	s = nar_hash_format(h);
	CHECK_STREQ(s, "sha256:0ip26j2h11n1kgkz36rl4akv694yz65hr72q4kv4b3lxcbi65b3p");
	free(s);
	CHECK_EQ(nar_hash_path(dl, h, NULL), 0);
	s = nar_hash_format(h);
	CHECK_STREQ(s, "sha256:1p44vkrgn7cvqm4mmq9fxwqsmbkbc0k0phgnfpvzrqp3d8p2hsxg");
	free(s);
	CHECK_EQ(nar_hash_path(dir, h, NULL), 0);
	s = nar_hash_format(h);
	CHECK_STREQ(s, "sha256:0sjjj9z1dhilhpc8pq4154czrb79z9cm044jvn75kxcjv6v5l2m5");
	free(s);
}

TEST(nar_executable_is_owner_x_only)
{
	_cleanup_free_ char *d = tmp("modes");
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;

	CHECK_EQ(mkdir(d, 0755), 0);
	put(d, "gx", "", 0654);  /* group/other x only: Nix says not executable */
	put(d, "ux", "", 0744);
	TOKS(&want, "nix-archive-1", "(", "type", "directory");
	TOKS(&want, "entry", "(", "name", "gx", "node", "(", "type", "regular", "contents", "",
	     ")", ")");
	TOKS(&want, "entry", "(", "name", "ux", "node", "(", "type", "regular", "executable",
	     "", "contents", "", ")", ")");
	TOKS(&want, ")");
	CHECK_EQ(nar_dump(d, collect, &got), 0);
	CHECK(got.len == want.len && memcmp(got.buf, want.buf, got.len) == 0);
	strbuf_release(&got);
	strbuf_release(&want);
}

TEST(nar_sorts_bytewise)
{
	_cleanup_free_ char *d = tmp("sort");
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;

	CHECK_EQ(mkdir(d, 0755), 0);
	put(d, "b", "", 0644);
	put(d, "\xc3\xa9", "", 0644); /* é: above ASCII when compared unsigned */
	put(d, "B", "", 0644);
	put(d, "a b", "", 0644);
	TOKS(&want, "nix-archive-1", "(", "type", "directory");
	const char *order[] = { "B", "a b", "b", "\xc3\xa9" };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		TOKS(&want, "entry", "(", "name", order[i], "node", "(", "type", "regular",
		     "contents", "", ")", ")");
	TOKS(&want, ")");
	CHECK_EQ(nar_dump(d, collect, &got), 0);
	CHECK(got.len == want.len && memcmp(got.buf, want.buf, got.len) == 0);
	strbuf_release(&got);
	strbuf_release(&want);
}

TEST(nar_large_file_streams)
{
	_cleanup_free_ char *f = tmp("big");
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT;
	uint8_t h[SHA256_LEN], w[SHA256_LEN];
	uint64_t size = 0;

	for (size_t i = 0; i < 3 * 1024 * 1024 + 5; i++)
		strbuf_addch(&data, (char)(i * 13 + (i >> 12)));
	CHECK_EQ(write_file_atomic(f, data.buf, data.len, 0644), 0);
	TOKS(&want, "nix-archive-1", "(", "type", "regular", "contents");
	tok(&want, data.buf, data.len);
	TOKS(&want, ")");
	CHECK_EQ(nar_hash_path(f, h, &size), 0);
	sha256_buf(want.buf, want.len, w);
	CHECK_EQ(size, want.len);
	CHECK(memcmp(h, w, SHA256_LEN) == 0);
	strbuf_release(&data);
	strbuf_release(&want);
}

TEST(nar_refuses_fifo_and_missing)
{
	_cleanup_free_ char *d = tmp("fifo"), *p = NULL;
	uint8_t h[SHA256_LEN];

	CHECK_EQ(mkdir(d, 0755), 0);
	p = path_join(d, "pipe");
	CHECK_EQ(mkfifo(p, 0644), 0);
	CHECK_EQ(nar_hash_path(d, h, NULL), -EINVAL);
	CHECK_EQ(nar_hash_path(p, h, NULL), -EINVAL);
	CHECK_EQ(nar_hash_path("/nonexistent/kiln", h, NULL), -ENOENT);
}

static int failing_sink(void *opaque, const void *data, size_t len)
{
	return -ENOSPC;
}

TEST(nar_sink_error_aborts)
{
	_cleanup_free_ char *t = make_tree("t2");

	CHECK_EQ(nar_dump(t, failing_sink, NULL), -ENOSPC);
}

TEST(nar_hash_format_parse)
{
	uint8_t h[SHA256_LEN], back[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	_cleanup_free_ char *s = NULL, *hs = NULL;

	sha256_buf("abc", 3, h);
	s = nar_hash_format(h);
	CHECK_STREQ(s, "sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
	CHECK_EQ(nar_hash_parse(s, back), 0);
	CHECK(memcmp(h, back, SHA256_LEN) == 0);
	hex_encode(h, SHA256_LEN, hex);
	hs = xasprintf("sha256:%s", hex);
	memset(back, 0, sizeof(back));
	CHECK_EQ(nar_hash_parse(hs, back), 0);
	CHECK(memcmp(h, back, SHA256_LEN) == 0);
	CHECK_EQ(nar_hash_parse("md5:abc", back), -EINVAL);
	CHECK_EQ(nar_hash_parse("sha256:", back), -EINVAL);
	CHECK_EQ(nar_hash_parse(s + 7, back), -EINVAL);
}

/* The tree of make_tree, plus a 3 MiB file and a slow (>= 60 bytes) symlink,
 * copied into an ext4 filesystem: nar_dump_ext4 gives nar_dump's bytes. */
TEST(nar_ext4_matches_host)
{
	_cleanup_free_ char *t = make_tree("te"), *img = tmp("nar.img");
	_cleanup_free_ char *big = path_join(t, "d/big"), *sl = path_join(t, "long");
	struct ext4_params p = { .size = 32 << 20, .timestamp = 1 };
	struct strbuf data = STRBUF_INIT, host = STRBUF_INIT, inner = STRBUF_INIT;
	struct ext4 *fs = NULL;
	uint8_t h1[SHA256_LEN], h2[SHA256_LEN];
	uint64_t s1 = 0, s2 = 0;
	int fd;

	for (size_t i = 0; i < 3 * 1024 * 1024 + 3; i++)
		strbuf_addch(&data, (char)(i * 7 + (i >> 10)));
	CHECK_EQ(write_file_atomic(big, data.buf, data.len, 0644), 0);
	CHECK_EQ(symlink("a/link/target/longer/than/sixty/bytes/so/it/needs/a/block/x", sl), 0);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(ext4_create(fd, 0, &p, &fs), 0);
	CHECK_EQ(ext4_mkdir_p(fs, "/kiln/store", 0755), 0);
	CHECK_EQ(ext4_copy_tree(fs, t, "/kiln/store/t"), 0);
	CHECK_EQ(nar_dump(t, collect, &host), 0);
	CHECK_EQ(nar_dump_ext4(fs, "/kiln/store/t", collect, &inner), 0);
	CHECK_EQ(inner.len, host.len);
	CHECK(inner.len == host.len && memcmp(inner.buf, host.buf, host.len) == 0);
	CHECK_EQ(nar_hash_path(t, h1, &s1), 0);
	CHECK_EQ(nar_hash_ext4(fs, "/kiln/store/t", h2, &s2), 0);
	CHECK_EQ(s1, s2);
	CHECK(memcmp(h1, h2, SHA256_LEN) == 0);
	CHECK_EQ(nar_hash_ext4(fs, "/kiln/store/missing", h2, &s2), -ENOENT);
	CHECK_EQ(nar_dump_ext4(fs, "/kiln/store/t", failing_sink, NULL), -ENOSPC);
	CHECK_EQ(ext4_close(fs), 0);
	close(fd);
	strbuf_release(&data);
	strbuf_release(&host);
	strbuf_release(&inner);
}

int main(void)
{
	return test_main();
}
