#include "image.h"

#include "boot.h"
#include "common.h"
#include "debian.h"
#include "grub.h"
#include "system.h"

char *system_text(const struct store *s, const char *system, const char *name)
{
	_cleanup_free_ char *real = store_real_path(s, system);
	_cleanup_free_ char *file = real ? path_join(real, name) : NULL;
	struct strbuf sb = STRBUF_INIT;
	if (!file || read_file(file, &sb) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

char *system_link(const struct store *s, const char *system, const char *name)
{
	_cleanup_free_ char *real = store_real_path(s, system);
	_cleanup_free_ char *file = real ? path_join(real, name) : NULL;
	char buf[PATH_MAX];
	ssize_t n = file ? readlink(file, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/* The closure's bytes on ext4: NAR sizes bound the contents; one inode and
 * about a block of slack per 2 KiB of NAR covers the many small files. */
static uint64_t closure_root_size(const struct store *s, const struct path_list *closure)
{
	uint64_t bytes = 0, files;
	for (size_t i = 0; i < closure->n; i++) {
		const struct path_info *pi = store_query(s, closure->v[i]);
		if (pi)
			bytes += pi->nar_size;
	}
	files = bytes / 2048 + 1024;
	return disk_root_size_for(bytes + files * 2048, files);
}

int image_check_output(const char *out, bool force, const char *size, uint64_t *ret_size)
{
	*ret_size = 0;
	if (size && (parse_size(size, ret_size) < 0 || *ret_size == 0)) {
		error("--size: '%s' is not a size (e.g. 2G, 512M)", size);
		return EXIT_USAGE;
	}
	if (!force && access(out, F_OK) == 0) {
		error("%s exists; use --force to replace it", out);
		return 1;
	}
	return 0;
}

void image_progress(void *opaque, const char *phase, uint64_t done, uint64_t total)
{
	int *last = opaque;
	if (strcmp(phase, "copy")) {
		if (done == 0)
			fprintf(stderr, "kiln: writing %s\n", phase);
		return;
	}
	int pct = total ? (int)(done * 100 / total) : 100;
	if (pct / 25 != *last / 25 && pct != *last)
		fprintf(stderr, "kiln: copying the closure: %d%%\n", pct);
	*last = pct;
}

static int read_whole(const struct store *s, const char *dir, const char *name, struct strbuf *out)
{
	_cleanup_free_ char *real = store_real_path(s, dir);
	_cleanup_free_ char *file = path_join(real, name);
	return read_file(file, out);
}

static int load_boot_files(const struct store *s, struct image_build *b)
{
	int r = 0;
	b->efi_name = b->aarch64 ? "EFI/BOOT/BOOTAA64.EFI" : "EFI/BOOT/BOOTX64.EFI";
	if (b->bios) {
		r = read_whole(s, b->bootloader, "boot.img", &b->boot_img);
		if (r == 0)
			r = read_whole(s, b->bootloader, "core.img", &b->core_img);
	}
	if (r == 0 && b->uefi)
		r = read_whole(s, b->bootloader, b->efi_name, &b->efi);
	b->esp = (struct disk_esp_file){ b->efi_name, b->efi.buf, b->efi.len };
	return r;
}

static int make_grub_cfg(const struct store *s, struct image_build *b)
{
	_cleanup_free_ char *kernel = system_link(s, b->system, "kernel");
	_cleanup_free_ char *initrd = system_link(s, b->system, "initrd");
	_cleanup_free_ char *params = system_text(s, b->system, "kernel-params");
	_cleanup_free_ char *name = system_text(s, b->system, "name");

	if (!kernel || !initrd || !name) {
		error("%s: the system has no %s", b->system,
		      !kernel ? "kernel" : !initrd ? "initrd" : "name");
		return -1;
	}
	struct grub_entry entry = { 1, b->system, name, kernel, initrd, params ? params : "" };
	struct grub_cfg_opts o = { .timeout = b->cfg.boot_timeout, .serial = true };
	grub_cfg_generate(&entry, 1, &o, &b->grub_cfg);
	return 0;
}

int image_prepare(struct store *s, const char *config_path, const char *firmware,
		  struct image_build *b)
{
	return image_prepare_label(s, config_path, firmware, NULL, b);
}

int image_prepare_label(struct store *s, const char *config_path, const char *firmware,
			const char *root_label, struct image_build *b)
{
	struct lockfile lock = LOCKFILE_INIT;
	struct deb_set debs = DEB_SET_INIT;
	struct strbuf err = STRBUF_INIT;
	struct path_list roots = PATH_LIST_INIT;
	_cleanup_free_ char *lockpath = NULL;
	int rc, r;

	memset(b, 0, sizeof(*b));
	b->root_label = root_label;
	rc = system_build_config(s, config_path, NULL, &b->cfg, &b->system);
	if (rc != 0)
		return rc;
	rc = 1;
	if (firmware) {
		if (!strcmp(b->cfg.arch, "aarch64") && strcmp(firmware, "uefi")) {
			error("%s: aarch64 images boot with UEFI only (--firmware %s)", config_path, firmware);
			rc = EXIT_USAGE;
			goto out;
		}
		free(b->cfg.firmware);
		b->cfg.firmware = xstrdup(firmware);
	}
	b->aarch64 = !strcmp(b->cfg.arch, "aarch64");
	b->bios = !b->aarch64 && strcmp(b->cfg.firmware, "uefi");
	b->uefi = b->aarch64 || strcmp(b->cfg.firmware, "bios");

	/* the bootloader, from the same lock (the packages are valid by now) */
	lockpath = path_join(b->cfg.dir, KILN_LOCK_NAME);
	r = lockfile_read(lockpath, &lock, &err);
	if (r == 0)
		r = debian_realise(s, &b->cfg, &lock, kiln_cache_dir(), &debs, &err);
	if (r == 0)
		r = boot_realise_bootloader_label(s, &b->cfg, &debs, root_label, &b->bootloader, &err);
	if (r < 0) {
		error("%s", err.len ? err.buf : strerror(-r));
		goto out;
	}
	r = load_boot_files(s, b);
	if (r < 0) {
		error_errno(r, "cannot read the bootloader %s", b->bootloader);
		goto out;
	}
	if (make_grub_cfg(s, b) < 0)
		goto out;
	path_list_add(&roots, b->system);
	r = store_closure(s, &roots, &b->closure);
	if (r < 0) {
		error_errno(r, "cannot compute the closure of %s", b->system);
		goto out;
	}
	b->root_min = closure_root_size(s, &b->closure);
	rc = 0;
out:
	path_list_release(&roots);
	deb_set_release(&debs);
	lockfile_release(&lock);
	strbuf_release(&err);
	return rc;
}

void image_layout(const struct image_build *b, uint64_t size, struct disk_layout *ret)
{
	*ret = (struct disk_layout){
		.size = size ? size : b->cfg.disk_size,
		.root_min = b->root_min,
		.bios = b->bios,
		.aarch64 = b->aarch64,
		.has_data = b->cfg.has_data,
		.data_size = b->cfg.data_size,
		.data_label = b->cfg.data_label,
		.seed = b->system,
		.root_label = b->root_label,
	};
}

void image_content(const struct image_build *b, const struct store *s, struct disk_content *ret)
{
	*ret = (struct disk_content){
		.system = b->system,
		.src = s,
		.closure = &b->closure,
		.grub_cfg = b->grub_cfg.buf,
		.boot_img = b->bios ? b->boot_img.buf : NULL,
		.core_img = b->bios ? b->core_img.buf : NULL,
		.core_len = b->bios ? b->core_img.len : 0,
		.esp_files = &b->esp,
		.nesp_files = b->uefi ? 1 : 0,
		.timestamp = kiln_timestamp(),
	};
}

void image_build_release(struct image_build *b)
{
	free(b->system);
	free(b->bootloader);
	strbuf_release(&b->grub_cfg);
	path_list_release(&b->closure);
	strbuf_release(&b->boot_img);
	strbuf_release(&b->core_img);
	strbuf_release(&b->efi);
	config_release(&b->cfg);
	memset(b, 0, sizeof(*b));
}
