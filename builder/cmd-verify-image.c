/*
 * kiln verify --image IMG [--quick]
 *
 * Checks, without writing a byte, that an image is consistent (lib/verify.h):
 * the registry, every registered path's NAR hash and size (re-read through
 * libext2fs; --quick only checks that each exists), every generation's
 * closure, the `system` link, grub.cfg's default entry and grubenv. One line
 * a problem on stdout ("missing: PATH", "corrupted: PATH", "generation N:
 * …", "note: …"), a summary on stderr. Exit 0 consistent, 1 not, 2 usage or
 * not a kiln image.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"
#include "verify.h"

static void print_problem(void *opaque, bool is_error, const char *line)
{
	(void)opaque;
	printf("%s%s\n", is_error ? "" : "note: ", line);
}

int cmd_verify_image(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "quick", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	struct verify_result res = { 0 };
	struct gen_root root;
	bool quick = false;
	int c, fd, r;

	while ((c = getopt_long(argc, argv, "i:q", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'q': quick = true; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc || !image) {
		error("usage: kiln verify --image IMG [--quick]");
		return EXIT_USAGE;
	}
	r = imagegen_open(image, false, &root, &fd);
	if (r == -EUCLEAN)
		return 1;
	if (r < 0)
		return EXIT_USAGE;
	r = verify_root(&root, quick, print_problem, NULL, &res);
	fflush(stdout);
	imagegen_close(image, &root, fd);
	if (r < 0) {
		error_errno(r, "cannot verify %s", image);
		return 1;
	}
	if (res.errors) {
		error("%s: %zu problems in %zu paths, %zu generations", image, res.errors, res.paths,
		      res.generations);
		return 1;
	}
	info("%s: %zu paths, %zu generations verified%s%s", image, res.paths, res.generations,
	     quick ? " (--quick: NAR hashes not checked)" : "",
	     res.notes ? " (see the notes)" : "");
	return 0;
}
