#include "disk.h"

#include <dirent.h>

#include "biosboot.h"
#include "ext4.h"
#include "fat.h"
#include "fsutil.h"
#include "guid.h"
#include "strbuf.h"

#define MiB (UINT64_C(1) << 20)
/* roots smaller than this get a 4 MiB journal (write_root) */
#define ROOT_SMALL_JOURNAL_BELOW (256 * MiB)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

uint64_t disk_root_size_for(uint64_t content_bytes, uint64_t nfiles)
{
	/* inode tables (256 B per inode, one inode per 16 KiB, see ext4.c), the
	 * journal (4 or 16 MiB), group descriptors and bitmaps, 5% reserved, and room
	 * for a few more generations: 30% on top plus 96 MiB. */
	uint64_t need = content_bytes + nfiles * 512;
	need += need / 64 + need / 20;
	return align_up(need + need * 3 / 10 + 96 * MiB, MiB);
}

int disk_plan_make(const struct disk_layout *l, struct disk_plan *ret, uint64_t *ret_needed)
{
	struct disk_plan p;
	uint64_t pos = MiB, data_min = l->has_data ? (l->data_size ? l->data_size : 64 * MiB) : 0;
	uint64_t root_size = align_up(l->root_min, MiB);
	uint64_t needed, size = l->size;
	const char *root_label = l->root_label ? l->root_label : DISK_ROOT_LABEL;
	int n = 0, r;

	if (!*root_label || strlen(root_label) > DISK_LABEL_MAX)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	snprintf(p.root_label, sizeof(p.root_label), "%s", root_label);
	if (l->bios) {
		p.bios = (struct disk_part){ ++n, pos, DISK_BIOS_SIZE };
		pos += DISK_BIOS_SIZE;
	}
	p.esp = (struct disk_part){ ++n, pos, DISK_ESP_SIZE };
	pos += DISK_ESP_SIZE;
	/* the backup GPT needs the last 33 sectors: one more MiB */
	needed = pos + root_size + align_up(data_min, MiB) + MiB;
	if (!size)
		size = needed;
	size = size / 512 * 512;
	if (size < needed) {
		if (ret_needed)
			*ret_needed = needed;
		return -ENOSPC;
	}
	uint64_t end = gpt_aligned_end(size);
	p.root = (struct disk_part){ ++n, pos, 0 };
	if (l->has_data) {
		if (l->data_size) {
			p.data = (struct disk_part){ n + 1, end - align_up(l->data_size, MiB), align_up(l->data_size, MiB) };
			p.root.size = p.data.offset - p.root.offset;
		} else {
			p.root.size = root_size;
			p.data = (struct disk_part){ n + 1, pos + root_size, end - (pos + root_size) };
		}
		n++;
	} else {
		p.root.size = end - pos;
	}
	p.size = size;

	/* the GPT, with every GUID derived from the seed */
	p.gpt.size = size;
	guid_from_seed(l->seed, "disk", p.gpt.disk_guid);
	struct { struct disk_part *part; const uint8_t *type; const char *name, *purpose; } parts[] = {
		{ &p.bios, guid_type_bios_boot, "bios-boot", "part-bios" },
		{ &p.esp, guid_type_esp, "esp", "part-esp" },
		{ &p.root, l->aarch64 ? guid_type_root_aarch64 : guid_type_root_x86_64, root_label, "part-root" },
		{ &p.data, guid_type_linux_data, l->data_label ? l->data_label : "kiln-data", "part-data" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		struct disk_part *dp = parts[i].part;
		if (!dp->number)
			continue;
		struct gpt_part *gp = &p.gpt.parts[dp->number - 1];
		memcpy(gp->type, parts[i].type, GUID_LEN);
		guid_from_seed(l->seed, parts[i].purpose, gp->uuid);
		gp->start = dp->offset;
		gp->size = dp->size;
		snprintf(gp->name, sizeof(gp->name), "%s", parts[i].name);
		if (p.gpt.nparts < (size_t)dp->number)
			p.gpt.nparts = dp->number;
	}
	if (p.bios.number)
		p.gpt.parts[p.bios.number - 1].attrs = GPT_ATTR_LEGACY_BOOT;
	r = gpt_check(&p.gpt);
	if (r < 0)
		return r;
	guid_from_seed(l->seed, "fs-root", p.root_uuid);
	guid_from_seed(l->seed, "fs-root-hash-seed", p.root_hash_seed);
	guid_from_seed(l->seed, "fs-data", p.data_uuid);
	uint8_t v[16];
	guid_from_seed(l->seed, "fs-esp", v);
	p.esp_volume_id = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	*ret = p;
	return 0;
}

int disk_plan_keep_data(const struct disk_layout *l, const struct gpt_part *keep,
			struct disk_plan *ret, uint64_t *ret_needed)
{
	struct disk_layout nl = *l;
	struct disk_plan p;
	uint64_t pos = MiB + (l->bios ? DISK_BIOS_SIZE : 0) + DISK_ESP_SIZE;
	uint64_t root_end = pos + align_up(l->root_min, MiB);
	int r;

	if (keep->start % GPT_ALIGN || !keep->size || keep->size % 512 ||
	    keep->start + keep->size > gpt_usable_end(l->size))
		return -EINVAL;
	if (keep->start < root_end) {
		if (ret_needed)
			*ret_needed = root_end;
		return -EEXIST;
	}
	/* the plain plan for a disk that ends where the kept partition starts
	 * places BIOS, ESP and root; then the kept partition joins it */
	nl.has_data = false;
	nl.size = l->size;
	r = disk_plan_make(&nl, &p, ret_needed);
	if (r < 0)
		return r;
	p.root.size = keep->start - p.root.offset;
	p.gpt.parts[p.root.number - 1].size = p.root.size;
	p.data = (struct disk_part){ p.root.number + 1, keep->start, keep->size };
	struct gpt_part *gp = &p.gpt.parts[p.data.number - 1];
	*gp = *keep;
	p.gpt.nparts = p.data.number;
	p.keep_data = true;
	r = gpt_check(&p.gpt);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

static void progress(disk_progress_fn fn, void *opaque, const char *phase, uint64_t done,
		     uint64_t total)
{
	if (fn)
		fn(opaque, phase, done, total);
}

static int write_root_skeleton(struct ext4 *fs)
{
	static const struct { const char *path; mode_t mode; } dirs[] = {
		{ "/boot/grub", 0755 }, { "/dev", 0755 }, { "/etc", 0755 }, { "/home", 0755 },
		{ "/kiln/store", 0755 }, { "/kiln/var/db", 0755 }, { "/kiln/var/profiles", 0755 },
		{ "/mnt", 0755 }, { "/proc", 0555 }, { "/root", 0700 }, { "/run", 0755 },
		{ "/sys", 0555 }, { "/tmp", 01777 }, { "/var/log", 0755 }, { "/var/tmp", 01777 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = ext4_mkdir_p(fs, dirs[i].path, dirs[i].mode);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_root_file(struct ext4 *fs, const struct disk_esp_file *f, char **err_what)
{
	_cleanup_free_ char *dir = xstrdup(f->path);
	char *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		r = ext4_mkdir_p(fs, dir, 0755);
	}
	if (r == 0)
		r = ext4_write_file(fs, f->path, f->data, f->len, 0644);
	if (r < 0)
		*err_what = xstrdup(f->path);
	return r;
}

/* Bytes of the closure on the source side, for progress. */
static uint64_t tree_bytes(int at, const char *name)
{
	struct stat st;
	uint64_t sum = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			sum += tree_bytes(dirfd(d), de->d_name);
	closedir(d);
	return sum;
}

static int write_root(int fd, const struct disk_plan *plan, const struct disk_content *c,
		      disk_progress_fn fn, void *opaque, char **err_what)
{
	struct ext4_params p = {
		.size = plan->root.size,
		.label = plan->root_label[0] ? plan->root_label : DISK_ROOT_LABEL,
		.timestamp = c->timestamp,
		.reserved_percent = 5,
		/* a 16 MiB journal would be a third of a small root's used blocks;
		 * mke2fs gives 4 MiB under 128 MiB, kiln up to 256 MiB (the
		 * automatic size of a closure up to ~115 MiB) */
		.journal_blocks = plan->root.size < ROOT_SMALL_JOURNAL_BELOW ? (4u << 20) / 4096 : 0,
	};
	struct ext4 *fs = NULL;
	struct strbuf registry = STRBUF_INIT;
	uint64_t total = 0, done = 0;
	_cleanup_free_ uint64_t *sizes = xcalloc(c->closure->n, sizeof(uint64_t));
	int r;

	memcpy(p.uuid, plan->root_uuid, 16);
	memcpy(p.hash_seed, plan->root_hash_seed, 16);
	for (size_t i = 0; i < c->closure->n; i++) {
		_cleanup_free_ char *real = store_real_path(c->src, c->closure->v[i]);
		sizes[i] = real ? tree_bytes(AT_FDCWD, real) : 0;
		total += sizes[i];
	}

	r = ext4_create(fd, plan->root.offset, &p, &fs);
	if (r < 0) {
		*err_what = xstrdup("the root filesystem");
		return r;
	}
	r = write_root_skeleton(fs);
	for (size_t i = 0; r == 0 && i < c->closure->n; i++) {
		const char *path = c->closure->v[i];
		const struct path_info *pi = store_query(c->src, path);
		_cleanup_free_ char *real = store_real_path(c->src, path);
		if (!pi || !real) {
			r = -ENOENT;
		} else {
			r = ext4_copy_tree(fs, real, path);
			store_format_record(pi, &registry);
		}
		if (r < 0)
			*err_what = xstrdup(path);
		done += sizes[i];
		progress(fn, opaque, "copy", done, total);
	}
	if (r == 0)
		r = ext4_write_file(fs, "/kiln/var/db/registry", registry.buf, registry.len, 0644);
	if (r == 0)
		r = ext4_symlink(fs, "/kiln/var/profiles/system-1-link", c->system);
	if (r == 0)
		r = ext4_symlink(fs, "/kiln/var/profiles/system", "system-1-link");
	if (r == 0)
		r = ext4_write_file(fs, "/boot/grub/grub.cfg", c->grub_cfg, strlen(c->grub_cfg), 0644);
	for (size_t i = 0; r == 0 && i < c->nroot_files; i++)
		r = write_root_file(fs, &c->root_files[i], err_what);
	if (r < 0 && !*err_what)
		*err_what = xstrdup("the root filesystem");
	int k = ext4_close(fs);
	if (r == 0 && k < 0) {
		r = k;
		*err_what = xstrdup("the root filesystem");
	}
	strbuf_release(&registry);
	return r;
}

static int write_data(int fd, const struct disk_plan *plan, const char *label, int64_t ts)
{
	struct ext4_params p = { .size = plan->data.size, .label = label, .timestamp = ts,
				 .reserved_percent = 0 };
	struct ext4 *fs = NULL;
	int r;

	memcpy(p.uuid, plan->data_uuid, 16);
	memcpy(p.hash_seed, plan->data_uuid, 16);
	p.hash_seed[0] ^= 0x5a;
	r = ext4_create(fd, plan->data.offset, &p, &fs);
	if (r < 0)
		return r;
	return ext4_close(fs);
}

int disk_write(int fd, const struct disk_plan *plan, const struct disk_content *c,
	       disk_progress_fn fn, void *opaque, char **err_what)
{
	_cleanup_free_ struct fat_file *files = NULL;
	struct fat_params fp = { .volume_id = plan->esp_volume_id, .label = "KILN-ESP",
				 .mtime = c->timestamp };
	char *what = NULL;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && ftruncate(fd, plan->size) < 0)
		return -errno;

	progress(fn, opaque, "partition", 0, plan->size);
	r = gpt_write(fd, &plan->gpt);
	if (r < 0) {
		what = xstrdup("the partition table");
		goto out;
	}
	progress(fn, opaque, "root", 0, plan->root.size);
	r = write_root(fd, plan, c, fn, opaque, &what);
	if (r < 0)
		goto out;
	if (plan->data.number && !plan->keep_data) {
		r = write_data(fd, plan, plan->gpt.parts[plan->data.number - 1].name, c->timestamp);
		if (r < 0) {
			what = xstrdup("the data filesystem");
			goto out;
		}
	}
	progress(fn, opaque, "esp", 0, plan->esp.size);
	files = xcalloc(c->nesp_files + 1, sizeof(*files));
	for (size_t i = 0; i < c->nesp_files; i++)
		files[i] = (struct fat_file){ c->esp_files[i].path, c->esp_files[i].data, c->esp_files[i].len };
	r = fat_build(fd, plan->esp.offset, plan->esp.size, &fp, files, c->nesp_files);
	if (r < 0) {
		what = xstrdup("the ESP");
		goto out;
	}
	if (fdatasync(fd) < 0 && errno != EINVAL) {
		r = -errno;
		goto out;
	}
	/* the boot code last: until here no firmware would start this disk */
	progress(fn, opaque, "bootloader", 0, 1);
	if (plan->bios.number && c->core_img) {
		r = biosboot_write(fd, c->boot_img, 512, c->core_img, c->core_len,
				   plan->bios.offset, plan->bios.size);
		if (r < 0) {
			what = xstrdup("the BIOS boot code");
			goto out;
		}
	}
	if (fdatasync(fd) < 0 && errno != EINVAL)
		r = -errno;
	progress(fn, opaque, "bootloader", 1, 1);
out:
	if (err_what)
		*err_what = what;
	else
		free(what);
	return r;
}
