/* test_sshkey.c: the OpenSSH public key parser (protocol/sshkey.c) on
 * blobs built field by field, for the structure checks that keys made by
 * ssh-keygen never reach (the integration tests cover real keys). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sshkey.h"

struct blob {
	unsigned char b[4096];
	size_t n;
};

static void put(struct blob *k, const void *s, size_t n)
{
	k->b[k->n++] = (unsigned char)(n >> 24);
	k->b[k->n++] = (unsigned char)(n >> 16);
	k->b[k->n++] = (unsigned char)(n >> 8);
	k->b[k->n++] = (unsigned char)n;
	memcpy(k->b + k->n, s, n);
	k->n += n;
}

static void put_str(struct blob *k, const char *s)
{
	put(k, s, strlen(s));
}

static char line[8192];

/* "type BASE64(blob) comment" in a static buffer. */
static const char *key_line(const char *type, const struct blob *k, const char *comment)
{
	char b64[6000];
	sodium_bin2base64(b64, sizeof b64, k->b, k->n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof line, "%s %s%s%s", type, b64, comment ? " " : "", comment ? comment : "");
	return line;
}

/* Parses s, asserting failure with a message containing says. */
static void rejects(const char *s, const char *says)
{
	struct ag_sshkey key;
	char why[200] = "";
	cr_assert_eq(ag_sshkey_parse(s, strlen(s), &key, why, sizeof why), -1, "accepted: %.80s", s);
	cr_assert_not_null(strstr(why, says), "for %.80s: '%s' lacks '%s'", s, why, says);
}

static void accepts(const char *s, const char *type, unsigned bits, const char *comment)
{
	struct ag_sshkey key;
	char why[200] = "";
	cr_assert_eq(ag_sshkey_parse(s, strlen(s), &key, why, sizeof why), 0, "%s: %.80s", why, s);
	cr_assert_str_eq(key.type, type);
	cr_assert_eq(key.bits, bits);
	cr_assert_str_eq(key.comment, comment);
	cr_assert(ag_sshkey_is_fingerprint(key.fingerprint), "%s", key.fingerprint);
	ag_sshkey_free(&key);
}

static struct blob ed25519(const char *type)
{
	struct blob k = {.n = 0};
	unsigned char pk[32];
	memset(pk, 7, sizeof pk);
	put_str(&k, type);
	put(&k, pk, sizeof pk);
	return k;
}

/* An RSA blob with exponent e (bytes) and a modulus of bits bits. */
static struct blob rsa(const unsigned char *e, size_t e_len, unsigned bits)
{
	struct blob k = {.n = 0};
	unsigned char n[2100] = {0};
	size_t n_len = bits / 8 + 1;   /* leading zero: positive */
	n[1] = 0x80;
	n[n_len - 1] = 0x01;
	put_str(&k, "ssh-rsa");
	put(&k, e, e_len);
	put(&k, n, n_len);
	return k;
}

static struct blob ecdsa(const char *type, const char *curve, size_t point_len, unsigned char first)
{
	struct blob k = {.n = 0};
	unsigned char q[200];
	memset(q, 3, sizeof q);
	q[0] = first;
	put_str(&k, type);
	put_str(&k, curve);
	put(&k, q, point_len);
	return k;
}

Test(sshkey, well_formed_keys)
{
	struct blob k = ed25519("ssh-ed25519");
	accepts(key_line("ssh-ed25519", &k, "me@host"), "ssh-ed25519", 256, "me@host");
	accepts(key_line("ssh-ed25519", &k, NULL), "ssh-ed25519", 256, "");
	static const unsigned char e[] = {0x01, 0x00, 0x01};
	k = rsa(e, sizeof e, 2048);
	accepts(key_line("ssh-rsa", &k, "a b  c"), "ssh-rsa", 2048, "a b  c");
	k = ecdsa("ecdsa-sha2-nistp521", "nistp521", 133, 0x04);
	accepts(key_line("ecdsa-sha2-nistp521", &k, NULL), "ecdsa-sha2-nistp521", 521, "");
	k = ed25519("sk-ssh-ed25519@openssh.com");
	put_str(&k, "ssh:");
	accepts(key_line("sk-ssh-ed25519@openssh.com", &k, NULL), "sk-ssh-ed25519@openssh.com", 256, "");
	/* Blanks around and one line ending are fine. */
	k = ed25519("ssh-ed25519");
	char padded[9000];
	snprintf(padded, sizeof padded, "  %s  \r\n", key_line("ssh-ed25519", &k, "c"));
	accepts(padded, "ssh-ed25519", 256, "c");
}

Test(sshkey, rsa_numbers)
{
	static const unsigned char e[] = {0x01, 0x00, 0x01}, even[] = {0x01, 0x00, 0x00},
		negative[] = {0x81}, one[] = {0x01};
	struct blob k = rsa(e, sizeof e, 1024);
	rejects(key_line("ssh-rsa", &k, NULL), "this one has 1024");
	k = rsa(e, sizeof e, 2040);
	rejects(key_line("ssh-rsa", &k, NULL), "this one has 2040");
	k = rsa(e, sizeof e, 16392);
	rejects(key_line("ssh-rsa", &k, NULL), "at most 16384");
	k = rsa(even, sizeof even, 2048);
	rejects(key_line("ssh-rsa", &k, NULL), "exponent");
	k = rsa(one, sizeof one, 2048);
	rejects(key_line("ssh-rsa", &k, NULL), "exponent");
	k = rsa(negative, sizeof negative, 2048);
	rejects(key_line("ssh-rsa", &k, NULL), "negative");
}

Test(sshkey, ecdsa_fields)
{
	struct blob k = ecdsa("ecdsa-sha2-nistp256", "nistp384", 65, 0x04);
	rejects(key_line("ecdsa-sha2-nistp256", &k, NULL), "curve does not match");
	k = ecdsa("ecdsa-sha2-nistp256", "nistp256", 64, 0x04);
	rejects(key_line("ecdsa-sha2-nistp256", &k, NULL), "point is malformed");
	k = ecdsa("ecdsa-sha2-nistp256", "nistp256", 65, 0x02);   /* compressed */
	rejects(key_line("ecdsa-sha2-nistp256", &k, NULL), "point is malformed");
	k = ecdsa("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", 65, 0x04);
	put(&k, "", 0);
	rejects(key_line("sk-ecdsa-sha2-nistp256@openssh.com", &k, NULL), "application");
}

Test(sshkey, lines)
{
	struct blob k = ed25519("ssh-ed25519");
	char long_comment[300];
	memset(long_comment, 'x', sizeof long_comment - 1);
	long_comment[sizeof long_comment - 1] = '\0';
	rejects(key_line("ssh-ed25519", &k, long_comment), "at most 255");
	rejects(key_line("ssh-ed25519", &k, "caf\xc3"), "UTF-8");
	rejects(key_line("ssh-ed25519", &k, "a\x7f"), "control character");
	rejects(key_line("ssh-ed25519", &k, "x ecdsa-sha2-nistp256 AAAA"), "one key, on one line");
	rejects(key_line("ssh-ed25519", &k, "-----BEGIN"), "one key, on one line");
	rejects("-----BEGIN RSA PRIVATE KEY-----", "private key");
	rejects("PuTTY-User-Key-File-3: ssh-ed25519", "private key");
	rejects("", "Give a public key");
	rejects("ssh-ed25519-cert-v01@openssh.com AAAA", "Unsupported key type");
	rejects("ssh-ed25519 AAAAC3NzaC1lZDI1NTE", "not valid base64");
	rejects("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "truncated");   /* the type, then nothing */
	/* Private OpenSSH key data behind a public type name. */
	struct blob priv = {.n = 0};
	memcpy(priv.b, "openssh-key-v1", 15);
	priv.n = 15;
	rejects(key_line("ssh-ed25519", &priv, NULL), "private key");
}

Test(sshkey, fingerprints)
{
	char fp[AG_SSHKEY_FINGERPRINT_SIZE];
	/* SHA-256 of the empty string, in unpadded base64. */
	ag_sshkey_fingerprint((const unsigned char *)"", 0, fp);
	cr_assert_str_eq(fp, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
	cr_assert(ag_sshkey_is_fingerprint(fp));
	cr_assert(!ag_sshkey_is_fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF"));
	cr_assert(!ag_sshkey_is_fingerprint("MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	cr_assert(!ag_sshkey_is_fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF="));
}
