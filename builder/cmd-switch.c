/*
 * kiln switch CONFIG --image IMG [--boot-once]
 *
 * Builds CONFIG's system (as `kiln build`) and adds it to IMG as a new
 * generation (lib/generation.h): only the store paths the image lacks are
 * copied, through libext2fs, into the image in place. By default the new
 * generation becomes the default on trial (boot counting, bootloader/grub.h);
 * with --boot-once it boots once and the default stays.
 */
#include "common.h"
#include "commands.h"

#include <getopt.h>

#include "imagegen.h"
#include "system.h"

int cmd_switch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "boot-once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL;
	bool once = false;
	struct gen_root root;
	struct store s;
	_cleanup_free_ char *system = NULL;
	struct gen_add_result res;
	int c, fd = -1, rc, r;

	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'o': once = true; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !image) {
		error("usage: kiln switch CONFIG --image IMG [--boot-once]");
		return EXIT_USAGE;
	}
	/* a foreign image is refused before anything is built; the image
	 * stays open (nothing is written to it until gen_add) */
	if (imagegen_open(image, true, &root, &fd) < 0)
		return 1;
	if (kiln_open_host_store(&s) < 0) {
		imagegen_close(image, &root, fd);
		return 1;
	}
	rc = system_build_config(&s, argv[optind], NULL, NULL, &system);
	if (rc != 0) {
		imagegen_close(image, &root, fd);
		goto out_store;
	}
	rc = 1;
	struct gen_ops ops = imagegen_ops();
	r = gen_add(&root, &s, system, once, &ops, &res);
	if (r == -ENOEXEC) {
		error("%s: the system is for another architecture than %s (an %s image)", argv[optind],
		      image, root.arch);
	} else if (r == -ENOSPC) {
		error("%s: the root filesystem is full; delete generations and run kiln gc", image);
	} else if (r < 0) {
		error_errno(r, "cannot add %s to %s", system, image);
	}
	if (imagegen_close(image, &root, fd) < 0 || r < 0)
		goto out_store;
	info("%s: generation %d %s(%zu store paths copied, %" PRIu64 " KiB; %" PRIu64
	     " KiB written into the image)", image, res.number,
	     once ? "boots once next, the default stays " : "is the default, on trial ",
	     res.paths_copied, res.bytes_copied >> 10, res.bytes_written >> 10);
	printf("%d %s\n", res.number, system);
	rc = 0;
out_store:
	store_close(&s);
	return rc;
}
