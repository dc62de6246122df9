#include "boot.h"

#include <libgen.h>

#include "bootloader.h"
#include "derivation.h"
#include "fsutil.h"
#include "hashcache.h"
#include "kernel.h"
#include "mkinitrd.h"
#include "nar.h"

const char *const *boot_packages(const struct kiln_config *c)
{
	static const char *const arm[] = { "e2fsck-static", "grub-efi-arm64-bin", NULL };
	static const char *const both[] = { "e2fsck-static", "grub-pc-bin", "grub-efi-amd64-bin", NULL };
	static const char *const bios[] = { "e2fsck-static", "grub-pc-bin", NULL };
	static const char *const uefi[] = { "e2fsck-static", "grub-efi-amd64-bin", NULL };

	if (c->arch && !strcmp(c->arch, "aarch64"))
		return arm;
	if (c->firmware && !strcmp(c->firmware, "bios"))
		return bios;
	if (c->firmware && !strcmp(c->firmware, "uefi"))
		return uefi;
	return both;
}

int64_t kiln_timestamp(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (e && parse_u64(e, 10, &v) == 0 && v >= 1 && v < (UINT64_C(1) << 40))
		return (int64_t)v;
	return 1;
}

char *boot_init_binary(const char *arch)
{
	const char *dir = getenv("KILN_INIT_DIR");
	char exe[PATH_MAX];
	char *path;

	if (dir && *dir) {
		path = xasprintf("%s/init-%s", dir, arch);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return NULL;
		exe[n] = '\0';
		path = xasprintf("%s/initrd/init-%s", dirname(exe), arch);
	}
	if (access(path, R_OK) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* Puts the init binary into the store (content-addressed) so the initrd's
 * derivation names exactly the bytes it embeds. */
static int add_init(struct store *s, const char *arch, char **ret_path, struct strbuf *err)
{
	_cleanup_free_ char *bin = boot_init_binary(arch);
	_cleanup_free_ char *name = xasprintf("kiln-init-%s", arch);
	uint8_t hash[SHA256_LEN];
	uint64_t size;
	struct strbuf data = STRBUF_INIT;
	int r;

	if (!bin) {
		strbuf_addf(err, "the stage-1 init for %s is not built (make builds initrd/init-%s)", arch, arch);
		return -1;
	}
	_cleanup_free_ char *cache = s->dbdir ? path_join(s->dbdir, "file-hashes") : NULL;
	r = hashcache_nar_file(cache, bin, hash, &size);
	if (r == 0) {
		_cleanup_free_ char *path = store_path_recursive(s->storedir, hash, name, NULL, false);
		if (store_is_valid(s, path)) {
			*ret_path = xstrdup(path);
			return 0;
		}
		r = read_file(bin, &data);
	}
	if (r == 0) {
		_cleanup_free_ char *tmp = store_tmp_name(s);
		r = write_file_atomic(tmp, data.buf, data.len, 0555);
		if (r == 0)
			r = store_add_recursive(s, tmp, name, NULL, ret_path);
	}
	strbuf_release(&data);
	if (r < 0)
		strbuf_addf(err, "cannot add %s to the store: %s", bin, strerror(-r));
	return r < 0 ? -1 : 0;
}

static char *join_modules(const struct kiln_config *c)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < c->modules.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", c->modules.v[i].value);
	return strbuf_detach(&sb, NULL);
}

int boot_realise_initrd(struct store *s, const struct kiln_config *c, const struct deb_set *debs,
			char **ret_path, struct strbuf *err)
{
	const struct deb_entry *kernel = kernel_package(s, c, debs, err);
	const struct deb_entry *fsck = deb_set_find(debs, "e2fsck-static");
	_cleanup_free_ char *init = NULL, *path = NULL, *modules = join_modules(c);
	_cleanup_free_ char *stamp = xasprintf("%" PRId64, kiln_timestamp());
	struct derivation d;
	int r;

	if (!kernel)
		return -1;
	if (add_init(s, c->arch, &init, err) < 0)
		return -1;
	derivation_init(&d, "initrd", "initrd");
	derivation_add_input(&d, init);
	derivation_add_input(&d, kernel->path);
	if (fsck)
		derivation_add_input(&d, fsck->path);
	derivation_set_param(&d, "modules", modules);
	derivation_set_param(&d, "default-modules", "1");
	derivation_set_param(&d, "mtime", stamp);
	path = derivation_output_path(&d, s->storedir);
	derivation_release(&d);
	if (store_is_valid(s, path)) {
		*ret_path = xstrdup(path);
		return 0;
	}

	_cleanup_free_ char *init_real = store_real_path(s, init);
	_cleanup_free_ char *kernel_real = store_real_path(s, kernel->path);
	_cleanup_free_ char *fsck_real = fsck ? store_real_path(s, fsck->path) : NULL;
	_cleanup_free_ char *fsck_bin = fsck_real ? path_join(fsck_real, "sbin/e2fsck.static") : NULL;
	const char **mods = xcalloc(c->modules.n + 1, sizeof(char *));
	for (size_t i = 0; i < c->modules.n; i++)
		mods[i] = c->modules.v[i].value;
	struct initrd_file files[1] = { { fsck_bin, "/sbin/e2fsck", 0755 } };
	struct initrd_spec spec = {
		.init_path = init_real,
		.kernel_tree = kernel_real,
		.modules = mods,
		.nmodules = c->modules.n,
		.default_modules = true,
		.files = files,
		.nfiles = fsck_bin && access(fsck_bin, R_OK) == 0 ? 1 : 0,
		.mtime = (uint64_t)kiln_timestamp(),
	};
	_cleanup_free_ char *tmp = store_tmp_name(s);
	r = initrd_build(&spec, tmp, err);
	free(mods);
	if (r < 0) {
		unlink(tmp);
		return -1;
	}
	r = store_add_commit(s, tmp, path, NULL, NULL);
	if (r < 0) {
		strbuf_addf(err, "cannot add the initrd to the store: %s", strerror(-r));
		return -1;
	}
	*ret_path = xstrdup(path);
	return 0;
}

int boot_realise_bootloader(struct store *s, const struct kiln_config *c,
			    const struct deb_set *debs, char **ret_path, struct strbuf *err)
{
	return boot_realise_bootloader_label(s, c, debs, NULL, ret_path, err);
}

int boot_realise_bootloader_label(struct store *s, const struct kiln_config *c,
				  const struct deb_set *debs, const char *root_label,
				  char **ret_path, struct strbuf *err)
{
	bool arm = !strcmp(c->arch, "aarch64");
	struct bootloader_spec spec = {
		.root_label = root_label,
		.aarch64 = arm,
		.bios = !arm && strcmp(c->firmware, "uefi") != 0,
		.uefi = arm || strcmp(c->firmware, "bios") != 0,
	};
	const struct deb_entry *pc = deb_set_find(debs, "grub-pc-bin");
	const struct deb_entry *efi = deb_set_find(debs, arm ? "grub-efi-arm64-bin" : "grub-efi-amd64-bin");

	if ((spec.bios && !pc) || (spec.uefi && !efi)) {
		strbuf_addf(err, "the GRUB packages for %s are not realised (run 'kiln lock %s')",
			    c->firmware, c->path);
		return -1;
	}
	spec.pc_pkg = pc ? pc->path : NULL;
	spec.efi_pkg = efi ? efi->path : NULL;
	return bootloader_realise(s, &spec, ret_path, err);
}
