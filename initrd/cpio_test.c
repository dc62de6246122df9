/* cpio_test.c — the newc writer's exact bytes and the gzip wrapper.
 * (initrd/tests/cpio-oracle.sh reads kiln's archives back with GNU cpio.) */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "cpio.h"

#include <archive.h>
#include <archive_entry.h>

/* The 8 hex digits of header field i (0 = ino ... 12 = check) at off. */
static unsigned long field(const struct cpio *c, size_t off, int i)
{
	char buf[9];
	memcpy(buf, c->out.buf + off + 6 + 8 * i, 8);
	buf[8] = '\0';
	return strtoul(buf, NULL, 16);
}

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_MAJ, F_MIN, F_RMAJ, F_RMIN, F_NAMESIZE };

TEST(first_entry_bytes)
{
	struct cpio c;
	cpio_init(&c, 1700000000);
	CHECK_EQ(cpio_add_file(&c, "/init", 0755, "abc", 3), 0);
	/* 110-byte header + "init\0" = 115 -> padded to 116; data 3 -> 4 */
	CHECK_EQ(c.out.len, 120);
	CHECK(!memcmp(c.out.buf, "070701", 6));
	CHECK_EQ(field(&c, 0, F_INO), 1);
	CHECK_EQ(field(&c, 0, F_MODE), 0100755);
	CHECK_EQ(field(&c, 0, F_UID), 0);
	CHECK_EQ(field(&c, 0, F_NLINK), 1);
	CHECK_EQ(field(&c, 0, F_MTIME), 1700000000);
	CHECK_EQ(field(&c, 0, F_SIZE), 3);
	CHECK_EQ(field(&c, 0, F_NAMESIZE), 5);
	CHECK(!memcmp(c.out.buf + 110, "init\0\0abc\0", 10)); /* leading '/' dropped */
	cpio_release(&c);
}

TEST(node_symlink_dir_and_trailer)
{
	struct cpio c;
	cpio_init(&c, 1);
	CHECK_EQ(cpio_add_dir(&c, "dev", 040755), 0); /* type bits from the caller are ignored */
	size_t off = c.out.len;
	CHECK_EQ(cpio_add_node(&c, "dev/console", S_IFCHR | 0600, 5, 1), 0);
	CHECK_EQ(field(&c, 0, F_MODE), 040755);
	CHECK_EQ(field(&c, 0, F_NLINK), 2);
	CHECK_EQ(field(&c, off, F_INO), 2);
	CHECK_EQ(field(&c, off, F_MODE), 020600);
	CHECK_EQ(field(&c, off, F_RMAJ), 5);
	CHECK_EQ(field(&c, off, F_RMIN), 1);
	off = c.out.len;
	CHECK_EQ(cpio_add_symlink(&c, "bin", "usr/bin"), 0);
	CHECK_EQ(field(&c, off, F_MODE), 0120777);
	CHECK_EQ(field(&c, off, F_SIZE), 7);
	off = c.out.len;
	CHECK_EQ(cpio_finish(&c), 0);
	CHECK_EQ(field(&c, off, F_INO), 0);
	CHECK(!memcmp(c.out.buf + off + 110, "TRAILER!!!", 11));
	CHECK_EQ(c.out.len % 512, 0);
	CHECK_EQ(cpio_add_dir(&c, "late", 0755), -EINVAL); /* finished */
	cpio_release(&c);
}

TEST(rejects_bad_names_and_modes)
{
	struct cpio c;
	cpio_init(&c, 1);
	CHECK_EQ(cpio_add_dir(&c, "", 0755), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "/", 0755), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "a/../b", 0755), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "a//b", 0755), -EINVAL);
	CHECK_EQ(cpio_add_dir(&c, "./a", 0755), -EINVAL);
	CHECK_EQ(cpio_add_node(&c, "dev/x", S_IFREG | 0600, 1, 1), -EINVAL);
	CHECK_EQ(cpio_add_symlink(&c, "l", ""), -EINVAL);
	CHECK_EQ(c.out.len, 0);
	cpio_release(&c);
}

static void build(struct strbuf *out, mode_t perm)
{
	struct cpio c;
	cpio_init(&c, 42);
	cpio_add_dir(&c, "a", perm);
	cpio_add_file(&c, "a/f", perm & 0666, "hello\n", 6);
	cpio_finish(&c);
	strbuf_add(out, c.out.buf, c.out.len);
	cpio_release(&c);
}

TEST(deterministic_whatever_the_umask)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	mode_t old = umask(077);
	build(&a, 0755);
	umask(0);
	build(&b, 0755);
	umask(old);
	CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	strbuf_release(&a);
	strbuf_release(&b);
}

/* Decompresses with libarchive's reader (a separate code path from the writer). */
static int gunzip(const struct strbuf *gz, struct strbuf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[4096];
	la_ssize_t n;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, gz->buf, gz->len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	archive_read_free(a);
	return n < 0 ? -1 : 0;
}

TEST(gzip_is_deterministic_and_round_trips)
{
	struct strbuf raw = STRBUF_INIT, gz1 = STRBUF_INIT, gz2 = STRBUF_INIT, back = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	build(&raw, 0755);
	CHECK_EQ(cpio_gzip(raw.buf, raw.len, &gz1, &err), 0);
	CHECK_EQ(cpio_gzip(raw.buf, raw.len, &gz2, &err), 0);
	CHECK(gz1.len > 18 && gz1.len == gz2.len && !memcmp(gz1.buf, gz2.buf, gz1.len));
	CHECK((unsigned char)gz1.buf[0] == 0x1f && (unsigned char)gz1.buf[1] == 0x8b);
	CHECK_EQ(gz1.buf[3] & 0x08, 0); /* FNAME: no file name */
	CHECK(!memcmp(gz1.buf + 4, "\0\0\0\0", 4)); /* MTIME 0 */
	CHECK_EQ(gunzip(&gz1, &back), 0);
	CHECK(back.len == raw.len && !memcmp(back.buf, raw.buf, raw.len));
	strbuf_release(&raw);
	strbuf_release(&gz1);
	strbuf_release(&gz2);
	strbuf_release(&back);
	strbuf_release(&err);
}

int main(void)
{
	return test_main();
}
