/*
 * kiln qemu IMAGE — boot an image in QEMU with the right emulator, firmware
 * and console for its architecture: TCG, serial console on stdio, no display.
 *
 * The architecture comes from the image's GPT (the root partition's type
 * GUID: x86-64 or aarch64 root); the firmware defaults to BIOS when the disk
 * has a BIOS boot partition, else UEFI. UEFI variables live in a private copy
 * of the firmware's VARS file beside the image (IMAGE.efivars), like a VM's
 * NVRAM, created on first use. UEFI boots with no firmware menu timeout
 * (-boot menu=on,splash-time=0): the firmware starts the disk at once.
 * Disks use aio=io_uring where the host allows it (io_uring_available()).
 *
 * --disk FILE adds raw virtio disks after IMAGE (IMAGE is /dev/vda, the first
 * --disk /dev/vdb …). --boot-disk N boots from disk N instead (1 = IMAGE, 2
 * = the first --disk, …) without changing that order: each disk becomes a
 * virtio-blk-pci device and disk N gets bootindex=0, which SeaBIOS and OVMF
 * both honour. Its GPT then says the architecture and default firmware, and
 * its NVRAM copy is used (e.g. a target disk first, an installer medium
 * second, booting the medium).
 */
#include "common.h"
#include "commands.h"
#include "fsutil.h"

#include <getopt.h>
#include <linux/io_uring.h>
#include <sys/syscall.h>

#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define AAVMF_CODE "/usr/share/AAVMF/AAVMF_CODE.fd"
#define AAVMF_VARS "/usr/share/AAVMF/AAVMF_VARS.fd"
#define QEMU_USAGE "kiln qemu [--firmware bios|uefi] [--disk FILE]... [--boot-disk N] [--memory MiB] [--print] IMAGE"

struct image_kind {
	bool aarch64;
	bool has_bios_part;
	bool qcow2;
};

/* GPT type GUIDs as their on-disk (mixed-endian) bytes. */
static const uint8_t type_bios_boot[16] = { 0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6f, 0x6e,
					    0x74, 0x4e, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49 };
static const uint8_t type_root_arm64[16] = { 0x45, 0xb0, 0x21, 0xb9, 0xf0, 0x1d, 0xc3, 0x41,
					     0xaf, 0x44, 0x4c, 0x6f, 0x28, 0x0d, 0x3f, 0xae };

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Reads the first 1 MiB of the image as raw bytes into buf (qcow2 through qemu-img). */
static int read_head(const char *image, bool qcow2, uint8_t *buf, size_t len)
{
	if (!qcow2) {
		_cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ssize_t n = read_full(fd, buf, len);
		return n < 0 ? (int)n : (n == (ssize_t)len ? 0 : -EIO);
	}
	char tmpl[] = "/tmp/kiln-qemu-head.XXXXXX";
	int tfd = mkstemp(tmpl);
	if (tfd < 0)
		return -errno;
	close(tfd);
	_cleanup_free_ char *cmd = xasprintf("qemu-img dd -f qcow2 -O raw bs=%zu count=1 if='%s' of='%s' 2>/dev/null",
					     len, image, tmpl);
	int r = system(cmd) == 0 ? 0 : -EIO;
	if (r == 0) {
		_cleanup_close_ int fd = open(tmpl, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -errno : (read_full(fd, buf, len) == (ssize_t)len ? 0 : -EIO);
	}
	unlink(tmpl);
	return r;
}

static int detect(const char *image, struct image_kind *ret)
{
	uint8_t magic[4];
	size_t len = 1 << 20;
	_cleanup_free_ uint8_t *buf = xmalloc(len);
	int r;

	{
		_cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (read_full(fd, magic, 4) != 4)
			return -EINVAL;
	}
	memset(ret, 0, sizeof(*ret));
	ret->qcow2 = !memcmp(magic, "QFI\xfb", 4);
	r = read_head(image, ret->qcow2, buf, len);
	if (r < 0)
		return r;
	if (memcmp(buf + 512, "EFI PART", 8))
		return -EINVAL;
	uint64_t entries_lba = le64(buf + 512 + 72);
	uint32_t count = buf[512 + 80] | buf[512 + 81] << 8 | buf[512 + 82] << 16 | (uint32_t)buf[512 + 83] << 24;
	uint32_t esize = buf[512 + 84] | buf[512 + 85] << 8;
	if (esize < 128 || entries_lba * 512 + (uint64_t)count * esize > len)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = buf + entries_lba * 512 + (uint64_t)i * esize;
		if (!memcmp(e, type_bios_boot, 16))
			ret->has_bios_part = true;
		if (!memcmp(e, type_root_arm64, 16))
			ret->aarch64 = true;
	}
	return 0;
}

/*
 * Can QEMU get an io_uring here (seccomp or a sysctl may forbid it)? With
 * the default thread pool, every request GRUB and SeaBIOS make through int13
 * (hundreds of small synchronous reads under BIOS) goes to a worker thread
 * and back while the vCPU spins; on a busy host that hand-off alone cost
 * seconds of boot time. aio=io_uring submits from the vCPU thread.
 */
static bool io_uring_available(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = (int)syscall(__NR_io_uring_setup, 1, &p);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void addv(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* The private NVRAM copy beside the image. */
static int ensure_vars(const char *image, const char *template, char **ret)
{
	char *vars = xasprintf("%s.efivars", image);
	struct strbuf data = STRBUF_INIT;
	int r = 0;

	if (access(vars, F_OK) < 0) {
		r = read_file(template, &data);
		if (r == 0)
			r = write_file_atomic(vars, data.buf, data.len, 0644);
	}
	strbuf_release(&data);
	if (r < 0) {
		free(vars);
		return r;
	}
	*ret = vars;
	return 0;
}

int cmd_qemu(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "firmware", required_argument, NULL, 'f' },
		{ "disk", required_argument, NULL, 'd' },
		{ "memory", required_argument, NULL, 'm' },
		{ "boot-disk", required_argument, NULL, 'b' },
		{ "print", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *firmware = NULL, *memory = NULL;
	char **extra = NULL, **v = NULL;
	size_t nextra = 0, n = 0;
	unsigned long boot_disk = 0;     /* 0: no --boot-disk, plain if=virtio drives */
	char *end;
	bool print_only = false;
	struct image_kind kind;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:d:m:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'f': firmware = optarg; break;
		case 'd':
			extra = xrealloc(extra, (nextra + 1) * sizeof(char *));
			extra[nextra++] = optarg;
			break;
		case 'm': memory = optarg; break;
		case 'b':
			errno = 0;
			boot_disk = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || boot_disk < 1 || boot_disk > 64) {
				error("--boot-disk: '%s' is not a disk number (1 = IMAGE, 2 = the first --disk)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p': print_only = true; break;
		case 'h':
			printf("usage: %s\n", QEMU_USAGE);
			return 0;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		error("usage: %s", QEMU_USAGE);
		return EXIT_USAGE;
	}
	if (boot_disk > nextra + 1) {
		error("--boot-disk %lu: there %s only %zu disk%s (IMAGE and %zu --disk)", boot_disk,
		      nextra ? "are" : "is", nextra + 1, nextra ? "s" : "", nextra);
		return EXIT_USAGE;
	}
	const char *image = argv[optind];
	/* the disk booted says the arch, default firmware and NVRAM */
	const char *boot_image = boot_disk > 1 ? extra[boot_disk - 2] : image;
	r = detect(boot_image, &kind);
	if (r == -EINVAL) {
		error("%s: not a kiln image (no GPT found)", boot_image);
		return 1;
	}
	if (r < 0)
		return error_errno(r, "cannot read %s", boot_image) ? 1 : 1;
	if (!firmware)
		firmware = kind.has_bios_part ? "bios" : "uefi";
	if (strcmp(firmware, "bios") && strcmp(firmware, "uefi")) {
		error("--firmware must be bios or uefi, not '%s'", firmware);
		return EXIT_USAGE;
	}
	if (kind.aarch64 && !strcmp(firmware, "bios")) {
		error("%s: aarch64 images boot with UEFI only", boot_image);
		return EXIT_USAGE;
	}
	if (!strcmp(firmware, "bios") && !kind.has_bios_part) {
		error("%s: the image has no BIOS boot partition; boot it with --firmware uefi", boot_image);
		return EXIT_USAGE;
	}

	if (kind.aarch64) {
		addv(&v, &n, "qemu-system-aarch64");
		addv(&v, &n, "-M");
		addv(&v, &n, "virt");
		addv(&v, &n, "-cpu");
		addv(&v, &n, "cortex-a57");
	} else {
		addv(&v, &n, "qemu-system-x86_64");
	}
	const char *fixed[] = { "-accel", "tcg", "-m", memory ? memory : (kind.aarch64 ? "1024" : "512"),
				"-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
				"-no-reboot" };
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		addv(&v, &n, fixed[i]);
	if (!strcmp(firmware, "uefi")) {
		_cleanup_free_ char *vars = NULL;
		r = ensure_vars(boot_image, kind.aarch64 ? AAVMF_VARS : OVMF_VARS, &vars);
		if (r < 0)
			return error_errno(r, "cannot create the UEFI variable store for %s", boot_image) ? 1 : 1;
		_cleanup_free_ char *code = xasprintf("if=pflash,format=raw,unit=0,readonly=on,file=%s",
						      kind.aarch64 ? AAVMF_CODE : OVMF_CODE);
		_cleanup_free_ char *varsd = xasprintf("if=pflash,format=raw,unit=1,file=%s", vars);
		addv(&v, &n, "-drive");
		addv(&v, &n, code);
		addv(&v, &n, "-drive");
		addv(&v, &n, varsd);
		/* AAVMF otherwise waits 5 s (its default "Timeout") for a key to
		 * open its boot menu, on a progress bar only a display would show;
		 * splash-time=0 makes both AAVMF and OVMF boot at once. */
		addv(&v, &n, "-boot");
		addv(&v, &n, "menu=on,splash-time=0");
	}
	struct image_kind first = kind;
	if (boot_image != image && detect(image, &first) < 0)
		first.qcow2 = false;    /* not a kiln image: a raw disk like any --disk */
	const char *aio = io_uring_available() ? ",aio=io_uring" : "";
	for (size_t i = 0; i <= nextra; i++) {
		const char *file = i ? extra[i - 1] : image;
		const char *format = !i && first.qcow2 ? "qcow2" : "raw";
		addv(&v, &n, "-drive");
		if (!boot_disk) {
			_cleanup_free_ char *d = xasprintf("file=%s,format=%s,if=virtio%s", file, format, aio);
			addv(&v, &n, d);
			continue;
		}
		/* if=virtio takes no bootindex: the same virtio-blk-pci device by hand */
		_cleanup_free_ char *d = xasprintf("file=%s,format=%s,if=none,id=disk%zu%s", file, format,
						   i + 1, aio);
		_cleanup_free_ char *dev = xasprintf("virtio-blk-pci,drive=disk%zu%s", i + 1,
						     i + 1 == boot_disk ? ",bootindex=0" : "");
		addv(&v, &n, d);
		addv(&v, &n, "-device");
		addv(&v, &n, dev);
	}
	if (print_only) {
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", v[i]);
		printf("\n");
		return 0;
	}
	fflush(stdout);
	execvp(v[0], v);
	error("cannot run %s: %s", v[0], strerror(errno));
	return 1;
}
