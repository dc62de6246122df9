/* imagegen.c — shared by the generation commands; see imagegen.h. */
#include "imagegen.h"

#include "boot.h"
#include "common.h"
#include "grub.h"

int imagegen_open(const char *image, bool writable, struct gen_root *ret, int *ret_fd)
{
	int fd = open(image, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	int r;

	if (fd < 0)
		return error_errno(-errno, "cannot open image %s", image);
	r = gen_root_open_image(fd, writable, kiln_timestamp(), ret);
	if (r == -EMEDIUMTYPE) {
		error("%s: not a kiln image (no kiln-root partition holding /kiln/var/profiles)", image);
	} else if (r == -EUCLEAN) {
		error("%s: the root filesystem needs a check (e2fsck) before kiln edits it", image);
	} else if (r < 0) {
		error_errno(r, "cannot open the root filesystem of %s", image);
	}
	if (r < 0) {
		close(fd);
		return -1;
	}
	*ret_fd = fd;
	return 0;
}

int imagegen_close(const char *image, struct gen_root *r, int fd)
{
	int k = gen_root_close(r);
	if (k == 0 && fd >= 0 && fsync(fd) < 0 && errno != EINVAL)
		k = -errno;
	if (fd >= 0)
		close(fd);
	if (k < 0)
		return error_errno(k, "cannot write %s", image);
	return 0;
}

static struct grub_cfg_opts host_grub_opts = { .serial = true };

struct gen_ops imagegen_ops(void)
{
	return (struct gen_ops){ .menu = grub_menu_for_generations, .opaque = &host_grub_opts };
}

void imagegen_print_list(const struct gen_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct generation *g = &l->v[i];
		printf("%3d%s  %s  %s  kernel %s\n", g->number, g->is_default ? " (default)" : "          ",
		       g->system, g->name, g->kernel_version);
	}
}
