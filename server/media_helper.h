/* media_helper.h: what ansigramd and its decoding helper, ansigramd-media,
 * agree on (the pipe protocol is described in media_helper.c). */
#ifndef AG_MEDIA_HELPER_H
#define AG_MEDIA_HELPER_H

#include <stdbool.h>

#include "proto.h"

#define MEDIA_HELPER_NAME "ansigramd-media"
#define MEDIA_HELPER_MAX_INPUT AG_MAX_UPLOAD_DATA
/* A reply's first byte. */
#define MEDIA_HELPER_OK 0
#define MEDIA_HELPER_REFUSED 1

#endif
