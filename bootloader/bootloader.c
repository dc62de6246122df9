#include "bootloader.h"

#include <sys/wait.h>

#include "derivation.h"
#include "fsutil.h"
#include "grub.h"

static char *grub_mkimage_version(void)
{
	FILE *p = popen("grub-mkimage --version 2>/dev/null", "re");
	char line[256] = "";
	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = '\0';
		pclose(p);
	}
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(*line ? line : "unknown");
}

static void add_platform_params(struct derivation *d, const char *key, enum grub_platform p,
				const char *root_label)
{
	struct strbuf cfg = STRBUF_INIT;
	grub_early_config_label(p, root_label, &cfg);
	_cleanup_free_ char *k = xasprintf("%s.early-config", key);
	derivation_set_param(d, k, cfg.buf);
	strbuf_release(&cfg);

	const char *modules[GRUB_MAX_CORE_MODULES];
	size_t n = grub_core_modules(p, modules, ARRAY_SIZE(modules));
	struct strbuf list = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&list, "%s%s", i ? " " : "", modules[i]);
	_cleanup_free_ char *km = xasprintf("%s.modules", key);
	derivation_set_param(d, km, list.buf);
	strbuf_release(&list);
}

/* Builds one core image from pkg/usr/lib/grub into dir/name. */
static int build_core(struct store *s, enum grub_platform p, const char *root_label,
		      const char *pkg, const char *dir, const char *name, struct strbuf *err)
{
	_cleanup_free_ char *real = store_real_path(s, pkg);
	_cleanup_free_ char *lib = real ? path_join(real, "usr/lib/grub") : NULL;
	_cleanup_free_ char *out = path_join(dir, name);

	if (!lib) {
		strbuf_addf(err, "GRUB package path %s is not in the store", pkg);
		return -1;
	}
	return grub_make_core_label(p, root_label, lib, out, err);
}

static int copy_file(const char *from, const char *to)
{
	struct strbuf data = STRBUF_INIT;
	int r = read_file(from, &data);
	if (r == 0)
		r = write_file_atomic(to, data.buf, data.len, 0644);
	strbuf_release(&data);
	return r;
}

int bootloader_realise(struct store *s, const struct bootloader_spec *spec, char **ret_path,
		       struct strbuf *err)
{
	struct derivation d;
	enum grub_platform efi = spec->aarch64 ? GRUB_ARM64_EFI : GRUB_X86_64_EFI;
	_cleanup_free_ char *version = grub_mkimage_version();
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	/* the default label keeps the default path (and its name) unchanged */
	const char *label = spec->root_label && strcmp(spec->root_label, GRUB_ROOT_LABEL) ?
			    spec->root_label : NULL;
	_cleanup_free_ char *name = xasprintf("grub-%s%s%s", spec->aarch64 ? "aarch64" : "x86_64",
					      label ? "-" : "", label ? label : "");
	int r = 0;

	derivation_init(&d, "bootloader", name);
	derivation_set_param(&d, "grub-mkimage", version);
	if (spec->bios) {
		derivation_add_input(&d, spec->pc_pkg);
		add_platform_params(&d, "i386-pc", GRUB_I386_PC, label);
	}
	if (spec->uefi) {
		derivation_add_input(&d, spec->efi_pkg);
		add_platform_params(&d, grub_platform_name(efi), efi, label);
	}
	path = derivation_output_path(&d, s->storedir);
	derivation_release(&d);
	if (store_is_valid(s, path)) {
		*ret_path = xstrdup(path);
		return 0;
	}

	tmp = store_tmp_name(s);
	_cleanup_free_ char *efidir = path_join(tmp, "EFI/BOOT");
	if (mkdir_p(efidir, 0755) < 0) {
		strbuf_addf(err, "cannot create %s: %s", efidir, strerror(errno));
		r = -1;
	}
	if (r == 0 && spec->bios) {
		r = build_core(s, GRUB_I386_PC, label, spec->pc_pkg, tmp, "core.img", err);
		if (r == 0) {
			_cleanup_free_ char *real = store_real_path(s, spec->pc_pkg);
			_cleanup_free_ char *from = path_join(real, "usr/lib/grub/i386-pc/boot.img");
			_cleanup_free_ char *to = path_join(tmp, "boot.img");
			r = copy_file(from, to);
			if (r < 0) {
				strbuf_addf(err, "cannot copy %s: %s", from, strerror(-r));
				r = -1;
			}
		}
	}
	if (r == 0 && spec->uefi)
		r = build_core(s, efi, label, spec->efi_pkg, efidir, grub_efi_filename(efi), err);
	if (r == 0) {
		r = store_add_commit(s, tmp, path, NULL, NULL);
		if (r < 0) {
			strbuf_addf(err, "cannot add %s to the store: %s", path, strerror(-r));
			r = -1;
		}
	} else {
		rm_rf(tmp);
	}
	if (r == 0)
		*ret_path = xstrdup(path);
	return r;
}
