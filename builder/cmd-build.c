/*
 * kiln build CONFIG — builds the system closure of a configuration from its
 * kiln.lock and prints the system's store path on stdout, alone (as
 * nix-build does); progress and errors go to stderr.
 *
 * Exit codes: 0 built (or already valid), 1 failure (no kiln.lock, a file
 * conflict, I/O), 2 bad usage, bad configuration, or a lock that lacks a
 * package the configuration asks for (as `kiln fetch`), 3 a pinned package
 * is no longer in the archive (tools/images-dir re-locks a copy then).
 */
#include "common.h"
#include "commands.h"
#include "system.h"

int cmd_build(int argc, char **argv)
{
	struct store s;
	char *path = NULL;
	int code;

	if (argc != 2 || argv[1][0] == '-') {
		error("usage: kiln build CONFIG");
		return EXIT_USAGE;
	}
	if (kiln_open_host_store(&s) < 0)
		return 1;
	/* The initrd (initrd/) joins the system here once it is built per config. */
	code = system_build_config(&s, argv[1], NULL, NULL, &path);
	store_close(&s);
	if (code == 0) {
		printf("%s\n", path);
		if (fflush(stdout) != 0)
			code = 1;
	}
	free(path);
	return code;
}
