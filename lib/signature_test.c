#define TEST_IMPLEMENTATION
#include "test.h"

#include <sys/wait.h>

#include "fsutil.h"
#include "gpt.h"
#include "hash.h"
#include "signature.h"
#include "strbuf.h"

#define MiB (UINT64_C(1) << 20)
#define DISK (64 * MiB)

/* A blank sparse disk image; returns its path (caller frees). */
static char *blank(const char *name)
{
	char *p = xasprintf("%s/%s", test_tmpdir(), name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, DISK) < 0)
		abort();
	close(fd);
	return p;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void pwrite_at(const char *path, const void *buf, size_t len, uint64_t off)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite_full(fd, buf, len, off) < 0)
		abort();
	close(fd);
}

/* An md v1.0 superblock at the end of the disk (what mdadm --metadata=1.0
 * writes): magic, version 1, the array UUID and name, its own sector
 * offset, and the checksum libblkid verifies. Returns its byte offset. */
static uint64_t write_md10(const char *path)
{
	uint8_t sb[1024] = { 0 };
	uint64_t sector = ((DISK / 512) - 16) & ~UINT64_C(7);
	uint32_t max_dev = 4;
	uint64_t sum = 0;

	put_le32(sb, 0xa92b4efc);
	put_le32(sb + 4, 1);
	for (int i = 0; i < 16; i++)
		sb[16 + i] = (uint8_t)(i + 1);
	memcpy(sb + 32, "kiln-test:0", 11);
	put_le32(sb + 72, 1);          /* level */
	put_le64(sb + 144, sector);    /* super_offset */
	put_le32(sb + 220, max_dev);
	for (size_t i = 0; i < 256 + max_dev * 2; i += 4)
		sum += (uint32_t)sb[i] | (uint32_t)sb[i + 1] << 8 | (uint32_t)sb[i + 2] << 16 |
		       (uint32_t)sb[i + 3] << 24;
	put_le32(sb + 216, (uint32_t)((sum & 0xffffffff) + (sum >> 32)));
	pwrite_at(path, sb, sizeof(sb), sector * 512);
	return sector * 512;
}

/* An md v0.90 superblock: 64 KiB below the end, rounded down to 64 KiB. */
static uint64_t write_md090(const char *path)
{
	uint8_t sb[4096] = { 0 };
	uint64_t off = (DISK & ~UINT64_C(0xffff)) - 0x10000;

	put_le32(sb, 0xa92b4efc);
	put_le32(sb + 8, 90);
	put_le32(sb + 20, 0x11223344);
	put_le32(sb + 28, 1);
	pwrite_at(path, sb, sizeof(sb), off);
	return off;
}

/* An LVM2 physical volume label in sector 1 (LABELONE, its CRC, "LVM2 001"). */
static void write_lvm(const char *path)
{
	uint8_t lab[512] = { 0 };

	memcpy(lab, "LABELONE", 8);
	put_le64(lab + 8, 1);
	put_le32(lab + 20, 32);
	memcpy(lab + 24, "LVM2 001", 8);
	memcpy(lab + 32, "abcdefghijklmnopqrstuvwxyzABCDEF", 32);
	put_le64(lab + 64, DISK);
	/* LVM's CRC: CRC-32 from seed 0xf597a6cf without the final inversion */
	put_le32(lab + 16, ~gpt_crc32(~UINT32_C(0xf597a6cf), lab + 20, 512 - 20));
	pwrite_at(path, lab, sizeof(lab), 512);
}

static void write_gpt(const char *path)
{
	struct gpt_disk d;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	memset(&d, 0, sizeof(d));
	d.size = DISK;
	guid_from_seed("sig-test", "disk", d.disk_guid);
	memcpy(d.parts[0].type, guid_type_linux_data, GUID_LEN);
	guid_from_seed("sig-test", "p1", d.parts[0].uuid);
	d.parts[0].start = MiB;
	d.parts[0].size = 8 * MiB;
	d.nparts = 1;
	if (fd < 0 || gpt_write(fd, &d) < 0)
		abort();
	close(fd);
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void mkext4(const char *path)
{
	_cleanup_free_ char *cmd = xasprintf("mke2fs -q -F -t ext4 %s 2>&1", path);
	if (run(cmd) != 0)
		abort();
}

static void sha(const char *path, char out[65])
{
	uint8_t h[SHA256_LEN];
	if (sha256_file(path, h) < 0)
		abort();
	hex_encode(h, SHA256_LEN, out);
}

/* Probes path read-only; the description of what it found (caller frees). */
static char *probe(const char *path, size_t *ret_n)
{
	struct signature_list l;
	struct strbuf sb = STRBUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || signature_probe(fd, &l) < 0)
		abort();
	close(fd);
	signature_describe(&l, "", &sb);
	*ret_n = l.n;
	signature_list_release(&l);
	return strbuf_detach(&sb, NULL);
}

/* Wipes, then checks that libblkid and the blkid tool see nothing. */
static void wipe_and_check(int *failed_, const char *path, size_t expect_wiped)
{
	struct signature_list w;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	size_t n;

	CHECK(fd >= 0);
	CHECK_EQ(signature_wipe(fd, &w), 0);
	close(fd);
	CHECK(w.n >= expect_wiped);
	signature_list_release(&w);
	_cleanup_free_ char *after = probe(path, &n);
	CHECK_EQ(n, 0);
	/* the oracle: blkid -p exits 2 when it finds nothing */
	_cleanup_free_ char *cmd = xasprintf("blkid -p %s >/dev/null 2>&1", path);
	CHECK_EQ(run(cmd), 2);
}

TEST(blank_disk_has_no_signature)
{
	_cleanup_free_ char *p = blank("blank.img");
	size_t n;
	_cleanup_free_ char *d = probe(p, &n);
	CHECK_EQ(n, 0);
	CHECK_STREQ(d, "");
}

TEST(ext4_refused_with_offset_and_disk_unchanged)
{
	_cleanup_free_ char *p = blank("ext4.img");
	char before[65], after[65];
	size_t n;

	mkext4(p);
	sha(p, before);
	_cleanup_free_ char *d = probe(p, &n);
	sha(p, after);
	CHECK_STREQ(before, after);
	CHECK_EQ(n, 1);
	CHECK_STREQ(d, "ext4 (filesystem) at offset 1080 (0x438)");
	wipe_and_check(failed_, p, 1);
	/* only the magic went: the rest of the superblock is still there */
	_cleanup_free_ char *cmd = xasprintf("dumpe2fs -h %s >/dev/null 2>&1", p);
	CHECK(run(cmd) != 0);
}

TEST(mdraid_superblocks_at_the_end)
{
	_cleanup_free_ char *p = blank("md10.img");
	_cleanup_free_ char *q = blank("md090.img");
	char before[65], after[65];
	size_t n;

	uint64_t off = write_md10(p);
	sha(p, before);
	_cleanup_free_ char *d = probe(p, &n);
	sha(p, after);
	CHECK_STREQ(before, after);
	CHECK_EQ(n, 1);
	_cleanup_free_ char *want = xasprintf("linux_raid_member (raid) at offset %" PRIu64 " (0x%" PRIx64 ")", off, off);
	CHECK_STREQ(d, want);
	wipe_and_check(failed_, p, 1);

	uint64_t off0 = write_md090(q);
	_cleanup_free_ char *d0 = probe(q, &n);
	CHECK_EQ(n, 1);
	_cleanup_free_ char *want0 = xasprintf("linux_raid_member (raid) at offset %" PRIu64 " (0x%" PRIx64 ")", off0, off0);
	CHECK_STREQ(d0, want0);
	wipe_and_check(failed_, q, 1);
}

TEST(gpt_both_headers_and_pmbr)
{
	_cleanup_free_ char *p = blank("gpt.img");
	size_t n;

	write_gpt(p);
	_cleanup_free_ char *d = probe(p, &n);
	CHECK_EQ(n, 3);
	CHECK(strstr(d, "gpt (partition table) at offset 512 (0x200)"));
	CHECK(strstr(d, "PMBR (partition table) at offset 510 (0x1fe)"));
	_cleanup_free_ char *backup = xasprintf("gpt (partition table) at offset %" PRIu64, DISK - 512);
	CHECK(strstr(d, backup));
	wipe_and_check(failed_, p, 3);
	/* sfdisk finds no table any more either */
	_cleanup_free_ char *cmd = xasprintf("sfdisk -d %s >/dev/null 2>&1", p);
	CHECK(run(cmd) != 0);
}

TEST(lvm_label)
{
	_cleanup_free_ char *p = blank("lvm.img");
	size_t n;

	write_lvm(p);
	_cleanup_free_ char *d = probe(p, &n);
	CHECK_EQ(n, 1);
	CHECK_STREQ(d, "LVM2_member (raid) at offset 536 (0x218)");
	wipe_and_check(failed_, p, 1);
}

TEST(everything_at_once_is_all_listed_and_all_wiped)
{
	_cleanup_free_ char *p = blank("all.img");
	char before[65], after[65];
	size_t n;

	mkext4(p);
	write_md10(p);
	sha(p, before);
	_cleanup_free_ char *d = probe(p, &n);
	sha(p, after);
	CHECK_STREQ(before, after);
	CHECK_EQ(n, 2);
	CHECK(strstr(d, "ext4 (filesystem) at offset 1080"));
	CHECK(strstr(d, "linux_raid_member (raid)"));
	wipe_and_check(failed_, p, 2);
}

TEST(wipe_touches_only_the_magics)
{
	_cleanup_free_ char *p = blank("bytes.img");
	_cleanup_free_ char *q = blank("other.img");
	char other_before[65], other_after[65];
	uint8_t pattern[4096];
	uint8_t back[4096];

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	pwrite_at(p, pattern, sizeof(pattern), 8 * MiB);
	pwrite_at(q, pattern, sizeof(pattern), 8 * MiB);
	write_gpt(q);
	sha(q, other_before);
	write_gpt(p);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	CHECK_EQ(signature_wipe(fd, NULL), 0);
	CHECK_EQ(pread_full(fd, back, sizeof(back), 8 * MiB), 0);
	close(fd);
	CHECK(memcmp(back, pattern, sizeof(back)) == 0);
	sha(q, other_after);
	CHECK_STREQ(other_before, other_after); /* only the fd given is written */
}

int main(void)
{
	return test_main();
}
