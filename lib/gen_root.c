/*
 * gen_root.c — the roots generation.c edits (gen_root.h): opening an image's
 * kiln root or a directory, and the rt_* calls over either.
 */
#include "gen_root.h"

#include <dirent.h>

#include "fsutil.h"
#include "gpt.h"
#include "guid.h"
#include "nar.h"

/* ------------------------------------------------------------ backends */

static char *host_path(const struct gen_root *r, const char *path)
{
	return path_join(r->dir, path);
}

int rt_read(struct gen_root *r, const char *path, struct strbuf *out)
{
	if (r->fs)
		return ext4_read_file(r->fs, path, out);
	_cleanup_free_ char *p = host_path(r, path);
	return read_file(p, out);
}

int rt_readlink(struct gen_root *r, const char *path, struct strbuf *out)
{
	if (r->fs)
		return ext4_readlink(r->fs, path, out);
	_cleanup_free_ char *p = host_path(r, path);
	char buf[PATH_MAX];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	strbuf_add(out, buf, (size_t)n);
	return 0;
}

bool rt_exists(struct gen_root *r, const char *path)
{
	if (r->fs) {
		struct ext4_stat st;
		return ext4_stat(r->fs, path, &st) == 0;
	}
	_cleanup_free_ char *p = host_path(r, path);
	struct stat st;
	return lstat(p, &st) == 0;
}

int rt_symlink(struct gen_root *r, const char *path, const char *target)
{
	if (r->fs)
		return ext4_symlink(r->fs, path, target);
	_cleanup_free_ char *p = host_path(r, path);
	if (symlink(target, p) < 0)
		return -errno;
	return fsync_parent(p);
}

int rt_replace_symlink(struct gen_root *r, const char *path, const char *target)
{
	if (r->fs)
		return ext4_replace_symlink(r->fs, path, target);
	_cleanup_free_ char *p = host_path(r, path);
	_cleanup_free_ char *tmp = xasprintf("%s.kiln-new", p);
	(void)unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, p) < 0) {
		int e = -errno;
		(void)unlink(tmp);
		return e;
	}
	return fsync_parent(p);
}

int rt_write(struct gen_root *r, const char *path, const void *data, size_t len)
{
	if (r->fs)
		return ext4_write_file(r->fs, path, data, len, 0644);
	_cleanup_free_ char *p = host_path(r, path);
	return write_file_atomic(p, data, len, 0644);
}


int rt_stage(struct gen_root *r, const char *path, const void *data, size_t len,
		    bool symlink, struct rt_staged *ret)
{
	*ret = (struct rt_staged){ .path = path, .data = STRBUF_INIT, .symlink = symlink };
	if (!r->fs) {
		strbuf_add(&ret->data, data, len);
		return 0;
	}
	return symlink ? ext4_stage_symlink(r->fs, path, data, &ret->st) :
			 ext4_stage_file(r->fs, path, data, len, 0644, &ret->st);
}

int rt_commit(struct gen_root *r, struct rt_staged *st)
{
	int k;

	if (r->fs)
		k = ext4_commit(r->fs, &st->st);
	else if (st->symlink)
		k = rt_replace_symlink(r, st->path, strbuf_str(&st->data));
	else
		k = rt_write(r, st->path, st->data.buf, st->data.len);
	strbuf_release(&st->data);
	return k;
}

int rt_remove(struct gen_root *r, const char *path)
{
	if (r->fs)
		return ext4_remove_tree(r->fs, path);
	_cleanup_free_ char *p = host_path(r, path);
	int k = rm_rf(p);
	return k < 0 ? k : fsync_parent(p);
}


static int collect_name(void *opaque, const char *name, mode_t type)
{
	struct name_list *l = opaque;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 32;
		l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void name_list_release(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Names in directory path, sorted. */
int rt_list(struct gen_root *r, const char *path, struct name_list *ret)
{
	if (r->fs)
		return ext4_list_dir(r->fs, path, collect_name, ret);
	_cleanup_free_ char *p = host_path(r, path);
	DIR *d = opendir(p);
	struct dirent *de;
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			collect_name(ret, de->d_name, 0);
	closedir(d);
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_str);
	return 0;
}

/* Makes everything so far durable (directory roots fsync as they go). */
int rt_sync(struct gen_root *r)
{
	return r->fs ? ext4_flush(r->fs) : 0;
}

int step_done(struct gen_root *r, const char *point)
{
	int k = rt_sync(r);
	if (k == 0)
		store_crash_point(point);
	return k;
}

/* ------------------------------------------------------------ open */

int gen_root_open_image(int fd, bool writable, int64_t timestamp, struct gen_root *ret)
{
	_cleanup_free_ struct gpt_disk *gpt = xcalloc(1, sizeof(*gpt));
	const struct gpt_part *root = NULL;
	struct gen_root r = { .fd = fd, .writable = writable };
	int k;

	k = gpt_read(fd, 0, gpt);
	if (k == -ENOENT || k == -EBADMSG)
		return -EMEDIUMTYPE;
	if (k < 0)
		return k;
	for (size_t i = 0; i < gpt->nparts && !root; i++) {
		const struct gpt_part *p = &gpt->parts[i];
		if (guid_is_null(p->type))
			continue;
		if (!strcmp(p->name, "kiln-root") || !memcmp(p->type, guid_type_root_x86_64, GUID_LEN) ||
		    !memcmp(p->type, guid_type_root_aarch64, GUID_LEN))
			root = p;
	}
	if (!root)
		return -EMEDIUMTYPE;
	snprintf(r.arch, sizeof(r.arch), "%s",
		 !memcmp(root->type, guid_type_root_aarch64, GUID_LEN) ? "aarch64" : "x86_64");
	r.root_offset = root->start;
	/* opening writes nothing, and closing a filesystem nothing changed
	 * writes nothing: a foreign one is refused without a byte written */
	k = writable ? ext4_open(fd, root->start, timestamp, &r.fs) :
		       ext4_open_readonly(fd, root->start, &r.fs);
	if (k < 0)
		return k == -EMEDIUMTYPE || k == -EINVAL ? -EMEDIUMTYPE : k;
	if (!rt_exists(&r, GEN_PROFILES "/system") || !rt_exists(&r, GEN_REGISTRY)) {
		ext4_close(r.fs);
		return -EMEDIUMTYPE;
	}
	/* what an interrupted edit left (ext4.h, "Crash behaviour") */
	static const char *const dirs[] = { GEN_PROFILES, "/kiln/var/db", "/boot/grub" };
	for (size_t i = 0; writable && k >= 0 && i < ARRAY_SIZE(dirs); i++)
		k = ext4_remove_temp_names(r.fs, dirs[i]);
	if (k < 0) {
		ext4_close(r.fs);
		return k;
	}
	*ret = r;
	return 0;
}

int gen_root_open_dir(const char *dir, const char *arch, struct gen_root *ret)
{
	struct gen_root r = { .fd = -1, .writable = true };
	r.dir = xstrdup(dir);
	snprintf(r.arch, sizeof(r.arch), "%s", arch);
	if (!rt_exists(&r, GEN_PROFILES "/system")) {
		free(r.dir);
		return -EMEDIUMTYPE;
	}
	*ret = r;
	return 0;
}

int gen_root_close(struct gen_root *r)
{
	int k = 0;
	if (r->fs)
		k = ext4_close(r->fs);
	free(r->dir);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	return k;
}

/* ------------------------------------------------------------ plain access */

int gen_root_read(struct gen_root *r, const char *path, struct strbuf *out)
{
	return rt_read(r, path, out);
}

bool gen_root_exists(struct gen_root *r, const char *path)
{
	return rt_exists(r, path);
}

int gen_root_list(struct gen_root *r, const char *path, char ***ret_names, size_t *ret_n)
{
	struct name_list names = { 0 };
	int k = rt_list(r, path, &names);

	if (k < 0) {
		name_list_release(&names);
		return k;
	}
	*ret_names = names.v;
	*ret_n = names.n;
	return 0;
}

int gen_root_nar_hash(struct gen_root *r, const char *path, uint8_t ret_hash[SHA256_LEN],
		      uint64_t *ret_size)
{
	if (r->fs)
		return nar_hash_ext4(r->fs, path, ret_hash, ret_size);
	_cleanup_free_ char *p = host_path(r, path);
	return nar_hash_path(p, ret_hash, ret_size);
}
