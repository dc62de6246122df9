/*
 * cmd-debug-ext4.c — `kiln debug-ext4`: drive lib/ext4 by hand on an image
 * file (tests and debugging; the disk writer uses the library directly).
 *
 *   kiln debug-ext4 [OPTIONS] mkfs IMG [DIR]     new fs (of --size) holding DIR's entries
 *   kiln debug-ext4 [OPTIONS] cp IMG HOSTPATH PATH   ext4_copy_tree
 *   kiln debug-ext4 [OPTIONS] write IMG PATH     stdin to a file (mode --mode, 0644)
 *   kiln debug-ext4 [OPTIONS] mkdir IMG PATH     mkdir -p
 *   kiln debug-ext4 [OPTIONS] ln IMG TARGET PATH [--force: atomic replace]
 *   kiln debug-ext4 [OPTIONS] rm IMG PATH        rm -rf
 *   kiln debug-ext4 [OPTIONS] cat|readlink|ls|stat IMG PATH   (read-only)
 *   kiln debug-ext4 [OPTIONS] df IMG             blocks and inodes, total and free
 * OPTIONS: --offset BYTES (of the fs in IMG), --size SIZE, --uuid UUID,
 * --hash-seed UUID, --label L (kiln-root), --timestamp T ($SOURCE_DATE_EPOCH,
 * else 1), --inodes N, --block-size B, --mode OCTAL, --force, --stats (prints
 * "written BYTES zeroed BYTES" after writing commands).
 */
#include "common.h"
#include "commands.h"
#include "ext4.h"

#include <getopt.h>
#include <uuid/uuid.h>

struct ext4_args {
	uint64_t offset;
	struct ext4_params p;
	mode_t mode;
	bool force, stats;
};

static const char usage_text[] =
	"usage: kiln debug-ext4 [--offset N] [--size S] [--uuid U] [--hash-seed U] [--label L]\n"
	"         [--timestamp T] [--inodes N] [--block-size B] [--mode M] [--force] [--stats]\n"
	"         COMMAND IMG ARGS...\n"
	"commands: mkfs IMG [DIR] | cp IMG HOSTPATH PATH | write IMG PATH | mkdir IMG PATH |\n"
	"          ln IMG TARGET PATH | rm IMG PATH | cat|readlink|ls|stat IMG PATH | df IMG\n";

static int usage_error(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_uuid_arg(const char *s, uint8_t out[16])
{
	if (uuid_parse(s, out) < 0) {
		error("'%s' is not a UUID", s);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct ext4_args *a)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'O' }, { "size", required_argument, NULL, 's' },
		{ "uuid", required_argument, NULL, 'U' }, { "hash-seed", required_argument, NULL, 'H' },
		{ "label", required_argument, NULL, 'L' }, { "timestamp", required_argument, NULL, 't' },
		{ "inodes", required_argument, NULL, 'N' }, { "mode", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' }, { "stats", no_argument, NULL, 'S' },
		{ "block-size", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	int c;

	a->p.label = "kiln-root";
	a->p.timestamp = 1;
	a->mode = 0644;
	if (epoch && parse_u64(epoch, 10, &v) == 0 && v > 0 && v < INT64_MAX)
		a->p.timestamp = (int64_t)v;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'O': if (parse_u64(optarg, 10, &a->offset) < 0) goto bad; break;
		case 's': if (parse_size(optarg, &a->p.size) < 0) goto bad; break;
		case 'U': if (parse_uuid_arg(optarg, a->p.uuid) < 0) return -1; break;
		case 'H': if (parse_uuid_arg(optarg, a->p.hash_seed) < 0) return -1; break;
		case 'L': a->p.label = optarg; break;
		case 't':
			if (parse_u64(optarg, 10, &v) < 0 || v < 1 || v > INT64_MAX) goto bad;
			a->p.timestamp = (int64_t)v;
			break;
		case 'N':
			if (parse_u64(optarg, 10, &v) < 0 || v > UINT32_MAX) goto bad;
			a->p.inodes = (uint32_t)v;
			break;
		case 'm':
			if (parse_u64(optarg, 8, &v) < 0 || v > 07777) goto bad;
			a->mode = (mode_t)v;
			break;
		case 'B':
			if (parse_u64(optarg, 10, &v) < 0 || v > UINT32_MAX) goto bad;
			a->p.block_size = (uint32_t)v;
			break;
		case 'f': a->force = true; break;
		case 'S': a->stats = true; break;
		default: return -2;
		}
	}
	return optind;
bad:
	error("bad option value '%s'", optarg);
	return -1;
}

static int print_entry(void *opaque, const char *name, mode_t type)
{
	char t = S_ISDIR(type) ? 'd' : S_ISLNK(type) ? 'l' : S_ISREG(type) ? '-' : '?';
	printf("%c %s\n", t, name);
	return 0;
}

/* The read-only commands. */
static int run_read(struct ext4 *fs, const char *cmd, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct ext4_stat st;
	int r;

	if (!strcmp(cmd, "ls"))
		return ext4_list_dir(fs, path, print_entry, NULL);
	if (!strcmp(cmd, "stat")) {
		r = ext4_stat(fs, path, &st);
		if (r >= 0)
			printf("mode %06o size %" PRIu64 " ino %u links %u mtime %" PRId64 "\n",
			       (unsigned)st.mode, st.size, st.ino, st.nlink, st.mtime);
		return r;
	}
	r = !strcmp(cmd, "cat") ? ext4_read_file(fs, path, &sb) : ext4_readlink(fs, path, &sb);
	if (r >= 0 && !strcmp(cmd, "readlink"))
		strbuf_addch(&sb, '\n');
	if (r >= 0)
		r = write_full(STDOUT_FILENO, sb.buf, sb.len);
	strbuf_release(&sb);
	return r;
}

/* The writing commands, on an open fs. */
static int run_write(struct ext4 *fs, const struct ext4_args *a, const char *cmd, char **args,
		     int nargs)
{
	if (!strcmp(cmd, "mkfs"))
		return nargs == 1 ? ext4_copy_dir_contents(fs, args[0], "/") : 0;
	if (!strcmp(cmd, "cp"))
		return ext4_copy_tree(fs, args[0], args[1]);
	if (!strcmp(cmd, "mkdir"))
		return ext4_mkdir_p(fs, args[0], a->mode | 0111);
	if (!strcmp(cmd, "rm"))
		return ext4_remove_tree(fs, args[0]);
	if (!strcmp(cmd, "ln"))
		return a->force ? ext4_replace_symlink(fs, args[1], args[0])
				: ext4_symlink(fs, args[1], args[0]);
	{
		struct strbuf sb = STRBUF_INIT;
		char buf[65536];
		ssize_t n;
		int r;
		while ((n = read_full(STDIN_FILENO, buf, sizeof(buf))) > 0)
			strbuf_add(&sb, buf, n);
		r = n < 0 ? (int)n : ext4_write_file(fs, args[0], sb.buf ? sb.buf : "", sb.len, a->mode);
		strbuf_release(&sb);
		return r;
	}
}

/* Is cmd known, with nargs arguments after IMG? */
static bool args_ok(const char *cmd, int nargs)
{
	static const struct { const char *name; int min, max; } cmds[] = {
		{ "mkfs", 0, 1 }, { "cp", 2, 2 }, { "write", 1, 1 }, { "mkdir", 1, 1 },
		{ "ln", 2, 2 }, { "rm", 1, 1 }, { "cat", 1, 1 }, { "readlink", 1, 1 },
		{ "ls", 1, 1 }, { "stat", 1, 1 }, { "df", 0, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i].name))
			return nargs >= cmds[i].min && nargs <= cmds[i].max;
	return false;
}

static bool is_read_cmd(const char *cmd)
{
	return !strcmp(cmd, "cat") || !strcmp(cmd, "readlink") || !strcmp(cmd, "ls") ||
	       !strcmp(cmd, "stat") || !strcmp(cmd, "df");
}

static void print_df(struct ext4 *fs)
{
	uint64_t b, fb, i, fi;
	uint32_t bs;
	ext4_usage(fs, &b, &fb, &i, &fi, &bs);
	printf("block_size %u blocks %" PRIu64 " free_blocks %" PRIu64 " inodes %" PRIu64
	       " free_inodes %" PRIu64 "\n", bs, b, fb, i, fi);
}

int cmd_debug_ext4(int argc, char **argv)
{
	struct ext4_args a = { 0 };
	struct ext4 *fs = NULL;
	const char *cmd, *img;
	int i = parse_opts(argc, argv, &a), r, fd;
	bool mkfs;

	if (i == -2 || (i >= 0 && (argc - i < 2 || !args_ok(argv[i], argc - i - 2))))
		return usage_error();
	if (i < 0)
		return EXIT_USAGE;
	cmd = argv[i];
	img = argv[i + 1];
	mkfs = !strcmp(cmd, "mkfs");
	if (mkfs && !a.p.size) {
		error("mkfs needs --size");
		return EXIT_USAGE;
	}
	fd = open(img, (is_read_cmd(cmd) ? O_RDONLY : O_RDWR | (mkfs ? O_CREAT : 0)) | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return error_errno(-errno, "cannot open '%s'", img), 1;
	if (mkfs)
		r = ext4_create(fd, a.offset, &a.p, &fs);
	else if (is_read_cmd(cmd))
		r = ext4_open_readonly(fd, a.offset, &fs);
	else
		r = ext4_open(fd, a.offset, a.p.timestamp, &fs);
	if (r < 0) {
		close(fd);
		error_errno(r, "%s: cannot %s the filesystem at offset %" PRIu64, img,
			    mkfs ? "create" : "open", a.offset);
		return 1;
	}
	if (!strcmp(cmd, "df")) {
		print_df(fs);
		r = 0;
	} else if (is_read_cmd(cmd)) {
		r = run_read(fs, cmd, argv[i + 2]);
	} else {
		r = run_write(fs, &a, cmd, argv + i + 2, argc - i - 2);
		if (r >= 0)
			r = ext4_flush(fs);
		if (r >= 0 && a.stats)
			printf("written %" PRIu64 " zeroed %" PRIu64 "\n", ext4_bytes_written(fs),
			       ext4_bytes_zeroed(fs));
	}
	int rc = ext4_close(fs);
	if (r >= 0)
		r = rc;
	close(fd);
	if (r < 0) {
		error_errno(r, "%s %s", cmd, img);
		return 1;
	}
	return 0;
}
