/* fuzz_pubkey.c: libFuzzer target for the OpenSSH public-key parser
 * (protocol/sshkey.c). Any input must parse or be refused with a reason;
 * a key that parses must have the fingerprint of its blob, and the
 * canonical line made from it ("TYPE BASE64") must parse to the same key. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_sshkey key, again;
	char why[160] = "";
	if (ag_sshkey_parse((const char *)data, size, &key, why, sizeof why) != 0) {
		if (why[0] == '\0')
			abort();  /* a refusal always says why */
		return 0;
	}
	char fingerprint[AG_SSHKEY_FINGERPRINT_SIZE];
	ag_sshkey_fingerprint(key.blob, key.blob_len, fingerprint);
	if (strcmp(fingerprint, key.fingerprint) != 0 || !ag_sshkey_is_fingerprint(fingerprint))
		abort();

	size_t b64 = sodium_base64_ENCODED_LEN(key.blob_len, sodium_base64_VARIANT_ORIGINAL);
	size_t line_size = strlen(key.type) + 1 + b64;
	char *line = malloc(line_size);
	if (line == NULL)
		abort();
	size_t n = (size_t)snprintf(line, line_size, "%s ", key.type);
	sodium_bin2base64(line + n, line_size - n, key.blob, key.blob_len,
		sodium_base64_VARIANT_ORIGINAL);
	if (ag_sshkey_parse(line, strlen(line), &again, why, sizeof why) != 0 ||
	    strcmp(again.fingerprint, key.fingerprint) != 0 || strcmp(again.type, key.type) != 0 ||
	    again.bits != key.bits)
		abort();
	ag_sshkey_free(&again);
	ag_sshkey_free(&key);
	free(line);
	return 0;
}
