/*
 * init-root.c — finding, checking and mounting the root filesystem.
 *
 * Finding: there is no udev in the initrd, so no /dev/disk/by-label links
 * and nothing to tell us when a disk appears. The init polls instead: every
 * 50 ms it reads /proc/partitions and probes each block device (devtmpfs
 * has created its node) with libblkid's low-level prober — superblocks for
 * LABEL/UUID/TYPE, the partition table for PARTLABEL/PARTUUID. Probing each
 * device directly, rather than through blkid's cache, means no stale cache
 * file and a precise report of what was seen when the root never shows up.
 */
#include "init.h"
#include "fsutil.h"

#include <blkid.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>

#define POLL_MS 50
#define REPORT_EVERY_S 3

struct probed {
	char *type, *label, *uuid, *partlabel, *partuuid;
};

static void probed_release(struct probed *p)
{
	free(p->type);
	free(p->label);
	free(p->uuid);
	free(p->partlabel);
	free(p->partuuid);
	memset(p, 0, sizeof(*p));
}

static char *value_of(blkid_probe pr, const char *name)
{
	const char *v = NULL;
	return blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v ? xstrdup(v) : NULL;
}

/* Probes one device; 0 with whatever was found, -errno if unreadable. */
static int probe_device(const char *dev, struct probed *ret)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	if (!pr)
		return -errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	memset(ret, 0, sizeof(*ret));
	if (blkid_do_safeprobe(pr) == 0) {
		ret->type = value_of(pr, "TYPE");
		ret->label = value_of(pr, "LABEL");
		ret->uuid = value_of(pr, "UUID");
		ret->partlabel = value_of(pr, "PART_ENTRY_NAME");
		ret->partuuid = value_of(pr, "PART_ENTRY_UUID");
	}
	blkid_free_probe(pr);
	return 0;
}

static bool eq(const char *a, const char *b, bool nocase)
{
	return a && b && (nocase ? !strcasecmp(a, b) : !strcmp(a, b));
}

static bool root_matches(const struct root_spec *spec, const char *dev, const struct probed *p)
{
	switch (spec->kind) {
	case ROOT_LABEL:
		return eq(p->label, spec->value, false);
	case ROOT_UUID:
		return eq(p->uuid, spec->value, true);
	case ROOT_PARTLABEL:
		return eq(p->partlabel, spec->value, false);
	case ROOT_PARTUUID:
		return eq(p->partuuid, spec->value, true);
	case ROOT_PATH:
		return !strcmp(dev, spec->value);
	}
	return false;
}

/* "vda1" -> "/dev/vda1"; sysfs spells "/" as "!" ("cciss!c0d0"). */
static char *dev_path(const char *name)
{
	char *p = xasprintf("/dev/%s", name);
	for (char *c = p + 5; *c; c++)
		if (*c == '!')
			*c = '/';
	return p;
}

/*
 * One pass over /proc/partitions. On a match returns 1 and fills
 * ret_dev/ret_type. seen gets "vda (ext4, LABEL=x)" per device.
 */
static int scan_once(const struct root_spec *spec, char **ret_dev, char **ret_type, struct strbuf *seen)
{
	FILE *f = fopen("/proc/partitions", "re");
	char line[256], name[128];
	unsigned major, minor;
	unsigned long long blocks;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %u %u %llu %127s", &major, &minor, &blocks, name) != 4)
			continue;
		char *dev = dev_path(name);
		struct probed p;
		if (probe_device(dev, &p) == 0) {
			strbuf_addf(seen, "%s%s (%s%s%s)", seen->len ? ", " : "", name,
				    p.type ? p.type : "no filesystem", p.label ? ", LABEL=" : "",
				    p.label ? p.label : "");
			if (root_matches(spec, dev, &p)) {
				*ret_dev = xstrdup(dev);
				*ret_type = xstrdup(p.type ? p.type : "ext4");
				found = 1;
			}
			probed_release(&p);
		}
		free(dev);
	}
	fclose(f);
	return found;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int root_find(const char *spec_str, unsigned timeout, char **ret_dev, char **ret_type, struct strbuf *err)
{
	struct root_spec spec;
	struct strbuf seen = STRBUF_INIT;
	double start = uptime_s(), next_report = start + REPORT_EVERY_S;
	int r;

	if (root_spec_parse(spec_str, &spec) < 0) {
		strbuf_addf(err, "root=%s is not a root specification", spec_str);
		return -EINVAL;
	}
	for (;;) {
		strbuf_reset(&seen);
		r = scan_once(&spec, ret_dev, ret_type, &seen);
		if (r != 0)
			break;
		double now = uptime_s();
		if (now - start >= timeout) {
			r = -ETIMEDOUT;
			break;
		}
		if (now >= next_report) {
			say("waiting for root %s (%.0f s left; block devices: %s)", spec_str,
			    timeout - (now - start), seen.len ? seen.buf : "none");
			next_report = now + REPORT_EVERY_S;
		}
		sleep_ms(POLL_MS);
	}
	if (r == -ETIMEDOUT)
		strbuf_addf(err, "root %s not found after %u s (block devices: %s)", spec_str, timeout,
			    seen.len ? seen.buf : "none");
	else if (r < 0)
		strbuf_addf(err, "cannot read /proc/partitions: %s", strerror(-r));
	strbuf_release(&seen);
	return r < 0 ? r : 0;
}

static const char *e2fsck_meaning(int code)
{
	if (code & 128)
		return "shared-library error";
	if (code & 32)
		return "checking canceled";
	if (code & 16)
		return "usage or syntax error";
	if (code & 8)
		return "operational error";
	if (code & 4)
		return "errors left uncorrected";
	return "unknown";
}

void root_check(const char *dev, const char *type)
{
	static const char e2fsck[] = "/sbin/e2fsck";
	if (strcmp(type, "ext4") && strcmp(type, "ext3") && strcmp(type, "ext2")) {
		say("not checking %s: e2fsck checks ext2/3/4, this is %s", dev, type);
		return;
	}
	if (access(e2fsck, X_OK) < 0) {
		say("not checking %s: %s is not in the initrd", dev, e2fsck);
		return;
	}
	double start = uptime_s();
	pid_t pid = fork();
	if (pid < 0)
		fatal("cannot start %s: %s", e2fsck, strerror(errno));
	if (pid == 0) {
		char *const argv[] = { (char *)"e2fsck", (char *)"-p", (char *)dev, NULL };
		execv(e2fsck, argv);
		_exit(8);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fatal("waiting for e2fsck: %s", strerror(errno));
	if (WIFSIGNALED(status))
		fatal("e2fsck on %s was killed by signal %d", dev, WTERMSIG(status));
	int code = WEXITSTATUS(status);
	if (code >= 4)
		fatal("e2fsck cannot repair %s (exit %d: %s); check it from a rescue system",
		      dev, code, e2fsck_meaning(code));
	if (code & 2) {
		say("e2fsck repaired %s and asks for a reboot; rebooting", dev);
		sync();
		reboot(RB_AUTOBOOT);
		fatal("reboot after e2fsck failed: %s", strerror(errno));
	}
	say("%s is clean%s (e2fsck %.2f s)", dev, code & 1 ? " after repairs" : "", uptime_s() - start);
}

int root_mount(const char *dev, const char *type, const char *dir, struct strbuf *err)
{
	if (mount(dev, dir, type, 0, NULL) < 0) {
		int r = -errno;
		strbuf_addf(err, "cannot mount %s (%s) on %s: %s", dev, type, dir, strerror(errno));
		return r;
	}
	return 0;
}
