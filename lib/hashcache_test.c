/* hashcache_test.c — remembered NAR hashes: the same as computed ones, used
 * only while the file's identity is unchanged, never for a racy file. */
#include "hashcache.h"
#include "fsutil.h"
#include "nar.h"
#include "strbuf.h"
#define TEST_IMPLEMENTATION
#include "test.h"

/* A file installed long ago (its ctime is old, so it is not racy), and its
 * NAR hash and size computed here. */
static const char *old_file(uint8_t want[SHA256_LEN], uint64_t *wsize)
{
	static char path[PATH_MAX];
	if (!realpath("/bin/sh", path) || nar_hash_path(path, want, wsize) < 0)
		return NULL;
	return path;
}

/* A hash no file has: the forged entries' */
#define FAKE_HEX "00000000000000000000000000000000000000000000000000000000000000ff"

/* The cache line hashcache would write for path, with a given hash and a
 * ctime moved by ctime_delta. */
static char *forged_line(const char *path, const char *hex, long ctime_delta)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return NULL;
	return xasprintf("%s\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t123\t%s\n", path,
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_size, (unsigned long long)st.st_mode,
			 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec,
			 (unsigned long long)(st.st_ctim.tv_sec * 1000000000ll + st.st_ctim.tv_nsec +
					      ctime_delta),
			 hex);
}

TEST(fresh_file_hashed_not_remembered)
{
	uint8_t got[SHA256_LEN], want[SHA256_LEN];
	uint64_t gsize = 0, wsize = 0;

	CHECK_EQ(write_file_atomic("f", "hello\n", 6, 0755), 0);
	CHECK_EQ(hashcache_nar_file("cache1", "f", got, &gsize), 0);
	CHECK_EQ(nar_hash_path("f", want, &wsize), 0);
	CHECK(!memcmp(got, want, SHA256_LEN));
	CHECK_EQ(gsize, wsize);
	CHECK(access("cache1", F_OK) < 0); /* written just now: racy */
	CHECK_EQ(hashcache_nar_file(NULL, "f", got, &gsize), 0);
	CHECK(!memcmp(got, want, SHA256_LEN));
}

TEST(old_file_remembered_and_used)
{
	uint8_t got[SHA256_LEN], want[SHA256_LEN];
	uint64_t gsize = 0, wsize = 0;
	const char *p = old_file(want, &wsize);
	struct strbuf sb = STRBUF_INIT;

	CHECK(p != NULL);
	CHECK_EQ(hashcache_nar_file("cache2", p, got, &gsize), 0);
	CHECK(!memcmp(got, want, SHA256_LEN));
	CHECK_EQ(gsize, wsize);
	CHECK_EQ(read_file("cache2", &sb), 0);
	CHECK(!strncmp(sb.buf, p, strlen(p)) && sb.buf[strlen(p)] == '\t');
	/* a forged entry with the file's identity is believed: the cache is used */
	_cleanup_free_ char *forged = forged_line(p, FAKE_HEX, 0);
	CHECK_EQ(write_file_atomic("cache2", forged, strlen(forged), 0644), 0);
	CHECK_EQ(hashcache_nar_file("cache2", p, got, &gsize), 0);
	CHECK_EQ(got[31], 0xff);
	CHECK_EQ(gsize, 123);
	strbuf_release(&sb);
}

TEST(changed_identity_rehashed_and_replaced)
{
	uint8_t got[SHA256_LEN], want[SHA256_LEN];
	uint64_t gsize = 0, wsize = 0;
	const char *p = old_file(want, &wsize);
	struct strbuf sb = STRBUF_INIT;

	CHECK(p != NULL);
	/* one nanosecond of ctime apart, plus lines that do not parse */
	_cleanup_free_ char *forged = forged_line(p, FAKE_HEX, 1);
	_cleanup_free_ char *text = xasprintf("garbage\n%s/x\t1\t2\n%s", p, forged);
	CHECK_EQ(write_file_atomic("cache3", text, strlen(text), 0644), 0);
	CHECK_EQ(hashcache_nar_file("cache3", p, got, &gsize), 0);
	CHECK(!memcmp(got, want, SHA256_LEN));
	CHECK_EQ(gsize, wsize);
	CHECK_EQ(read_file("cache3", &sb), 0);
	CHECK(!strstr(sb.buf, "garbage"));                /* malformed lines dropped */
	CHECK(!strstr(sb.buf, FAKE_HEX));                  /* the stale entry replaced */
	CHECK(strchr(sb.buf, '\n') == sb.buf + sb.len - 1); /* one line */
	strbuf_release(&sb);
}

TEST(not_a_regular_file)
{
	uint8_t h[SHA256_LEN];
	uint64_t size;

	CHECK_EQ(hashcache_nar_file("cache4", "/", h, &size), -EINVAL);
	CHECK_EQ(hashcache_nar_file("cache4", "missing", h, &size), -ENOENT);
}

int main(void)
{
	return test_main();
}
