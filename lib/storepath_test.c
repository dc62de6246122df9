/* storepath_test.c — store paths against values printed once by Nix 2.8
 * (nix-store --add, --add-fixed sha256, builtins.toFile) and the name rules. */
#include "storepath.h"
#include "nar.h"
#define TEST_IMPLEMENTATION
#include "test.h"

static void from_hex(const char *hex, uint8_t h[SHA256_LEN])
{
	if (hex_decode(hex, h, SHA256_LEN) < 0)
		abort();
}

TEST(recursive_matches_nix_store_add)
{
	uint8_t h[SHA256_LEN];
	_cleanup_free_ char *p = NULL, *q = NULL, *k = NULL;

	/* NAR hash of the nar_test tree "t"; `nix-store --add t` */
	from_hex("94135861eac4bb2bb962b612014997b85f8b7b01530d22690862d17323ddf636", h);
	p = store_path_recursive("/nix/store", h, "t", NULL, false);
	CHECK_STREQ(p, "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t");
	/* a file "abc" added recursively: NAR hash of it, sha256:0c2jffsl… */
	CHECK_EQ(nar_hash_parse("sha256:0c2jffsl15masdjkw0akr32jl4daplrwaq81lapg84nqai3ip9qi", h), 0);
	q = store_path_recursive("/nix/store", h, "abc", NULL, false);
	CHECK_STREQ(q, "/nix/store/xzq37kpjpibgfqcsxyvc9kfa6s5aiykp-abc");
	/* the store dir is part of the hash */
	k = store_path_recursive("/kiln/store", h, "abc", NULL, false);
	CHECK(strncmp(k, "/kiln/store/", 12) == 0);
	CHECK(strcmp(k + 12, q + 11) != 0);
}

TEST(flat_matches_nix_store_add_fixed)
{
	uint8_t h[SHA256_LEN];
	_cleanup_free_ char *p = NULL, *e = NULL;

	sha256_buf("abc", 3, h);
	p = store_path_flat("/nix/store", h, "abc");
	CHECK_STREQ(p, "/nix/store/0y839a054fcnhjcd2w1pb6a4k4fl38iw-abc");
	sha256_buf("", 0, h);
	e = store_path_flat("/nix/store", h, "empty");
	CHECK_STREQ(e, "/nix/store/1q82x5ah029adc0r5p06p3ivlzzh3hss-empty");
}

TEST(text_matches_builtins_tofile)
{
	struct path_list refs = PATH_LIST_INIT;
	const char *body = "see /nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t and "
			   "/nix/store/xzq37kpjpibgfqcsxyvc9kfa6s5aiykp-abc";
	_cleanup_free_ char *p = NULL, *r = NULL;

	p = store_path_text("/nix/store", "hello.txt", "hello world\n", 12, NULL);
	CHECK_STREQ(p, "/nix/store/9gz0m5kka3amb4g3263rlxx9j5518j5z-hello.txt");
	/* references given unsorted: they are sorted into the type */
	path_list_add(&refs, "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t");
	path_list_add(&refs, "/nix/store/xzq37kpjpibgfqcsxyvc9kfa6s5aiykp-abc");
	r = store_path_text("/nix/store", "refs.txt", body, strlen(body), &refs);
	CHECK_STREQ(r, "/nix/store/qjxq56fjxwp0pd28gmpcxjap2c3xy7kx-refs.txt");
	path_list_release(&refs);
}

TEST(type_string_refs_and_self)
{
	uint8_t h[SHA256_LEN];
	struct path_list refs = PATH_LIST_INIT;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

	sha256_buf("x", 1, h);
	path_list_add(&refs, "/kiln/store/b");
	path_list_add(&refs, "/kiln/store/a");
	a = store_path_recursive("/kiln/store", h, "n", &refs, true);
	b = make_store_path("/kiln/store", "source:/kiln/store/a:/kiln/store/b:self", h, "n");
	CHECK_STREQ(a, b);
	c = store_path_recursive("/kiln/store", h, "n", NULL, true);
	d = make_store_path("/kiln/store", "source:self", h, "n");
	CHECK_STREQ(c, d);
	e = store_path_input_addressed("/kiln/store", h, "n");
	free(d);
	d = make_store_path("/kiln/store", "output:out", h, "n");
	CHECK_STREQ(e, d);
	path_list_release(&refs);
}

TEST(store_name_rules)
{
	char longname[213];

	CHECK(store_name_valid("hello-1.0"));
	CHECK(store_name_valid("a+b_c?d=e.f"));
	CHECK(!store_name_valid(""));
	CHECK(!store_name_valid(".hidden"));
	CHECK(!store_name_valid("a b"));
	CHECK(!store_name_valid("a/b"));
	CHECK(!store_name_valid("caf\xc3\xa9"));
	memset(longname, 'x', 211);
	longname[211] = '\0';
	CHECK(store_name_valid(longname));
	longname[211] = 'x';
	longname[212] = '\0';
	CHECK(!store_name_valid(longname));
}

TEST(parse_store_paths)
{
	char *hash = NULL, *name = NULL;

	CHECK_EQ(store_path_parse("/nix/store", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t",
				  &hash, &name), 0);
	CHECK_STREQ(hash, "zclcm1dqbvvkl7drpfiaa66zyqcpnzz7");
	CHECK_STREQ(name, "t");
	free(hash);
	free(name);
	CHECK_EQ(store_path_parse("/nix/store/", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t",
				  NULL, NULL), 0);
	CHECK_EQ(store_path_parse("/kiln/store", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t",
				  NULL, NULL), -EINVAL);
	CHECK_EQ(store_path_parse("/nix/store", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t/bin",
				  NULL, NULL), -EINVAL);
	CHECK_EQ(store_path_parse("/nix/store", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzze-t",
				  NULL, NULL), -EINVAL);
	CHECK_EQ(store_path_parse("/nix/store", "/nix/store/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-",
				  NULL, NULL), -EINVAL);
	CHECK_EQ(store_path_parse("/nix/store", "/nix/storex/zclcm1dqbvvkl7drpfiaa66zyqcpnzz7-t",
				  NULL, NULL), -EINVAL);
}

TEST(path_list_sort_uniq_has)
{
	struct path_list l = PATH_LIST_INIT;

	path_list_add(&l, "/s/c");
	path_list_add(&l, "/s/a");
	path_list_add(&l, "/s/c");
	path_list_add(&l, "/s/b");
	path_list_sort_uniq(&l);
	CHECK_EQ(l.n, 3);
	CHECK_STREQ(l.v[0], "/s/a");
	CHECK_STREQ(l.v[2], "/s/c");
	CHECK(path_list_has(&l, "/s/b"));
	CHECK(!path_list_has(&l, "/s/d"));
	path_list_release(&l);
	CHECK_EQ(l.n, 0);
	CHECK(!path_list_has(&l, "/s/a"));
}

int main(void)
{
	return test_main();
}
