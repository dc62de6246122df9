/*
 * init-install.c — the stage-1 init's install mode (kiln.mode=install): the
 * installer medium's root is mounted at sysroot; this chooses the target
 * disk, runs lib/install.c (the same disk writer as `kiln image`) on the
 * block device and powers off or reboots. It lives in stage 1 because
 * everything it needs (libblkid, libext2fs, the store code) is already
 * linked statically into the init, and no stage 2 of the installer system
 * has to start: fewer moving parts between power-on and the first write.
 *
 * The medium carries <sysroot>/kiln/installer/manifest, written by
 * `kiln installer`, one "key=value" per line:
 *   system=/kiln/store/<hash>-<name>   the target system (its closure is in
 *                                      the medium's store and registry)
 *   bootloader=/kiln/store/<hash>-bootloader   boot.img, core.img, EFI/BOOT/...
 *   efi=EFI/BOOT/BOOTX64.EFI           the ESP file (absent: no UEFI)
 *   grub_cfg=kiln/installer/grub.cfg   the target's grub.cfg, below sysroot
 *   disk=auto  wipe=0  after=poweroff  mode=install  dry_run=0
 *   bios=1  aarch64=0  root_min=BYTES  has_data=0  data_size=0
 *   data_label=kiln-data  timestamp=SECONDS
 * kiln.install=plan on the command line forces a dry run.
 *
 * The initrd runs no udev, so /dev/disk/by-id is empty here: a by-id rule
 * (installer.disk = "by-id:..." or a /dev/disk/by-id/... path) matches no
 * disk and is refused; name the disk by serial:, wwn:, size or transport,
 * which lib/target.c reads from sysfs. The medium is remounted read-only
 * before anything else: the installer never writes its own medium.
 */
#include "init-install.h"
#include "init.h"

#include "events.h"
#include "fsutil.h"
#include "install.h"
#include "store.h"
#include "target.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <time.h>

struct manifest {
	struct strbuf text;
	char **keys, **values;
	size_t n;
};

static int manifest_read(const char *path, struct manifest *m, struct strbuf *err)
{
	memset(m, 0, sizeof(*m));
	if (read_file(path, &m->text) < 0) {
		strbuf_addf(err, "cannot read the installer manifest %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	char *save = NULL;
	for (char *l = strtok_r(m->text.buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (!eq || l[0] == '#')
			continue;
		*eq = '\0';
		m->keys = xrealloc(m->keys, (m->n + 1) * sizeof(char *));
		m->values = xrealloc(m->values, (m->n + 1) * sizeof(char *));
		m->keys[m->n] = l;
		m->values[m->n++] = eq + 1;
	}
	return 0;
}

static const char *mget(const struct manifest *m, const char *key, const char *def)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->keys[i], key))
			return m->values[i];
	return def;
}

static bool mbool(const struct manifest *m, const char *key)
{
	return !strcmp(mget(m, key, "0"), "1");
}

static uint64_t mu64(const struct manifest *m, const char *key)
{
	uint64_t v = 0;
	parse_u64(mget(m, key, "0"), 10, &v);
	return v;
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(void *opaque, const char *human, const char *event)
{
	(void)opaque;
	say("install: %s", human);
	/* the event on a line of its own, so a harness reads it whole */
	printf("%s\n", event);
	fflush(stdout);
}

static _Noreturn void finish(const char *after, bool ok)
{
	sync();
	say("install %s; %s", ok ? "finished" : "failed", !strcmp(after, "reboot") ? "rebooting" : "powering off");
	reboot(ok && !strcmp(after, "reboot") ? RB_AUTOBOOT : RB_POWER_OFF);
	for (;;)
		pause();
}

static _Noreturn void refuse(const char *after, const char *reason)
{
	struct event e;
	event_begin(&e, "failed");
	event_str(&e, "reason", reason);
	emit(NULL, reason, event_end(&e));
	event_release(&e);
	finish(after, false);
}

/* The device mounted at dir, from /proc/self/mounts ("/dev/vdb3"), or NULL. */
static char *mounted_device(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *save = NULL, *dev = NULL;

	if (read_file("/proc/self/mounts", &sb) < 0)
		goto out;
	for (char *l = strtok_r(sb.buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		char *mp = sp + 1, *end = strchr(mp, ' ');
		if (end)
			*end = '\0';
		if (!strcmp(mp, dir)) {
			free(dev);
			dev = xstrdup(l);
		}
	}
out:
	strbuf_release(&sb);
	return dev;
}

static bool cmdline_plan_only(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	char *k, *v;
	bool plan = false;

	if (read_file("/proc/cmdline", &sb) < 0)
		return false;
	p = sb.buf;
	while (cmdline_next(&p, &k, &v) > 0) {
		if (!strcmp(k, "kiln.install") && v && !strcmp(v, "plan"))
			plan = true;
		free(k);
		free(v);
	}
	strbuf_release(&sb);
	return plan;
}

static int read_store_file(const char *sysroot, const char *storepath, const char *name,
			   struct strbuf *out)
{
	_cleanup_free_ char *p = xasprintf("%s%s/%s", sysroot, storepath, name);
	return read_file(p, out);
}

/* The medium's store, read-only: its registry loaded as text (store_open
 * would take a lock and clean up in a directory of the read-only medium),
 * its paths read from <sysroot>/kiln/store. */
static int open_medium_store(const char *sysroot, const char *real, struct store *s)
{
	_cleanup_free_ char *reg = xasprintf("%s/kiln/var/db/registry", sysroot);
	struct strbuf text = STRBUF_INIT;
	int r = read_file(reg, &text);

	if (r >= 0)
		r = store_load_registry(s, KILN_STORE_DIR, text.buf, text.len);
	strbuf_release(&text);
	if (r < 0)
		return r;
	free(s->realdir);
	s->realdir = xstrdup(real);
	return 0;
}

/* Picks the disk; on refusal sends "failed" with every disk considered. */
static struct target_disk *choose_disk(const struct manifest *m, const char *sysroot,
				       uint64_t needed, struct target_list *l)
{
	const char *after = mget(m, "after", "poweroff");
	_cleanup_free_ char *medium = mounted_device(sysroot);
	struct target_env env = { "/sys", "/proc/self/mounts", "/dev/disk/by-id", medium };
	struct target_rule rule;
	struct strbuf err = STRBUF_INIT;
	size_t i = 0;

	if (target_rule_parse(mget(m, "disk", "auto"), &rule, &err) < 0)
		refuse(after, err.buf);
	if (target_scan(&env, l) < 0)
		refuse(after, "cannot list the block devices in /sys/block");
	if (target_choose(&env, l, &rule, needed, &i, &err) < 0) {
		for (char *p = err.buf; *p; p++)
			if (*p == '\n')
				*p = ';';
		refuse(after, err.buf);
	}
	target_rule_release(&rule);
	strbuf_release(&err);
	return &l->v[i];
}

_Noreturn void install_main(const char *sysroot)
{
	struct manifest m;
	struct strbuf err = STRBUF_INIT, grub = STRBUF_INIT, boot = STRBUF_INIT, core = STRBUF_INIT,
		      efi = STRBUF_INIT;
	struct store s;
	struct path_list roots = PATH_LIST_INIT, closure = PATH_LIST_INIT;
	struct target_list disks = { NULL, 0 };
	struct disk_plan minimal;
	_cleanup_free_ char *mpath = path_join(sysroot, "kiln/installer/manifest");

	/* the installer never writes its own medium (stage 1 mounted it rw) */
	if (mount(NULL, sysroot, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		say("install: cannot remount the medium read-only: %s", strerror(errno));
	if (manifest_read(mpath, &m, &err) < 0)
		refuse("poweroff", err.buf);
	const char *after = mget(&m, "after", "poweroff");
	const char *system = mget(&m, "system", NULL), *bl = mget(&m, "bootloader", NULL);
	const char *efi_name = mget(&m, "efi", NULL);
	if (!system || !bl)
		refuse(after, "the installer manifest names no system or bootloader");
	_cleanup_free_ char *real = xasprintf("%s" KILN_STORE_DIR, sysroot);
	if (open_medium_store(sysroot, real, &s) < 0)
		refuse(after, "cannot read the medium's store registry (kiln/var/db/registry)");
	path_list_add(&roots, system);
	if (store_closure(&s, &roots, &closure) < 0)
		refuse(after, "the target system's closure is not complete on the medium");
	_cleanup_free_ char *gpath = path_join(sysroot, mget(&m, "grub_cfg", "kiln/installer/grub.cfg"));
	bool bios = mbool(&m, "bios");
	if (read_file(gpath, &grub) < 0 ||
	    (bios && (read_store_file(sysroot, bl, "boot.img", &boot) < 0 ||
		      read_store_file(sysroot, bl, "core.img", &core) < 0)) ||
	    (efi_name && read_store_file(sysroot, bl, efi_name, &efi) < 0))
		refuse(after, "the medium lacks the bootloader files or grub.cfg of the target");

	struct disk_layout layout = {
		.root_min = mu64(&m, "root_min"), .bios = bios, .aarch64 = mbool(&m, "aarch64"),
		.has_data = mbool(&m, "has_data"), .data_size = mu64(&m, "data_size"),
		.data_label = mget(&m, "data_label", "kiln-data"), .seed = system,
	};
	if (disk_plan_make(&layout, &minimal, NULL) < 0)
		refuse(after, "the target's layout is invalid");
	struct target_disk *d = choose_disk(&m, sysroot, minimal.size, &disks);

	int fd = open(d->dev, O_RDWR | O_EXCL | O_CLOEXEC);
	uint64_t size = 0;
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		_cleanup_free_ char *why = xasprintf("cannot open %s exclusively: %s", d->dev, strerror(errno));
		refuse(after, why);
	}
	struct disk_esp_file esp = { efi_name, efi.buf, efi.len };
	struct disk_content content = {
		.system = system, .src = &s, .closure = &closure, .grub_cfg = grub.buf,
		.boot_img = bios ? boot.buf : NULL, .core_img = bios ? core.buf : NULL,
		.core_len = bios ? core.len : 0, .esp_files = efi_name ? &esp : NULL,
		.nesp_files = efi_name ? 1 : 0, .timestamp = (int64_t)mu64(&m, "timestamp"),
	};
	struct install_request rq = {
		.fd = fd, .disk = d->dev, .disk_size = size, .wipe = mbool(&m, "wipe"),
		.recover = !strcmp(mget(&m, "mode", "install"), "recover"),
		.dry_run = mbool(&m, "dry_run") || cmdline_plan_only(), .verify = true,
		.layout = layout, .content = &content, .clock = monotonic,
	};
	int r = install_run(&rq, emit, NULL);
	if (r == 0 && !rq.dry_run)
		(void)ioctl(fd, BLKRRPART); /* the kernel learns the new partitions */
	close(fd);
	finish(after, r == 0);
}
