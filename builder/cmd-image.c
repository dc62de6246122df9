/*
 * kiln image CONFIG -o OUT [--format raw|qcow2] [--firmware bios|uefi|both] [--size SIZE] [--force]
 *
 * Builds the configuration's system (as `kiln build`), its bootloader, and
 * writes a whole disk with lib/disk.c into OUT: GPT, BIOS boot partition and
 * ESP per the firmware, the ext4 root with the closure as generation 1. No
 * root, no loop device, no mount. The image is written under a temporary name
 * beside OUT and renamed into place: a failed build leaves no OUT behind,
 * and an existing OUT is only replaced with --force.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>
#include <sys/wait.h>

#include "image.h"

struct image_opts {
	const char *config, *out, *format, *firmware, *size;
	bool force;
};

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
		{ "force", no_argument, NULL, 'y' },
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
		case 'y': o->force = true; break;
		default: return -1;
		}
	}
	if (optind + 1 != argc || !o->out) {
		error("usage: kiln image CONFIG -o OUT [--format raw|qcow2] [--firmware bios|uefi|both] [--size SIZE] [--force]");
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

/* Writes the disk of b into `raw`; 0 or -1 after printing. */
static int write_image(struct store *s, const struct image_build *b, const struct image_opts *o,
		       uint64_t size, const char *raw)
{
	struct disk_layout layout;
	struct disk_plan plan;
	struct disk_content content;
	uint64_t needed = 0;
	char *what = NULL;
	int r, fd, last = -1;

	image_layout(b, size, &layout);
	r = disk_plan_make(&layout, &plan, &needed);
	if (r == -ENOSPC) {
		error("%s: disk size %" PRIu64 " MiB is too small for %s: it needs at least %" PRIu64 " MiB",
		      o->size ? "--size" : "disk.size", layout.size >> 20, b->system,
		      (needed + (1 << 20) - 1) >> 20);
		return -1;
	}
	if (r < 0)
		return error_errno(r, "cannot lay out the disk");
	image_content(b, s, &content);
	fd = open(raw, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(-errno, "cannot create %s", raw);
	info("writing %s (%" PRIu64 " MiB, %zu store paths)", o->out, plan.size >> 20, b->closure.n);
	r = disk_write(fd, &plan, &content, image_progress, &last, &what);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		error_errno(r, "cannot write %s (%s)", o->out, what ? what : "disk");
		free(what);
		return -1;
	}
	return 0;
}

int cmd_image(int argc, char **argv)
{
	struct image_opts o;
	struct store s;
	struct image_build b;
	_cleanup_free_ char *tmp = NULL, *raw = NULL;
	uint64_t size = 0;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	rc = image_check_output(o.out, o.force, o.size, &size);
	if (rc != 0)
		return rc;
	if (kiln_open_host_store(&s) < 0)
		return 1;
	rc = image_prepare(&s, o.config, o.firmware, &b);
	if (rc != 0)
		goto out;
	rc = 1;
	tmp = xasprintf("%s.kiln-tmp", o.out);
	raw = !strcmp(o.format, "qcow2") ? xasprintf("%s.kiln-raw", o.out) : xstrdup(tmp);
	if (write_image(&s, &b, &o, size, raw) < 0)
		goto out_unlink;
	if (strcmp(raw, tmp) && convert_qcow2(raw, tmp) < 0) {
		error("qemu-img convert to qcow2 failed for %s", o.out);
		goto out_unlink;
	}
	if (rename(tmp, o.out) < 0) {
		error_errno(-errno, "cannot rename %s to %s", tmp, o.out);
		goto out_unlink;
	}
	if (strcmp(raw, tmp))
		unlink(raw);
	printf("%s\n", b.system);
	info("image %s: boot it with 'kiln qemu %s'", o.out, o.out);
	rc = 0;
	goto out;
out_unlink:
	unlink(raw);
	unlink(tmp);
out:
	image_build_release(&b);
	store_close(&s);
	return rc;
}
