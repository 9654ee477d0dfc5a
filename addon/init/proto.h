/* Wire reader for the tsrun <-> tsrun-init protocol (layout: src/plan/ops.json, src/plan/encode.ts).
 * ops.gen.h builds its decoders on these types and rd_* functions. Decoded strings point into the
 * message buffer, which therefore lives as long as the plan does. */
#ifndef TSRUN_PROTO_H
#define TSRUN_PROTO_H
#include <stddef.h>
#include <stdint.h>

struct reader { const uint8_t *p, *end; };
/* s is NUL-terminated (the encoder adds a NUL after every string); binary blobs use len. */
struct pstr { const char *s; uint32_t len; };
/* argv: v[i].s as a NULL-terminated array for execve (malloc'd). */
struct pstrlist { uint32_t n; struct pstr *v; char **argv; };
struct pu64list { uint32_t n; uint64_t *v; };

/* Each returns 0, or -1 when the input is truncated or malformed. */
int rd_u16(struct reader *r, uint16_t *out);
int rd_u32(struct reader *r, uint32_t *out);
int rd_u64(struct reader *r, uint64_t *out);
int rd_str(struct reader *r, struct pstr *out);
int rd_strlist(struct reader *r, struct pstrlist *out);
int rd_u64list(struct reader *r, struct pu64list *out);

#endif
