/*
 * test.h — kiln's small in-tree unit-test harness (TAP-like output).
 *
 *   TEST(parses_empty) { CHECK(parse("") == 0); CHECK_STREQ(a, b); }
 *   int main(void) { return test_main(); }
 *
 * Each TEST registers itself; test_main() runs them in order, prints
 * "ok - name" or "not ok - name" (with the failing check's file:line), and
 * ends with "N passed, N failed". tools/run-tests counts those lines.
 */
#ifndef KILN_TEST_H
#define KILN_TEST_H

#include "compat.h"

struct test_case {
	const char *name;
	void (*fn)(int *failed);
	struct test_case *next;
};

extern struct test_case *test_cases_head, **test_cases_tail;

#define TEST(name)                                                          \
	static void test_##name(int *failed_);                              \
	static struct test_case tc_##name = { #name, test_##name, NULL };   \
	__attribute__((constructor)) static void reg_##name(void)           \
	{                                                                   \
		*test_cases_tail = &tc_##name;                              \
		test_cases_tail = &tc_##name.next;                          \
	}                                                                   \
	static void test_##name(int *failed_)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "# %s:%d: CHECK(%s) failed\n",      \
				__FILE__, __LINE__, #cond);                 \
			*failed_ = 1;                                       \
		}                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		if (a_ != b_) {                                             \
			fprintf(stderr, "# %s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);        \
			*failed_ = 1;                                       \
		}                                                           \
	} while (0)

#define CHECK_STREQ(a, b)                                                   \
	do {                                                                \
		const char *a_ = (a), *b_ = (b);                            \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                    \
			fprintf(stderr, "# %s:%d: \"%s\" != \"%s\"\n",      \
				__FILE__, __LINE__, a_ ? a_ : "(null)",     \
				b_ ? b_ : "(null)");                        \
			*failed_ = 1;                                       \
		}                                                           \
	} while (0)

/* A scratch directory for the current test (removed by the runner's scratch). */
const char *test_tmpdir(void);

int test_main(void);

#ifdef TEST_IMPLEMENTATION
struct test_case *test_cases_head, **test_cases_tail = &test_cases_head;

const char *test_tmpdir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/kiln-test.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

int test_main(void)
{
	int passed = 0, failed = 0;
	for (struct test_case *t = test_cases_head; t; t = t->next) {
		int f = 0;
		t->fn(&f);
		printf("%s - %s\n", f ? "not ok" : "ok", t->name);
		fflush(stdout);
		f ? failed++ : passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
#endif

#endif
