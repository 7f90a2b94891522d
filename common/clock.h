/* clock.h: wall-clock milliseconds (for timestamps on the wire) and a
 * monotonic clock (for timeouts and rate limits). */
#ifndef AG_CLOCK_H
#define AG_CLOCK_H

#include <stdint.h>

int64_t ag_now_ms(void);   /* ms since the Unix epoch, UTC */
int64_t ag_mono_ms(void);  /* ms on a clock that never jumps */

#endif
