/* sshkey.h: OpenSSH public keys in their one-line form ("TYPE BASE64
 * [COMMENT]"): parsing with a full check of the key blob's inner
 * structure, and the SHA256 fingerprint exactly as `ssh-keygen -l` prints
 * it. Pure code (no I/O, no SQL), shared by the server, the client and
 * fuzz targets. */
#ifndef AG_SSHKEY_H
#define AG_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#define AG_SSHKEY_MAX_LINE 16384       /* longer lines are rejected */
#define AG_SSHKEY_FINGERPRINT_SIZE 51  /* "SHA256:" + 43 base64 chars + NUL */
#define AG_SSHKEY_COMMENT_MAX 255      /* bytes kept of the comment */
#define AG_SSHKEY_RSA_MIN_BITS 2048

struct ag_sshkey {
	const char *type;          /* the canonical type name (a static string) */
	unsigned char *blob;       /* the decoded key blob (malloc'd) */
	size_t blob_len;
	char comment[AG_SSHKEY_COMMENT_MAX + 1];  /* "" when there is none */
	unsigned bits;             /* key size: RSA modulus bits, curve bits, 256 for ed25519 */
	char fingerprint[AG_SSHKEY_FINGERPRINT_SIZE];
};

/* Parses one public key line of len bytes (one trailing "\n" or "\r\n"
 * is allowed). Accepts ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa
 * of at least 2048 bits and the security-key types
 * sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com.
 * Returns 0 and fills *key (free it with ag_sshkey_free), or -1 with a
 * short English sentence saying what is wrong in why. */
int ag_sshkey_parse(const char *line, size_t len, struct ag_sshkey *key,
	char *why, size_t why_size);
void ag_sshkey_free(struct ag_sshkey *key);

/* The fingerprint of a key blob: "SHA256:" + unpadded base64 of its
 * SHA-256. out must hold AG_SSHKEY_FINGERPRINT_SIZE bytes. */
void ag_sshkey_fingerprint(const unsigned char *blob, size_t len,
	char out[AG_SSHKEY_FINGERPRINT_SIZE]);

/* True when s is a well-formed fingerprint (as ag_sshkey_fingerprint makes). */
int ag_sshkey_is_fingerprint(const char *s);

#endif
