/*
 * kiln — the host CLI. One small file per command (builder/cmd-*.c); this
 * file only holds the command table and dispatches.
 */
#include "common.h"
#include "commands.h"

static const struct command commands[] = {
	{ "lock", cmd_lock, "kiln lock [--update] CONFIG" },
	{ "build", cmd_build, "kiln build CONFIG" },
	{ "path-info", cmd_path_info, "kiln path-info PATH..." },
	{ "closure", cmd_closure, "kiln closure PATH..." },
	{ "verify", cmd_verify, "kiln verify [PATH...] | kiln verify --image IMG [--quick] (re-hash store paths; check an image's store, generations and boot menu)" },
	{ "add", cmd_add, "kiln add [--name NAME] PATH" },
	{ "nar", cmd_nar, "kiln nar dump|hash|path ... (NAR and store paths of local files)" },
	{ "config", cmd_config, "kiln config [--origins] CONFIG (the merged, checked configuration)" },
	{ "image", cmd_image, "kiln image CONFIG -o OUT [--format raw|qcow2] [--firmware bios|uefi|both] [--size SIZE] [--force]" },
	{ "installer", cmd_installer, "kiln installer CONFIG -o OUT [--size SIZE] [--force] (an unattended installer medium for installer.target)" },
	{ "fetch", cmd_fetch, "kiln fetch CONFIG (fetch and unpack the locked packages; print them)" },
	{ "deb-unpack", cmd_deb_unpack, "kiln deb-unpack [--name PKG] [--sha256 HEX] FILE.deb (unpack one .deb into the store)" },
	{ "qemu", cmd_qemu, "kiln qemu [--firmware bios|uefi] [--disk FILE]... [--print] IMAGE" },
	{ "debug-gpt", cmd_debug_gpt, "kiln debug-gpt write|read|guid ... (internal: the GPT writer alone)" },
	{ "debug-fat", cmd_debug_fat, "kiln debug-fat build|overwrite|cat ... (internal: the FAT writer alone)" },
	{ "debug-initrd", cmd_debug_initrd, "kiln debug-initrd --init BIN [--kernel-tree DIR] [--module NAME]... [--file HOST=/PATH]... -o OUT | --list (internal: the initrd alone)" },
	{ "debug-ext4", cmd_debug_ext4, "kiln debug-ext4 [--offset N] [--size S] ... mkfs|cp|write|mkdir|ln|rm|cat|readlink|ls|stat|df IMG ... (internal: the ext4 writer alone)" },
	{ "switch", cmd_switch, "kiln switch CONFIG --image IMG [--boot-once] (add a generation to an image)" },
	{ "generations", cmd_generations, "kiln generations --image IMG [--delete N...|--keep K|--boot-once N]" },
	{ "rollback", cmd_rollback, "kiln rollback --image IMG [--to N]" },
	{ "gc", cmd_gc, "kiln gc --image IMG (delete store paths no generation uses)" },
	{ "diff", cmd_diff, "kiln diff A B | kiln diff --image IMG N M (packages and size between systems)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kiln COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nenvironment: KILN_STATE_DIR (store, registry, caches), KILN_CACHE_DIR\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	error("unknown command '%s' (see kiln --help)", argv[1]);
	return EXIT_USAGE;
}
