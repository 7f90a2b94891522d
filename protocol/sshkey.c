/* sshkey.c: parses OpenSSH public key lines and checks the key blob the
 * way sshd reads it (RFC 4253 section 6.6, RFC 5656, PROTOCOL.u2f): the
 * type named inside must be the type on the line, every length must fit,
 * and nothing may follow the last field. Fingerprints are SHA256, as
 * `ssh-keygen -l` prints them. */
#include "sshkey.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "utf8.h"

enum key_kind { KIND_ED25519, KIND_ECDSA, KIND_RSA };

struct key_type {
	const char *name;
	enum key_kind kind;
	bool sk;                 /* a FIDO security key: an application string follows */
	const char *curve;       /* ECDSA: the curve name inside the blob */
	size_t point_len;        /* ECDSA: uncompressed point length */
	unsigned bits;
};

static const struct key_type key_types[] = {
	{"ssh-ed25519", KIND_ED25519, false, NULL, 0, 256},
	{"ecdsa-sha2-nistp256", KIND_ECDSA, false, "nistp256", 65, 256},
	{"ecdsa-sha2-nistp384", KIND_ECDSA, false, "nistp384", 97, 384},
	{"ecdsa-sha2-nistp521", KIND_ECDSA, false, "nistp521", 133, 521},
	{"ssh-rsa", KIND_RSA, false, NULL, 0, 0},
	{"sk-ssh-ed25519@openssh.com", KIND_ED25519, true, NULL, 0, 256},
	{"sk-ecdsa-sha2-nistp256@openssh.com", KIND_ECDSA, true, "nistp256", 65, 256},
};
#define N_KEY_TYPES (sizeof key_types / sizeof key_types[0])

#define ED25519_KEY_BYTES 32
#define RSA_MAX_BITS 16384       /* OpenSSH's limit */
#define SK_APPLICATION_MAX 1024

static int fail(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct key_type *find_type(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEY_TYPES; i++)
		if (strlen(key_types[i].name) == len && memcmp(key_types[i].name, name, len) == 0)
			return &key_types[i];
	return NULL;
}

/* Reading the blob: SSH wire strings (uint32 length + bytes). */
struct reader {
	const unsigned char *p;
	size_t left;
};

static bool read_string(struct reader *r, const unsigned char **s, size_t *len)
{
	if (r->left < 4)
		return false;
	uint32_t n = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
		(uint32_t)r->p[2] << 8 | r->p[3];
	if (n > r->left - 4)
		return false;
	*s = r->p + 4;
	*len = n;
	r->p += 4 + n;
	r->left -= 4 + n;
	return true;
}

static bool string_is(const unsigned char *s, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(s, want, len) == 0;
}

/* Significant bits of a positive mpint (leading zero bytes allowed). */
static unsigned mpint_bits(const unsigned char *s, size_t len)
{
	while (len > 0 && s[0] == 0) {
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	unsigned bits = (unsigned)(len - 1) * 8;
	for (unsigned char top = s[0]; top; top >>= 1)
		bits++;
	return bits;
}

/* Checks the blob's fields after the type name; sets key->bits. */
static int check_blob(const struct key_type *t, struct reader *r, struct ag_sshkey *key,
	char *why, size_t size)
{
	const unsigned char *s;
	size_t len;
	const char *truncated = "The key is truncated or damaged.";

	switch (t->kind) {
	case KIND_ED25519:
		if (!read_string(r, &s, &len))
			return fail(why, size, "%s", truncated);
		if (len != ED25519_KEY_BYTES)
			return fail(why, size, "An ed25519 key must be 32 bytes, not %zu.", len);
		key->bits = t->bits;
		break;
	case KIND_ECDSA:
		if (!read_string(r, &s, &len))
			return fail(why, size, "%s", truncated);
		if (!string_is(s, len, t->curve))
			return fail(why, size, "The key's curve does not match its type %s.", t->name);
		if (!read_string(r, &s, &len))
			return fail(why, size, "%s", truncated);
		if (len != t->point_len || s[0] != 0x04)
			return fail(why, size, "The key's curve point is malformed.");
		key->bits = t->bits;
		break;
	case KIND_RSA: {
		const unsigned char *e, *n;
		size_t e_len, n_len;
		if (!read_string(r, &e, &e_len) || !read_string(r, &n, &n_len))
			return fail(why, size, "%s", truncated);
		if ((e_len > 0 && (e[0] & 0x80)) || (n_len > 0 && (n[0] & 0x80)))
			return fail(why, size, "The RSA key holds a negative number.");
		unsigned e_bits = mpint_bits(e, e_len);
		if (e_bits < 2 || e_bits > 64 || !(e[e_len - 1] & 1))
			return fail(why, size, "The RSA key's public exponent is invalid.");
		key->bits = mpint_bits(n, n_len);
		if (key->bits < AG_SSHKEY_RSA_MIN_BITS)
			return fail(why, size, "RSA keys need at least %d bits; this one has %u.",
				AG_SSHKEY_RSA_MIN_BITS, key->bits);
		if (key->bits > RSA_MAX_BITS)
			return fail(why, size, "RSA keys may have at most %d bits; this one has %u.",
				RSA_MAX_BITS, key->bits);
		break;
	}
	}
	if (t->sk) {
		if (!read_string(r, &s, &len))
			return fail(why, size, "%s", truncated);
		if (len == 0 || len > SK_APPLICATION_MAX)
			return fail(why, size, "The security key's application is malformed.");
	}
	if (r->left != 0)
		return fail(why, size, "The key has %zu unexpected bytes at its end.", r->left);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* True when the comment holds a word that is a key type (a second key
 * pasted onto the same line). */
static bool comment_has_key(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && is_space(s[i]))
			i++;
		size_t start = i;
		while (i < len && !is_space(s[i]))
			i++;
		if (i > start && find_type(s + start, i - start))
			return true;
		if (i - start >= 5 && memcmp(s + start, "-----", 5) == 0)
			return true;
	}
	return false;
}

int ag_sshkey_parse(const char *line, size_t len, struct ag_sshkey *key,
	char *why, size_t why_size)
{
	memset(key, 0, sizeof *key);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	size_t i = 0;
	while (i < len && is_space(line[i]))
		i++;
	while (len > i && is_space(line[len - 1]))
		len--;
	if (i == len)
		return fail(why, why_size, "Give a public key, e.g. the contents of ~/.ssh/id_ed25519.pub.");
	if (len > AG_SSHKEY_MAX_LINE)
		return fail(why, why_size, "The key line is longer than %d bytes.", AG_SSHKEY_MAX_LINE);
	if ((len - i >= 10 && memcmp(line + i, "-----BEGIN", 10) == 0) ||
	    (len - i >= 19 && memcmp(line + i, "PuTTY-User-Key-File", 19) == 0))
		return fail(why, why_size, "This is a private key: give the public key "
			"(the .pub file) and keep the private one to yourself.");
	for (size_t k = i; k < len; k++) {
		unsigned char c = (unsigned char)line[k];
		if (c == '\n' || c == '\r')
			return fail(why, why_size, "Give one key, on one line.");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(why, why_size, "The key line holds a control character.");
	}

	size_t type_start = i;
	while (i < len && !is_space(line[i]))
		i++;
	const struct key_type *t = find_type(line + type_start, i - type_start);
	if (t == NULL) {
		size_t n = i - type_start;
		if (memchr(line + type_start, '=', n) || memchr(line + type_start, ',', n))
			return fail(why, why_size, "Give the key alone, without authorized_keys options.");
		return fail(why, why_size, "Unsupported key type '%.*s': use ssh-ed25519, "
			"ecdsa-sha2-nistp256/384/521, ssh-rsa (2048 bits or more) or a security key "
			"(sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com).",
			n > 40 ? 40 : (int)n, line + type_start);
	}
	while (i < len && is_space(line[i]))
		i++;
	size_t b64_start = i;
	while (i < len && !is_space(line[i]))
		i++;
	size_t b64_len = i - b64_start;
	if (b64_len == 0)
		return fail(why, why_size, "The key data after '%s' is missing.", t->name);
	while (i < len && is_space(line[i]))
		i++;
	const char *comment = line + i;
	size_t comment_len = len - i;

	size_t cap = b64_len / 4 * 3 + 3;
	unsigned char *blob = malloc(cap);
	if (blob == NULL)
		return fail(why, why_size, "Out of memory.");
	size_t blob_len = 0;
	const char *b64_end = NULL;
	if (sodium_base642bin(blob, cap, line + b64_start, b64_len, NULL, &blob_len, &b64_end,
			sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    b64_end != line + b64_start + b64_len) {
		free(blob);
		return fail(why, why_size, "The key data is not valid base64 (truncated?).");
	}
	if (blob_len >= 14 && memcmp(blob, "openssh-key-v1", 14) == 0) {
		free(blob);
		return fail(why, why_size, "This is a private key: give the public key "
			"(the .pub file) and keep the private one to yourself.");
	}

	struct reader r = {blob, blob_len};
	const unsigned char *inner;
	size_t inner_len;
	if (!read_string(&r, &inner, &inner_len)) {
		free(blob);
		return fail(why, why_size, "The key is truncated or damaged.");
	}
	if (!string_is(inner, inner_len, t->name)) {
		free(blob);
		return fail(why, why_size, "The key data is not a %s key.", t->name);
	}
	if (check_blob(t, &r, key, why, why_size) != 0) {
		free(blob);
		key->bits = 0;
		return -1;
	}
	if (comment_has_key(comment, comment_len)) {
		free(blob);
		return fail(why, why_size, "Give one key, on one line.");
	}
	if (comment_len > AG_SSHKEY_COMMENT_MAX || !ag_utf8_valid(comment, comment_len)) {
		free(blob);
		return fail(why, why_size, "The key's comment must be UTF-8 text of at most %d bytes.",
			AG_SSHKEY_COMMENT_MAX);
	}
	memcpy(key->comment, comment, comment_len);
	key->comment[comment_len] = '\0';
	key->type = t->name;
	key->blob = blob;
	key->blob_len = blob_len;
	ag_sshkey_fingerprint(blob, blob_len, key->fingerprint);
	return 0;
}

void ag_sshkey_free(struct ag_sshkey *key)
{
	free(key->blob);
	key->blob = NULL;
	key->blob_len = 0;
}

void ag_sshkey_fingerprint(const unsigned char *blob, size_t len,
	char out[AG_SSHKEY_FINGERPRINT_SIZE])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, blob, len);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, AG_SSHKEY_FINGERPRINT_SIZE - 7, digest, sizeof digest,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

int ag_sshkey_is_fingerprint(const char *s)
{
	if (strncmp(s, "SHA256:", 7) != 0 || strlen(s) != AG_SSHKEY_FINGERPRINT_SIZE - 1)
		return 0;
	for (s += 7; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '/'))
			return 0;
	return 1;
}
