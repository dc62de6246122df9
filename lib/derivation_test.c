/* derivation_test.c — the canonical text byte for byte (sorting, uniqueness,
 * escaping), its hash and the output path it gives. */
#include "derivation.h"
#define TEST_IMPLEMENTATION
#include "test.h"

static const char expected_text[] =
	"kiln-derivation 1\n"
	"type deb\n"
	"name hello-2.10\n"
	"input /kiln/store/0a-a\n"
	"input /kiln/store/1b-b\n"
	"param arch amd64\n"
	"param note tab\\there\\nnewline back\\\\slash\n"
	"param sha256 abc\n"
	"param z.y-x_1 \n";

static void build(struct derivation *d, int *failed_)
{
	derivation_init(d, "deb", "hello-2.10");
	derivation_add_input(d, "/kiln/store/1b-b");
	derivation_add_input(d, "/kiln/store/0a-a");
	derivation_add_input(d, "/kiln/store/1b-b"); /* duplicate: one line */
	CHECK_EQ(derivation_set_param(d, "sha256", "old"), 0);
	CHECK_EQ(derivation_set_param(d, "z.y-x_1", ""), 0);
	CHECK_EQ(derivation_set_param(d, "note", "tab\there\nnewline back\\slash"), 0);
	CHECK_EQ(derivation_set_param(d, "arch", "amd64"), 0);
	CHECK_EQ(derivation_set_param(d, "sha256", "abc"), 0); /* replaces */
}

TEST(canonical_text_exact_bytes)
{
	struct derivation d;
	struct strbuf sb = STRBUF_INIT;

	build(&d, failed_);
	derivation_text(&d, &sb);
	CHECK_STREQ(sb.buf, expected_text);
	CHECK_EQ(sb.len, strlen(expected_text));
	derivation_release(&d);
	strbuf_release(&sb);
}

TEST(text_is_independent_of_insertion_order)
{
	struct derivation a, b;
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;

	build(&a, failed_);
	derivation_init(&b, "deb", "hello-2.10");
	CHECK_EQ(derivation_set_param(&b, "arch", "amd64"), 0);
	CHECK_EQ(derivation_set_param(&b, "z.y-x_1", ""), 0);
	derivation_add_input(&b, "/kiln/store/0a-a");
	CHECK_EQ(derivation_set_param(&b, "sha256", "abc"), 0);
	derivation_add_input(&b, "/kiln/store/1b-b");
	CHECK_EQ(derivation_set_param(&b, "note", "tab\there\nnewline back\\slash"), 0);
	derivation_text(&a, &ta);
	derivation_text(&b, &tb);
	CHECK_STREQ(ta.buf, tb.buf);
	derivation_release(&a);
	derivation_release(&b);
	strbuf_release(&ta);
	strbuf_release(&tb);
}

TEST(hash_and_output_path)
{
	struct derivation d;
	uint8_t h[SHA256_LEN], w[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	_cleanup_free_ char *p = NULL, *q = NULL;

	build(&d, failed_);
	derivation_hash(&d, h);
	sha256_buf(expected_text, strlen(expected_text), w);
	CHECK(memcmp(h, w, SHA256_LEN) == 0);
	hex_encode(h, SHA256_LEN, hex);
	/* printf '%s' "$expected_text" | sha256sum */
	CHECK_STREQ(hex, "4d3f37a3b70403f5f6819b91076be886219a25e2a49a60a78cc944271f9b4534");
	p = derivation_output_path(&d, "/kiln/store");
	q = store_path_input_addressed("/kiln/store", w, "hello-2.10");
	CHECK_STREQ(p, q);
	/* computed by an independent Python makeStorePath */
	CHECK_STREQ(p, "/kiln/store/vblvchyxr9as5n7j5c17qbhbjqbi3w0r-hello-2.10");
	derivation_release(&d);
}

TEST(bad_keys_and_names)
{
	struct derivation d;

	derivation_init(&d, "etc", ".bad name");
	CHECK_EQ(derivation_set_param(&d, "", "v"), -EINVAL);
	CHECK_EQ(derivation_set_param(&d, "Upper", "v"), -EINVAL);
	CHECK_EQ(derivation_set_param(&d, "a b", "v"), -EINVAL);
	CHECK_EQ(derivation_set_param(&d, "a\nb", "v"), -EINVAL);
	CHECK_EQ(d.nparams, 0);
	CHECK(derivation_output_path(&d, "/kiln/store") == NULL);
	derivation_release(&d);
}

int main(void)
{
	return test_main();
}
