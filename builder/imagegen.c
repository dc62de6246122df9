/* imagegen.c — shared by the generation commands; see imagegen.h. */
#include "imagegen.h"
#include "derivation.h"
#include "hash.h"
#include "hashcache.h"

#include "boot.h"
#include "common.h"
#include "grub.h"

int imagegen_open(const char *image, bool writable, struct gen_root *ret, int *ret_fd)
{
	int fd = open(image, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	int r;

	if (fd < 0) {
		r = -errno;
		error_errno(r, "cannot open image %s", image);
		return r;
	}
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
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int imagegen_close(const char *image, struct gen_root *r, int fd)
{
	int k = gen_root_close(r); /* ext4_close makes every write durable */
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

int gentool_realise(struct store *s, const char *arch, char **ret_path, struct strbuf *err)
{
	const char *dir = getenv("KILN_GENTOOL_DIR");
	_cleanup_free_ char *bin = NULL, *tmp = NULL, *bindir = NULL, *dst = NULL;
	_cleanup_free_ char *name = xasprintf("kiln-generation-%s", arch);
	struct strbuf data = STRBUF_INIT;
	char exe[PATH_MAX];
	int r;

	if (dir && *dir) {
		bin = xasprintf("%s/%s", dir, name);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return -1;
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		bin = xasprintf("%s/bootloader/%s", exe, name);
	}
	/* input-addressed by the binary's NAR hash: a valid path costs a
	 * (usually remembered) hash, not a copy and an fsync of the binary */
	_cleanup_free_ char *cache = s->dbdir ? path_join(s->dbdir, "file-hashes") : NULL;
	uint8_t hash[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	struct derivation d;
	uint64_t nar_size;
	r = hashcache_nar_file(cache, bin, hash, &nar_size);
	if (r < 0) {
		strbuf_addf(err, "the kiln-generation tool for %s is not built (%s: %s; make builds it)",
			    arch, bin, strerror(-r));
		return -1;
	}
	hex_encode(hash, SHA256_LEN, hex);
	derivation_init(&d, "tool", name);
	derivation_set_param(&d, "nar-sha256", hex);
	_cleanup_free_ char *path = derivation_output_path(&d, s->storedir);
	derivation_release(&d);
	if (store_is_valid(s, path)) {
		*ret_path = xstrdup(path);
		return 0;
	}
	r = read_file(bin, &data);
	if (r < 0) {
		strbuf_addf(err, "cannot read %s: %s", bin, strerror(-r));
		return -1;
	}
	tmp = store_tmp_name(s);
	bindir = path_join(tmp, "bin");
	dst = path_join(bindir, "kiln-generation");
	r = mkdir_p(bindir, 0755);
	if (r == 0)
		r = write_file_atomic(dst, data.buf, data.len, 0555);
	strbuf_release(&data);
	if (r == 0) {
		r = store_add_commit(s, tmp, path, NULL, NULL);
		if (r == 0)
			*ret_path = xstrdup(path);
	} else {
		rm_rf(tmp);
	}
	if (r < 0) {
		strbuf_addf(err, "cannot add %s to the store: %s", bin, strerror(-r));
		return -1;
	}
	return 0;
}
