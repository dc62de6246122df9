#define TEST_IMPLEMENTATION
#include "test.h"
#include "grub.h"
#include "fsutil.h"

#include <sys/wait.h>

static const struct grub_cfg_opts opts = { .timeout = 1, .serial = true };

TEST(cfg_lists_entries_newest_first_with_store_paths)
{
	struct grub_entry e[2] = {
		{ 2, "/kiln/store/bbbb-web-system", "web", "/kiln/store/k2/boot/vmlinuz",
		  "/kiln/store/i2/initrd", "console=ttyS0" },
		{ 1, "/kiln/store/aaaa-web-system", "web", "/kiln/store/k1/boot/vmlinuz",
		  "/kiln/store/i1/initrd", "" },
	};
	struct strbuf sb = STRBUF_INIT;
	grub_cfg_generate(e, 2, &opts, &sb);
	const char *g2 = strstr(sb.buf, "menuentry 'kiln web generation 2' --id gen-2");
	const char *g1 = strstr(sb.buf, "menuentry 'kiln web generation 1' --id gen-1");
	CHECK(g2 && g1 && g2 < g1);
	CHECK(strstr(sb.buf, "set default=0\n"));
	/* arm64-efi has no serial command: the console setup is guarded */
	CHECK(strstr(sb.buf, "if [ \"$grub_cpu\" != arm64 ]; then\n\tserial --unit=0"));
	CHECK(strstr(sb.buf, "\tlinux '/kiln/store/k2/boot/vmlinuz' root=LABEL=kiln-root "
			     "kiln.system=/kiln/store/bbbb-web-system kiln.generation=2 console=ttyS0\n"));
	CHECK(strstr(sb.buf, "\tinitrd '/kiln/store/i1/initrd'\n"));
	/* BIOS uses the 16-bit protocol (no 51 MiB move at boot), UEFI `linux` */
	CHECK(strstr(sb.buf, "\tif [ \"$grub_platform\" = pc ]; then\n"
			     "\t\tlinux16 '/kiln/store/k2/boot/vmlinuz' root=LABEL=kiln-root "
			     "kiln.system=/kiln/store/bbbb-web-system kiln.generation=2 console=ttyS0\n"
			     "\t\tinitrd16 '/kiln/store/i2/initrd'\n\telse\n\t\tlinux '"));
	strbuf_release(&sb);
}

TEST(cfg_quotes_single_quotes)
{
	struct grub_entry e = { 1, "/s", "it's", "/k", "/i", NULL };
	struct strbuf sb = STRBUF_INIT;
	grub_cfg_generate(&e, 1, &opts, &sb);
	CHECK(strstr(sb.buf, "menuentry 'kiln it'\\''s generation 1'"));
	strbuf_release(&sb);
}

TEST(cfg_passes_grub_script_check)
{
	struct grub_entry e[2] = {
		{ 2, "/kiln/store/b-system", "web", "/kiln/store/k/vmlinuz", "/kiln/store/i/initrd", "quiet" },
		{ 1, "/kiln/store/a-system", "we'b", "/kiln/store/k/vmlinuz", "/kiln/store/i/initrd", "" },
	};
	struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *path = path_join(test_tmpdir(), "grub.cfg");
	grub_cfg_generate(e, 2, &opts, &sb);
	CHECK_EQ(write_file_atomic(path, sb.buf, sb.len, 0644), 0);
	_cleanup_free_ char *cmd = xasprintf("grub-script-check '%s'", path);
	int st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	strbuf_release(&sb);
}

TEST(cfg_boot_counting_script)
{
	struct grub_entry e[2] = {
		{ 2, "/kiln/store/b-system", "web", "/kiln/store/k/vmlinuz", "/kiln/store/i/initrd", "" },
		{ 1, "/kiln/store/a-system", "web", "/kiln/store/k/vmlinuz", "/kiln/store/i/initrd", "" },
	};
	struct grub_cfg_opts o = { .timeout = 1, .serial = true, .default_gen = 2, .bootenv = true,
				   .trial_gen = 2, .good_gen = 1, .tries = 3 };
	struct strbuf sb = STRBUF_INIT, plain = STRBUF_INIT;
	_cleanup_free_ char *path = path_join(test_tmpdir(), "counting.cfg");
	grub_cfg_generate(e, 2, &o, &sb);
	CHECK(strstr(sb.buf, "set default='gen-2'\n"));
	CHECK(strstr(sb.buf, "load_env kiln_once kiln_tries_gen kiln_tries kiln_ok\n"));
	CHECK(strstr(sb.buf, "if [ \"$kiln_tries\" = 3 ]; then\n\t\t\tset kiln_tries=2\n"));
	CHECK(strstr(sb.buf, "set default='gen-1'\n\t\t\tset kiln_extra='kiln.fallback=2'\n"));
	CHECK(strstr(sb.buf, "save_env kiln_tries_gen kiln_tries\n"));
	CHECK(strstr(sb.buf, "export kiln_extra\n"));
	CHECK(strstr(sb.buf, "kiln.generation=1 $kiln_extra\n"));
	CHECK_EQ(write_file_atomic(path, sb.buf, sb.len, 0644), 0);
	_cleanup_free_ char *cmd = xasprintf("grub-script-check '%s'", path);
	int st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* without bootenv, nothing of it (kiln image's generation 1) */
	grub_cfg_generate(e, 2, &opts, &plain);
	CHECK(!strstr(plain.buf, "load_env") && !strstr(plain.buf, "kiln_extra"));
	strbuf_release(&sb);
	strbuf_release(&plain);
}

TEST(core_images_are_deterministic)
{
	struct strbuf err = STRBUF_INIT;
	_cleanup_free_ char *a = path_join(test_tmpdir(), "core-a.img");
	_cleanup_free_ char *b = path_join(test_tmpdir(), "core-b.img");
	struct strbuf da = STRBUF_INIT, db = STRBUF_INIT;
	if (access("/usr/lib/grub/i386-pc/boot.img", R_OK) < 0) {
		fprintf(stderr, "# host GRUB i386-pc modules missing\n");
		*failed_ = 1;
		return;
	}
	CHECK_EQ(grub_make_core(GRUB_I386_PC, "/usr/lib/grub", a, &err), 0);
	CHECK_EQ(grub_make_core(GRUB_I386_PC, "/usr/lib/grub", b, &err), 0);
	CHECK_EQ(read_file(a, &da), 0);
	CHECK_EQ(read_file(b, &db), 0);
	CHECK(da.len > 512 && da.len == db.len && !memcmp(da.buf, db.buf, da.len));
	CHECK(da.len / 512 < 888);
	strbuf_release(&da);
	strbuf_release(&db);
	strbuf_release(&err);
}

TEST(early_config_searches_the_given_label)
{
	struct strbuf def = STRBUF_INIT, dflt = STRBUF_INIT, inst = STRBUF_INIT;
	grub_early_config(GRUB_X86_64_EFI, &def);
	grub_early_config_label(GRUB_X86_64_EFI, NULL, &dflt);
	grub_early_config_label(GRUB_X86_64_EFI, GRUB_INSTALLER_LABEL, &inst);
	CHECK_STREQ(def.buf, dflt.buf);
	CHECK(strstr(def.buf, "search --no-floppy --label --set=root kiln-root\n"));
	CHECK(strstr(inst.buf, "search --no-floppy --label --set=root kiln-installer\n"));
	CHECK(!strstr(inst.buf, "kiln-root"));
	CHECK(strstr(inst.buf, "set prefix=($root)/boot/grub\n"));
	strbuf_release(&def);
	strbuf_release(&dflt);
	strbuf_release(&inst);
}

/* x86_64-efi core images keep their modules (and the early config)
 * uncompressed, so the label searched is visible in the bytes. */
TEST(efi_core_image_embeds_the_label)
{
	struct strbuf err = STRBUF_INIT, d = STRBUF_INIT;
	_cleanup_free_ char *a = path_join(test_tmpdir(), "inst.efi");
	static const char want[] = "search --no-floppy --label --set=root kiln-installer";
	if (access("/usr/lib/grub/x86_64-efi/kernel.img", R_OK) < 0) {
		fprintf(stderr, "# host GRUB x86_64-efi modules missing\n");
		*failed_ = 1;
		return;
	}
	CHECK_EQ(grub_make_core_label(GRUB_X86_64_EFI, GRUB_INSTALLER_LABEL, "/usr/lib/grub", a, &err), 0);
	CHECK_EQ(read_file(a, &d), 0);
	CHECK(memmem(d.buf, d.len, want, sizeof(want) - 1) != NULL);
	CHECK(memmem(d.buf, d.len, "kiln-root", 9) == NULL);
	strbuf_release(&d);
	strbuf_release(&err);
}

TEST(missing_modules_is_a_clear_error)
{
	struct strbuf err = STRBUF_INIT;
	_cleanup_free_ char *a = path_join(test_tmpdir(), "core.efi");
	CHECK(grub_make_core(GRUB_ARM64_EFI, "/nonexistent/grub", a, &err) < 0);
	CHECK(strstr(strbuf_str(&err), "arm64-efi"));
	strbuf_release(&err);
}

int main(void)
{
	return test_main();
}
