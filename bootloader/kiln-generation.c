/*
 * kiln-generation — the generations of the running machine, edited on its
 * own root (a static program in every system's sw/bin; bootloader/
 * kiln-generation.mk builds it for x86_64 and aarch64).
 *
 *   kiln-generation list             the generations, the default marked
 *   kiln-generation rollback [N]     make the previous generation (or N) the default
 *   kiln-generation boot-once N      boot N the next time only
 *   kiln-generation gc               delete store paths no generation uses
 *   kiln-generation mark-good        stage 2 is up: end the boot's trial, or
 *                                    report a fallback (see bootloader/grub.h)
 *   kiln-generation verify [--quick] check the store, generations and boot
 *                                    menu read-only (lib/verify.h); exit 1 on
 *                                    a problem, one line each
 *
 * The same lib/generation.c as `kiln generations --image` on the host, over
 * the mounted root instead of libext2fs. $KILN_ROOT (default "/") and
 * $KILN_CMDLINE (default /proc/cmdline) let the host tests run it on a tree.
 */
#include "compat.h"

#include <sys/utsname.h>

#include "fsutil.h"
#include "generation.h"
#include "grub.h"
#include "verify.h"

static int fail(const char *what, int r)
{
	fprintf(stderr, "kiln-generation: %s: %s\n", what, strerror(-r));
	return 1;
}

/* kiln.generation=G and kiln.fallback=T from the kernel command line. */
static void boot_params(int *ret_gen, int *ret_fallback)
{
	const char *file = getenv("KILN_CMDLINE");
	struct strbuf sb = STRBUF_INIT;
	char *save = NULL;

	*ret_gen = *ret_fallback = 0;
	if (read_file(file && *file ? file : "/proc/cmdline", &sb) < 0 || !sb.len) {
		strbuf_release(&sb);
		return;
	}
	for (char *w = strtok_r(sb.buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(w, "kiln.generation=", 16))
			(void)parse_int(w + 16, ret_gen);
		else if (!strncmp(w, "kiln.fallback=", 14))
			(void)parse_int(w + 14, ret_fallback);
	}
	strbuf_release(&sb);
}

static int mark_good(struct gen_root *root, const struct gen_ops *ops)
{
	struct gen_bootenv env;
	char id[16];
	int gen, fallback, r;

	boot_params(&gen, &fallback);
	if (!gen) {
		fprintf(stderr, "kiln-generation: no kiln.generation= on the kernel command line\n");
		return 1;
	}
	if (fallback) {
		/* the trial spent its budget: the good generation is the default again */
		printf("kiln: generation %d did not come up; fell back to generation %d\n", fallback, gen);
		r = gen_set_default(root, gen, ops, NULL);
		return r < 0 ? fail("cannot make the fallback generation the default", r) : 0;
	}
	r = gen_bootenv_read(root, &env);
	if (r < 0)
		return fail("cannot read " GEN_GRUBENV, r);
	snprintf(id, sizeof(id), "gen-%d", gen);
	if (strcmp(env.tries_gen, id) || !strcmp(env.ok, id))
		return 0; /* not on trial: nothing to record */
	snprintf(env.ok, sizeof(env.ok), "%s", id);
	r = gen_bootenv_write(root, &env);
	if (r < 0)
		return fail("cannot write " GEN_GRUBENV, r);
	printf("kiln: generation %d booted good\n", gen);
	return 0;
}

static int list(struct gen_root *root)
{
	struct gen_list l;
	int r = gen_list(root, &l);
	if (r < 0)
		return fail("cannot list the generations", r);
	for (size_t i = 0; i < l.n; i++)
		printf("%3d%s  %s  %s  kernel %s\n", l.v[i].number,
		       l.v[i].is_default ? " (default)" : "          ", l.v[i].system, l.v[i].name,
		       l.v[i].kernel_version);
	gen_list_release(&l);
	return 0;
}

static void print_problem(void *opaque, bool is_error, const char *line)
{
	(void)opaque;
	printf("%s%s\n", is_error ? "" : "note: ", line);
}

static int verify(struct gen_root *root, bool quick)
{
	struct verify_result res = { 0 };
	int r = verify_root(root, quick, print_problem, NULL, &res);

	if (r < 0)
		return fail("cannot verify", r);
	printf("kiln: %zu paths, %zu generations %s\n", res.paths, res.generations,
	       res.errors ? "with problems" : "verified");
	return res.errors ? 1 : 0;
}

static int number_arg(int argc, char **argv, int *ret)
{
	*ret = 0;
	if (argc < 3)
		return 0;
	if (parse_int(argv[2], ret) < 0 || *ret < 1) {
		fprintf(stderr, "kiln-generation: '%s' is not a generation number\n", argv[2]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("KILN_ROOT");
	struct gen_ops ops = { .menu = grub_menu_for_generations };
	struct gen_root root;
	struct utsname u;
	int n = 0, rc = 0, r;

	if (argc < 2) {
		fprintf(stderr, "usage: kiln-generation list|rollback [N]|boot-once N|gc|mark-good|verify [--quick]\n");
		return 2;
	}
	bool quick = argc == 3 && !strcmp(argv[1], "verify") && !strcmp(argv[2], "--quick");
	if (!quick && number_arg(argc, argv, &n) < 0)
		return 2;
	uname(&u);
	r = gen_root_open_dir(dir && *dir ? dir : "/", !strcmp(u.machine, "aarch64") ? "aarch64" : "x86_64",
			      &root);
	if (r < 0)
		return fail("not a kiln root (no " GEN_PROFILES "/system)", r);
	if (!strcmp(argv[1], "list")) {
		rc = list(&root);
	} else if (!strcmp(argv[1], "rollback")) {
		int now = 0;
		r = gen_set_default(&root, n, &ops, &now);
		if (r == -ESRCH)
			fprintf(stderr, "kiln-generation: no %s to roll back to\n",
				n ? "such generation" : "generation older than the default");
		else if (r < 0)
			fail("cannot roll back", r);
		else
			printf("kiln: generation %d is the default; reboot to use it\n", now);
		rc = r < 0;
	} else if (!strcmp(argv[1], "boot-once") && n) {
		r = gen_boot_once(&root, n);
		rc = r < 0 ? fail("cannot set the boot-once generation", r) : 0;
	} else if (!strcmp(argv[1], "gc")) {
		size_t paths = 0;
		uint64_t bytes = 0;
		r = gen_gc(&root, &paths, &bytes);
		if (r < 0)
			rc = fail("cannot collect garbage", r);
		else
			printf("kiln: %zu store paths deleted, %" PRIu64 " bytes freed\n", paths, bytes);
	} else if (!strcmp(argv[1], "mark-good")) {
		rc = mark_good(&root, &ops);
	} else if (!strcmp(argv[1], "verify")) {
		rc = verify(&root, quick);
	} else {
		fprintf(stderr, "kiln-generation: unknown command '%s'\n", argv[1]);
		rc = 2;
	}
	r = gen_root_close(&root);
	return rc ? rc : r < 0 ? 1 : 0;
}
