/*
 * kiln gc --image IMG
 *
 * Deletes the store paths of an image that no remaining generation's
 * closure reaches, and says how many bytes (NAR size) that freed.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"

int cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	struct gen_root root;
	size_t paths = 0;
	uint64_t bytes = 0;
	int c, fd, r;

	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc || !image) {
		error("usage: kiln gc --image IMG");
		return EXIT_USAGE;
	}
	if (imagegen_open(image, true, &root, &fd) < 0)
		return 1;
	r = gen_gc(&root, &paths, &bytes);
	if (r < 0)
		error_errno(r, "cannot collect garbage in %s", image);
	if (imagegen_close(image, &root, fd) < 0 || r < 0)
		return 1;
	info("%s: %zu store paths deleted, %" PRIu64 " bytes freed", image, paths, bytes);
	printf("%zu %" PRIu64 "\n", paths, bytes);
	return 0;
}
