#define TEST_IMPLEMENTATION
#include "test.h"

#include <sys/wait.h>

#include "disk.h"
#include "fsutil.h"
#include "gpt.h"
#include "guid.h"
#include "hash.h"
#include "recover.h"
#include "strbuf.h"

#define MiB (UINT64_C(1) << 20)
#define DISK (UINT64_C(1024) * MiB)

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A sparse disk image of DISK bytes, open read-write. */
static int disk_file(const char *name, char **ret_path)
{
	char *p = xasprintf("%s/%s", test_tmpdir(), name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, DISK) < 0)
		abort();
	*ret_path = p;
	return fd;
}

static struct disk_layout layout(const char *seed, uint64_t root_min, bool bios)
{
	struct disk_layout l = {
		.size = DISK, .root_min = root_min, .bios = bios, .has_data = true,
		.data_size = 0, .data_label = "kiln-data", .seed = seed,
	};
	return l;
}

/* sha256 of len bytes at off. */
static void hash_range(int fd, uint64_t off, uint64_t len, uint8_t out[SHA256_LEN])
{
	struct sha256_ctx c;
	static uint8_t buf[1 << 16];

	sha256_init(&c);
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		if (pread_full(fd, buf, n, off) < 0)
			abort();
		sha256_update(&c, buf, n);
		off += n;
		len -= n;
	}
	sha256_final(&c, out);
}

/* The first install: the GPT of a plan, and a pattern in its data partition. */
static void first_install(int fd, const struct disk_plan *p)
{
	uint8_t block[4096];
	if (gpt_write(fd, &p->gpt) < 0)
		abort();
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 13 + 5);
	for (uint64_t off = 0; off < 4 * MiB; off += sizeof(block))
		if (pwrite_full(fd, block, sizeof(block), p->data.offset + off) < 0)
			abort();
	if (pwrite_full(fd, "end", 3, p->data.offset + p->data.size - 3) < 0)
		abort();
}

TEST(recovery_keeps_the_data_partition_exactly)
{
	char *path;
	int fd = disk_file("recover.img", &path);
	struct disk_layout l1 = layout("/kiln/store/aaaa-web1", 200 * MiB, true);
	struct disk_plan p1, p2;
	struct strbuf err = STRBUF_INIT;
	uint8_t before[SHA256_LEN], after[SHA256_LEN];

	CHECK_EQ(disk_plan_make(&l1, &p1, NULL), 0);
	first_install(fd, &p1);
	hash_range(fd, p1.data.offset, p1.data.size, before);

	/* a changed system: another seed and root size, still fitting before data */
	struct disk_layout l2 = layout("/kiln/store/bbbb-web1", 180 * MiB, true);
	CHECK_EQ(recover_plan(fd, &l2, &p2, &err), 0);
	CHECK_STREQ(strbuf_str(&err), "");
	CHECK(p2.keep_data);
	CHECK_EQ(p2.data.offset, p1.data.offset);
	CHECK_EQ(p2.data.size, p1.data.size);
	CHECK_EQ(p2.root.offset, p1.root.offset);
	CHECK_EQ(p2.root.offset + p2.root.size, p1.data.offset);
	const struct gpt_part *a = &p1.gpt.parts[p1.data.number - 1], *b = &p2.gpt.parts[p2.data.number - 1];
	CHECK(memcmp(a->uuid, b->uuid, GUID_LEN) == 0);
	CHECK(memcmp(a->type, b->type, GUID_LEN) == 0);
	CHECK_STREQ(b->name, "kiln-data");
	/* the new root and ESP GUIDs follow the new seed */
	CHECK(memcmp(p1.gpt.parts[p1.root.number - 1].uuid, p2.gpt.parts[p2.root.number - 1].uuid, GUID_LEN) != 0);

	/* the whole disk writer, with an empty closure: the data bytes stay */
	struct path_list none = PATH_LIST_INIT;
	struct disk_content c = {
		.system = "/kiln/store/00000000000000000000000000000000-web1",
		.closure = &none, .grub_cfg = "# test\n", .timestamp = 1,
	};
	char *what = NULL;
	CHECK_EQ(disk_write(fd, &p2, &c, NULL, NULL, &what), 0);
	free(what);
	hash_range(fd, p1.data.offset, p1.data.size, after);
	CHECK(memcmp(before, after, SHA256_LEN) == 0);

	/* oracles: sfdisk sees the kept partition where it was, e2fsck the new root */
	_cleanup_free_ char *cmd = xasprintf("sfdisk -d %s | grep -q 'start= *%" PRIu64 ", size= *%" PRIu64 ",.*name=\"kiln-data\"'",
					     path, p1.data.offset / 512, p1.data.size / 512);
	CHECK_EQ(run(cmd), 0);
	_cleanup_free_ char *fsck = xasprintf("e2fsck -fn '%s?offset=%" PRIu64 "' >/dev/null 2>&1",
					      path, p2.root.offset);
	CHECK_EQ(run(fsck), 0);
	strbuf_release(&err);
	close(fd);
	free(path);
}

TEST(refuses_a_data_partition_of_the_wrong_type)
{
	char *path;
	int fd = disk_file("wrongtype.img", &path);
	struct disk_layout l = layout("/kiln/store/aaaa-x", 100 * MiB, false);
	struct disk_plan p, q;
	struct strbuf err = STRBUF_INIT;
	uint8_t before[SHA256_LEN], after[SHA256_LEN];

	CHECK_EQ(disk_plan_make(&l, &p, NULL), 0);
	memcpy(p.gpt.parts[p.data.number - 1].type, guid_type_esp, GUID_LEN);
	first_install(fd, &p);
	hash_range(fd, 0, DISK, before);
	CHECK_EQ(recover_plan(fd, &l, &q, &err), -EMEDIUMTYPE);
	CHECK(strstr(strbuf_str(&err), "partition 3 labelled \"kiln-data\" has type c12a7328-f81f-11d2-ba4b-00a0c93ec93b, not Linux data"));
	hash_range(fd, 0, DISK, after);
	CHECK(memcmp(before, after, SHA256_LEN) == 0);
	strbuf_release(&err);
	close(fd);
	free(path);
}

TEST(refuses_a_layout_that_would_overlap)
{
	char *path;
	int fd = disk_file("overlap.img", &path);
	struct disk_layout l = layout("/kiln/store/aaaa-x", 100 * MiB, false);
	struct disk_plan p, q;
	struct strbuf err = STRBUF_INIT;

	CHECK_EQ(disk_plan_make(&l, &p, NULL), 0);
	first_install(fd, &p);
	/* the new system needs a root 300 MiB large; data starts earlier */
	struct disk_layout big = layout("/kiln/store/bbbb-x", 300 * MiB, false);
	CHECK_EQ(recover_plan(fd, &big, &q, &err), -EEXIST);
	CHECK(strstr(strbuf_str(&err), "it would overlap"));
	/* a BIOS boot partition added in front pushes root into it too */
	struct disk_layout tight = layout("/kiln/store/bbbb-x", p.data.offset - p.root.offset, true);
	strbuf_reset(&err);
	CHECK_EQ(recover_plan(fd, &tight, &q, &err), -EEXIST);
	strbuf_release(&err);
	close(fd);
	free(path);
}

TEST(refuses_without_a_kiln_layout)
{
	char *path;
	int fd = disk_file("blank.img", &path);
	struct disk_layout l = layout("/kiln/store/aaaa-x", 100 * MiB, false);
	struct disk_plan p, q;
	struct strbuf err = STRBUF_INIT;

	CHECK_EQ(recover_plan(fd, &l, &q, &err), -ENOENT);
	CHECK(strstr(strbuf_str(&err), "no GPT"));
	/* a GPT without the label */
	l.data_label = "other";
	CHECK_EQ(disk_plan_make(&l, &p, NULL), 0);
	first_install(fd, &p);
	l.data_label = "kiln-data";
	strbuf_reset(&err);
	CHECK_EQ(recover_plan(fd, &l, &q, &err), -ENOENT);
	CHECK(strstr(strbuf_str(&err), "no partition is labelled \"kiln-data\""));
	strbuf_release(&err);
	close(fd);
	free(path);
}

TEST(find_data_refuses_two_with_the_label)
{
	struct gpt_disk d;
	struct strbuf err = STRBUF_INIT;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.nparts = 3;
	for (int k = 0; k < 3; k += 2) {
		memcpy(d.parts[k].type, guid_type_linux_data, GUID_LEN);
		snprintf(d.parts[k].name, sizeof(d.parts[k].name), "kiln-data");
	}
	CHECK_EQ(recover_find_data(&d, "kiln-data", &i, &err), -ENOTUNIQ);
	snprintf(d.parts[0].name, sizeof(d.parts[0].name), "old");
	CHECK_EQ(recover_find_data(&d, "kiln-data", &i, &err), 0);
	CHECK_EQ(i, 2);
	strbuf_release(&err);
}

int main(void)
{
	return test_main();
}
