#define TEST_IMPLEMENTATION
#include "test.h"
#include "disk.h"
#include "guid.h"

#define MiB (UINT64_C(1) << 20)

static struct disk_layout layout(const char *root_label)
{
	return (struct disk_layout){ .size = 512 * MiB, .root_min = 100 * MiB, .bios = true,
				     .seed = "/kiln/store/aaaa-x", .root_label = root_label };
}

TEST(root_label_defaults_to_kiln_root)
{
	struct disk_layout l = layout(NULL);
	struct disk_plan p;
	CHECK_EQ(disk_plan_make(&l, &p, NULL), 0);
	CHECK_STREQ(p.root_label, DISK_ROOT_LABEL);
	CHECK_STREQ(p.gpt.parts[p.root.number - 1].name, "kiln-root");
}

TEST(root_label_names_the_partition_and_nothing_else_changes)
{
	struct disk_layout d = layout(NULL), l = layout("kiln-installer");
	struct disk_plan pd, pl;
	CHECK_EQ(disk_plan_make(&d, &pd, NULL), 0);
	CHECK_EQ(disk_plan_make(&l, &pl, NULL), 0);
	CHECK_STREQ(pl.root_label, "kiln-installer");
	CHECK_STREQ(pl.gpt.parts[pl.root.number - 1].name, "kiln-installer");
	/* the same seed gives the same GUIDs and places: only the name differs */
	CHECK(!memcmp(pd.gpt.disk_guid, pl.gpt.disk_guid, sizeof(pd.gpt.disk_guid)));
	CHECK_EQ(pd.root.offset, pl.root.offset);
	CHECK_EQ(pd.root.size, pl.root.size);
	CHECK(!memcmp(pd.root_uuid, pl.root_uuid, 16));
}

TEST(root_label_must_fit_ext4)
{
	struct disk_layout l = layout("0123456789abcdef");
	struct disk_plan p;
	CHECK_EQ(disk_plan_make(&l, &p, NULL), 0);
	l.root_label = "0123456789abcdefg";
	CHECK_EQ(disk_plan_make(&l, &p, NULL), -EINVAL);
	l.root_label = "";
	CHECK_EQ(disk_plan_make(&l, &p, NULL), -EINVAL);
}

TEST(keep_data_plan_carries_the_label)
{
	struct disk_layout l = layout("kiln-installer");
	struct gpt_part keep = { .start = 300 * MiB, .size = 100 * MiB, .name = "kiln-data" };
	struct disk_plan p;
	memcpy(keep.type, guid_type_linux_data, GUID_LEN);
	CHECK_EQ(disk_plan_keep_data(&l, &keep, &p, NULL), 0);
	CHECK_STREQ(p.root_label, "kiln-installer");
	CHECK_STREQ(p.gpt.parts[p.root.number - 1].name, "kiln-installer");
}

int main(void)
{
	return test_main();
}
