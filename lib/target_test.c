#define TEST_IMPLEMENTATION
#include "test.h"

#include "fsutil.h"
#include "strbuf.h"
#include "target.h"

#define GiB (UINT64_C(1) << 30)

static char *root;

static void put(const char *rel, const char *text)
{
	_cleanup_free_ char *p = path_join(root, rel);
	_cleanup_free_ char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0 || write_file_atomic(p, text, strlen(text), 0644) < 0)
		abort();
}

static void link_to(const char *target, const char *rel)
{
	_cleanup_free_ char *p = path_join(root, rel);
	_cleanup_free_ char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) < 0 || symlink(target, p) < 0)
		abort();
}

/* One disk: its device directory below sys/devices, the sys/block link. */
static void disk(const char *devpath, const char *name, uint64_t bytes, const char *serial,
		 const char *model, bool removable)
{
	char buf[64];
	_cleanup_free_ char *d = xasprintf("sys/devices/%s/block/%s", devpath, name);
	_cleanup_free_ char *f = NULL;

	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", bytes / 512);
	free(f); f = xasprintf("%s/size", d); put(f, buf);
	free(f); f = xasprintf("%s/ro", d); put(f, "0\n");
	free(f); f = xasprintf("%s/removable", d); put(f, removable ? "1\n" : "0\n");
	if (serial) {
		free(f); f = xasprintf("%s/serial", d); put(f, serial);
	}
	if (model) {
		free(f); f = xasprintf("%s/device/model", d); put(f, model);
	}
	free(f); f = xasprintf("%s/holders/.keep", d); put(f, "");
	_cleanup_free_ char *target = xasprintf("../devices/%s/block/%s", devpath, name);
	_cleanup_free_ char *blk = xasprintf("sys/block/%s", name);
	link_to(target, blk);
}

static void part(const char *devpath, const char *disk_name, const char *name)
{
	_cleanup_free_ char *f = xasprintf("sys/devices/%s/block/%s/%s/partition", devpath, disk_name, name);
	put(f, "1\n");
}

#define VIRTIO_A "pci0000:00/0000:00:04.0/virtio1"
#define VIRTIO_B "pci0000:00/0000:00:05.0/virtio2"
#define VIRTIO_M "pci0000:00/0000:00:06.0/virtio3"
#define NVME "pci0000:00/0000:00:07.0/nvme/nvme0"
#define SATA "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0"
#define USB "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0"

/* A machine: two blank virtio disks, the installer medium (virtio, vdc),
 * an NVMe disk with a WWN, a SATA disk with a mounted partition, a USB
 * stick, a loop device. */
static struct target_env make_tree(void)
{
	static int n;
	free(root);
	root = xasprintf("%s/tree%d", test_tmpdir(), ++n);
	disk(VIRTIO_A, "vda", 20 * GiB, "SER-A\n", NULL, false);
	disk(VIRTIO_B, "vdb", 40 * GiB, "SER-B", NULL, false);
	disk(VIRTIO_M, "vdc", 2 * GiB, "MEDIUM", NULL, false);
	part(VIRTIO_M, "vdc", "vdc1");
	part(VIRTIO_M, "vdc", "vdc3");
	disk(NVME, "nvme0n1", 500 * GiB, NULL, NULL, false);
	put("sys/devices/" NVME "/block/nvme0n1/wwid", "eui.0025385b71b0aa2e\n");
	put("sys/devices/" NVME "/block/nvme0n1/device/model", "Samsung SSD 970 EVO   \n");
	put("sys/devices/" NVME "/block/nvme0n1/device/serial", "S4EWNX0N\n");
	disk(SATA, "sda", 1000 * GiB, NULL, "WDC WD10EZEX\n", false);
	put("sys/devices/" SATA "/block/sda/device/wwid", "naa.50014ee2b5c3d1a0\n");
	part(SATA, "sda", "sda1");
	disk(USB, "sdb", 16 * GiB, NULL, "Cruzer\n", true);
	disk("virtual", "loop0", GiB, NULL, NULL, false);
	put("proc-mounts", "sysfs /sys sysfs rw 0 0\n/dev/sda1 /mnt/windows ntfs rw 0 0\n"
			   "/dev/vdc3 /run/kiln-medium ext4 ro 0 0\n");
	link_to("../../vdb", "dev/disk/by-id/virtio-SER-B");
	link_to("../../nvme0n1", "dev/disk/by-id/nvme-Samsung_SSD_970_EVO_S4EWNX0N");
	link_to("../../sda1", "dev/disk/by-id/ata-WDC_WD10EZEX-part1");
	struct target_env env = {
		.sysfs = path_join(root, "sys"),
		.mounts = path_join(root, "proc-mounts"),
		.by_id = path_join(root, "dev/disk/by-id"),
		.medium = NULL,
	};
	return env;
}

static const struct target_disk *find(const struct target_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

TEST(scan_reads_every_attribute)
{
	struct target_env env = make_tree();
	struct target_list l;

	CHECK_EQ(target_scan(&env, &l), 0);
	CHECK_EQ(l.n, 6); /* loop0 left out */
	CHECK_STREQ(l.v[0].name, "nvme0n1"); /* sorted */
	const struct target_disk *a = find(&l, "vda"), *n = find(&l, "nvme0n1"),
		*s = find(&l, "sda"), *u = find(&l, "sdb"), *m = find(&l, "vdc"), *b = find(&l, "vdb");
	CHECK(a && n && s && u && m && b);
	if (!a || !n || !s || !u || !m || !b)
		return;
	CHECK_STREQ(a->dev, "/dev/vda");
	CHECK_EQ(a->size, 20 * GiB);
	CHECK_STREQ(a->serial, "SER-A");
	CHECK_STREQ(a->transport, "virtio");
	CHECK_STREQ(n->transport, "nvme");
	CHECK_STREQ(n->model, "Samsung SSD 970 EVO");
	CHECK_STREQ(n->serial, "S4EWNX0N");
	CHECK_STREQ(n->wwn, "eui.0025385b71b0aa2e");
	CHECK_STREQ(s->transport, "sata");
	CHECK_STREQ(s->wwn, "naa.50014ee2b5c3d1a0");
	CHECK_STREQ(u->transport, "usb");
	CHECK(u->removable);
	CHECK_EQ(m->nparts, 2);
	CHECK_STREQ(m->parts[0], "vdc1");
	CHECK_STREQ(m->mounted, "/run/kiln-medium");
	CHECK_STREQ(s->mounted, "/mnt/windows");
	CHECK(!a->mounted);
	CHECK_EQ(b->nby_id, 1);
	CHECK_STREQ(b->by_id[0], "virtio-SER-B");
	CHECK_EQ(s->nby_id, 0); /* the -part1 link names a partition */
	target_list_release(&l);
}

TEST(ineligible_reasons)
{
	struct target_env env = make_tree();
	struct target_list l;

	env.medium = "/dev/vdc3";
	CHECK_EQ(target_scan(&env, &l), 0);
	CHECK_STREQ(target_ineligible(find(&l, "vdc"), 0), "the installer's own medium");
	CHECK_STREQ(target_ineligible(find(&l, "sda"), 0), "mounted");
	CHECK_STREQ(target_ineligible(find(&l, "sdb"), 0), "removable");
	CHECK(target_ineligible(find(&l, "vda"), 20 * GiB) == NULL);
	CHECK_STREQ(target_ineligible(find(&l, "vda"), 20 * GiB + 1), "too small");
	target_list_release(&l);

	put("sys/devices/" VIRTIO_A "/block/vda/holders/dm-0", "");
	put("sys/devices/" VIRTIO_B "/block/vdb/ro", "1\n");
	CHECK_EQ(target_scan(&env, &l), 0);
	CHECK_STREQ(target_ineligible(find(&l, "vda"), 0), "in use by another device");
	CHECK_STREQ(find(&l, "vda")->holder, "dm-0");
	CHECK_STREQ(target_ineligible(find(&l, "vdb"), 0), "read-only");
	target_list_release(&l);
}

/* Chooses with rule s; returns the chosen name or the error text. */
static char *choose(const struct target_env *env, const char *s, uint64_t needed, int *ret_r)
{
	struct target_list l;
	struct target_rule r;
	struct strbuf err = STRBUF_INIT;
	size_t i = 0;
	char *out;

	if (target_scan(env, &l) < 0)
		abort();
	*ret_r = target_rule_parse(s, &r, &err);
	if (*ret_r == 0) {
		*ret_r = target_choose(env, &l, &r, needed, &i, &err);
		target_rule_release(&r);
	}
	out = *ret_r == 0 ? xstrdup(l.v[i].name) : strbuf_detach(&err, NULL);
	strbuf_release(&err);
	target_list_release(&l);
	return out;
}

TEST(auto_refuses_two_eligible_disks_and_lists_them)
{
	struct target_env env = make_tree();
	int r;

	env.medium = "vdc";
	/* eligible: vda, vdb, nvme0n1 (sda mounted, sdb removable, vdc medium) */
	_cleanup_free_ char *e = choose(&env, "auto", GiB, &r);
	CHECK_EQ(r, -EEXIST);
	CHECK(strstr(e, "3 eligible disks match \"auto\""));
	CHECK(strstr(e, "\n  /dev/vda 20.0 GiB virtio model \"\" serial \"SER-A\""));
	CHECK(strstr(e, "\n  /dev/vdb 40.0 GiB virtio"));
	CHECK(strstr(e, "\n  /dev/nvme0n1 500.0 GiB nvme model \"Samsung SSD 970 EVO\" serial \"S4EWNX0N\""));
	CHECK(!strstr(e, "/dev/vdc"));
	CHECK(!strstr(e, "/dev/sda"));
}

TEST(auto_picks_the_only_eligible_disk_never_the_medium)
{
	struct target_env env = make_tree();
	int r;

	env.medium = "vdc3";
	/* 30 GiB needed: vda is too small, nvme and vdb fit; remove the nvme */
	put("sys/devices/" NVME "/block/nvme0n1/ro", "1\n");
	_cleanup_free_ char *c = choose(&env, "auto", 30 * GiB, &r);
	CHECK_EQ(r, 0);
	CHECK_STREQ(c, "vdb");
	/* nothing fits 60 GiB but the medium, which never counts */
	_cleanup_free_ char *e = choose(&env, "virtio", 60 * GiB, &r);
	CHECK_EQ(r, -ENODEV);
	CHECK(strstr(e, "no eligible disk matches transport \"virtio\":"));
	CHECK(strstr(e, "/dev/vdc 2.0 GiB virtio model \"\" serial \"MEDIUM\": the installer's own medium"));
	CHECK(strstr(e, "/dev/vda 20.0 GiB virtio model \"\" serial \"SER-A\": too small, the system needs 60.0 GiB"));
	/* naming the medium by path is refused too */
	_cleanup_free_ char *e2 = choose(&env, "/dev/vdc", 0, &r);
	CHECK_EQ(r, -ENODEV);
	CHECK(strstr(e2, "the installer's own medium"));
}

TEST(rules_select_by_each_attribute)
{
	struct target_env env = make_tree();
	int r;
	static const struct { const char *rule, *want; } cases[] = {
		{ "/dev/vda", "vda" },
		{ "/dev/disk/by-id/virtio-SER-B", "vdb" },
		{ "by-id:nvme-Samsung_SSD_970_EVO_S4EWNX0N", "nvme0n1" },
		{ "serial:SER-A", "vda" },
		{ "SER-B", "vdb" },
		{ "S4EWNX0N", "nvme0n1" },
		{ "wwn:0x0025385B71B0AA2E", "nvme0n1" },
		{ "eui.0025385b71b0aa2e", "nvme0n1" },
		{ "nvme", "nvme0n1" },
		{ "transport:nvme", "nvme0n1" },
		{ "30G-100G", "vdb" },
		{ "size:100G-", "nvme0n1" },
		{ "-25G", "vda" },
	};
	env.medium = "vdc";
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *c = choose(&env, cases[i].rule, GiB, &r);
		if (r != 0 || strcmp(c, cases[i].want))
			fprintf(stderr, "# rule %s: %d %s\n", cases[i].rule, r, c);
		CHECK_EQ(r, 0);
		CHECK_STREQ(c, cases[i].want);
	}
	/* sata matches only the mounted disk: refused, saying where it is mounted */
	_cleanup_free_ char *e = choose(&env, "sata", GiB, &r);
	CHECK_EQ(r, -ENODEV);
	CHECK(strstr(e, "/dev/sda 1000.0 GiB sata model \"WDC WD10EZEX\" serial \"\" wwn \"naa.50014ee2b5c3d1a0\": mounted on /mnt/windows"));
	_cleanup_free_ char *n = choose(&env, "serial:NOPE", GiB, &r);
	CHECK_EQ(r, -ENODEV);
	CHECK(strstr(n, "no disk matches serial \"NOPE\"; the disks are:"));
}

TEST(rule_parse_errors)
{
	static const char *const bad[] = { "", "/etc/passwd", "/dev/", "transport:floppy",
					   "size:abc-", "size:-", "size:10G-5G", "serial:" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct target_rule r;
		struct strbuf err = STRBUF_INIT;
		int k = target_rule_parse(bad[i], &r, &err);
		CHECK_EQ(k, -EINVAL);
		CHECK(err.len > 0);
		if (k == 0)
			target_rule_release(&r);
		strbuf_release(&err);
	}
}

TEST(format_size)
{
	struct strbuf sb = STRBUF_INIT;
	target_format_size(4096, &sb);
	CHECK_STREQ(sb.buf, "4.0 KiB");
	strbuf_reset(&sb);
	target_format_size(100, &sb);
	CHECK_STREQ(sb.buf, "100 B");
	strbuf_reset(&sb);
	target_format_size(UINT64_C(3) << 40, &sb);
	CHECK_STREQ(sb.buf, "3.0 TiB");
	strbuf_release(&sb);
}

int main(void)
{
	return test_main();
}
