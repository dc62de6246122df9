/*
 * init.c — kiln's stage-1 init: PID 1 of the initrd (see init.h for the
 * files). In the spirit of s6-linux-init: mount the API filesystems, do
 * the few steps the boot needs in a straight line, hand over with exec,
 * and never just exit — a fatal error says why and powers the machine off.
 *
 * Boot mode, step by step:
 *   1. mount /proc /sys /dev (devtmpfs) /run (tmpfs); console on fds 0-2
 *   2. read the kernel command line (init-cmdline.c)
 *   3. load the modules of /lib/modules/load-order (init-modules.c)
 *   4. find the root by label/UUID, e2fsck -p it, mount it on /sysroot
 *   5. link the generation: /run/current-system (on the initrd's /run
 *      tmpfs, which becomes the system's /run), /bin.. /usr, /etc
 *   6. move /dev /proc /sys /run into /sysroot, delete the initramfs,
 *      make /sysroot the root, exec <system>/init as "init"
 * No fixed sleeps: the only waiting is the 50 ms poll for the root device.
 */
#include "init.h"
#include "init-install.h"
#include "fsutil.h"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/vfs.h>
#include <time.h>

#define SYSROOT "/sysroot"
#define FATAL_DELAY_S 10
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

extern char **environ;

double uptime_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "kiln-init: %s", prefix);
	strbuf_vaddf(&sb, fmt, ap);
	strbuf_addch(&sb, '\n');
	(void)write_full(STDERR_FILENO, sb.buf, sb.len);
	strbuf_release(&sb);
}

void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

_Noreturn void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("FATAL: ", fmt, ap);
	va_end(ap);
	if (getpid() != 1)
		exit(1);
	say("powering off in %d s", FATAL_DELAY_S);
	sleep(FATAL_DELAY_S);
	sync();
	reboot(RB_POWER_OFF);
	say("power off failed: %s; halting", strerror(errno));
	reboot(RB_HALT_SYSTEM);
	for (;;)
		pause();
}

static void mount_api(const char *type, const char *dir, unsigned long flags, const char *data)
{
	(void)mkdir(dir, 0755);
	if (mount(type, dir, type, flags, data) < 0 && errno != EBUSY)
		fatal("cannot mount %s on %s: %s", type, dir, strerror(errno));
}

/* Without /dev/console in the archive the kernel gives us no fds 0-2. */
static void open_console(void)
{
	if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void mount_early(void)
{
	mount_api("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
	open_console();
	mount_api("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_api("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_api("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755");
}

/* Also says what booted: with `quiet` the kernel no longer prints its
 * command line, and a console log should still name the system and
 * generation (kiln.system=, kiln.generation=, kiln.fallback=). */
static void read_args(struct boot_args *args)
{
	struct strbuf cmdline = STRBUF_INIT, err = STRBUF_INIT;
	int r = read_file("/proc/cmdline", &cmdline);
	if (r < 0)
		fatal("cannot read /proc/cmdline: %s", strerror(-r));
	size_t len = cmdline.len;
	while (len && (cmdline.buf[len - 1] == '\n' || cmdline.buf[len - 1] == ' '))
		len--;
	say("stage 1 at %.2f s; command line: %.*s", uptime_s(), (int)len, cmdline.buf);
	if (boot_args_parse(cmdline.buf, args, &err) < 0)
		fatal("kernel command line: %s", err.buf);
	strbuf_release(&cmdline);
	strbuf_release(&err);
}

static void mount_root(const struct boot_args *args)
{
	struct strbuf err = STRBUF_INIT;
	char *dev = NULL, *type = NULL;

	if (root_find(args->root, args->root_timeout, &dev, &type, &err) < 0)
		fatal("%s", err.buf);
	say("root %s is %s (%s) at %.2f s", args->root, dev, type, uptime_s());
	if (args->fsck)
		root_check(dev, type);
	else
		say("not checking %s: disabled on the kernel command line", dev);
	if (root_mount(dev, type, SYSROOT, &err) < 0)
		fatal("%s", err.buf);
	free(dev);
	free(type);
	strbuf_release(&err);
}

static void link_generation(const char *system)
{
	struct strbuf err = STRBUF_INIT, log = STRBUF_INIT;

	if (gen_check_system(SYSROOT, system, &err) < 0 ||
	    gen_link_current("/run", system, &err) < 0 ||
	    gen_link_toplevel(SYSROOT, &err) < 0 ||
	    gen_populate_etc(SYSROOT, system, &log, &err) < 0)
		fatal("%s", err.buf);
	for (char *line = log.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		say("%s", line);
		line = nl ? nl + 1 : NULL;
	}
	say("generation %s linked", system);
	strbuf_release(&log);
	strbuf_release(&err);
}

static void move_api_mounts(void)
{
	static const char *const dirs[] = { "/dev", "/proc", "/sys", "/run" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *target = xasprintf(SYSROOT "%s", dirs[i]);
		(void)mkdir(target, 0755);
		if (mount(dirs[i], target, NULL, MS_MOVE, NULL) < 0)
			fatal("cannot move %s to %s: %s", dirs[i], target, strerror(errno));
		free(target);
	}
}

/* Deletes everything on the initramfs below dirfd, not crossing mounts. */
static void delete_tree(int dfd, dev_t rootdev)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				delete_tree(sub, rootdev);
		}
		(void)unlinkat(dfd, de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
	}
	closedir(d);
}

/* Frees the initramfs' memory, as switch_root(8) does. */
static void delete_initramfs(void)
{
	struct statfs sfs;
	struct stat st;
	if (statfs("/", &sfs) < 0 || (sfs.f_type != (typeof(sfs.f_type))RAMFS_MAGIC &&
				      sfs.f_type != (typeof(sfs.f_type))TMPFS_MAGIC) ||
	    stat("/", &st) < 0) {
		say("/ is not an initramfs; not deleting it");
		return;
	}
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		delete_tree(fd, st.st_dev);
}

static _Noreturn void switch_root(const char *system)
{
	char *init = path_join(system, "init");
	if (chdir(SYSROOT) < 0)
		fatal("cannot enter %s: %s", SYSROOT, strerror(errno));
	delete_initramfs();
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		fatal("cannot move %s to /: %s", SYSROOT, strerror(errno));
	if (chroot(".") < 0 || chdir("/") < 0)
		fatal("cannot change root to %s: %s", SYSROOT, strerror(errno));
	say("starting stage 2 %s at %.2f s", init, uptime_s());
	char *const argv[] = { (char *)"init", NULL };
	execve(init, argv, environ);
	fatal("cannot start stage 2 %s: %s", init, strerror(errno));
}

int main(int argc, char **argv)
{
	struct boot_args args;

	if (getpid() != 1) {
		fprintf(stderr, "kiln-init: the initrd's /init runs as PID 1 only\n");
		return 1;
	}
	mount_early();
	read_args(&args);
	if (strcmp(args.mode, "boot") && strcmp(args.mode, "install"))
		fatal("kiln.mode=%s is not a mode this init knows (boot, install)", args.mode);
	if (!args.system)
		fatal("no kiln.system= on the kernel command line: which system should boot?");
	modules_load("/lib/modules/load-order", args.modules, args.nmodules);
	mount_root(&args);
	if (!strcmp(args.mode, "install"))
		install_main(SYSROOT); /* the installer medium's root: init-install.c */
	link_generation(args.system);
	move_api_mounts();
	switch_root(args.system);
}
