/*
 * cmd-nar.c — `kiln nar`: NAR serialisation, NAR hashes and store paths of
 * local files, answering what Nix's tools answer (for tests and debugging).
 *
 *   kiln nar dump PATH                         NAR bytes on stdout (nix-store --dump)
 *   kiln nar hash [--base32|--hex] PATH        sha256:<base32> by default (nix-hash)
 *   kiln nar path [--store-dir DIR] [--flat|--text] PATH [NAME]
 *        the path `nix-store --add` (default), `nix-store --add-fixed sha256`
 *        (--flat) or builtins.toFile (--text) gives; NAME defaults to PATH's
 *        basename, DIR to /kiln/store.
 */
#include "common.h"
#include "commands.h"
#include "hash.h"
#include "nar.h"
#include "storepath.h"

#define NAR_USAGE \
	"usage: kiln nar dump PATH\n" \
	"       kiln nar hash [--base32|--hex] PATH\n" \
	"       kiln nar path [--store-dir DIR] [--flat|--text] PATH [NAME]\n"

static int nar_usage(void)
{
	fputs(NAR_USAGE, stderr);
	return EXIT_USAGE;
}

/* Prints why path could not be archived; returns exit code 1. */
static int nar_error(int r, const char *verb, const char *path)
{
	if (r == -EINVAL)
		error("cannot %s '%s': it contains a device, fifo or socket (a NAR holds only "
		      "regular files, symlinks and directories)", verb, path);
	else
		error_errno(r, "cannot %s '%s'", verb, path);
	return 1;
}

static int stdout_sink(void *opaque, const void *data, size_t len)
{
	return write_full(STDOUT_FILENO, data, len);
}

static int nar_cmd_dump(int argc, char **argv)
{
	int r;

	if (argc != 2)
		return nar_usage();
	r = nar_dump(argv[1], stdout_sink, NULL);
	return r < 0 ? nar_error(r, "dump", argv[1]) : 0;
}

static int nar_cmd_hash(int argc, char **argv)
{
	enum { FMT_PREFIXED, FMT_BASE32, FMT_HEX } fmt = FMT_PREFIXED;
	uint8_t h[SHA256_LEN];
	char out[SHA256_HEX_LEN + 1];
	const char *path = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--base32"))
			fmt = FMT_BASE32;
		else if (!strcmp(argv[i], "--hex"))
			fmt = FMT_HEX;
		else if (argv[i][0] == '-' || path)
			return nar_usage();
		else
			path = argv[i];
	}
	if (!path)
		return nar_usage();
	r = nar_hash_path(path, h, NULL);
	if (r < 0)
		return nar_error(r, "hash", path);
	if (fmt == FMT_HEX) {
		hex_encode(h, SHA256_LEN, out);
		printf("%s\n", out);
	} else {
		nix_base32_encode(h, SHA256_LEN, out);
		printf("%s%s\n", fmt == FMT_PREFIXED ? "sha256:" : "", out);
	}
	return 0;
}

/* The store path of one of the three kinds (caller frees); NULL after printing an error. */
static char *nar_compute_path(const char *storedir, const char *path, const char *name,
			      bool flat, bool text)
{
	uint8_t h[SHA256_LEN];
	int r;

	if (text) {
		struct strbuf sb = STRBUF_INIT;
		char *p = NULL;
		r = read_file(path, &sb);
		if (r < 0)
			error_errno(r, "cannot read '%s'", path);
		else
			p = store_path_text(storedir, name, sb.buf, sb.len, NULL);
		strbuf_release(&sb);
		return p;
	}
	r = flat ? sha256_file(path, h) : nar_hash_path(path, h, NULL);
	if (r < 0) {
		nar_error(r, "hash", path);
		return NULL;
	}
	return flat ? store_path_flat(storedir, h, name)
		    : store_path_recursive(storedir, h, name, NULL, false);
}

static int nar_cmd_path(int argc, char **argv)
{
	const char *storedir = KILN_STORE_DIR, *path = NULL, *name = NULL;
	_cleanup_free_ char *base = NULL, *result = NULL;
	bool flat = false, text = false;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--store-dir") && i + 1 < argc)
			storedir = argv[++i];
		else if (!strcmp(argv[i], "--flat"))
			flat = true;
		else if (!strcmp(argv[i], "--text"))
			text = true;
		else if (argv[i][0] == '-')
			return nar_usage();
		else if (!path)
			path = argv[i];
		else if (!name)
			name = argv[i];
		else
			return nar_usage();
	}
	if (!path || (flat && text))
		return nar_usage();
	if (storedir[0] != '/' || ((len = strlen(storedir)) > 1 && storedir[len - 1] == '/')) {
		error("store dir '%s' must be absolute, without a trailing '/'", storedir);
		return EXIT_USAGE;
	}
	if (!name) {
		base = xstrdup(path);
		len = strlen(base);
		while (len > 1 && base[len - 1] == '/')
			base[--len] = '\0';
		const char *slash = strrchr(base, '/');
		name = slash ? slash + 1 : base;
	}
	if (!store_name_valid(name)) {
		error("'%s' is not a valid store path name (letters, digits, +-._?= ; "
		      "not starting with '.'; at most 211 characters)", name);
		return EXIT_USAGE;
	}
	result = nar_compute_path(storedir, path, name, flat, text);
	if (!result)
		return 1;
	printf("%s\n", result);
	return 0;
}

int cmd_nar(int argc, char **argv)
{
	if (argc < 2)
		return nar_usage();
	if (!strcmp(argv[1], "dump"))
		return nar_cmd_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hash"))
		return nar_cmd_hash(argc - 1, argv + 1);
	if (!strcmp(argv[1], "path"))
		return nar_cmd_path(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(NAR_USAGE, stdout);
		return 0;
	}
	error("unknown 'kiln nar' subcommand '%s'", argv[1]);
	return nar_usage();
}
