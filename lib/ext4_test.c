/* Unit tests of lib/ext4 (the tool-oracle tests are lib/tests/ext4-*.sh). */
#include "ext4.h"
#include "fsutil.h"
#define TEST_IMPLEMENTATION
#include "test.h"

#include <sys/wait.h>

#define OFF 65536u
#define SIZE (16u << 20)
#define TS 1700000000

/* A fresh image file with a filesystem at OFF; returns the fd. */
static int make_fs(const char *name, struct ext4 **ret)
{
	struct ext4_params p = { .size = SIZE, .label = "t", .timestamp = TS };
	char *path = path_join(test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	free(path);
	memset(p.uuid, 0x42, sizeof(p.uuid));
	if (fd < 0 || ext4_create(fd, OFF, &p, ret) < 0)
		abort();
	return fd;
}

static uint64_t free_blocks(struct ext4 *fs)
{
	uint64_t b;
	ext4_usage(fs, NULL, &b, NULL, NULL, NULL);
	return b;
}

/* e2fsck -fn on the range of fd: true when clean. */
static bool fsck_clean(int fd)
{
	char *part = path_join(test_tmpdir(), "part.img"), *cmd;
	struct strbuf sb = STRBUF_INIT;
	int fd2 = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), st;
	char *buf = xmalloc(SIZE);
	bool ok = fd2 >= 0 && pread_full(fd, buf, SIZE, OFF) == 0 && write_full(fd2, buf, SIZE) == 0;

	if (fd2 >= 0)
		close(fd2);
	free(buf);
	strbuf_release(&sb);
	cmd = xasprintf("e2fsck -fn '%s' >/dev/null 2>&1", part);
	st = system(cmd);
	free(cmd);
	free(part);
	return ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST(write_read_stat_roundtrip)
{
	struct ext4 *fs;
	int fd = make_fs("a.img", &fs);
	size_t big_len = (1 << 20) + 3;
	char *big = xmalloc(big_len);
	struct strbuf sb = STRBUF_INIT;
	struct ext4_stat st;

	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 31 + 7);
	CHECK_EQ(ext4_mkdir_p(fs, "/etc/x/y", 0755), 0);
	CHECK_EQ(ext4_mkdir_p(fs, "/etc/x/y/", 0755), 0);   /* existing: fine */
	CHECK_EQ(ext4_write_file(fs, "/etc/empty", "", 0, 0600), 0);
	CHECK_EQ(ext4_write_file(fs, "/etc/x/big", big, big_len, 0644), 0);
	CHECK_EQ(ext4_read_file(fs, "/etc/x/big", &sb), 0);
	CHECK_EQ(sb.len, big_len);
	CHECK(sb.len == big_len && !memcmp(sb.buf, big, big_len));
	strbuf_reset(&sb);
	CHECK_EQ(ext4_read_file(fs, "/etc/empty", &sb), 0);
	CHECK_EQ(sb.len, 0);
	CHECK_EQ(ext4_stat(fs, "/etc/empty", &st), 0);
	CHECK_EQ(st.mode, S_IFREG | 0600);
	CHECK_EQ(st.mtime, TS);
	CHECK_EQ(ext4_stat(fs, "/etc/x", &st), 0);
	CHECK_EQ(st.mode, S_IFDIR | 0755);
	CHECK_EQ(st.nlink, 3);
	CHECK_EQ(ext4_stat(fs, "/nope", &st), -ENOENT);
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	free(big);
	strbuf_release(&sb);
}

TEST(symlinks_fast_slow_and_replace)
{
	struct ext4 *fs;
	int fd = make_fs("b.img", &fs);
	struct strbuf sb = STRBUF_INIT;
	char t59[60], t60[61], t300[301];
	struct ext4_stat st;

	memset(t59, 'a', 59); t59[59] = 0;
	memset(t60, 'b', 60); t60[60] = 0;
	memset(t300, 'c', 300); t300[300] = 0;
	CHECK_EQ(ext4_symlink(fs, "/l59", t59), 0);
	CHECK_EQ(ext4_symlink(fs, "/l60", t60), 0);
	CHECK_EQ(ext4_symlink(fs, "/l300", t300), 0);
	CHECK_EQ(ext4_symlink(fs, "/l59", "x"), -EEXIST);
	CHECK_EQ(ext4_readlink(fs, "/l59", &sb), 0);
	CHECK_STREQ(sb.buf, t59);
	strbuf_reset(&sb);
	CHECK_EQ(ext4_readlink(fs, "/l60", &sb), 0);
	CHECK_STREQ(sb.buf, t60);
	strbuf_reset(&sb);
	CHECK_EQ(ext4_readlink(fs, "/l300", &sb), 0);
	CHECK_STREQ(sb.buf, t300);
	strbuf_reset(&sb);

	/* replace: missing creates, existing swaps, the old slow link is freed */
	uint64_t before = free_blocks(fs);
	CHECK_EQ(ext4_replace_symlink(fs, "/cur", "gen-1"), 0);
	CHECK_EQ(ext4_replace_symlink(fs, "/l300", "short"), 0);
	/* the old link is kept under the temporary name until the next sync */
	CHECK_EQ(free_blocks(fs), before);
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(free_blocks(fs), before + 1);
	CHECK_EQ(ext4_readlink(fs, "/l300", &sb), 0);
	CHECK_STREQ(sb.buf, "short");
	strbuf_reset(&sb);
	CHECK_EQ(ext4_replace_symlink(fs, "/cur", "gen-2"), 0);
	CHECK_EQ(ext4_readlink(fs, "/cur", &sb), 0);
	CHECK_STREQ(sb.buf, "gen-2");
	strbuf_reset(&sb);
	CHECK_EQ(ext4_stat(fs, "/cur", &st), 0);
	CHECK_EQ(st.mode, S_IFLNK | 0777);
	/* reading through links, relative and absolute */
	CHECK_EQ(ext4_mkdir_p(fs, "/gen-2", 0755), 0);
	CHECK_EQ(ext4_write_file(fs, "/gen-2/name", "two", 3, 0444), 0);
	CHECK_EQ(ext4_symlink(fs, "/abs", "/cur"), 0);
	CHECK_EQ(ext4_read_file(fs, "/abs/name", &sb), 0);
	CHECK_STREQ(sb.buf, "two");
	CHECK_EQ(ext4_replace_symlink(fs, "/gen-2", "x"), -EISDIR);
	CHECK_EQ(ext4_readlink(fs, "/gen-2", &sb), -EINVAL);
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	strbuf_release(&sb);
}

TEST(rewrite_file_frees_old_blocks)
{
	struct ext4 *fs;
	int fd = make_fs("c.img", &fs);
	char *data = xcalloc(1, 100000);
	struct strbuf sb = STRBUF_INIT;

	CHECK_EQ(ext4_write_file(fs, "/f", data, 100000, 0644), 0);
	uint64_t before = free_blocks(fs);
	data[0] = 'X';
	CHECK_EQ(ext4_write_file(fs, "/f", data, 100000, 0644), 0);
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(free_blocks(fs), before);
	CHECK_EQ(ext4_read_file(fs, "/f", &sb), 0);
	CHECK(sb.len == 100000 && sb.buf[0] == 'X');
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	free(data);
	strbuf_release(&sb);
}

static int collect(void *opaque, const char *name, mode_t type)
{
	struct strbuf *sb = opaque;
	strbuf_addf(sb, "%s:%c ", name, S_ISDIR(type) ? 'd' : S_ISLNK(type) ? 'l' : 'f');
	return 0;
}

TEST(list_dir_sorted_with_types)
{
	struct ext4 *fs;
	int fd = make_fs("d.img", &fs);
	struct strbuf sb = STRBUF_INIT;

	CHECK_EQ(ext4_write_file(fs, "/zeta", "", 0, 0644), 0);
	CHECK_EQ(ext4_mkdir_p(fs, "/Alpha", 0755), 0);
	CHECK_EQ(ext4_symlink(fs, "/beta", "zeta"), 0);
	CHECK_EQ(ext4_list_dir(fs, "/", collect, &sb), 0);
	CHECK_STREQ(sb.buf, "Alpha:d beta:l lost+found:d zeta:f ");
	CHECK_EQ(ext4_list_dir(fs, "/zeta", collect, &sb), -ENOTDIR);
	ext4_close(fs);
	close(fd);
	strbuf_release(&sb);
}

/* A replace leaves the old inode under the temporary name until the next
 * sync (what a crash in between leaves: fsck-clean, every inode named);
 * ext4_remove_temp_names takes such leftovers out. */
TEST(replace_keeps_old_named_until_sync_and_leftovers_go)
{
	struct ext4 *fs;
	int fd = make_fs("t.img", &fs);
	struct strbuf sb = STRBUF_INIT;

	CHECK_EQ(ext4_mkdir_p(fs, "/d", 0755), 0);
	CHECK_EQ(ext4_write_file(fs, "/d/keep", "k", 1, 0644), 0);
	CHECK_EQ(ext4_write_file(fs, "/d/f", "old", 3, 0644), 0);
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(ext4_write_file(fs, "/d/f", "new", 3, 0644), 0);
	CHECK_EQ(ext4_list_dir(fs, "/d", collect, &sb), 0);
	CHECK(strstr(sb.buf, ".kiln-new-") != NULL);
	strbuf_reset(&sb);
	CHECK_EQ(ext4_read_file(fs, "/d/f", &sb), 0);
	CHECK_STREQ(sb.buf, "new");
	strbuf_reset(&sb);
	CHECK_EQ(ext4_flush(fs), 0);   /* the temporary name goes after the sync */
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(ext4_list_dir(fs, "/d", collect, &sb), 0);
	CHECK_STREQ(sb.buf, "f:f keep:f ");
	strbuf_reset(&sb);
	/* leftovers of an interrupted edit */
	CHECK_EQ(ext4_write_file(fs, "/d/.kiln-new-99", "stale", 5, 0644), 0);
	CHECK_EQ(ext4_symlink(fs, "/d/.kiln-new-100", "x"), 0);
	CHECK_EQ(ext4_remove_temp_names(fs, "/d"), 0);
	CHECK_EQ(ext4_remove_temp_names(fs, "/missing"), 0);
	CHECK_EQ(ext4_list_dir(fs, "/d", collect, &sb), 0);
	CHECK_STREQ(sb.buf, "f:f keep:f ");
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	strbuf_release(&sb);
}

/* The name in the directory's first block, its temporary name appended in
 * another: the replace falls back to swap, sync, drop. */
TEST(replace_across_directory_blocks)
{
	struct ext4 *fs;
	int fd = make_fs("x.img", &fs);
	struct strbuf sb = STRBUF_INIT;
	char path[64];

	CHECK_EQ(ext4_mkdir_p(fs, "/d", 0755), 0);
	CHECK_EQ(ext4_write_file(fs, "/d/first", "old", 3, 0644), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/d/a-rather-long-name-to-fill-blocks-%03d", i);
		CHECK_EQ(ext4_symlink(fs, path, "x"), 0);
	}
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(ext4_write_file(fs, "/d/first", "new", 3, 0644), 0);
	CHECK_EQ(ext4_read_file(fs, "/d/first", &sb), 0);
	CHECK_STREQ(sb.buf, "new");
	strbuf_reset(&sb);
	CHECK_EQ(ext4_list_dir(fs, "/d", collect, &sb), 0);
	CHECK(strstr(sb.buf, ".kiln-new-") == NULL);   /* removed at once */
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	strbuf_release(&sb);
}

TEST(bad_input_errors)
{
	struct ext4 *fs;
	int fd = make_fs("e.img", &fs);
	char longname[300];
	struct ext4_params p = { .size = SIZE, .timestamp = 0 };
	struct ext4 *other;

	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "/", 1);
	longname[299] = 0;
	CHECK_EQ(ext4_write_file(fs, "relative", "", 0, 0644), -EINVAL);
	CHECK_EQ(ext4_write_file(fs, "/no/such/dir/f", "", 0, 0644), -ENOENT);
	CHECK_EQ(ext4_write_file(fs, longname, "", 0, 0644), -ENAMETOOLONG);
	CHECK_EQ(ext4_write_file(fs, "/f", "x", 1, 0644), 0);
	CHECK_EQ(ext4_mkdir_p(fs, "/f/sub", 0755), -ENOTDIR);
	CHECK_EQ(ext4_write_file(fs, "/f/..", "", 0, 0644), -EINVAL);
	CHECK_EQ(ext4_remove_tree(fs, "/"), -EINVAL);
	CHECK_EQ(ext4_copy_tree(fs, "/dev/null", "/null"), -EINVAL);
	CHECK_EQ(ext4_copy_tree(fs, "/etc/hostname", "/f"), -EEXIST);
	CHECK_EQ(ext4_create(fd, 0, &p, &other), -EINVAL);   /* timestamp 0 */
	p.timestamp = 1;
	p.size = 1 << 20;
	CHECK_EQ(ext4_create(fd, 0, &p, &other), -ENOSPC);   /* too small */
	/* running out of space fails cleanly: the counts stay as they were */
	uint64_t before = free_blocks(fs);
	char *huge = xcalloc(1, SIZE);
	CHECK_EQ(ext4_write_file(fs, "/huge", huge, SIZE, 0644), -ENOSPC);
	CHECK_EQ(free_blocks(fs), before);
	free(huge);
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	/* not an ext4 filesystem at that offset */
	CHECK_EQ(ext4_open(fd, 0, TS, &other), -EMEDIUMTYPE);
	close(fd);
}

TEST(bytes_written_counts_and_readonly)
{
	struct ext4 *fs;
	int fd = make_fs("f.img", &fs);
	char *mib = xcalloc(1, 1 << 20);
	struct strbuf sb = STRBUF_INIT;

	CHECK_EQ(ext4_flush(fs), 0);
	uint64_t made = ext4_bytes_written(fs);
	CHECK(made > 0 && made < SIZE / 4);
	CHECK_EQ(ext4_write_file(fs, "/m", mib, 1 << 20, 0644), 0);
	CHECK_EQ(ext4_flush(fs), 0);
	uint64_t delta = ext4_bytes_written(fs) - made;
	CHECK(delta >= (1u << 20) && delta < (1u << 20) + (256u << 10));
	CHECK_EQ(ext4_close(fs), 0);

	/* an edit that changes nothing writes nothing */
	CHECK_EQ(ext4_open(fd, OFF, TS + 1, &fs), 0);
	CHECK_EQ(ext4_read_file(fs, "/m", &sb), 0);
	CHECK_EQ(ext4_flush(fs), 0);
	CHECK_EQ(ext4_bytes_written(fs), 0);
	CHECK_EQ(ext4_close(fs), 0);

	CHECK_EQ(ext4_open_readonly(fd, OFF, &fs), 0);
	CHECK_EQ(ext4_write_file(fs, "/n", "", 0, 0644), -EROFS);
	CHECK_EQ(ext4_remove_tree(fs, "/m"), -EROFS);
	CHECK_EQ(ext4_bytes_written(fs), 0);
	CHECK_EQ(ext4_close(fs), 0);
	close(fd);
	free(mib);
	strbuf_release(&sb);
}

TEST(times_after_2038_and_remove_restores_counts)
{
	struct ext4 *fs;
	int fd = make_fs("g.img", &fs);
	struct ext4_stat st;
	uint64_t blocks;

	ext4_close(fs);
	CHECK_EQ(ext4_open(fd, OFF, 5000000000LL, &fs), 0);
	blocks = free_blocks(fs);
	CHECK_EQ(ext4_mkdir_p(fs, "/a/b", 0755), 0);
	CHECK_EQ(ext4_write_file(fs, "/a/b/f", "data", 4, 0644), 0);
	CHECK_EQ(ext4_copy_tree(fs, "/etc/hostname", "/a/host"), 0);
	CHECK_EQ(ext4_stat(fs, "/a/b/f", &st), 0);
	CHECK_EQ(st.mtime, 5000000000LL);
	CHECK_EQ(ext4_remove_tree(fs, "/a"), 0);
	CHECK_EQ(ext4_remove_tree(fs, "/a"), 0);   /* missing is fine */
	CHECK_EQ(free_blocks(fs), blocks);
	CHECK_EQ(ext4_stat(fs, "/a", &st), -ENOENT);
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
}

TEST(out_of_inodes_leaves_a_consistent_fs)
{
	struct ext4 *fs;
	int fd = make_fs("h.img", &fs);
	char *dir = path_join(test_tmpdir(), "many");

	CHECK_EQ(mkdir(dir, 0755), 0);
	for (int i = 0; i < 1100; i++) {
		char *f = xasprintf("%s/f%04d", dir, i);
		int ffd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		CHECK(ffd >= 0);
		close(ffd);
		free(f);
	}
	CHECK_EQ(ext4_copy_tree(fs, dir, "/many"), -ENOSPC);
	CHECK_EQ(ext4_close(fs), 0);
	CHECK(fsck_clean(fd));
	close(fd);
	free(dir);
}

int main(void)
{
	return test_main();
}
