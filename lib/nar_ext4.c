/*
 * nar_ext4.c — the NAR of a tree inside an ext4 filesystem, read through
 * lib/ext4 (no mount): what `kiln verify --image` re-hashes store paths
 * with. The bytes come from nar.c's writer, so they are nar_dump's for the
 * same tree mounted.
 *
 * Files are read whole (the largest store file, an arm64 kernel, is ~30 MB);
 * ext4_list_dir already gives names in bytewise order, as NAR wants.
 */
#include "nar.h"

#include "ext4.h"
#include "strbuf.h"

struct nar_ext4 {
	struct ext4 *fs;
	struct nar_writer *w;
	struct strbuf path;  /* the node being written */
	struct strbuf data;  /* file contents, reused */
};

static int node(struct nar_ext4 *n);

static int entry(void *opaque, const char *name, mode_t type)
{
	struct nar_ext4 *n = opaque;
	size_t len = n->path.len;
	int r = nar_write_entry_begin(n->w, name);

	(void)type;
	strbuf_addch(&n->path, '/');
	strbuf_adds(&n->path, name);
	if (r >= 0)
		r = node(n);
	n->path.len = len;
	n->path.buf[len] = '\0';
	return r < 0 ? r : nar_write_end(n->w);
}

static int node(struct nar_ext4 *n)
{
	struct ext4_stat st;
	int r = ext4_stat(n->fs, n->path.buf, &st);

	if (r < 0)
		return r;
	strbuf_reset(&n->data);
	if (S_ISREG(st.mode)) {
		r = ext4_read_file(n->fs, n->path.buf, &n->data);
		if (r >= 0 && n->data.len != st.size)
			r = -EIO;
		if (r >= 0)
			r = nar_write_file_begin(n->w, st.mode & S_IXUSR, st.size);
		if (r >= 0)
			r = nar_write_data(n->w, n->data.buf, n->data.len);
		return r < 0 ? r : nar_write_file_end(n->w, st.size);
	}
	if (S_ISLNK(st.mode)) {
		r = ext4_readlink(n->fs, n->path.buf, &n->data);
		return r < 0 ? r : nar_write_symlink(n->w, n->data.buf, n->data.len);
	}
	if (S_ISDIR(st.mode)) {
		r = nar_write_dir_begin(n->w);
		if (r >= 0)
			r = ext4_list_dir(n->fs, n->path.buf, entry, n);
		return r < 0 ? r : nar_write_end(n->w);
	}
	return -EINVAL; /* device, fifo or socket: not representable */
}

int nar_dump_ext4(struct ext4 *fs, const char *path, nar_sink_fn sink, void *opaque)
{
	struct nar_ext4 n = { .fs = fs, .path = STRBUF_INIT, .data = STRBUF_INIT };
	int r, k;

	if (!path || path[0] != '/')
		return -EINVAL;
	n.w = nar_writer_new(sink, opaque);
	strbuf_adds(&n.path, path);
	r = node(&n);
	k = nar_writer_finish(n.w);
	strbuf_release(&n.path);
	strbuf_release(&n.data);
	return r < 0 ? r : k;
}

int nar_hash_ext4(struct ext4 *fs, const char *path, uint8_t ret_hash[SHA256_LEN],
		  uint64_t *ret_size)
{
	struct nar_hasher h;

	nar_hasher_init(&h);
	return nar_hasher_done(&h, nar_dump_ext4(fs, path, nar_hasher_sink, &h), ret_hash, ret_size);
}
