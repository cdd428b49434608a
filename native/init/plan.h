/* plan.h — the decoded plan (src/plan/encode.ts is the only writer). */
#ifndef JOEY_PLAN_H
#define JOEY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/protocol.h"

struct field
{
  uint16_t id;
  uint16_t type;
  uint32_t len;
  const uint8_t *data; /* points into the plan buffer */
};

struct op
{
  uint16_t kind;
  uint16_t stage;
  uint32_t index;
  uint32_t nfields;
  struct field *fields;
};

struct plan
{
  uint32_t flags;
  uint32_t nops;
  struct op *ops;
};

int plan_decode (const uint8_t *buf, size_t len, struct plan *out, joey_error_t *err);

bool op_has (const struct op *op, int id);
/* A string field, or NULL when absent. */
const char *op_str (const struct op *op, int id);
uint64_t op_u64 (const struct op *op, int id, uint64_t dflt);
const uint8_t *op_bytes (const struct op *op, int id, size_t *len);
/* Every str field with this id, as a NULL-terminated malloc'ed array. */
char **op_strv (const struct op *op, int id);
const char *op_kind_name (unsigned kind);

#endif
