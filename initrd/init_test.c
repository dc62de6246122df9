/* init_test.c — the stage-1 init's pure parts on the host: the kernel
 * command line, root specs, system paths, and linking a generation into a
 * scratch "sysroot" directory. */
#define TEST_IMPLEMENTATION
#include "test.h"
#include "init.h"
#include "fsutil.h"

#define SYS "/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-web1-system"

TEST(cmdline_splits_like_the_kernel)
{
	const char *p = "  console=ttyS0 quiet  foo=\"a b\" \"x=y z\" --  init=ignored";
	char *k, *v;
	CHECK_EQ(cmdline_next(&p, &k, &v), 1);
	CHECK_STREQ(k, "console"); CHECK_STREQ(v, "ttyS0"); free(k); free(v);
	CHECK_EQ(cmdline_next(&p, &k, &v), 1);
	CHECK_STREQ(k, "quiet"); CHECK(v == NULL); free(k);
	CHECK_EQ(cmdline_next(&p, &k, &v), 1);
	CHECK_STREQ(k, "foo"); CHECK_STREQ(v, "a b"); free(k); free(v);
	CHECK_EQ(cmdline_next(&p, &k, &v), 1);
	CHECK_STREQ(k, "x"); CHECK_STREQ(v, "y z"); free(k); free(v);
	CHECK_EQ(cmdline_next(&p, &k, &v), 0); /* "--": the rest is for init */
}

TEST(boot_args_defaults)
{
	struct boot_args a;
	struct strbuf err = STRBUF_INIT;
	CHECK_EQ(boot_args_parse("console=ttyS0 root=/dev/vda\n", &a, &err), 0);
	CHECK_STREQ(a.root, "/dev/vda");
	CHECK(a.system == NULL);
	CHECK_EQ(a.root_timeout, 30);
	CHECK(a.fsck);
	CHECK_STREQ(a.mode, "boot");
	CHECK_EQ(a.nmodules, 0);
	boot_args_release(&a);
	CHECK_EQ(boot_args_parse("", &a, &err), 0);
	CHECK_STREQ(a.root, "LABEL=kiln-root");
	boot_args_release(&a);
	strbuf_release(&err);
}

TEST(boot_args_kiln_keys)
{
	struct boot_args a;
	struct strbuf err = STRBUF_INIT;
	CHECK_EQ(boot_args_parse("kiln.system=" SYS " root=UUID=1234-abcd kiln.modules=a,,b-c "
				 "kiln.roottimeout=5 kiln.fsck=0 kiln.modules=x,y", &a, &err), 0);
	CHECK_STREQ(a.system, SYS);
	CHECK_STREQ(a.root, "UUID=1234-abcd");
	CHECK_EQ(a.root_timeout, 5);
	CHECK(!a.fsck);
	CHECK_EQ(a.nmodules, 2); /* the last occurrence wins */
	if (a.nmodules == 2) {
		CHECK_STREQ(a.modules[0], "x");
		CHECK_STREQ(a.modules[1], "y");
	}
	boot_args_release(&a);
	CHECK_EQ(boot_args_parse("fsck.mode=skip", &a, &err), 0);
	CHECK(!a.fsck);
	boot_args_release(&a);
	strbuf_release(&err);
}

TEST(boot_args_rejects_bad_values)
{
	static const char *const bad[] = {
		"kiln.roottimeout=abc", "kiln.roottimeout=-1", "kiln.roottimeout=99999",
		"kiln.roottimeout", "root=vda1", "root=LABEL=", "kiln.system=/nix/store/x",
		"kiln.system=/kiln/store/../etc", "kiln.system=/kiln/store/a/b",
		"kiln.system=/kiln/store/",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct boot_args a;
		struct strbuf err = STRBUF_INIT;
		int r = boot_args_parse(bad[i], &a, &err);
		CHECK_EQ(r, -EINVAL);
		if (r == 0) {
			fprintf(stderr, "# accepted: %s\n", bad[i]);
			boot_args_release(&a);
		}
		CHECK(err.len > 0); /* says what is wrong */
		strbuf_release(&err);
	}
}

TEST(root_specs)
{
	struct root_spec s;
	CHECK_EQ(root_spec_parse("LABEL=kiln-root", &s), 0);
	CHECK_EQ(s.kind, ROOT_LABEL); CHECK_STREQ(s.value, "kiln-root");
	CHECK_EQ(root_spec_parse("PARTUUID=ab-cd", &s), 0);
	CHECK_EQ(s.kind, ROOT_PARTUUID); CHECK_STREQ(s.value, "ab-cd");
	CHECK_EQ(root_spec_parse("PARTLABEL=root", &s), 0);
	CHECK_EQ(s.kind, ROOT_PARTLABEL);
	CHECK_EQ(root_spec_parse("/dev/nvme0n1p2", &s), 0);
	CHECK_EQ(s.kind, ROOT_PATH); CHECK_STREQ(s.value, "/dev/nvme0n1p2");
	CHECK_EQ(root_spec_parse("/dev/", &s), -EINVAL);
	CHECK_EQ(root_spec_parse("label=x", &s), -EINVAL);
}

/* A sysroot holding SYS with etc/ and an init, in a fresh directory. */
static char *make_sysroot(const char *name)
{
	char *root = path_join(test_tmpdir(), name);
	char *sys = path_join(root, SYS);
	char *p;
	mkdir_p(sys, 0755);
	p = path_join(sys, "etc/ssh");
	mkdir_p(p, 0755);
	free(p);
	p = path_join(sys, "etc/hostname");
	write_file_atomic(p, "web1\n", 5, 0444);
	free(p);
	p = path_join(sys, "etc/ssh/sshd_config");
	write_file_atomic(p, "Port 22\n", 8, 0444);
	free(p);
	p = path_join(sys, "init");
	write_file_atomic(p, "#!/bin/sh\n", 10, 0555);
	free(p);
	free(sys);
	return root;
}

static char *link_at(const char *root, const char *rel)
{
	char *p = path_join(root, rel);
	static char buf[PATH_MAX];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	free(p);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

TEST(generation_links)
{
	char *root = make_sysroot("gen1");
	struct strbuf err = STRBUF_INIT, log = STRBUF_INIT;
	char *run = path_join(root, "run"), *p;

	mkdir_p(run, 0755);
	p = path_join(root, "lib");
	mkdir_p(p, 0755); /* an empty directory in the way is replaced */
	free(p);
	p = path_join(root, "bin");
	CHECK_EQ(symlink("/old/target", p), 0); /* an old link is replaced */
	free(p);
	CHECK_EQ(gen_check_system(root, SYS, &err), 0);
	CHECK_EQ(gen_link_current(run, SYS, &err), 0);
	CHECK_EQ(gen_link_current(run, SYS, &err), 0); /* again: replaces */
	CHECK_EQ(gen_link_toplevel(root, &err), 0);
	CHECK_STREQ(link_at(run, "current-system"), SYS);
	CHECK_STREQ(link_at(root, "bin"), "/run/current-system/sw/bin");
	CHECK_STREQ(link_at(root, "sbin"), "/run/current-system/sw/sbin");
	CHECK_STREQ(link_at(root, "lib"), "/run/current-system/sw/lib");
	CHECK_STREQ(link_at(root, "lib64"), "/run/current-system/sw/lib64");
	CHECK_STREQ(link_at(root, "usr"), "/run/current-system/sw/usr");
	CHECK_EQ(err.len, 0);
	strbuf_release(&err);
	strbuf_release(&log);
	free(run);
	free(root);
}

TEST(generation_refuses_what_is_in_the_way)
{
	char *root = make_sysroot("gen2");
	struct strbuf err = STRBUF_INIT;
	char *p = path_join(root, "usr/share");
	mkdir_p(p, 0755);
	free(p);
	CHECK_EQ(gen_link_toplevel(root, &err), -ENOTEMPTY);
	CHECK(strstr(err.buf, "/usr is a non-empty directory") != NULL);
	strbuf_reset(&err);
	CHECK_EQ(gen_check_system(root, "/kiln/store/0c6kzph7l0dcbyr3vb4jqcg2bn1rpk9a-other", &err), -ENOENT);
	CHECK(strstr(err.buf, "is not on the root filesystem") != NULL);
	strbuf_release(&err);
	free(root);
}

TEST(generation_etc)
{
	char *root = make_sysroot("gen3");
	struct strbuf err = STRBUF_INIT, log = STRBUF_INIT;
	char *etc = path_join(root, "etc"), *p;
	struct stat st;

	mkdir_p(etc, 0755);
	p = path_join(etc, "gone");
	CHECK_EQ(symlink("/run/current-system/etc/gone", p), 0); /* stale kiln link */
	free(p);
	p = path_join(etc, "mine");
	CHECK_EQ(symlink("/somewhere/else", p), 0); /* a foreign link stays */
	free(p);
	p = path_join(etc, "shadow");
	write_file_atomic(p, "secret\n", 7, 0600); /* local state stays */
	free(p);
	CHECK_EQ(gen_populate_etc(root, SYS, &log, &err), 0);
	CHECK_STREQ(link_at(etc, "hostname"), "/run/current-system/etc/hostname");
	CHECK_STREQ(link_at(etc, "ssh/sshd_config"), "/run/current-system/etc/ssh/sshd_config");
	p = path_join(etc, "ssh");
	CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode)); /* a real directory */
	free(p);
	CHECK(link_at(etc, "gone") == NULL);
	CHECK_STREQ(link_at(etc, "mine"), "/somewhere/else");
	p = path_join(etc, "shadow");
	CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	free(p);
	/* twice gives the same result; nothing is logged for kiln's own links */
	strbuf_reset(&log);
	CHECK_EQ(gen_populate_etc(root, SYS, &log, &err), 0);
	CHECK_EQ(log.len, 0);
	CHECK_EQ(err.len, 0);
	strbuf_release(&err);
	strbuf_release(&log);
	free(etc);
	free(root);
}

TEST(generation_etc_keeps_local_file_where_system_has_one)
{
	char *root = make_sysroot("gen4");
	struct strbuf err = STRBUF_INIT, log = STRBUF_INIT;
	char *p = path_join(root, "etc");
	mkdir_p(p, 0755);
	free(p);
	p = path_join(root, "etc/hostname");
	write_file_atomic(p, "local\n", 6, 0644);
	free(p);
	CHECK_EQ(gen_populate_etc(root, SYS, &log, &err), 0);
	CHECK(strstr(log.buf, "keeping local /etc/hostname") != NULL);
	CHECK(link_at(root, "etc/hostname") == NULL);
	strbuf_release(&err);
	strbuf_release(&log);
	free(root);
}

int main(void)
{
	return test_main();
}
