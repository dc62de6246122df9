/*
 * kiln rollback --image IMG [--to N]
 *
 * Makes the generation before the default (or N) the default again: the
 * `system` profile link and grub.cfg change; nothing in the store does.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"

int cmd_rollback(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	int to = 0, c, fd = -1, n = 0, r;
	struct gen_root root;
	struct gen_list l;

	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 't':
			if (parse_int(optarg, &to) < 0 || to < 1) {
				error("--to: '%s' is not a generation number", optarg);
				return EXIT_USAGE;
			}
			break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc || !image) {
		error("usage: kiln rollback --image IMG [--to N]");
		return EXIT_USAGE;
	}
	/* checked read-only first: a refusal leaves every byte as it was */
	if (imagegen_open(image, false, &root, &fd) < 0)
		return 1;
	r = gen_list(&root, &l);
	if (r < 0) {
		imagegen_close(image, &root, fd);
		error_errno(r, "%s: cannot list the generations", image);
		return 1;
	}
	int current = l.current;
	bool older = false;
	for (size_t i = 0; i < l.n; i++)
		older |= l.v[i].number < current;
	bool exists = !to || gen_find(&l, to);
	gen_list_release(&l);
	imagegen_close(image, &root, fd);
	if (!to && !older) {
		error("%s: no generation older than the default (generation %d) to roll back to", image,
		      current);
		return 1;
	}
	if (!exists) {
		error("%s: there is no generation %d", image, to);
		return 1;
	}
	if (imagegen_open(image, true, &root, &fd) < 0)
		return 1;
	struct gen_ops ops = imagegen_ops();
	r = gen_set_default(&root, to, &ops, &n);
	if (r < 0)
		error_errno(r, "cannot roll back %s", image);
	if (imagegen_close(image, &root, fd) < 0 || r < 0)
		return 1;
	info("%s: generation %d is the default (was %d)", image, n, current);
	return 0;
}
