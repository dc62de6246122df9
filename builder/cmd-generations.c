/*
 * kiln generations --image IMG [--delete N...|--keep K|--boot-once N]
 *
 * Lists the generations of an image (number, system path, name, kernel
 * version, which is the default), removes profile links (never the
 * default's; store paths stay until `kiln gc`), or makes GRUB boot one
 * generation once without changing the default.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"

static int parse_number(const char *s, const char *what, int *ret)
{
	if (parse_int(s, ret) < 0 || *ret < 1) {
		error("%s: '%s' is not a generation number", what, s);
		return -1;
	}
	return 0;
}

static int list(const char *image)
{
	struct gen_root root;
	struct gen_list l;
	int fd, r;

	if (imagegen_open(image, false, &root, &fd) < 0)
		return 1;
	r = gen_list(&root, &l);
	if (r < 0)
		error_errno(r, "%s: cannot list the generations", image);
	else
		imagegen_print_list(&l);
	gen_list_release(&l);
	imagegen_close(image, &root, fd);
	return r < 0 ? 1 : 0;
}

/* Refuses a missing generation, and deleting the default, read-only. */
static int check(const char *image, const int *nums, size_t n, bool deleting)
{
	struct gen_root root;
	struct gen_list l;
	int fd, r, rc = 0;

	if (imagegen_open(image, false, &root, &fd) < 0)
		return -1;
	r = gen_list(&root, &l);
	if (r < 0) {
		error_errno(r, "%s: cannot list the generations", image);
		rc = -1;
	}
	for (size_t i = 0; r == 0 && rc == 0 && i < n; i++) {
		if (!gen_find(&l, nums[i])) {
			error("%s: there is no generation %d", image, nums[i]);
			rc = -1;
		} else if (deleting && nums[i] == l.current) {
			error("%s: generation %d is the default and cannot be deleted (roll back or switch first)",
			      image, nums[i]);
			rc = -1;
		}
	}
	gen_list_release(&l);
	imagegen_close(image, &root, fd);
	return rc;
}

int cmd_generations(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "delete", no_argument, NULL, 'd' },
		{ "keep", required_argument, NULL, 'k' },
		{ "boot-once", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	bool del = false;
	int keep = 0, once = 0, c, fd, r;
	_cleanup_free_ int *nums = NULL;
	size_t nnums = 0, deleted = 0;
	struct gen_root root;

	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'd': del = true; break;
		case 'k': if (parse_number(optarg, "--keep", &keep) < 0) return EXIT_USAGE; break;
		case 'o': if (parse_number(optarg, "--boot-once", &once) < 0) return EXIT_USAGE; break;
		default: return EXIT_USAGE;
		}
	}
	if (!image || (del && optind == argc) || (!del && optind != argc) || (del + !!keep + !!once) > 1) {
		error("usage: kiln generations --image IMG [--delete N...|--keep K|--boot-once N]");
		return EXIT_USAGE;
	}
	if (!del && !keep && !once)
		return list(image);
	nums = xcalloc(argc - optind + 1, sizeof(*nums));
	for (int i = optind; i < argc; i++)
		if (parse_number(argv[i], "--delete", &nums[nnums++]) < 0)
			return EXIT_USAGE;
	if (once) {
		nums[0] = once;
		nnums = 1;
	}
	if (check(image, nums, nnums, !once) < 0)
		return 1;
	if (imagegen_open(image, true, &root, &fd) < 0)
		return 1;
	struct gen_ops ops = imagegen_ops();
	if (once)
		r = gen_boot_once(&root, once);
	else
		r = gen_delete(&root, nums, nnums, (size_t)keep, &ops, &deleted);
	if (r == -ESRCH)
		error("%s: there is no generation %d", image, once);
	else if (r < 0)
		error_errno(r, "cannot edit the generations of %s", image);
	if (imagegen_close(image, &root, fd) < 0 || r < 0)
		return 1;
	if (once)
		info("%s: generation %d boots once, next time only", image, once);
	else
		info("%s: %zu generation%s deleted; run 'kiln gc --image %s' to free their paths", image,
		     deleted, deleted == 1 ? "" : "s", image);
	return 0;
}
