/*
 * kiln image CONFIG -o OUT [--format raw|qcow2] [--firmware bios|uefi|both] [--size SIZE]
 *
 * Builds the configuration's system (as `kiln build`), its bootloader, and
 * writes a whole disk with lib/disk.c into OUT: GPT, BIOS boot partition and
 * ESP per the firmware, the ext4 root with the closure as generation 1. No
 * root, no loop device, no mount. The image is written under a temporary name
 * beside OUT and renamed into place: a failed build leaves no OUT behind.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>
#include <sys/wait.h>

#include "boot.h"
#include "debian.h"
#include "disk.h"
#include "grub.h"
#include "system.h"

struct image_opts {
	const char *config, *out, *format, *firmware, *size;
};

/* Reads the one-line text file <system>/<name> (trailing newline dropped). */
static char *system_text(const struct store *s, const char *system, const char *name)
{
	_cleanup_free_ char *real = store_real_path(s, system);
	_cleanup_free_ char *file = path_join(real, name);
	struct strbuf sb = STRBUF_INIT;
	if (read_file(file, &sb) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

static char *system_link(const struct store *s, const char *system, const char *name)
{
	_cleanup_free_ char *real = store_real_path(s, system);
	_cleanup_free_ char *file = path_join(real, name);
	char buf[PATH_MAX];
	ssize_t n = readlink(file, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Bytes and entries of the closure, as they will land on ext4. */
static void closure_usage(const struct store *s, const struct path_list *closure,
			  uint64_t *ret_bytes, uint64_t *ret_files)
{
	_cleanup_free_ char *cmd = NULL;
	uint64_t bytes = 0, files = 0;

	for (size_t i = 0; i < closure->n; i++) {
		const struct path_info *pi = store_query(s, closure->v[i]);
		if (pi) {
			/* the NAR size bounds the content; round each file to a block */
			bytes += pi->nar_size;
		}
	}
	/* one inode and on average half a block of slack per 2 KiB of NAR */
	files = bytes / 2048 + 1024;
	*ret_bytes = bytes + files * 2048;
	*ret_files = files;
}

static void on_progress(void *opaque, const char *phase, uint64_t done, uint64_t total)
{
	int *last = opaque;
	if (strcmp(phase, "copy")) {
		fprintf(stderr, "kiln: writing %s\n", phase);
		return;
	}
	int pct = total ? (int)(done * 100 / total) : 100;
	if (pct / 25 != *last / 25 || pct == 100) {
		if (pct != *last)
			fprintf(stderr, "kiln: copying the closure: %d%%\n", pct);
		*last = pct;
	}
}

static int read_whole(const struct store *s, const char *dir, const char *name, struct strbuf *out)
{
	_cleanup_free_ char *real = store_real_path(s, dir);
	_cleanup_free_ char *file = path_join(real, name);
	return read_file(file, out);
}

static int convert_qcow2(const char *raw, const char *out)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("qemu-img", "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, out,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int parse_args(int argc, char **argv, struct image_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "firmware", required_argument, NULL, 'F' },
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->format = "raw";
	while ((c = getopt_long(argc, argv, "o:f:F:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'f': o->format = optarg; break;
		case 'F': o->firmware = optarg; break;
		case 's': o->size = optarg; break;
		default: return -1;
		}
	}
	if (optind + 1 != argc || !o->out) {
		error("usage: kiln image CONFIG -o OUT [--format raw|qcow2] [--firmware bios|uefi|both] [--size SIZE]");
		return -1;
	}
	o->config = argv[optind];
	if (strcmp(o->format, "raw") && strcmp(o->format, "qcow2")) {
		error("--format must be raw or qcow2, not '%s'", o->format);
		return -1;
	}
	if (o->firmware && strcmp(o->firmware, "bios") && strcmp(o->firmware, "uefi") &&
	    strcmp(o->firmware, "both")) {
		error("--firmware must be bios, uefi or both, not '%s'", o->firmware);
		return -1;
	}
	return 0;
}

struct boot_files {
	struct strbuf boot_img, core_img, efi;
	const char *efi_name;
};

static int load_boot_files(const struct store *s, const char *bl, bool bios, bool uefi, bool arm,
			   struct boot_files *b)
{
	int r = 0;
	b->efi_name = arm ? "EFI/BOOT/BOOTAA64.EFI" : "EFI/BOOT/BOOTX64.EFI";
	if (bios) {
		r = read_whole(s, bl, "boot.img", &b->boot_img);
		if (r == 0)
			r = read_whole(s, bl, "core.img", &b->core_img);
	}
	if (r == 0 && uefi)
		r = read_whole(s, bl, b->efi_name, &b->efi);
	return r;
}

int cmd_image(int argc, char **argv)
{
	struct image_opts o;
	struct store s;
	struct kiln_config cfg;
	struct lockfile lock = LOCKFILE_INIT;
	struct deb_set debs = DEB_SET_INIT;
	struct strbuf err = STRBUF_INIT, cfgtext = STRBUF_INIT;
	struct path_list roots = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	struct boot_files bf = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, NULL };
	_cleanup_free_ char *system = NULL, *bl = NULL, *lockpath = NULL, *tmp = NULL, *raw = NULL;
	_cleanup_free_ char *kernel = NULL, *initrd = NULL, *params = NULL, *name = NULL;
	char *what = NULL;
	int rc = 1, r, fd = -1, last = -1;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (kiln_open_host_store(&s) < 0)
		return 1;
	memset(&cfg, 0, sizeof(cfg));
	rc = system_build_config(&s, o.config, NULL, &cfg, &system);
	if (rc != 0)
		goto out_store;
	rc = 1;
	if (o.firmware) {
		if (!strcmp(cfg.arch, "aarch64") && strcmp(o.firmware, "uefi")) {
			error("%s: aarch64 images boot with UEFI only (--firmware %s)", o.config, o.firmware);
			rc = EXIT_USAGE;
			goto out;
		}
		free(cfg.firmware);
		cfg.firmware = xstrdup(o.firmware);
	}

	/* the bootloader, from the same lock */
	lockpath = path_join(cfg.dir, KILN_LOCK_NAME);
	r = lockfile_read(lockpath, &lock, &err);
	if (r == 0)
		r = debian_realise(&s, &cfg, &lock, kiln_cache_dir(), &debs, &err);
	if (r == 0)
		r = boot_realise_bootloader(&s, &cfg, &debs, &bl, &err);
	if (r < 0) {
		error("%s", err.len ? err.buf : strerror(-r));
		goto out;
	}

	/* the grub.cfg of generation 1 */
	kernel = system_link(&s, system, "kernel");
	initrd = system_link(&s, system, "initrd");
	params = system_text(&s, system, "kernel-params");
	name = system_text(&s, system, "name");
	if (!kernel || !initrd || !name) {
		error("%s: the system has no %s", system, !kernel ? "kernel" : !initrd ? "initrd" : "name");
		goto out;
	}
	struct grub_entry entry = { 1, system, name, kernel, initrd, params ? params : "" };
	struct grub_cfg_opts gopts = { .timeout = cfg.boot_timeout, .serial = true };
	grub_cfg_generate(&entry, 1, &gopts, &cfgtext);

	bool arm = !strcmp(cfg.arch, "aarch64");
	bool bios = !arm && strcmp(cfg.firmware, "uefi");
	bool uefi = arm || strcmp(cfg.firmware, "bios");
	r = load_boot_files(&s, bl, bios, uefi, arm, &bf);
	if (r < 0) {
		error_errno(r, "cannot read the bootloader %s", bl);
		goto out;
	}

	/* the closure and the layout */
	path_list_add(&roots, system);
	r = store_closure(&s, &roots, &closure);
	if (r < 0) {
		error_errno(r, "cannot compute the closure of %s", system);
		goto out;
	}
	uint64_t bytes, files, size = cfg.disk_size, needed = 0;
	if (o.size && parse_size(o.size, &size) < 0) {
		error("--size: '%s' is not a size (e.g. 2G, 512M)", o.size);
		rc = EXIT_USAGE;
		goto out;
	}
	closure_usage(&s, &closure, &bytes, &files);
	struct disk_layout layout = {
		.size = size,
		.root_min = disk_root_size_for(bytes, files),
		.bios = bios,
		.aarch64 = arm,
		.has_data = cfg.has_data,
		.data_size = cfg.data_size,
		.data_label = cfg.data_label,
		.seed = system,
	};
	struct disk_plan plan;
	r = disk_plan_make(&layout, &plan, &needed);
	if (r == -ENOSPC) {
		error("%s: disk size %" PRIu64 " MiB is too small for %s: it needs at least %" PRIu64 " MiB",
		      o.size ? "--size" : "disk.size", size >> 20, system, (needed + (1 << 20) - 1) >> 20);
		goto out;
	}
	if (r < 0) {
		error_errno(r, "cannot lay out the disk");
		goto out;
	}

	struct disk_esp_file esp = { bf.efi_name, bf.efi.buf, bf.efi.len };
	struct disk_content content = {
		.system = system,
		.src = &s,
		.closure = &closure,
		.grub_cfg = cfgtext.buf,
		.boot_img = bios ? bf.boot_img.buf : NULL,
		.core_img = bios ? bf.core_img.buf : NULL,
		.core_len = bios ? bf.core_img.len : 0,
		.esp_files = &esp,
		.nesp_files = uefi ? 1 : 0,
		.timestamp = kiln_timestamp(),
	};
	tmp = xasprintf("%s.kiln-tmp", o.out);
	raw = !strcmp(o.format, "qcow2") ? xasprintf("%s.kiln-raw", o.out) : xstrdup(tmp);
	unlink(raw);
	fd = open(raw, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(-errno, "cannot create %s", raw);
		goto out;
	}
	info("writing %s (%" PRIu64 " MiB, %zu store paths)", o.out, plan.size >> 20, closure.n);
	r = disk_write(fd, &plan, &content, on_progress, &last, &what);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		error_errno(r, "cannot write %s (%s)", o.out, what ? what : "disk");
		goto out_unlink;
	}
	if (strcmp(raw, tmp) && (r = convert_qcow2(raw, tmp)) < 0) {
		error("qemu-img convert to qcow2 failed for %s", o.out);
		goto out_unlink;
	}
	if (rename(tmp, o.out) < 0) {
		error_errno(-errno, "cannot rename %s to %s", tmp, o.out);
		goto out_unlink;
	}
	if (strcmp(raw, tmp))
		unlink(raw);
	printf("%s\n", system);
	info("image %s: boot it with 'kiln qemu %s'", o.out, o.out);
	rc = 0;
	goto out;
out_unlink:
	unlink(raw);
	unlink(tmp);
out:
	free(what);
	strbuf_release(&bf.boot_img);
	strbuf_release(&bf.core_img);
	strbuf_release(&bf.efi);
	path_list_release(&roots);
	path_list_release(&closure);
	deb_set_release(&debs);
	lockfile_release(&lock);
	config_release(&cfg);
	strbuf_release(&cfgtext);
out_store:
	strbuf_release(&err);
	store_close(&s);
	return rc;
}
