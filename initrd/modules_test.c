/* modules_test.c — .modinfo parsing on objects gcc makes for both target
 * architectures, a fake kernel tree (plain, .xz and .zst modules,
 * built-ins, cycles), and — when a test has already downloaded it — the
 * real Debian cloud kernel. initrd/tests/modules-oracle.sh compares the
 * dependencies with busybox depmod's. */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "modules.h"
#include "fsutil.h"

#include <glob.h>

/* Compiles an object whose .modinfo holds the given "key=value\0..." text. */
static int make_ko(const char *cc, const char *out, const char *modinfo_c_literal)
{
	char *src = xasprintf("%s.c", out);
	char *text = xasprintf("const char kiln_modinfo[] __attribute__((section(\".modinfo\"), used)) = %s;\n"
			       "int kiln_fn(void) { return 1; }\n", modinfo_c_literal);
	int r = write_file_atomic(src, text, strlen(text), 0644);
	char *cmd = xasprintf("%s -c -o '%s' '%s' 2>/dev/null", cc, out, src);
	if (r == 0)
		r = system(cmd) == 0 ? 0 : -1;
	free(cmd);
	free(text);
	free(src);
	return r;
}

static int depends_of(const char *path, struct strbuf *ret)
{
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	int r = kmod_read_file(path, &data, &err);
	if (r == 0)
		r = kmod_modinfo_depends(data.buf, data.len, ret);
	strbuf_release(&data);
	strbuf_release(&err);
	return r;
}

static void check_arch(int *failed_, const char *cc)
{
	char *ko = xasprintf("%s/m-%s.ko", test_tmpdir(), cc);
	struct strbuf deps = STRBUF_INIT;
	if (make_ko(cc, ko, "\"license=GPL\\0depends=virtio,virtio_ring\\0name=m\"") < 0) {
		printf("# %s is missing: not checked\n", cc);
	} else {
		CHECK_EQ(depends_of(ko, &deps), 0);
		CHECK_STREQ(deps.buf, "virtio,virtio_ring");
	}
	strbuf_release(&deps);
	free(ko);
}

TEST(modinfo_x86_64_and_aarch64)
{
	check_arch(failed_, "gcc");
	check_arch(failed_, "aarch64-linux-gnu-gcc");
}

TEST(modinfo_without_depends_and_malformed)
{
	char *ko = xasprintf("%s/nodeps.ko", test_tmpdir());
	struct strbuf deps = STRBUF_INIT, data = STRBUF_INIT;
	CHECK_EQ(make_ko("gcc", ko, "\"license=GPL\\0depends=\\0\""), 0);
	CHECK_EQ(depends_of(ko, &deps), 0);
	CHECK_STREQ(strbuf_str(&deps), "");
	CHECK_EQ(read_file(ko, &data), 0);
	/* truncations, a big-endian flag, a 32-bit class: refused, no crash */
	for (size_t n = 0; n < data.len; n += 97)
		CHECK(kmod_modinfo_depends(data.buf, n, &deps) < 0);
	data.buf[5] = 2;
	CHECK_EQ(kmod_modinfo_depends(data.buf, data.len, &deps), -ENOEXEC);
	data.buf[5] = 1;
	data.buf[4] = 1;
	CHECK_EQ(kmod_modinfo_depends(data.buf, data.len, &deps), -ENOEXEC);
	CHECK_EQ(kmod_modinfo_depends("not an elf", 10, &deps), -ENOEXEC);
	strbuf_release(&deps);
	strbuf_release(&data);
	free(ko);
}

TEST(canonical_names)
{
	char *s = kmod_canonical_name("virtio-pci_modern-dev");
	CHECK_STREQ(s, "virtio_pci_modern_dev");
	free(s);
}

/* tree/lib/modules/6.1.0-test/kernel/... with a -> b-c -> d, e built-in. */
static char *make_tree(int *failed_, const char *name, bool cycle)
{
	char *tree = path_join(test_tmpdir(), name);
	char *dir = path_join(tree, "lib/modules/6.1.0-test/kernel/drivers/x");
	char *p;
	mkdir_p(dir, 0755);
	p = path_join(dir, "a.ko");
	make_ko("gcc", p, "\"depends=b_c,e\\0name=a\"");
	free(p);
	p = path_join(dir, "b-c.ko");
	make_ko("gcc", p, "\"depends=d\\0name=b_c\"");
	free(p);
	p = path_join(dir, "d.ko");
	make_ko("gcc", p, cycle ? "\"depends=a\\0name=d\"" : "\"depends=\\0name=d\"");
	char *cmd = xasprintf("xz -f '%s'", p);
	CHECK_EQ(system(cmd), 0); /* d.ko.xz */
	free(cmd);
	free(p);
	p = path_join(dir, "z.ko");
	make_ko("gcc", p, "\"depends=\\0name=z\"");
	cmd = xasprintf("zstd -q -f --rm '%s'", p);
	CHECK_EQ(system(cmd), 0); /* z.ko.zst */
	free(cmd);
	free(p);
	p = path_join(tree, "lib/modules/6.1.0-test/modules.builtin");
	write_file_atomic(p, "kernel/drivers/e.ko\nkernel/drivers/nvme/host/nvme.ko\n", 53, 0644);
	free(p);
	free(dir);
	return tree;
}

static const char *names(const struct kmod_selection *sel)
{
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < sel->n; i++) {
		strncat(buf, sel->v[i]->name, sizeof(buf) - strlen(buf) - 2);
		strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

TEST(select_in_dependency_order)
{
	char *tree = make_tree(failed_, "t1", false);
	struct kmod_index ix;
	struct kmod_selection sel;
	struct strbuf err = STRBUF_INIT, notes = STRBUF_INIT;
	CHECK_EQ(kmod_index_load(&ix, tree, &err), 0);
	CHECK_STREQ(ix.kver, "6.1.0-test");
	CHECK_EQ(ix.n, 4);
	CHECK(kmod_index_find(&ix, "b_c") != NULL);
	CHECK(kmod_index_is_builtin(&ix, "nvme"));
	struct kmod_request req[] = { { "z", false }, { "a", false }, { "nvme", false },
				      { "ahci", true }, { "b-c", false } };
	CHECK_EQ(kmod_select(&ix, req, ARRAY_SIZE(req), &sel, &notes, &err), 0);
	CHECK_STREQ(names(&sel), "z d b_c a ");
	CHECK(strstr(notes.buf, "module nvme is built into kernel 6.1.0-test") != NULL);
	CHECK(strstr(notes.buf, "module ahci is not in kernel 6.1.0-test, skipped") != NULL);
	kmod_selection_release(&sel);

	struct kmod_request missing[] = { { "nosuch", false } };
	strbuf_reset(&err);
	CHECK_EQ(kmod_select(&ix, missing, 1, &sel, &notes, &err), -ENOENT);
	CHECK(strstr(err.buf, "module nosuch is neither a module nor built into") != NULL);
	kmod_index_release(&ix);
	strbuf_release(&err);
	strbuf_release(&notes);
	free(tree);
}

TEST(select_reports_cycles)
{
	char *tree = make_tree(failed_, "t2", true);
	struct kmod_index ix;
	struct kmod_selection sel;
	struct strbuf err = STRBUF_INIT;
	struct kmod_request req[] = { { "a", false } };
	CHECK_EQ(kmod_index_load(&ix, tree, &err), 0);
	CHECK_EQ(kmod_select(&ix, req, 1, &sel, NULL, &err), -ELOOP);
	CHECK(strstr(err.buf, "cycle") != NULL);
	kmod_index_release(&ix);
	strbuf_release(&err);
	free(tree);
}

TEST(index_errors)
{
	struct kmod_index ix;
	struct strbuf err = STRBUF_INIT;
	CHECK_EQ(kmod_index_load(&ix, "/nonexistent-kernel-tree", &err), -ENOENT);
	CHECK(strstr(err.buf, "not an unpacked kernel package") != NULL);
	strbuf_release(&err);
}

/* The real cloud kernel, when the initrd script tests have downloaded it. */
TEST(real_debian_kernel_virtio_blk)
{
	const char *cache = getenv("KILN_CACHE_DIR");
	char *pattern = xasprintf("%s/initrd-debs/linux-image-*-cloud-amd64-amd64/.done", cache ? cache : "/nonexistent");
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0) {
		printf("# no downloaded cloud kernel in $KILN_CACHE_DIR: real-kernel check not run\n");
		free(pattern);
		return;
	}
	char *tree = xstrndup(g.gl_pathv[0], strlen(g.gl_pathv[0]) - strlen("/.done"));
	struct kmod_index ix;
	struct kmod_selection sel;
	struct strbuf err = STRBUF_INIT;
	struct kmod_request req[] = { { "virtio_blk", false }, { "virtio_pci", false } };
	CHECK_EQ(kmod_index_load(&ix, tree, &err), 0);
	CHECK(ix.n > 500);
	CHECK_EQ(kmod_select(&ix, req, 2, &sel, NULL, &err), 0);
	CHECK_STREQ(names(&sel), "virtio_ring virtio virtio_blk virtio_pci_modern_dev "
				 "virtio_pci_legacy_dev virtio_pci ");
	kmod_selection_release(&sel);
	kmod_index_release(&ix);
	strbuf_release(&err);
	free(tree);
	globfree(&g);
	free(pattern);
}

int main(void)
{
	return test_main();
}
