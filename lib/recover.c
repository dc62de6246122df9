#include "recover.h"

#include "guid.h"

int recover_find_data(const struct gpt_disk *d, const char *label, size_t *ret_index,
		      struct strbuf *err)
{
	size_t found = 0, index = 0;

	for (size_t i = 0; i < d->nparts; i++) {
		if (guid_is_null(d->parts[i].type) || strcmp(d->parts[i].name, label))
			continue;
		found++;
		index = i;
	}
	if (!found) {
		strbuf_addf(err, "no partition is labelled \"%s\": nothing to keep", label);
		return -ENOENT;
	}
	if (found > 1) {
		strbuf_addf(err, "%zu partitions are labelled \"%s\": which one to keep is not clear",
			    found, label);
		return -ENOTUNIQ;
	}
	if (memcmp(d->parts[index].type, guid_type_linux_data, GUID_LEN)) {
		char type[GUID_STR_LEN + 1];
		guid_format(d->parts[index].type, type);
		strbuf_addf(err, "partition %zu labelled \"%s\" has type %s, not Linux data "
			    "(0fc63daf-8483-4772-8e79-3d69d8477de4): refusing to keep or overwrite it",
			    index + 1, label, type);
		return -EMEDIUMTYPE;
	}
	*ret_index = index;
	return 0;
}

int recover_plan(int fd, const struct disk_layout *l, struct disk_plan *ret, struct strbuf *err)
{
	struct gpt_disk *d = xcalloc(1, sizeof(*d));
	const char *label = l->data_label ? l->data_label : "kiln-data";
	uint64_t needed = 0;
	size_t i = 0;
	int r;

	r = gpt_read(fd, l->size, d);
	if (r == -ENOENT || r == -EBADMSG) {
		strbuf_addf(err, "the disk has no %s partition table: there is no kiln layout to recover",
			    r == -ENOENT ? "GPT" : "readable GPT");
		goto out;
	}
	if (r < 0) {
		strbuf_addf(err, "cannot read the partition table: %s", strerror(-r));
		goto out;
	}
	r = recover_find_data(d, label, &i, err);
	if (r < 0)
		goto out;
	r = disk_plan_keep_data(l, &d->parts[i], ret, &needed);
	if (r == -EEXIST) {
		strbuf_addf(err, "the new layout needs its root to end at %" PRIu64 " bytes, but data "
			    "partition %zu (\"%s\") starts at %" PRIu64 ": it would overlap",
			    needed, i + 1, label, d->parts[i].start);
	} else if (r == -EINVAL) {
		strbuf_addf(err, "data partition %zu (\"%s\", %" PRIu64 " bytes at %" PRIu64
			    ") is not where kiln can keep it (unaligned or outside the disk)",
			    i + 1, label, d->parts[i].size, d->parts[i].start);
	} else if (r == -ENOSPC) {
		strbuf_addf(err, "the disk is too small for the new system (%" PRIu64 " bytes needed)", needed);
	} else if (r < 0) {
		strbuf_addf(err, "cannot plan around data partition %zu: %s", i + 1, strerror(-r));
	}
out:
	free(d);
	return r;
}
