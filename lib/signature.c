#include "signature.h"

#include <blkid/blkid.h>

#include "fsutil.h"

#define MAX_WIPE_ROUNDS 16

static blkid_probe probe_new(int fd)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0 ||
	    blkid_probe_enable_superblocks(pr, 1) < 0 ||
	    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE |
						  BLKID_SUBLKS_USAGE | BLKID_SUBLKS_BADCSUM) < 0 ||
	    blkid_probe_enable_partitions(pr, 1) < 0 ||
	    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT) < 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	return pr;
}

static void list_add(struct signature_list *l, const char *type, const char *usage,
		     uint64_t offset, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].offset == offset && !strcmp(l->v[i].type, type))
			return;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct signature){ xstrdup(type), xstrdup(usage), offset, len };
}

/* The signature the probe stands on now; 0, or -ENOENT if it has no magic. */
static int current(blkid_probe pr, struct signature_list *l)
{
	const char *type = NULL, *usage = NULL, *off = NULL;
	size_t magic_len = 0;
	uint64_t offset;

	if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0) {
		blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
		blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &off, NULL);
		blkid_probe_lookup_value(pr, "SBMAGIC", NULL, &magic_len);
	} else if (blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) == 0) {
		usage = "partition table";
		blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &off, NULL);
		blkid_probe_lookup_value(pr, "PTMAGIC", NULL, &magic_len);
	} else {
		return -ENOENT;
	}
	if (!off || parse_u64(off, 10, &offset) < 0)
		return -ENOENT;
	list_add(l, type, usage ? usage : "other", offset, magic_len);
	return 0;
}

/* The backup GPT header: libblkid reports only the header it read. */
static int find_backup_gpt(int fd, struct signature_list *l)
{
	char sector[512];
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0)
		return -errno;
	if (end < 2 * 512)
		return 0;
	int r = pread_full(fd, sector, sizeof(sector), (uint64_t)end - 512);
	if (r < 0)
		return r;
	if (!memcmp(sector, "EFI PART", 8))
		list_add(l, "gpt", "partition table (backup header)", (uint64_t)end - 512, 8);
	return 0;
}

int signature_probe(int fd, struct signature_list *ret)
{
	struct signature_list l = { NULL, 0 };
	blkid_probe pr = probe_new(fd);
	int r;

	if (!pr)
		return -EIO;
	/* as wipefs lists: hide each magic found and probe the same chain
	 * again, which reveals what stood behind it (PMBR, the backup GPT) */
	while ((r = blkid_do_probe(pr)) == 0) {
		size_t before = l.n;
		if (current(pr, &l) < 0 || l.n == before)
			continue;
		const struct signature *s = &l.v[l.n - 1];
		if (blkid_probe_hide_range(pr, s->offset, s->len ? s->len : 1) == 0)
			blkid_probe_step_back(pr);
	}
	blkid_free_probe(pr);
	if (r < 0) {
		signature_list_release(&l);
		return -EIO;
	}
	r = find_backup_gpt(fd, &l);
	if (r < 0) {
		signature_list_release(&l);
		return r;
	}
	*ret = l;
	return 0;
}

/* One round: wipes what a fresh probe finds; returns how many. */
static int wipe_round(int fd, struct signature_list *wiped)
{
	blkid_probe pr = probe_new(fd);
	int n = 0, r;

	if (!pr)
		return -EIO;
	while ((r = blkid_do_probe(pr)) == 0) {
		if (current(pr, wiped) < 0)
			continue;
		if (blkid_do_wipe(pr, 0) < 0) {
			r = errno ? -errno : -EIO;
			break;
		}
		n++;
	}
	blkid_free_probe(pr);
	return r < 0 ? r : n;
}

int signature_wipe(int fd, struct signature_list *ret_wiped)
{
	struct signature_list wiped = { NULL, 0 }, left = { NULL, 0 };
	int r = 0, rounds = 0;

	do {
		r = wipe_round(fd, &wiped);
	} while (r > 0 && ++rounds < MAX_WIPE_ROUNDS);
	if (r < 0)
		goto out;
	/* a backup GPT header libblkid never got to (its primary was valid
	 * and is now gone): erase its signature too */
	r = find_backup_gpt(fd, &left);
	if (r == 0 && left.n) {
		static const char zero[8];
		r = pwrite_full(fd, zero, sizeof(zero), left.v[0].offset);
		if (r == 0)
			list_add(&wiped, left.v[0].type, left.v[0].usage, left.v[0].offset, 8);
	}
	if (r == 0 && fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	if (r == 0) {
		signature_list_release(&left);
		r = signature_probe(fd, &left);
		if (r == 0 && left.n)
			r = -EBUSY; /* something libblkid cannot wipe */
	}
out:
	signature_list_release(&left);
	if (r == 0 && ret_wiped)
		*ret_wiped = wiped;
	else
		signature_list_release(&wiped);
	return r;
}

void signature_list_release(struct signature_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].type);
		free(l->v[i].usage);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void signature_describe(const struct signature_list *l, const char *indent, struct strbuf *out)
{
	for (size_t i = 0; i < l->n; i++)
		strbuf_addf(out, "%s%s%s (%s) at offset %" PRIu64 " (0x%" PRIx64 ")", i ? "\n" : "",
			    indent, l->v[i].type, l->v[i].usage, l->v[i].offset, l->v[i].offset);
}
