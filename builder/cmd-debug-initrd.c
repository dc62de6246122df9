/*
 * cmd-debug-initrd.c — `kiln debug-initrd`: build an initrd by hand (for
 * tests and debugging the stage-1 init), or list the modules it would carry.
 *
 *   kiln debug-initrd --init BIN [--kernel-tree DIR] [--module NAME]...
 *        [--no-default-modules] [--file HOST=/PATH]... [--mtime N] -o OUT
 *   kiln debug-initrd --kernel-tree DIR [--module NAME]... [--no-default-modules] --list
 *        prints "name path deps..." per module, in load order
 *
 * --mtime defaults to $SOURCE_DATE_EPOCH, else 1.
 */
#include "common.h"
#include "commands.h"
#include "mkinitrd.h"
#include "modules.h"

#include <getopt.h>

struct dbg_args {
	struct initrd_spec spec;
	const char **modules;
	struct initrd_file *files;
	const char *out;
	bool list;
};

static int add_file_arg(struct dbg_args *a, char *arg)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || eq[1] != '/') {
		error("--file %s: expected HOST=/PATH/IN/INITRD", arg);
		return -1;
	}
	*eq = '\0';
	a->files = xrealloc(a->files, (a->spec.nfiles + 1) * sizeof(*a->files));
	struct stat st;
	mode_t mode = stat(arg, &st) == 0 && (st.st_mode & 0111) ? 0755 : 0644;
	a->files[a->spec.nfiles++] = (struct initrd_file){ arg, eq + 1, mode };
	return 0;
}

static int parse_mtime(const char *s, uint64_t *ret)
{
	if (parse_u64(s, 10, ret) < 0) {
		error("timestamp '%s' is not a number of seconds", s);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct dbg_args *a)
{
	static const struct option opts[] = {
		{ "init", required_argument, NULL, 'i' }, { "kernel-tree", required_argument, NULL, 'k' },
		{ "module", required_argument, NULL, 'm' }, { "no-default-modules", no_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' }, { "mtime", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' }, { "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	int c;

	a->spec.default_modules = true;
	a->spec.mtime = 1;
	if (epoch && *epoch && parse_mtime(epoch, &a->spec.mtime) < 0)
		return -1;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->spec.init_path = optarg; break;
		case 'k': a->spec.kernel_tree = optarg; break;
		case 'n': a->spec.default_modules = false; break;
		case 'o': a->out = optarg; break;
		case 'l': a->list = true; break;
		case 't': if (parse_mtime(optarg, &a->spec.mtime) < 0) return -1; break;
		case 'f': if (add_file_arg(a, optarg) < 0) return -1; break;
		case 'm':
			a->modules = xrealloc(a->modules, (a->spec.nmodules + 1) * sizeof(char *));
			a->modules[a->spec.nmodules++] = optarg;
			break;
		default: return -1;
		}
	}
	a->spec.modules = a->modules;
	a->spec.files = a->files;
	if (optind != argc || (a->list ? !a->spec.kernel_tree : !a->spec.init_path || !a->out)) {
		error("usage: kiln debug-initrd --init BIN [--kernel-tree DIR] [--module NAME]... "
		      "[--no-default-modules] [--file HOST=/PATH]... [--mtime N] -o OUT | "
		      "--kernel-tree DIR [--module NAME]... --list");
		return -1;
	}
	return 0;
}

static int list_modules(const struct initrd_spec *spec, struct strbuf *notes, struct strbuf *err)
{
	struct kmod_index ix;
	struct kmod_selection sel = { 0 };
	size_t n = spec->nmodules + (spec->default_modules ? kmod_default_count : 0), k = 0;
	struct kmod_request *req = xcalloc(n ? n : 1, sizeof(*req));
	int r;

	for (size_t i = 0; i < spec->nmodules; i++)
		req[k++] = (struct kmod_request){ spec->modules[i], false };
	for (size_t i = 0; spec->default_modules && i < kmod_default_count; i++)
		req[k++] = (struct kmod_request){ kmod_default_names[i], true };
	r = kmod_index_load(&ix, spec->kernel_tree, err);
	if (r == 0) {
		r = kmod_select(&ix, req, n, &sel, notes, err);
		for (size_t i = 0; r == 0 && i < sel.n; i++) {
			printf("%s %s", sel.v[i]->name, sel.v[i]->path);
			for (size_t d = 0; d < sel.v[i]->ndeps; d++)
				printf(" %s", sel.v[i]->deps[d]);
			printf("\n");
		}
		kmod_selection_release(&sel);
		kmod_index_release(&ix);
	}
	free(req);
	return r;
}

int cmd_debug_initrd(int argc, char **argv)
{
	struct dbg_args a = { 0 };
	struct strbuf err = STRBUF_INIT, notes = STRBUF_INIT;
	int r, rc = 0;

	if (parse_args(argc, argv, &a) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	a.spec.notes = &notes;
	r = a.list ? list_modules(&a.spec, &notes, &err) : initrd_build(&a.spec, a.out, &err);
	for (char *line = notes.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		info("%s", line);
		line = nl ? nl + 1 : NULL;
	}
	if (r < 0) {
		error("%s", err.len ? err.buf : strerror(-r));
		rc = 1;
	}
out:
	strbuf_release(&err);
	strbuf_release(&notes);
	free(a.modules);
	free(a.files);
	return rc;
}
