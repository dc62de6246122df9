#define TEST_IMPLEMENTATION
#include "test.h"

#include <sys/wait.h>

#include "events.h"
#include "fsutil.h"

TEST(builds_a_line)
{
	struct event e;
	event_begin(&e, "copy");
	event_u64(&e, "done", 1048576);
	event_u64(&e, "total", UINT64_MAX);
	event_bool(&e, "verified", true);
	event_str(&e, "path", "/kiln/store/x-a \"b\"\\c\n\x01");
	CHECK_STREQ(event_end(&e),
		    "KILN-EVENT {\"event\":\"copy\",\"done\":1048576,\"total\":18446744073709551615,"
		    "\"verified\":true,\"path\":\"/kiln/store/x-a \\\"b\\\"\\\\c\\n\\u0001\"}");
	event_release(&e);
}

TEST(round_trip)
{
	struct event e;
	struct event_parsed p;
	const char *odd = "tab\there \"quoted\" back\\slash \xc3\xa9 \x1f";

	event_begin(&e, "failed");
	event_str(&e, "reason", odd);
	event_u64(&e, "code", 2);
	event_bool(&e, "wiped", false);
	event_str(&e, "empty", "");
	/* the console may put anything before the prefix */
	_cleanup_free_ char *line = xasprintf("[   12.345] %s\n", event_end(&e));
	CHECK_EQ(event_parse(line, &p), 0);
	CHECK_EQ(p.n, 5);
	CHECK_STREQ(event_get(&p, "event"), "failed");
	CHECK_STREQ(event_get(&p, "reason"), odd);
	CHECK_STREQ(event_get(&p, "code"), "2");
	CHECK_STREQ(event_get(&p, "wiped"), "false");
	CHECK_STREQ(event_get(&p, "empty"), "");
	CHECK(event_get(&p, "nope") == NULL);
	event_parsed_release(&p);
	event_release(&e);
}

TEST(parses_what_other_writers_write)
{
	struct event_parsed p;
	CHECK_EQ(event_parse("KILN-EVENT { \"event\" : \"done\" , \"system\":\"/kiln/store/a\\/b\","
			     "\"u\":\"\\u00e9\\u20ac\", \"n\": -1.5e3, \"z\": null }", &p), 0);
	CHECK_STREQ(event_get(&p, "system"), "/kiln/store/a/b");
	CHECK_STREQ(event_get(&p, "u"), "\xc3\xa9\xe2\x82\xac");
	CHECK_STREQ(event_get(&p, "n"), "-1.5e3");
	CHECK_STREQ(event_get(&p, "z"), "null");
	event_parsed_release(&p);
}

TEST(rejects_malformed_events)
{
	static const char *const bad[] = {
		"KILN-EVENT ",
		"KILN-EVENT {",
		"KILN-EVENT {}",
		"KILN-EVENT {\"disk\":\"/dev/vda\",\"event\":\"plan\"}", /* event not first */
		"KILN-EVENT {\"event\":1}",
		"KILN-EVENT {\"event\":\"plan\",}",
		"KILN-EVENT {\"event\":\"plan\"} trailing",
		"KILN-EVENT {\"event\":\"plan\",\"a\":\"unterminated}",
		"KILN-EVENT {\"event\":\"plan\",\"a\":\"bad \\x escape\"}",
		"KILN-EVENT {\"event\":\"plan\",\"a\":{\"nested\":1}}",
		"KILN-EVENT {\"event\":\"plan\",\"a\":\"\\u0000\"}",
	};
	struct event_parsed p;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = event_parse(bad[i], &p);
		if (r != -EBADMSG)
			fprintf(stderr, "# accepted: %s\n", bad[i]);
		CHECK_EQ(r, -EBADMSG);
	}
	CHECK_EQ(event_parse("kiln-init: copying 10%", &p), -ENOENT);
}

/* The oracle: Python's json module reads what event_end() writes. */
TEST(python_json_reads_it)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "# python3 missing: oracle not run\n");
		return;
	}
	struct event e;
	event_begin(&e, "plan");
	event_str(&e, "s", "a\"b\\c\n\x02\xc3\xa9");
	event_u64(&e, "n", 42);
	event_bool(&e, "b", true);
	_cleanup_free_ char *path = xasprintf("%s/ev.txt", test_tmpdir());
	const char *line = event_end(&e);
	CHECK_EQ(write_file_atomic(path, line, strlen(line), 0644), 0);
	_cleanup_free_ char *cmd = xasprintf(
		"python3 -c 'import json,sys; l=open(sys.argv[1],encoding=\"utf-8\").read();"
		"assert l.startswith(\"KILN-EVENT \"); d=json.loads(l[11:]);"
		"assert d==dict(event=\"plan\",s=\"a\\\"b\\\\c\\n\\x02\\xe9\",n=42,b=True), d' %s", path);
	int st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	event_release(&e);
}

int main(void)
{
	return test_main();
}
