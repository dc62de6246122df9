/*
 * modules.c — kernel module index, .modinfo reading and load-order
 * selection (see modules.h).
 *
 * A requested module that is built into the kernel is a note even when the
 * user asked for it by name: the kernel already provides what was asked.
 * Only a name the kernel knows nothing about is an error (for explicit
 * requests; the default set tolerates it, as not every kernel has ahci).
 */
#include "modules.h"
#include "fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>

const char *const kmod_default_names[] = {
	"virtio_pci", "virtio_blk", "virtio_scsi", "nvme", "ahci", "sd_mod",
};
const size_t kmod_default_count = ARRAY_SIZE(kmod_default_names);

char *kmod_canonical_name(const char *name)
{
	char *s = xstrdup(name);
	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* ---- ELF64 little-endian .modinfo ---- */

static uint64_t le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

struct elf_section {
	uint32_t name;
	uint64_t offset, size;
};

static int elf_section(const unsigned char *elf, size_t len, uint64_t shoff,
		       uint64_t i, struct elf_section *ret)
{
	uint64_t off = shoff + i * 64;
	if (off < shoff || off + 64 > len)
		return -ENOEXEC;
	const unsigned char *sh = elf + off;
	ret->name = (uint32_t)le(sh, 4);
	ret->offset = le(sh + 24, 8);
	ret->size = le(sh + 32, 8);
	if (le(sh + 4, 4) != 8 /* SHT_NOBITS */ &&
	    (ret->offset > len || ret->size > len - ret->offset))
		return -ENOEXEC;
	return 0;
}

/* Finds the section called want; its bytes are elf[ret->offset, +size). */
static int elf_find_section(const unsigned char *elf, size_t len, const char *want,
			    struct elf_section *ret)
{
	if (len < 64 || memcmp(elf, "\177ELF", 4) || elf[4] != 2 /* 64-bit */ ||
	    elf[5] != 1 /* little-endian */ || le(elf + 0x3A, 2) != 64)
		return -ENOEXEC;
	uint64_t shoff = le(elf + 0x28, 8), shnum = le(elf + 0x3C, 2);
	uint64_t shstrndx = le(elf + 0x3E, 2);
	struct elf_section s0, strtab, s;
	if (shoff == 0 || elf_section(elf, len, shoff, 0, &s0) < 0)
		return -ENOEXEC;
	if (shnum == 0) /* more than 0xff00 sections: count is in section 0 */
		shnum = s0.size;
	if (shstrndx == 0xffff) /* SHN_XINDEX: index is sh_link of section 0 */
		shstrndx = le(elf + shoff + 40, 4);
	if (shstrndx >= shnum || elf_section(elf, len, shoff, shstrndx, &strtab) < 0)
		return -ENOEXEC;
	for (uint64_t i = 1; i < shnum; i++) {
		if (elf_section(elf, len, shoff, i, &s) < 0)
			return -ENOEXEC;
		if (s.name >= strtab.size)
			continue;
		const char *nm = (const char *)elf + strtab.offset + s.name;
		size_t room = strtab.size - s.name;
		if (strnlen(nm, room) == strlen(want) && !memcmp(nm, want, strlen(want))) {
			*ret = s;
			return 0;
		}
	}
	return -ENOENT;
}

int kmod_modinfo_depends(const void *elf, size_t len, struct strbuf *ret_depends)
{
	struct elf_section mi;
	int r = elf_find_section(elf, len, ".modinfo", &mi);
	if (r < 0)
		return r;
	const char *p = (const char *)elf + mi.offset, *end = p + mi.size;
	while (p < end) {
		size_t n = strnlen(p, (size_t)(end - p));
		if (n > 8 && !memcmp(p, "depends=", 8)) {
			strbuf_add(ret_depends, p + 8, n - 8);
			return 0;
		}
		p += n + 1;
	}
	return 0; /* no depends= line: depends on nothing */
}

/* ---- reading module files ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static const char *const module_suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };

static size_t module_suffix_len(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(module_suffixes); i++)
		if (has_suffix(name, module_suffixes[i]))
			return strlen(module_suffixes[i]);
	return 0;
}

int kmod_read_file(const char *path, struct strbuf *out, struct strbuf *err)
{
	if (has_suffix(path, ".ko")) {
		int r = read_file(path, out);
		if (r < 0)
			strbuf_addf(err, "%s: %s", path, strerror(-r));
		return r < 0 ? r : 0;
	}
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = -EIO;
	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto out;
	for (;;) {
		char buf[65536];
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		strbuf_add(out, buf, (size_t)n);
	}
	r = 0;
out:
	if (r < 0)
		strbuf_addf(err, "%s: cannot decompress: %s", path,
			    archive_error_string(a) ? archive_error_string(a) : "unknown error");
	archive_read_free(a);
	return r;
}

/* ---- the index ---- */

struct kmod_vec {
	struct kmod *v;
	size_t n, alloc;
};

static void vec_push(struct kmod_vec *vec, const char *name, size_t name_len, const char *path)
{
	if (vec->n == vec->alloc) {
		vec->alloc = vec->alloc ? 2 * vec->alloc : 256;
		vec->v = xrealloc(vec->v, vec->alloc * sizeof(*vec->v));
	}
	char *raw = xstrndup(name, name_len);
	vec->v[vec->n++] = (struct kmod){ .name = kmod_canonical_name(raw), .path = xstrdup(path) };
	free(raw);
}

/* Collects every module file below dir (rel is its path inside the tree). */
static int walk_modules(const char *tree, const char *rel, struct kmod_vec *vec, struct strbuf *err)
{
	char *abs = path_join(tree, rel);
	DIR *d = opendir(abs);
	int r = 0;
	if (!d) {
		r = -errno;
		strbuf_addf(err, "%s: %s", abs, strerror(errno));
		free(abs);
		return r;
	}
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *sub = path_join(rel, de->d_name);
		size_t slen = module_suffix_len(de->d_name);
		unsigned char type = de->d_type;
		struct stat st;
		if (type == DT_UNKNOWN && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		if (type == DT_DIR)
			r = walk_modules(tree, sub, vec, err);
		else if (slen && type == DT_REG)
			vec_push(vec, de->d_name, strlen(de->d_name) - slen, sub);
		free(sub);
	}
	closedir(d);
	free(abs);
	return r;
}

static int cmp_kmod(const void *a, const void *b)
{
	const struct kmod *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->path, y->path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int find_kver(const char *tree, char **ret, struct strbuf *err)
{
	char *dir = path_join(tree, "lib/modules");
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;
	if (!d) {
		strbuf_addf(err, "%s: %s (not an unpacked kernel package?)", dir, strerror(errno));
		free(dir);
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (found++)
			free(*ret);
		*ret = xstrdup(de->d_name);
	}
	closedir(d);
	if (found != 1) {
		if (found)
			free(*ret);
		strbuf_addf(err, "%s: expected exactly one kernel version, found %d", dir, found);
		free(dir);
		return -EINVAL;
	}
	free(dir);
	return 0;
}

/* modules.builtin lists "kernel/drivers/nvme/host/nvme.ko" lines. */
static void load_builtin(struct kmod_index *ix)
{
	struct strbuf sb = STRBUF_INIT;
	char *rel = xasprintf("lib/modules/%s/modules.builtin", ix->kver);
	char *path = path_join(ix->tree, rel);
	size_t alloc = 0;
	if (read_file(path, &sb) >= 0) {
		for (char *line = sb.buf; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
			size_t slen = module_suffix_len(base);
			if (slen) {
				if (ix->nbuiltin == alloc) {
					alloc = alloc ? 2 * alloc : 128;
					ix->builtin = xrealloc(ix->builtin, alloc * sizeof(char *));
				}
				char *raw = xstrndup(base, strlen(base) - slen);
				ix->builtin[ix->nbuiltin++] = kmod_canonical_name(raw);
				free(raw);
			}
			line = nl ? nl + 1 : NULL;
		}
		qsort(ix->builtin, ix->nbuiltin, sizeof(char *), cmp_str);
	}
	strbuf_release(&sb);
	free(path);
	free(rel);
}

int kmod_index_load(struct kmod_index *ix, const char *tree, struct strbuf *err)
{
	struct kmod_vec vec = { 0 };
	memset(ix, 0, sizeof(*ix));
	ix->tree = xstrdup(tree);
	int r = find_kver(tree, &ix->kver, err);
	if (r < 0)
		goto fail;
	char *rel = xasprintf("lib/modules/%s", ix->kver);
	r = walk_modules(tree, rel, &vec, err);
	free(rel);
	if (r < 0) {
		ix->v = vec.v;
		ix->n = vec.n;
		goto fail;
	}
	qsort(vec.v, vec.n, sizeof(*vec.v), cmp_kmod);
	ix->v = vec.v;
	ix->n = vec.n;
	load_builtin(ix);
	return 0;
fail:
	kmod_index_release(ix);
	return r;
}

void kmod_index_release(struct kmod_index *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		free(ix->v[i].name);
		free(ix->v[i].path);
		for (size_t j = 0; j < ix->v[i].ndeps; j++)
			free(ix->v[i].deps[j]);
		free(ix->v[i].deps);
	}
	for (size_t i = 0; i < ix->nbuiltin; i++)
		free(ix->builtin[i]);
	free(ix->builtin);
	free(ix->v);
	free(ix->tree);
	free(ix->kver);
	memset(ix, 0, sizeof(*ix));
}

static struct kmod *index_find(const struct kmod_index *ix, const char *name)
{
	char *canon = kmod_canonical_name(name);
	size_t lo = 0, hi = ix->n;
	struct kmod *found = NULL;
	while (lo < hi) { /* first match by name: the smallest path wins duplicates */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->v[mid].name, canon) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->n && !strcmp(ix->v[lo].name, canon))
		found = &ix->v[lo];
	free(canon);
	return found;
}

const struct kmod *kmod_index_find(const struct kmod_index *ix, const char *name)
{
	return index_find(ix, name);
}

bool kmod_index_is_builtin(const struct kmod_index *ix, const char *name)
{
	char *canon = kmod_canonical_name(name);
	bool found = ix->nbuiltin &&
		bsearch(&canon, ix->builtin, ix->nbuiltin, sizeof(char *), cmp_str);
	free(canon);
	return found;
}

/* ---- selection ---- */

static int read_deps(const struct kmod_index *ix, struct kmod *m, struct strbuf *err)
{
	struct strbuf data = STRBUF_INIT, deps = STRBUF_INIT;
	char *path = path_join(ix->tree, m->path);
	int r = kmod_read_file(path, &data, err);
	if (r >= 0) {
		r = kmod_modinfo_depends(data.buf, data.len, &deps);
		if (r < 0)
			strbuf_addf(err, "%s: cannot read .modinfo: %s", path,
				    r == -ENOENT ? "no .modinfo section" : "not an ELF64 little-endian file");
	}
	for (char *p = deps.buf; r >= 0 && p && *p;) {
		size_t n = strcspn(p, ",");
		if (n) {
			char *raw = xstrndup(p, n);
			m->deps = xrealloc(m->deps, (m->ndeps + 1) * sizeof(char *));
			m->deps[m->ndeps++] = kmod_canonical_name(raw);
			free(raw);
		}
		p += n + (p[n] == ',');
	}
	if (r >= 0)
		m->deps_read = true;
	strbuf_release(&data);
	strbuf_release(&deps);
	free(path);
	return r < 0 ? r : 0;
}

enum { UNSEEN, VISITING, DONE };

struct select_state {
	struct kmod_index *ix;
	unsigned char *mark; /* per index entry */
	struct kmod_selection *sel;
	struct strbuf *err;
};

static int visit(struct select_state *st, struct kmod *m, const char *needed_by)
{
	size_t i = (size_t)(m - st->ix->v);
	if (st->mark[i] == DONE)
		return 0;
	if (st->mark[i] == VISITING) {
		strbuf_addf(st->err, "module dependency cycle through %s", m->name);
		return -ELOOP;
	}
	st->mark[i] = VISITING;
	int r = m->deps_read ? 0 : read_deps(st->ix, m, st->err);
	for (size_t d = 0; r == 0 && d < m->ndeps; d++) {
		struct kmod *dep = index_find(st->ix, m->deps[d]);
		if (!dep && kmod_index_is_builtin(st->ix, m->deps[d]))
			continue;
		if (!dep) {
			strbuf_addf(st->err, "module %s (needed by %s) depends on %s, which is not in %s",
				    m->name, needed_by, m->deps[d], m->path);
			return -ENOENT;
		}
		r = visit(st, dep, m->name);
	}
	if (r < 0)
		return r;
	st->mark[i] = DONE;
	st->sel->v = xrealloc(st->sel->v, (st->sel->n + 1) * sizeof(*st->sel->v));
	st->sel->v[st->sel->n++] = m;
	return 0;
}

int kmod_select(struct kmod_index *ix, const struct kmod_request *req, size_t nreq,
		struct kmod_selection *ret, struct strbuf *notes, struct strbuf *err)
{
	struct kmod_selection sel = { 0 };
	struct select_state st = { ix, xcalloc(ix->n ? ix->n : 1, 1), &sel, err };
	int r = 0;
	for (size_t i = 0; r == 0 && i < nreq; i++) {
		struct kmod *m = index_find(ix, req[i].name);
		if (m) {
			r = visit(&st, m, "the initrd");
		} else if (kmod_index_is_builtin(ix, req[i].name)) {
			if (notes)
				strbuf_addf(notes, "module %s is built into kernel %s\n", req[i].name, ix->kver);
		} else if (req[i].optional) {
			if (notes)
				strbuf_addf(notes, "module %s is not in kernel %s, skipped\n", req[i].name, ix->kver);
		} else {
			strbuf_addf(err, "module %s is neither a module nor built into kernel %s",
				    req[i].name, ix->kver);
			r = -ENOENT;
		}
	}
	free(st.mark);
	if (r < 0) {
		kmod_selection_release(&sel);
		return r;
	}
	*ret = sel;
	return 0;
}

void kmod_selection_release(struct kmod_selection *sel)
{
	free(sel->v);
	sel->v = NULL;
	sel->n = 0;
}
