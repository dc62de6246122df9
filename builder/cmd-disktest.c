/*
 * cmd-disktest.c — internal commands that drive the disk writer's GPT and
 * FAT parts on their own, so script tests can check them against sfdisk,
 * sgdisk, blkid, fsck.fat and mtools. Not a user interface.
 *
 *   kiln debug-gpt write [--seed SEED] [--mbr-signature N] IMAGE SIZE [PART...]
 *        PART = TYPE:START:SIZE[:NAME]; TYPE is a GUID or bios, esp,
 *        root-x86-64, root-aarch64, linux, or "-" for an unused entry;
 *        disk GUID = guid_from_seed(SEED, "disk"), partition N's =
 *        guid_from_seed(SEED, "part-N").
 *   kiln debug-gpt read IMAGE
 *        "disk GUID SIZE [primary-bad] [backup-bad]", then one line per entry:
 *        "N TYPE UUID START SIZE ATTRS NAME".
 *   kiln debug-gpt guid SEED PURPOSE
 *   kiln debug-fat build [--label L] [--volume-id HEX] [--mtime SECS] [--fat 16|32]
 *        IMAGE OFFSET SIZE [DEST=SRCFILE | DEST/]...
 *   kiln debug-fat overwrite IMAGE OFFSET PATH SRCFILE
 *   kiln debug-fat cat IMAGE OFFSET PATH
 */
#include "common.h"
#include "commands.h"
#include "fat.h"
#include "gpt.h"
#include "guid.h"

static const struct {
	const char *name;
	const uint8_t *guid;
} type_names[] = {
	{ "bios", guid_type_bios_boot },
	{ "esp", guid_type_esp },
	{ "root-x86-64", guid_type_root_x86_64 },
	{ "root-aarch64", guid_type_root_aarch64 },
	{ "linux", guid_type_linux_data },
};

static int disktest_usage(void)
{
	fputs("usage: kiln debug-gpt write [--seed SEED] [--mbr-signature N] IMAGE SIZE "
	      "[TYPE:START:SIZE[:NAME]]...\n"
	      "       kiln debug-gpt read IMAGE\n"
	      "       kiln debug-gpt guid SEED PURPOSE\n"
	      "       kiln debug-fat build [--label L] [--volume-id HEX] [--mtime SECS] "
	      "[--fat 16|32] IMAGE OFFSET SIZE [DEST=SRCFILE | DEST/]...\n"
	      "       kiln debug-fat overwrite IMAGE OFFSET PATH SRCFILE\n"
	      "       kiln debug-fat cat IMAGE OFFSET PATH\n", stderr);
	return EXIT_USAGE;
}

static int parse_part(const char *spec, const char *seed, size_t index, struct gpt_part *p)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *field[4] = { copy, NULL, NULL, NULL };
	_cleanup_free_ char *purpose = xasprintf("part-%zu", index + 1);
	size_t n = 1;

	for (char *s = copy; *s && n < 4; s++)
		if (*s == ':') {
			*s = '\0';
			field[n++] = s + 1;
		}
	memset(p, 0, sizeof(*p));
	if (!strcmp(field[0], "-"))
		return 0;
	if (n < 3 || parse_size(field[1], &p->start) < 0 || parse_size(field[2], &p->size) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (!strcmp(field[0], type_names[i].name))
			memcpy(p->type, type_names[i].guid, GUID_LEN);
	if (guid_is_null(p->type) && guid_parse(field[0], p->type) < 0)
		return -1;
	if (field[3] && strlen(field[3]) > GPT_NAME_MAX)
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", field[3] ? field[3] : "");
	guid_from_seed(seed, purpose, p->uuid);
	return 0;
}

static int gpt_cmd_write(int argc, char **argv)
{
	_cleanup_free_ struct gpt_disk *d = xcalloc(1, sizeof(*d));
	_cleanup_close_ int fd = -1;
	const char *seed = "kiln", *image;
	uint64_t sig = 0;
	int i = 1, r;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			return disktest_usage();
		if (!strcmp(argv[i], "--seed"))
			seed = argv[i + 1];
		else if (!strcmp(argv[i], "--mbr-signature") && parse_u64(argv[i + 1], 0, &sig) == 0 &&
			 sig <= UINT32_MAX)
			d->mbr_signature = (uint32_t)sig;
		else
			return disktest_usage();
	}
	if (argc - i < 2 || argc - i - 2 > GPT_MAX_PARTS)
		return disktest_usage();
	image = argv[i];
	if (parse_size(argv[i + 1], &d->size) < 0) {
		error("bad disk size '%s'", argv[i + 1]);
		return EXIT_USAGE;
	}
	guid_from_seed(seed, "disk", d->disk_guid);
	for (int j = i + 2; j < argc; j++, d->nparts++)
		if (parse_part(argv[j], seed, d->nparts, &d->parts[d->nparts]) < 0) {
			error("bad partition '%s' (want TYPE:START:SIZE[:NAME])", argv[j]);
			return EXIT_USAGE;
		}
	r = gpt_check(d);
	if (r < 0)
		return error_errno(r, "refusing the layout for '%s' (unaligned, overlapping or "
				   "out of range)", image), 1;
	fd = open(image, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(-errno, "cannot open '%s'", image), 1;
	r = gpt_write(fd, d);
	if (r < 0)
		return error_errno(r, "cannot write the GPT of '%s'", image), 1;
	return 0;
}

static int gpt_cmd_read(int argc, char **argv)
{
	_cleanup_free_ struct gpt_disk *d = xcalloc(1, sizeof(*d));
	_cleanup_close_ int fd = -1;
	char g[GUID_STR_LEN + 1], t[GUID_STR_LEN + 1];
	int r;

	if (argc != 2)
		return disktest_usage();
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open '%s'", argv[1]), 1;
	r = gpt_read(fd, 0, d);
	if (r < 0)
		return error_errno(r, "cannot read a GPT from '%s'", argv[1]), 1;
	guid_format(d->disk_guid, g);
	printf("disk %s %" PRIu64 "%s%s\n", g, d->size,
	       d->problems & GPT_PRIMARY_BAD ? " primary-bad" : "",
	       d->problems & GPT_BACKUP_BAD ? " backup-bad" : "");
	for (size_t i = 0; i < d->nparts; i++) {
		const struct gpt_part *p = &d->parts[i];

		if (guid_is_null(p->type))
			continue;
		guid_format(p->type, t);
		guid_format(p->uuid, g);
		printf("%zu %s %s %" PRIu64 " %" PRIu64 " 0x%" PRIx64 " %s\n", i + 1, t, g,
		       p->start, p->size, p->attrs, p->name);
	}
	return 0;
}

int cmd_debug_gpt(int argc, char **argv)
{
	char g[GUID_STR_LEN + 1];
	uint8_t b[GUID_LEN];

	if (argc >= 2 && !strcmp(argv[1], "write"))
		return gpt_cmd_write(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "read"))
		return gpt_cmd_read(argc - 1, argv + 1);
	if (argc == 4 && !strcmp(argv[1], "guid")) {
		guid_from_seed(argv[2], argv[3], b);
		guid_format(b, g);
		printf("%s\n", g);
		return 0;
	}
	return disktest_usage();
}

static const char *fat_strerror(int r)
{
	switch (r) {
	case -EINVAL: return "bad parameters or a name FAT cannot hold";
	case -EEXIST: return "a path given twice";
	case -ENOTDIR: return "a file used as a directory";
	case -ENOSPC: return "does not fit";
	case -EMSGSIZE: return "the new contents differ in size from the file's";
	case -EBADMSG: return "not a FAT filesystem that makes sense";
	default: return strerror(-r);
	}
}

static int fat_cmd_build(int argc, char **argv)
{
	struct fat_params p = { .volume_id = 0, .mtime = 0 };
	struct fat_file *files;
	struct strbuf *bufs;
	uint64_t off, size, v;
	_cleanup_close_ int fd = -1;
	int i = 1, r = 0, nfiles;

	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			return disktest_usage();
		if (!strcmp(argv[i], "--label") && strlen(argv[i + 1]) < sizeof(p.label))
			snprintf(p.label, sizeof(p.label), "%s", argv[i + 1]);
		else if (!strcmp(argv[i], "--volume-id") && !parse_u64(argv[i + 1], 16, &v) &&
			 v <= UINT32_MAX)
			p.volume_id = (uint32_t)v;
		else if (!strcmp(argv[i], "--mtime") && !parse_u64(argv[i + 1], 10, &v) &&
			 v <= INT64_MAX)
			p.mtime = (int64_t)v;
		else if (!strcmp(argv[i], "--fat") && !parse_u64(argv[i + 1], 10, &v) && v <= 32)
			p.fat_bits = (unsigned)v;
		else
			return disktest_usage();
	}
	if (argc - i < 3 || parse_size(argv[i + 1], &off) < 0 || parse_size(argv[i + 2], &size) < 0)
		return disktest_usage();
	nfiles = argc - i - 3;
	files = xcalloc((size_t)nfiles + 1, sizeof(*files));
	bufs = xcalloc((size_t)nfiles + 1, sizeof(*bufs));
	for (int j = 0; j < nfiles && r == 0; j++) {
		char *arg = argv[i + 3 + j], *eq = strchr(arg, '=');

		files[j].path = arg;
		if (!eq)
			continue; /* "DIR/" */
		*eq = '\0';
		r = read_file(eq + 1, &bufs[j]);
		if (r < 0)
			error_errno(r, "cannot read '%s'", eq + 1);
		files[j].data = bufs[j].buf;
		files[j].len = bufs[j].len;
	}
	if (r == 0) {
		fd = open(argv[i], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		r = fd < 0 ? error_errno(-errno, "cannot open '%s'", argv[i]) : 0;
	}
	if (r == 0) {
		r = fat_build(fd, off, size, &p, files, (size_t)nfiles);
		if (r < 0)
			error("cannot build a FAT filesystem in '%s': %s", argv[i], fat_strerror(r));
	}
	for (int j = 0; j < nfiles; j++)
		strbuf_release(&bufs[j]);
	free(bufs);
	free(files);
	return r < 0 ? 1 : 0;
}

int cmd_debug_fat(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	_cleanup_close_ int fd = -1;
	uint64_t off;
	void *data;
	size_t len;
	int r;

	if (argc >= 2 && !strcmp(argv[1], "build"))
		return fat_cmd_build(argc - 1, argv + 1);
	if (!(argc == 6 && !strcmp(argv[1], "overwrite")) && !(argc == 5 && !strcmp(argv[1], "cat")))
		return disktest_usage();
	if (parse_size(argv[3], &off) < 0)
		return disktest_usage();
	fd = open(argv[2], argc == 6 ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open '%s'", argv[2]), 1;
	if (argc == 5) {
		r = fat_read_file(fd, off, argv[4], &data, &len);
		if (r == 0) {
			r = write_full(STDOUT_FILENO, data, len);
			free(data);
		}
	} else {
		r = read_file(argv[5], &sb);
		if (r < 0)
			return error_errno(r, "cannot read '%s'", argv[5]), 1;
		r = fat_overwrite_file(fd, off, argv[4], sb.buf, sb.len);
		strbuf_release(&sb);
	}
	if (r < 0) {
		error("'%s' in '%s': %s", argv[4], argv[2], fat_strerror(r));
		return 1;
	}
	return 0;
}
