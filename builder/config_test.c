/* Unit tests of config.c: merge rules, imports, defaults, errors, fuzzing. */
#include "config.h"
#include "fsutil.h"
#define TEST_IMPLEMENTATION
#include "test.h"

static const char minimal_cfg[] =
	"system = { name = \"minimal\"; arch = \"x86_64\"; };\n"
	"boot = { kernel = \"linux-image-cloud-amd64\"; params = [\"console=ttyS0\"]; };\n"
	"packages = [\"busybox-static\"];\n"
	"services = { shell = { command = \"/bin/sh\"; tty = \"console\"; }; };\n";

/* Writes text to name below the test directory. */
static void put(const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", test_tmpdir(), name);
	char *slash;

	slash = strrchr(path, '/');
	*slash = '\0';
	if (mkdir_p(path, 0755) < 0)
		abort();
	*slash = '/';
	/* no fsync (write_file_atomic): the fuzz test writes a thousand files */
	FILE *f = fopen(path, "we");
	if (!f || fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f))
		abort();
}

static int load(const char *name, struct kiln_config *c, struct strbuf *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", test_tmpdir(), name);
	strbuf_reset(err);
	return config_load(path, c, err);
}

static int count_lines(const struct strbuf *sb)
{
	int n = sb->len ? 1 : 0;
	for (size_t i = 0; i < sb->len; i++)
		n += sb->buf[i] == '\n';
	return n;
}

TEST(minimal_defaults)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	CHECK_EQ(load("minimal.cfg", &c, &err), 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	CHECK_STREQ(c.name.value, "minimal");
	CHECK_EQ(c.name.loc.line, 1);
	CHECK_STREQ(c.hostname, "minimal");
	CHECK_STREQ(c.arch, "x86_64");
	CHECK_STREQ(c.deb_arch, "amd64");
	CHECK_STREQ(c.timezone, "UTC");
	CHECK_STREQ(c.firmware, "both");
	CHECK_STREQ(c.kernel.value, "linux-image-cloud-amd64");
	CHECK_EQ(c.boot_timeout, 0);
	CHECK_EQ(c.params.n, 1);
	CHECK_EQ(c.packages.n, 1);
	CHECK_EQ(c.nservices, 1);
	CHECK_STREQ(c.services[0].action, "respawn");
	CHECK_STREQ(c.services[0].tty, "console");
	CHECK_EQ(c.disk_size, 0);
	CHECK(!c.has_data);
	CHECK(!c.has_installer);
	CHECK(c.path && c.path[0] == '/');
	CHECK(c.dir && !strcmp(c.dir, test_tmpdir()));
	CHECK_EQ(c.files_read.n, 1);
	config_release(&c);
	strbuf_release(&err);
}

/* The example of the brief: importing minimal.cfg and setting only the
 * name changes only the name. */
TEST(import_overrides_only_the_name)
{
	struct kiln_config a, b;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("web2.cfg", "imports = [\"minimal.cfg\"];\nsystem = { name = \"web2\"; };\n");
	CHECK_EQ(load("minimal.cfg", &a, &err), 0);
	CHECK_EQ(load("web2.cfg", &b, &err), 0);
	CHECK_STREQ(b.name.value, "web2");
	CHECK_EQ(b.name.loc.line, 2);
	CHECK(strstr(b.name.loc.file, "web2.cfg") != NULL);
	CHECK_STREQ(b.hostname, "web2");
	CHECK_STREQ(b.kernel.value, a.kernel.value);
	CHECK(strstr(b.kernel.loc.file, "minimal.cfg") != NULL);
	CHECK_STREQ(b.arch, a.arch);
	CHECK_EQ(b.params.n, 1);
	CHECK_STREQ(b.params.v[0].value, "console=ttyS0");
	CHECK_EQ(b.packages.n, 1);
	CHECK_STREQ(b.packages.v[0].value, "busybox-static");
	CHECK_EQ(b.nservices, 1);
	CHECK_STREQ(b.services[0].command, "/bin/sh");
	CHECK_EQ(b.files_read.n, 2);
	CHECK(strstr(b.files_read.v[0].value, "web2.cfg") != NULL);
	CHECK(strstr(b.files_read.v[1].value, "minimal.cfg") != NULL);
	config_release(&a);
	config_release(&b);
	strbuf_release(&err);
}

TEST(lists_concatenate_without_duplicates)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("l/a.cfg", "packages = [\"aa\", \"bb\"];\n"
		       "boot = { kernel = \"linux-image-amd64\"; params = [\"quiet\"]; };\n");
	put("l/top.cfg", "imports = [\"a.cfg\"];\n"
			 "system = { name = \"l\"; };\n"
			 "packages = [\"bb\", \"cc\", \"aa\", \"dd\", \"cc\"];\n"
			 "boot = { params = [\"quiet\", \"console=ttyS0\"]; };\n");
	CHECK_EQ(load("l/top.cfg", &c, &err), 0);
	CHECK_EQ(c.packages.n, 4);
	if (c.packages.n == 4) {
		CHECK_STREQ(c.packages.v[0].value, "aa");
		CHECK_STREQ(c.packages.v[1].value, "bb");
		CHECK_STREQ(c.packages.v[2].value, "cc");
		CHECK_STREQ(c.packages.v[3].value, "dd");
		CHECK(strstr(c.packages.v[0].loc.file, "a.cfg") != NULL);
		CHECK(strstr(c.packages.v[2].loc.file, "top.cfg") != NULL);
	}
	CHECK_EQ(c.params.n, 2);
	if (c.params.n == 2)
		CHECK_STREQ(c.params.v[1].value, "console=ttyS0");
	config_release(&c);
	strbuf_release(&err);
}

TEST(imports_in_order_then_importer_on_top)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("o/a.cfg", "system = { timezone = \"Europe/Paris\"; hostname = \"from-a\"; };\n"
		       "boot = { timeout = 5; };\n");
	put("o/b.cfg", "system = { timezone = \"Asia/Tokyo\"; };\nboot = { timeout = 7; };\n");
	put("o/top.cfg", "imports = [\"a.cfg\", \"b.cfg\"];\n"
			 "system = { name = \"o\"; };\n"
			 "boot = { kernel = \"linux-image-amd64\"; timeout = 0; };\n");
	CHECK_EQ(load("o/top.cfg", &c, &err), 0);
	CHECK_STREQ(c.timezone, "Asia/Tokyo");   /* b after a */
	CHECK_STREQ(c.hostname, "from-a");       /* only a sets it */
	CHECK_EQ(c.boot_timeout, 0);             /* the importer wins */
	config_release(&c);
	strbuf_release(&err);
}

TEST(diamond_import_merged_once)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("d/base.cfg", "packages = [\"base-files\"];\n"
			  "files = ( { path = \"/etc/motd\"; text = \"hi\"; } );\n"
			  "boot = { kernel = \"linux-image-amd64\"; };\n");
	put("d/left/left.cfg", "imports = [\"../base.cfg\"];\npackages = [\"left-pkg\"];\n");
	put("d/right.cfg", "imports = [\"base.cfg\"];\npackages = [\"right-pkg\"];\n");
	put("d/top.cfg", "imports = [\"left/left.cfg\", \"right.cfg\"];\n"
			 "system = { name = \"d\"; };\n");
	CHECK_EQ(load("d/top.cfg", &c, &err), 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	CHECK_EQ(c.files_read.n, 4);
	CHECK_EQ(c.nfiles, 1);
	CHECK_EQ(c.packages.n, 3);
	if (c.packages.n == 3) {
		CHECK_STREQ(c.packages.v[0].value, "base-files");
		CHECK_STREQ(c.packages.v[1].value, "left-pkg");
		CHECK_STREQ(c.packages.v[2].value, "right-pkg");
	}
	config_release(&c);
	strbuf_release(&err);
}

TEST(aarch64_defaults_and_firmware)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("arm.cfg", "imports = [\"minimal.cfg\"];\nsystem = { arch = \"aarch64\"; };\n"
		       "boot = { kernel = \"linux-image-cloud-arm64\"; params = [\"console=ttyAMA0\"]; };\n");
	CHECK_EQ(load("arm.cfg", &c, &err), 0);
	CHECK_STREQ(c.deb_arch, "arm64");
	CHECK_STREQ(c.firmware, "uefi");
	CHECK_STREQ(c.kernel.value, "linux-image-cloud-arm64");
	CHECK_EQ(c.params.n, 2);
	config_release(&c);

	put("arm-bios.cfg", "imports = [\"arm.cfg\"];\nboot = { firmware = \"both\"; };\n");
	CHECK_EQ(load("arm-bios.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "arm-bios.cfg:2: boot.firmware: ") != NULL);
	CHECK_EQ(count_lines(&err), 1);
	strbuf_release(&err);
}

TEST(users_network_services_sorted_with_defaults)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("u.cfg", "imports = [\"minimal.cfg\"];\n"
		     "users = { zed = { uid = 1001; groups = [\"wheel\"]; };\n"
		     "          root = { uid = 0; shell = \"/bin/ash\"; };\n"
		     "          admin = { uid = 1000; gid = 100; description = \"Admin\";\n"
		     "                    password_hash_file = \"secrets/admin.hash\"; }; };\n"
		     "network = { eth1 = { address = \"192.0.2.10/24\"; gateway = \"192.0.2.1\";\n"
		     "                     dns = [\"192.0.2.53\", \"2001:db8::53\"]; };\n"
		     "            eth0 = { dhcp = true; }; };\n"
		     "services = { agetty = { command = \"/sbin/getty 115200 ttyS0\"; action = \"once\"; }; };\n");
	CHECK_EQ(load("u.cfg", &c, &err), 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	CHECK_EQ(c.nusers, 3);
	if (c.nusers == 3) {
		CHECK_STREQ(c.users[0].name, "admin");
		CHECK_EQ(c.users[0].gid, 100);
		CHECK_STREQ(c.users[0].home, "/home/admin");
		CHECK_STREQ(c.users[0].shell, "/bin/sh");
		CHECK_STREQ(c.users[0].description, "Admin");
		CHECK(c.users[0].password_hash_file && c.users[0].password_hash_file[0] == '/');
		CHECK(strstr(c.users[0].password_hash_file, "/secrets/admin.hash") != NULL);
		CHECK_STREQ(c.users[1].name, "root");
		CHECK_STREQ(c.users[1].home, "/root");
		CHECK_STREQ(c.users[1].shell, "/bin/ash");
		CHECK_STREQ(c.users[2].name, "zed");
		CHECK_EQ(c.users[2].gid, 1001);
		CHECK_STREQ(c.users[2].description, "");
		CHECK_EQ(c.users[2].groups.n, 1);
	}
	CHECK_EQ(c.nifaces, 2);
	if (c.nifaces == 2) {
		CHECK_STREQ(c.ifaces[0].name, "eth0");
		CHECK(c.ifaces[0].dhcp);
		CHECK_STREQ(c.ifaces[1].address, "192.0.2.10/24");
		CHECK_EQ(c.ifaces[1].dns.n, 2);
	}
	CHECK_EQ(c.nservices, 2);
	if (c.nservices == 2) {
		CHECK_STREQ(c.services[0].name, "agetty");
		CHECK_STREQ(c.services[0].action, "once");
		CHECK_STREQ(c.services[1].name, "shell");
	}
	config_release(&c);
	strbuf_release(&err);
}

TEST(files_sources_disk_installer)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;
	char *want;

	put("minimal.cfg", minimal_cfg);
	put("f/etc/issue", "kiln\n");
	put("f/server.cfg", minimal_cfg);
	put("f/base.cfg", "files = ( { path = \"/etc/issue\"; source = \"etc/issue\"; mode = \"0600\"; },\n"
			  "          { path = \"/etc/motd\"; text = \"same\"; } );\n");
	put("f/top.cfg", "imports = [\"../minimal.cfg\", \"base.cfg\"];\n"
			 "files = ( { path = \"/etc/motd\"; text = \"same\"; },\n"
			 "          { path = \"/etc/hostname.d/x\"; text = \"x\"; mode = \"0755\"; } );\n"
			 "disk = { size = \"2G\"; data = { size = 1048576; }; };\n"
			 "installer = { target = \"server.cfg\"; wipe = true; after = \"reboot\"; };\n");
	CHECK_EQ(load("f/top.cfg", &c, &err), 0);
	CHECK_STREQ(err.buf ? err.buf : "", "");
	CHECK_EQ(c.nfiles, 3);
	if (c.nfiles == 3) {
		CHECK_STREQ(c.files[0].path, "/etc/issue");
		want = xasprintf("%s/f/etc/issue", test_tmpdir());
		CHECK_STREQ(c.files[0].source, want);
		free(want);
		CHECK(c.files[0].text == NULL);
		CHECK_EQ(c.files[0].mode, 0600);
		CHECK_STREQ(c.files[1].text, "same");
		CHECK_EQ(c.files[1].mode, 0644);
		CHECK_EQ(c.files[2].mode, 0755);
	}
	CHECK_EQ(c.disk_size, 2ULL << 30);
	CHECK(c.has_data);
	CHECK_EQ(c.data_size, 1048576);
	CHECK_STREQ(c.data_label, "kiln-data");
	CHECK_STREQ(c.data_mount, "/data");
	CHECK(c.has_installer);
	want = xasprintf("%s/f/server.cfg", test_tmpdir());
	CHECK_STREQ(c.installer_target, want);
	free(want);
	CHECK_STREQ(c.installer_disk, "auto");
	CHECK(c.installer_wipe);
	CHECK_STREQ(c.installer_after, "reboot");
	CHECK_STREQ(c.installer_mode, "install");
	CHECK(!c.installer_dry_run);
	config_release(&c);
	strbuf_release(&err);
}

TEST(conflicting_file_paths_name_both)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("fc/a.cfg", "files = ( { path = \"/etc/motd\"; text = \"one\"; } );\n");
	put("fc/top.cfg", "imports = [\"../minimal.cfg\", \"a.cfg\"];\n"
			  "files = ( { path = \"/etc/motd\"; text = \"two\"; } );\n");
	CHECK_EQ(load("fc/top.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "fc/top.cfg:2: files[1].path: /etc/motd is also set, differently, at ") != NULL);
	CHECK(strstr(err.buf, "fc/a.cfg:1") != NULL);
	strbuf_release(&err);
}

TEST(group_scalar_clash_names_both)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("clash.cfg", "imports = [\"minimal.cfg\"];\n\nboot = \"linux\";\n");
	CHECK_EQ(load("clash.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "clash.cfg:3: boot: is a string here but a group at ") != NULL);
	CHECK(strstr(err.buf, "minimal.cfg:2") != NULL);
	strbuf_release(&err);
}

TEST(every_error_is_collected)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("many.cfg", "system = { name = \"Bad_Name\"; colour = \"red\"; arch = \"mips\"; };\n"
			"boot = { kernel = 42; timeout = -1; };\n"
			"packages = (\"ok-pkg\", \"Not OK\", 3);\n"
			"users = { admin = { gid = 5; }; };\n"
			"files = ( { path = \"/etc/../x\"; mode = 644; } );\n");
	CHECK_EQ(load("many.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "many.cfg:1: system.name: \"Bad_Name\" is not a valid host name") != NULL);
	CHECK(strstr(err.buf, "many.cfg:1: system.colour: unknown key (expected one of: name, hostname, arch, timezone)") != NULL);
	CHECK(strstr(err.buf, "many.cfg:1: system.arch: \"mips\" is not one of \"x86_64\", \"aarch64\"") != NULL);
	CHECK(strstr(err.buf, "many.cfg:2: boot.kernel: expected a string, found an integer") != NULL);
	CHECK(strstr(err.buf, "many.cfg:2: boot.timeout: -1 is out of range") != NULL);
	CHECK(strstr(err.buf, "many.cfg:3: packages[1]: \"Not OK\" is not a Debian package name") != NULL);
	CHECK(strstr(err.buf, "many.cfg:3: packages[2]: expected a string, found an integer") != NULL);
	CHECK(strstr(err.buf, "many.cfg:4: users.admin.uid: required value missing") != NULL);
	CHECK(strstr(err.buf, "many.cfg:5: files[0].path: \"/etc/../x\" is not an absolute file path") != NULL);
	CHECK(strstr(err.buf, "many.cfg:5: files[0].text: required value missing (or source)") != NULL);
	CHECK(strstr(err.buf, "many.cfg:5: files[0].mode: expected an octal string like \"0644\", found an integer") != NULL);
	CHECK_EQ(count_lines(&err), 11);
	strbuf_release(&err);
}

TEST(empty_file_names_required_values)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("empty.cfg", "");
	CHECK_EQ(load("empty.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "empty.cfg:1: system.name: required value missing") != NULL);
	CHECK(strstr(err.buf, "empty.cfg:1: boot.kernel: required value missing") != NULL);
	CHECK_EQ(count_lines(&err), 2);
	strbuf_release(&err);
}

TEST(import_cycle_and_missing_import)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("cy/a.cfg", "imports = [\"b.cfg\"];\n");
	put("cy/b.cfg", "system = { name = \"b\"; };\nimports = [\"c.cfg\"];\n");
	put("cy/c.cfg", "imports = [\n  \"a.cfg\"];\n");
	CHECK_EQ(load("cy/a.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "cy/c.cfg:2: imports: import cycle: ") != NULL);
	CHECK(strstr(err.buf, "cy/a.cfg -> ") != NULL && strstr(err.buf, "cy/c.cfg -> ") != NULL);

	put("mi/top.cfg", "system = { name = \"m\"; };\n\nimports = [\"nothere.cfg\"];\n");
	CHECK_EQ(load("mi/top.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "mi/top.cfg:3: imports: cannot read ") != NULL);
	CHECK(strstr(err.buf, "nothere.cfg: No such file or directory") != NULL);

	CHECK_EQ(load("mi/none.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "none.cfg: cannot read: No such file or directory") != NULL);
	strbuf_release(&err);
}

TEST(parse_error_is_file_line)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("p/inc.cfg", "\npackages = [\"x1\" = ];\n");
	put("p/top.cfg", "system = { name = \"p\"; };\n@include \"inc.cfg\"\n");
	CHECK_EQ(load("p/top.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "p/inc.cfg:2: syntax error") != NULL);

	put("p/dup.cfg", "a = 1;\n\na = 2;\n");
	CHECK_EQ(load("p/dup.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "p/dup.cfg:3: duplicate setting name") != NULL);
	strbuf_release(&err);
}

/* Never crash: every prefix of a full configuration, and every value of it
 * replaced by each other type. */
TEST(fuzz_truncated_and_mistyped)
{
	static const char full[] =
		"imports = [\"minimal.cfg\"];\n"
		"system = { name = \"fz\"; hostname = \"fz.example.org\"; arch = \"x86_64\"; timezone = \"UTC\"; };\n"
		"boot = { firmware = \"bios\"; kernel = \"linux-image-amd64\"; params = [\"quiet\"]; modules = [\"virtio_blk\"]; timeout = 3; };\n"
		"packages = [\"busybox-static\", \"dropbear-bin\"];\nsw = { prefer = [\"busybox-static\"]; };\n"
		"users = { admin = { uid = 1000; groups = [\"wheel\"]; authorized_keys = [\"ssh-ed25519 AAAA\"]; }; };\n"
		"network = { eth0 = { dhcp = true; dns = [\"1.1.1.1\"]; }; };\n"
		"services = { sshd = { command = \"/bin/dropbear -F\"; action = \"respawn\"; tty = \"ttyS0\"; }; };\n"
		"files = ( { path = \"/etc/motd\"; text = \"hello\"; mode = \"0644\"; } );\n"
		"disk = { size = \"2G\"; data = { label = \"kiln-data\"; size = \"512M\"; mount = \"/var\"; }; };\n"
		"installer = { target = \"minimal.cfg\"; disk = \"auto\"; wipe = false; after = \"poweroff\"; mode = \"install\"; dry_run = true; };\n";
	static const char *const repl[] = {
		"1", "-99999999999L", "1.5e300", "true", "\"\"", "\"x\"", "[]", "[1, 2]", "()", "( \"a\", 1, {} )",
		"{ }", "{ a = 1; }", "9223372036854775807L", "\"/../..\"",
	};
	struct strbuf err = STRBUF_INIT;
	struct kiln_config c;
	size_t len = strlen(full);
	int ok = 0;

	put("fz/minimal.cfg", minimal_cfg);
	for (size_t n = 0; n <= len; n++) {
		_cleanup_free_ char *cut = xstrndup(full, n);
		put("fz/cut.cfg", cut);
		if (load("fz/cut.cfg", &c, &err) == 0) {
			ok++;
			config_release(&c);
		} else {
			CHECK(err.len > 0);
		}
	}
	CHECK(ok > 0);
	for (size_t i = 0; i < len; i++) {
		if (full[i] != '=')
			continue;
		size_t start = i + 2, end = start;
		int depth = 0;
		/* the value runs to the ';' that closes it */
		for (; end < len && !(depth == 0 && full[end] == ';'); end++) {
			if (full[end] == '{' || full[end] == '[' || full[end] == '(')
				depth++;
			if (full[end] == '}' || full[end] == ']' || full[end] == ')')
				depth--;
		}
		for (size_t r = 0; r < ARRAY_SIZE(repl); r++) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_add(&sb, full, start);
			strbuf_adds(&sb, repl[r]);
			strbuf_adds(&sb, full + end);
			put("fz/typed.cfg", sb.buf);
			if (load("fz/typed.cfg", &c, &err) == 0)
				config_release(&c);
			else
				CHECK(err.len > 0 && err.buf[err.len - 1] != '\n');
			strbuf_release(&sb);
		}
	}
	CHECK_EQ(load("fz/cut.cfg", &c, &err), 0);
	config_release(&c);
	strbuf_release(&err);
}

TEST(huge_values_do_not_crash)
{
	struct strbuf big = STRBUF_INIT, err = STRBUF_INIT;
	struct kiln_config c;

	strbuf_adds(&big, "system = { name = \"");
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&big, 'a');
	strbuf_adds(&big, "\"; };\nboot = { kernel = \"linux-image-amd64\"; params = [");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&big, "%s\"p%d\"", i ? ", " : "", i % 5000);
	strbuf_adds(&big, "]; };\ndisk = { size = \"99999999T\"; };\n");
	put("huge.cfg", big.buf);
	CHECK_EQ(load("huge.cfg", &c, &err), -1);
	CHECK(strstr(err.buf, "huge.cfg:1: system.name: \"aaaa") != NULL);
	CHECK(strstr(err.buf, "huge.cfg:3: disk.size: ") != NULL);
	CHECK_EQ(count_lines(&err), 2);
	CHECK(err.len < 1000);

	strbuf_reset(&big);
	for (int i = 0; i < 5000; i++)
		strbuf_adds(&big, "a = {");
	put("deep.cfg", big.buf);
	CHECK_EQ(load("deep.cfg", &c, &err), -1);
	strbuf_release(&big);
	strbuf_release(&err);
}

/* libconfig 1.5 would turn uid = 4294967296 into 0 (root) without a word. */
TEST(integer_literals_that_would_wrap)
{
	struct kiln_config c;
	struct strbuf err = STRBUF_INIT;

	put("minimal.cfg", minimal_cfg);
	put("wrap.cfg", "imports = [\"minimal.cfg\"]; # 99999999999 in a comment\n"
			"users = { admin = { uid = 4294967296; description = \"99999999999\"; }; };\n"
			"/* 4294967296 */ disk = { size = 8589934592L; };\n"
			"network = { eth99999999999 = { dhcp = true; }; };\n");
	CHECK_EQ(load("wrap.cfg", &c, &err), -1);
	CHECK_EQ(count_lines(&err), 1);
	CHECK(strstr(err.buf, "wrap.cfg:2: integer 4294967296 does not fit in 32 bits") != NULL);

	put("wrap.cfg", "imports = [\"minimal.cfg\"];\ndisk = { size = 8589934592L; };\n"
			"boot = { timeout = 2147483647; };\n");
	CHECK_EQ(load("wrap.cfg", &c, &err), -1); /* only the timeout's range */
	CHECK(strstr(err.buf, "wrap.cfg:3: boot.timeout: 2147483647 is out of range") != NULL);
	CHECK_EQ(count_lines(&err), 1);

	put("wrap.cfg", "imports = [\"minimal.cfg\"];\ndisk = { size = 8589934592L; };\n");
	CHECK_EQ(load("wrap.cfg", &c, &err), 0);
	CHECK_EQ(c.disk_size, 8589934592ULL);
	config_release(&c);
	strbuf_release(&err);
}

TEST(deb_arch)
{
	CHECK_STREQ(config_deb_arch("x86_64"), "amd64");
	CHECK_STREQ(config_deb_arch("aarch64"), "arm64");
	CHECK(config_deb_arch("mips") == NULL);
	CHECK(config_deb_arch(NULL) == NULL);
}

int main(void)
{
	return test_main();
}
