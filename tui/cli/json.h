/* json.h: MessagePack values from replies and push events as JSON
 * (jansson), for --json output. Integers stay exact; strings stay UTF-8;
 * binary values become base64 strings. */
#ifndef AG_JSON_H
#define AG_JSON_H

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>

/* A new JSON value for o (NULL becomes JSON null). Never returns NULL. */
json_t *ag_json_from_msgpack(const msgpack_object *o);
/* Writes v to f as one JSON document and a newline: indented when pretty,
 * else on one line. Returns 0 or -1 on a write error. */
int ag_json_print(FILE *f, const json_t *v, int pretty);

#endif
