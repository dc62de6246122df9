/*
 * modules.h — choosing the kernel modules an initrd carries, from an
 * unpacked kernel package (the tree of a linux-image-*.deb).
 *
 * Debian's kernel packages ship lib/modules/<kver>/kernel/ (.ko files) but no
 * modules.dep (depmod runs in the postinst, and kiln runs no maintainer
 * scripts), so kiln reads each module's dependencies itself from the
 * "depends=a,b" string of the module's ELF .modinfo section (ELF64,
 * little-endian: x86_64 and aarch64). Debian 12's 6.1 kernels ship plain
 * .ko files; .ko.xz and .ko.zst are read through libarchive's decompressors
 * all the same. Module names compare with '-' and '_' equal (as modprobe);
 * kiln's canonical spelling uses '_'.
 *
 *   struct kmod_index ix; kmod_index_load(&ix, tree, &err);
 *   struct kmod_request req[] = { { "virtio_blk", true }, ... };
 *   struct kmod_selection sel; kmod_select(&ix, req, n, &sel, &notes, &err);
 *   ... sel.v[i]->path in load order ...; kmod_selection_release(&sel); kmod_index_release(&ix);
 */
#ifndef KILN_MODULES_H
#define KILN_MODULES_H

#include "compat.h"
#include "strbuf.h"

struct kmod {
	char *name;     /* canonical ('_') */
	char *path;     /* relative to the tree: lib/modules/<kver>/kernel/....ko[.xz|.zst] */
	char **deps;    /* canonical names, filled by kmod_select (lazily) */
	size_t ndeps;
	bool deps_read;
};

struct kmod_index {
	char *tree;     /* the kernel package root */
	char *kver;     /* the single directory under lib/modules */
	struct kmod *v; /* sorted by name */
	size_t n;
	char **builtin; /* canonical names from modules.builtin, sorted */
	size_t nbuiltin;
};

struct kmod_request {
	const char *name;
	bool optional;  /* missing or built-in: a note, not an error */
};

struct kmod_selection {
	const struct kmod **v; /* dependencies before dependents */
	size_t n;
};

/* The default set for booting from common virtual and real disks. */
extern const char *const kmod_default_names[];
extern const size_t kmod_default_count;

/* Canonical spelling of a module name ('-' becomes '_'); caller frees. */
char *kmod_canonical_name(const char *name);

/*
 * Extracts the value of "depends=" from the .modinfo section of the ELF64
 * little-endian relocatable object in elf[0..len) into ret_depends (""
 * when the module depends on nothing). -ENOEXEC for a malformed or non
 * ELF64-LE file, -ENOENT when there is no .modinfo section.
 */
int kmod_modinfo_depends(const void *elf, size_t len, struct strbuf *ret_depends);

/* Reads a module file, decompressing .xz/.zst/.gz, into out. */
int kmod_read_file(const char *path, struct strbuf *out, struct strbuf *err);

/*
 * Indexes tree/lib/modules/<kver>: the one kernel version directory, every
 * module file, modules.builtin. 0, or -errno with a message in err.
 */
int kmod_index_load(struct kmod_index *ix, const char *tree, struct strbuf *err);
void kmod_index_release(struct kmod_index *ix);
/* The module of that name (any spelling), or NULL. */
const struct kmod *kmod_index_find(const struct kmod_index *ix, const char *name);
bool kmod_index_is_builtin(const struct kmod_index *ix, const char *name);

/*
 * Resolves requested modules and their dependencies (read from .modinfo)
 * into load order: dependencies first, otherwise the order of the requests,
 * each module once. A missing or built-in optional request adds a line to
 * notes (may be NULL); a missing explicit one, a missing dependency or a
 * dependency cycle is an error (-ENOENT / -ELOOP) explained in err.
 */
int kmod_select(struct kmod_index *ix, const struct kmod_request *req, size_t nreq,
		struct kmod_selection *ret, struct strbuf *notes, struct strbuf *err);
void kmod_selection_release(struct kmod_selection *sel);

#endif
