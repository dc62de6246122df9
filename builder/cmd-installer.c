/*
 * kiln installer CONFIG -o OUT [--size SIZE]
 *
 * Writes an installer medium: a disk image of CONFIG's own system (the
 * installer system; CONFIG has an `installer {}` block naming the target
 * configuration) whose store also carries the target system's closure and
 * the target's bootloader files. The medium's root holds, under
 * kiln/installer/, the manifest the stage-1 init's install mode reads
 * (format: initrd/init-install.c) and the target's grub.cfg.
 *
 * The medium boots with kiln.mode=install and finds its own root by
 * root=PARTUUID=<the medium's root partition GUID>, not by LABEL=kiln-root:
 * a half-installed target disk carries that label too, and on a rerun the
 * init must not mistake it for the medium. For the same reason GRUB must
 * not: the medium's root is labelled (filesystem and GPT name)
 * GRUB_INSTALLER_LABEL, "kiln-installer", and its core images come from a
 * bootloader path whose early config searches that label, so under any
 * firmware's disk order GRUB reads the medium's grub.cfg, never a target's.
 * The target keeps kiln-root and its own default bootloader.
 *
 * One medium serves BIOS and UEFI on x86_64 (the installer system's
 * firmware, "both" by default) and UEFI on aarch64. The image is written
 * under a temporary name and renamed into place, as `kiln image` does.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "boot.h"
#include "grub.h"
#include "guid.h"
#include "image.h"

#define MANIFEST_PATH "/kiln/installer/manifest"
#define TARGET_GRUB_PATH "/kiln/installer/grub.cfg"

struct installer_opts {
	const char *config, *out, *size;
	bool force;
};

static int parse_args(int argc, char **argv, struct installer_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "o:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 's': o->size = optarg; break;
		case 'y': o->force = true; break;
		default: return -1;
		}
	}
	if (optind + 1 != argc || !o->out) {
		error("usage: kiln installer CONFIG -o OUT [--size SIZE] [--force]");
		return -1;
	}
	o->config = argv[optind];
	return 0;
}

/* The manifest the install mode reads (initrd/init-install.c's header). */
static void make_manifest(const struct image_build *inst, const struct image_build *tgt,
			  int64_t timestamp, struct strbuf *out)
{
	const struct kiln_config *c = &inst->cfg;

	strbuf_addf(out, "# kiln installer manifest: %s onto the disk '%s'\n", tgt->cfg.path,
		    c->installer_disk);
	strbuf_addf(out, "system=%s\nbootloader=%s\n", tgt->system, tgt->bootloader);
	if (tgt->uefi)
		strbuf_addf(out, "efi=%s\n", tgt->efi_name);
	strbuf_addf(out, "grub_cfg=%s\n", TARGET_GRUB_PATH + 1);
	strbuf_addf(out, "disk=%s\nwipe=%d\nafter=%s\nmode=%s\ndry_run=%d\n", c->installer_disk,
		    c->installer_wipe, c->installer_after, c->installer_mode, c->installer_dry_run);
	strbuf_addf(out, "bios=%d\naarch64=%d\nroot_min=%" PRIu64 "\n", tgt->bios, tgt->aarch64,
		    tgt->root_min);
	strbuf_addf(out, "has_data=%d\ndata_size=%" PRIu64 "\ndata_label=%s\n", tgt->cfg.has_data,
		    tgt->cfg.data_size, tgt->cfg.data_label ? tgt->cfg.data_label : "kiln-data");
	strbuf_addf(out, "timestamp=%" PRId64 "\n", timestamp);
}

/* The installer's grub.cfg with its root pinned to the medium's root
 * partition and the install mode on. */
static void make_medium_grub(const struct image_build *inst, const struct disk_plan *plan,
			     struct strbuf *out)
{
	char guid[GUID_STR_LEN + 1];
	const char *from = "root=LABEL=" DISK_ROOT_LABEL " ";
	const char *p = inst->grub_cfg.buf, *hit;

	guid_format(plan->gpt.parts[plan->root.number - 1].uuid, guid);
	while ((hit = strstr(p, from))) {
		strbuf_add(out, p, hit - p);
		strbuf_addf(out, "root=PARTUUID=%s kiln.mode=install ", guid);
		p = hit + strlen(from);
	}
	strbuf_adds(out, p);
}

/* Both configurations prepared, checked against each other; 0 or an exit code. */
static int prepare(struct store *s, const struct installer_opts *o, struct image_build *inst,
		   struct image_build *tgt)
{
	int rc = image_prepare_label(s, o->config, NULL, GRUB_INSTALLER_LABEL, inst);
	if (rc != 0)
		return rc;
	if (!inst->cfg.has_installer) {
		error("%s: no installer block: which configuration should the medium install?",
		      o->config);
		return EXIT_USAGE;
	}
	rc = image_prepare(s, inst->cfg.installer_target, NULL, tgt);
	if (rc != 0)
		return rc;
	if (strcmp(inst->cfg.arch, tgt->cfg.arch)) {
		error("%s: installer.target %s is an %s system, the installer an %s one",
		      o->config, inst->cfg.installer_target, tgt->cfg.arch, inst->cfg.arch);
		return EXIT_USAGE;
	}
	return 0;
}

static int write_medium(struct store *s, const struct image_build *inst,
			const struct image_build *tgt, uint64_t size, const char *out, const char *tmp)
{
	struct path_list roots = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	struct strbuf manifest = STRBUF_INIT, grub = STRBUF_INIT;
	_cleanup_free_ char *seed = xasprintf("installer:%s:%s", inst->system, tgt->system);
	struct disk_layout layout;
	struct disk_plan plan;
	struct disk_content content;
	uint64_t needed = 0;
	char *what = NULL;
	int r, fd = -1, last = -1, rc = -1;

	/* the medium's store: both systems and the target's bootloader */
	path_list_add(&roots, inst->system);
	path_list_add(&roots, tgt->system);
	path_list_add(&roots, tgt->bootloader);
	r = store_closure(s, &roots, &closure);
	if (r < 0) {
		error_errno(r, "cannot compute the medium's closure");
		goto out;
	}
	image_layout(inst, size, &layout);
	layout.has_data = false;
	layout.root_min = inst->root_min + tgt->root_min;
	layout.seed = seed;
	r = disk_plan_make(&layout, &plan, &needed);
	if (r < 0) {
		if (r == -ENOSPC)
			error("--size: the medium needs at least %" PRIu64 " MiB", (needed + (1 << 20) - 1) >> 20);
		else
			error_errno(r, "cannot lay out the medium");
		goto out;
	}
	image_content(inst, s, &content);
	make_manifest(inst, tgt, content.timestamp, &manifest);
	make_medium_grub(inst, &plan, &grub);
	const struct disk_esp_file files[] = {
		{ MANIFEST_PATH, manifest.buf, manifest.len },
		{ TARGET_GRUB_PATH, tgt->grub_cfg.buf, tgt->grub_cfg.len },
	};
	content.closure = &closure;
	content.grub_cfg = grub.buf;
	content.root_files = files;
	content.nroot_files = ARRAY_SIZE(files);

	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno(-errno, "cannot create %s", tmp);
		goto out;
	}
	info("writing the installer %s (%" PRIu64 " MiB, %zu store paths) for %s", out,
	     plan.size >> 20, closure.n, tgt->system);
	r = disk_write(fd, &plan, &content, image_progress, &last, &what);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		error_errno(r, "cannot write %s (%s)", out, what ? what : "disk");
		goto out;
	}
	rc = 0;
out:
	free(what);
	path_list_release(&roots);
	path_list_release(&closure);
	strbuf_release(&manifest);
	strbuf_release(&grub);
	return rc;
}

int cmd_installer(int argc, char **argv)
{
	struct installer_opts o;
	struct store s;
	struct image_build inst, tgt;
	_cleanup_free_ char *tmp = NULL;
	uint64_t size = 0;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	rc = image_check_output(o.out, o.force, o.size, &size);
	if (rc != 0)
		return rc;
	if (kiln_open_host_store(&s) < 0)
		return 1;
	memset(&inst, 0, sizeof(inst));
	memset(&tgt, 0, sizeof(tgt));
	rc = prepare(&s, &o, &inst, &tgt);
	if (rc != 0)
		goto out;
	rc = 1;
	tmp = xasprintf("%s.kiln-tmp", o.out);
	if (write_medium(&s, &inst, &tgt, size, o.out, tmp) < 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, o.out) < 0) {
		error_errno(-errno, "cannot rename %s to %s", tmp, o.out);
		unlink(tmp);
		goto out;
	}
	printf("%s\n", tgt.system);
	info("installer %s: installs %s; try it with 'kiln qemu %s --disk BLANK.img'", o.out,
	     tgt.system, o.out);
	rc = 0;
out:
	image_build_release(&inst);
	image_build_release(&tgt);
	store_close(&s);
	return rc;
}
