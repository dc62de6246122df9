/*
 * recover.h — reinstalling a machine and keeping its data: the data
 * partition of an existing kiln disk is found by its GPT partition label and
 * type (never by device name or number), and the new disk is planned around
 * it (disk_plan_keep_data), so the ESP and root are rewritten with the new
 * system while the data partition's bytes stay as they were.
 *
 * Every refusal happens here, before anything is written.
 */
#ifndef KILN_RECOVER_H
#define KILN_RECOVER_H

#include "compat.h"
#include "disk.h"
#include "gpt.h"
#include "strbuf.h"

/* Finds the one partition named label in d. -ENOENT when there is none,
 * -ENOTUNIQ when several carry the label, -EMEDIUMTYPE when it is not a
 * Linux data partition (0fc63daf-…); each with a reason in err. */
int recover_find_data(const struct gpt_disk *d, const char *label, size_t *ret_index,
		      struct strbuf *err);

/* Reads the GPT of the disk at fd (l->size bytes), finds l->data_label and
 * plans the new layout around it into *ret (ret->keep_data set). Refusals
 * (no kiln layout, no or a wrong data partition, a new layout that would
 * overlap it) return -errno with one line in err. */
int recover_plan(int fd, const struct disk_layout *l, struct disk_plan *ret, struct strbuf *err);

#endif
