/* Little-endian, bounds-checked reads over a message buffer. Every length is checked against what
 * is left before anything is allocated, so a hostile length cannot make init allocate gigabytes. */
#include <stdlib.h>
#include <string.h>
#include "proto.h"

static size_t left(const struct reader *r) { return (size_t)(r->end - r->p); }

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

int rd_u16(struct reader *r, uint16_t *out) {
  if (left(r) < 2) return -1;
  *out = (uint16_t)le(r->p, 2);
  r->p += 2;
  return 0;
}

int rd_u32(struct reader *r, uint32_t *out) {
  if (left(r) < 4) return -1;
  *out = (uint32_t)le(r->p, 4);
  r->p += 4;
  return 0;
}

int rd_u64(struct reader *r, uint64_t *out) {
  if (left(r) < 8) return -1;
  *out = le(r->p, 8);
  r->p += 8;
  return 0;
}

int rd_str(struct reader *r, struct pstr *out) {
  uint32_t len;
  if (rd_u32(r, &len) < 0 || left(r) < (size_t)len + 1) return -1;
  if (r->p[len] != 0) return -1; /* the NUL the encoder promises, so .s is a C string */
  out->s = (const char *)r->p;
  out->len = len;
  r->p += (size_t)len + 1;
  return 0;
}

int rd_strlist(struct reader *r, struct pstrlist *out) {
  uint32_t n;
  if (rd_u32(r, &n) < 0 || n > left(r) / 5) return -1; /* every str takes at least 5 bytes */
  out->n = n;
  out->v = calloc((size_t)n + 1, sizeof *out->v);
  out->argv = calloc((size_t)n + 1, sizeof *out->argv);
  if (!out->v || !out->argv) return -1;
  for (uint32_t i = 0; i < n; i++) {
    if (rd_str(r, &out->v[i]) < 0) return -1;
    out->argv[i] = (char *)out->v[i].s;
  }
  return 0;
}

int rd_u64list(struct reader *r, struct pu64list *out) {
  uint32_t n;
  if (rd_u32(r, &n) < 0 || n > left(r) / 8) return -1;
  out->n = n;
  out->v = calloc((size_t)n + 1, sizeof *out->v);
  if (!out->v) return -1;
  for (uint32_t i = 0; i < n; i++) rd_u64(r, &out->v[i]);
  return 0;
}
