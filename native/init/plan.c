/* plan.c — decode the plan (src/plan/encode.ts is the only writer).
 *
 * SECURITY(CVE-2021-43784): runc's netlink bootstrap parser overflowed on a
 * crafted length. Every length here is checked against what is left of the
 * buffer before it is used, counts are bounded, and strings must end in their
 * NUL with no NUL inside. */
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static uint16_t
rd16 (const uint8_t *p)
{
  uint16_t v;
  memcpy (&v, p, 2);
  return v;
}

static uint32_t
rd32 (const uint8_t *p)
{
  uint32_t v;
  memcpy (&v, p, 4);
  return v;
}

int
plan_decode (const uint8_t *buf, size_t len, struct plan *out, joey_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (len < 16 || len > PLAN_MAX_PLAN_BYTES)
    return joey_error (err, 0, "plan: bad size %zu", len);
  if (rd32 (buf) != PLAN_MAGIC)
    return joey_error (err, 0, "plan: bad magic");
  if (rd32 (buf + 4) != PLAN_VERSION)
    return joey_error (err, 0, "plan: version %u, this init reads %d", rd32 (buf + 4), PLAN_VERSION);
  out->flags = rd32 (buf + 8);
  out->nops = rd32 (buf + 12);
  if (out->nops > PLAN_MAX_OPS)
    return joey_error (err, 0, "plan: %u ops is too many", out->nops);
  out->ops = calloc (out->nops ? out->nops : 1, sizeof (struct op));
  if (out->ops == NULL)
    return joey_error (err, errno, "plan: calloc");

  size_t off = 16;
  for (uint32_t i = 0; i < out->nops; i++)
    {
      if (len - off < 8)
        return joey_error (err, 0, "plan: op %u truncated", i);
      uint32_t oplen = rd32 (buf + off);
      if (oplen < 8 || oplen > len - off)
        return joey_error (err, 0, "plan: op %u has bad length %u", i, oplen);
      struct op *op = &out->ops[i];
      op->kind = rd16 (buf + off + 4);
      op->stage = rd16 (buf + off + 6);
      op->index = i;
      if (op->kind == 0 || op->kind >= OP_MAX_)
        return joey_error (err, 0, "plan: op %u has unknown kind %u", i, op->kind);

      /* Two passes over the fields: count, then record. */
      const uint8_t *end = buf + off + oplen;
      for (int pass = 0; pass < 2; pass++)
        {
          const uint8_t *p = buf + off + 8;
          uint32_t n = 0;
          while (p < end)
            {
              if ((size_t) (end - p) < 8)
                return joey_error (err, 0, "plan: op %u field truncated", i);
              uint32_t flen = rd32 (p + 4);
              if (flen > (size_t) (end - p) - 8)
                return joey_error (err, 0, "plan: op %u field length %u out of bounds", i, flen);
              uint16_t type = rd16 (p + 2);
              const uint8_t *data = p + 8;
              if (type == FT_U64 && flen != 8)
                return joey_error (err, 0, "plan: op %u u64 field of length %u", i, flen);
              if (type == FT_STR && (flen == 0 || data[flen - 1] != 0 || memchr (data, 0, flen - 1)))
                return joey_error (err, 0, "plan: op %u string field is not one NUL-terminated string", i);
              if (type != FT_U64 && type != FT_STR && type != FT_BYTES)
                return joey_error (err, 0, "plan: op %u field of unknown type %u", i, type);
              if (pass == 1)
                op->fields[n] = (struct field){ .id = rd16 (p), .type = type, .len = flen, .data = data };
              n++;
              if (n > PLAN_MAX_FIELDS_PER_OP)
                return joey_error (err, 0, "plan: op %u has too many fields", i);
              p += 8 + flen;
            }
          if (pass == 0)
            {
              op->nfields = n;
              op->fields = calloc (n ? n : 1, sizeof (struct field));
              if (op->fields == NULL)
                return joey_error (err, errno, "plan: calloc");
            }
        }
      off += oplen;
    }
  if (off != len)
    return joey_error (err, 0, "plan: %zu trailing bytes", len - off);
  return 0;
}

static const struct field *
find (const struct op *op, int id)
{
  for (uint32_t i = 0; i < op->nfields; i++)
    if (op->fields[i].id == id)
      return &op->fields[i];
  return NULL;
}

bool
op_has (const struct op *op, int id)
{
  return find (op, id) != NULL;
}

const char *
op_str (const struct op *op, int id)
{
  const struct field *f = find (op, id);
  return f && f->type == FT_STR ? (const char *) f->data : NULL;
}

uint64_t
op_u64 (const struct op *op, int id, uint64_t dflt)
{
  const struct field *f = find (op, id);
  uint64_t v;
  if (f == NULL || f->type != FT_U64)
    return dflt;
  memcpy (&v, f->data, 8);
  return v;
}

const uint8_t *
op_bytes (const struct op *op, int id, size_t *len)
{
  const struct field *f = find (op, id);
  if (f == NULL || f->type != FT_BYTES)
    {
      *len = 0;
      return NULL;
    }
  *len = f->len;
  return f->data;
}

char **
op_strv (const struct op *op, int id)
{
  size_t n = 0, j = 0;
  for (uint32_t i = 0; i < op->nfields; i++)
    if (op->fields[i].id == id && op->fields[i].type == FT_STR)
      n++;
  char **v = calloc (n + 1, sizeof (char *));
  if (v == NULL)
    return NULL;
  for (uint32_t i = 0; i < op->nfields; i++)
    if (op->fields[i].id == id && op->fields[i].type == FT_STR)
      v[j++] = (char *) op->fields[i].data;
  return v;
}

const char *
op_kind_name (unsigned kind)
{
  if (kind < sizeof op_kind_names / sizeof op_kind_names[0] && op_kind_names[kind])
    return op_kind_names[kind];
  return "?";
}
