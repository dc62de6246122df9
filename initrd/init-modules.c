/*
 * init-modules.c — loading the initrd's kernel modules.
 *
 * The host side (initrd/modules.c) already chose the modules and wrote
 * /lib/modules/load-order with dependencies first, so loading is a plain
 * loop of finit_module(2): no modules.dep, no alias resolution, no
 * decompression (modules are stored uncompressed). A module that is
 * already loaded (EEXIST) is fine; any other failure is printed and the
 * boot goes on: the root may not need that driver, and if it does, the
 * root search fails with its own reason.
 */
#include "init.h"
#include "fsutil.h"

#include <dirent.h>
#include <sys/syscall.h>

/* 0 when loaded (or already loaded), else -errno. */
static int load_module_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = (int)syscall(SYS_finit_module, fd, "", 0);
	r = r < 0 && errno != EEXIST ? -errno : 0;
	close(fd);
	return r;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Do the file name "virtio_blk.ko" and the name "virtio-blk" match? */
static bool module_name_matches(const char *file, const char *name)
{
	for (; *name; file++, name++) {
		char a = *file == '-' ? '_' : *file, b = *name == '-' ? '_' : *name;
		if (a != b)
			return false;
	}
	return !strcmp(file, ".ko");
}

/* Depth-first search below dir for the module called name. */
static char *find_module(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *found = NULL;
	if (!d)
		return NULL;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = path_join(dir, de->d_name);
		if (de->d_type == DT_DIR)
			found = find_module(path, name);
		else if (module_name_matches(de->d_name, name))
			found = xstrdup(path);
		free(path);
	}
	closedir(d);
	return found;
}

static unsigned load_listed(const char *load_order, unsigned *failed)
{
	struct strbuf list = STRBUF_INIT;
	unsigned loaded = 0;
	int r = read_file(load_order, &list);
	if (r < 0) {
		if (r != -ENOENT)
			say("cannot read %s: %s", load_order, strerror(-r));
		strbuf_release(&list);
		return 0;
	}
	for (char *line = list.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line) {
			r = load_module_file(line);
			if (r < 0) {
				say("cannot load module %s: %s", base_name(line), strerror(-r));
				(*failed)++;
			} else {
				loaded++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	strbuf_release(&list);
	return loaded;
}

void modules_load(const char *load_order, char *const *extra, size_t nextra)
{
	double start = uptime_s();
	unsigned failed = 0, loaded = load_listed(load_order, &failed);

	for (size_t i = 0; i < nextra; i++) {
		char *path = find_module("/lib/modules", extra[i]);
		int r = path ? load_module_file(path) : -ENOENT;
		if (r < 0) {
			say("cannot load module %s (kiln.modules): %s", extra[i],
			    path ? strerror(-r) : "not in the initrd");
			failed++;
		} else {
			loaded++;
		}
		free(path);
	}
	if (loaded || failed)
		say("loaded %u modules%s in %.2f s", loaded, failed ? " (some failed, see above)" : "",
		    uptime_s() - start);
}
