/* plan_fuzz.c — a mutation fuzzer for plan_decode() (native/init/plan.c).
 *
 * SECURITY(CVE-2021-43784): runc's netlink bootstrap parser overflowed on a
 * crafted length. This harness feeds plan_decode() seed plans from the real
 * encoder (src/plan/encode.ts) and random, truncated and mutated copies of
 * them, each in a malloc'ed buffer of exactly its size, so that with
 * -fsanitize=address,undefined any read past the end, overflow or bad
 * shift aborts. On a successful decode every accessor is exercised over
 * every field, and every field must lie inside the buffer.
 *
 *   plan_fuzz ITERATIONS SEED CORPUS-FILE...
 *
 * Prints "decoded N rejected M" and exits 0; any sanitizer report is fatal
 * (build with -fno-sanitize-recover=all). Driven by
 * test/integration/security/cve-2021-43784.test.ts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../init/plan.h"

static uint64_t rng;

static uint32_t
rnd (void)
{
  /* xorshift64*: reproducible from the seed on the command line */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t) ((rng * 2685821657736338717ull) >> 32);
}

static void
free_plan (struct plan *p)
{
  if (p->ops)
    for (uint32_t i = 0; i < p->nops; i++)
      free (p->ops[i].fields);
  free (p->ops);
  p->ops = NULL;
}

static unsigned long decoded, rejected;

/* Decode a copy in a buffer of exactly len bytes. */
static void
try_decode (const uint8_t *data, size_t len)
{
  uint8_t *buf = malloc (len ? len : 1);
  if (!buf)
    abort ();
  memcpy (buf, data, len);
  struct plan p;
  joey_error_t err = { 0 };
  if (plan_decode (buf, len, &p, &err) == 0)
    {
      decoded++;
      for (uint32_t i = 0; i < p.nops; i++)
        {
          const struct op *op = &p.ops[i];
          (void) op_kind_name (op->kind);
          for (uint32_t j = 0; j < op->nfields; j++)
            {
              const struct field *f = &op->fields[j];
              if (f->data < buf || f->data + f->len > buf + len)
                {
                  fprintf (stderr, "op %u field %u lies outside the buffer\n", i, j);
                  abort ();
                }
              const char *s = op_str (op, f->id);
              if (s)
                (void) strlen (s);
              size_t blen;
              const uint8_t *b = op_bytes (op, f->id, &blen);
              volatile uint8_t sink = 0;
              for (size_t k = 0; b && k < blen; k++)
                sink ^= b[k];
              (void) sink;
              (void) op_u64 (op, f->id, 0);
              char **v = op_strv (op, f->id);
              for (char **e = v; e && *e; e++)
                (void) strlen (*e);
              free (v);
            }
        }
    }
  else
    {
      rejected++;
      if (memchr (err.msg, 0, sizeof err.msg) == NULL)
        abort ();
    }
  free_plan (&p);
  free (buf);
}

static void
put32 (uint8_t *p, uint32_t v)
{
  memcpy (p, &v, 4);
}

/* One mutant of seed into out (capacity cap); returns its length. */
static size_t
mutate (const uint8_t *seed, size_t n, uint8_t *out, size_t cap)
{
  size_t len = n;
  memcpy (out, seed, n);
  int rounds = 1 + (int) (rnd () % 4);
  for (int r = 0; r < rounds; r++)
    {
      switch (rnd () % 9)
        {
        case 0: /* truncate */
          len = len ? rnd () % len : 0;
          break;
        case 1: /* flip a bit */
          if (len)
            out[rnd () % len] ^= (uint8_t) (1u << (rnd () % 8));
          break;
        case 2: /* random byte */
          if (len)
            out[rnd () % len] = (uint8_t) rnd ();
          break;
        case 3: /* an interesting 32-bit value at an aligned offset (lengths, counts) */
          if (len >= 4)
            {
              static const uint32_t vals[] = { 0, 1, 7, 8, 9, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff8, 0xfffffff7, 65535, 65536, 4096, 4097 };
              size_t at = (rnd () % (len / 4)) * 4;
              put32 (out + at, vals[rnd () % (sizeof vals / sizeof vals[0])]);
            }
          break;
        case 4: /* nudge a 32-bit word by a small delta */
          if (len >= 4)
            {
              size_t at = (rnd () % (len / 4)) * 4;
              uint32_t v;
              memcpy (&v, out + at, 4);
              put32 (out + at, v + (uint32_t) ((int) (rnd () % 17) - 8));
            }
          break;
        case 5: /* duplicate a chunk (repeated ops or fields) */
          if (len && len < cap)
            {
              size_t from = rnd () % len, l = 1 + rnd () % (len - from);
              if (len + l > cap)
                l = cap - len;
              memmove (out + from + l, out + from, len - from);
              len += l;
            }
          break;
        case 6: /* delete a chunk */
          if (len)
            {
              size_t from = rnd () % len, l = 1 + rnd () % (len - from);
              memmove (out + from, out + from + l, len - from - l);
              len -= l;
            }
          break;
        case 7: /* append garbage */
          {
            size_t l = rnd () % 64;
            for (size_t k = 0; k < l && len < cap; k++)
              out[len++] = (uint8_t) rnd ();
          }
          break;
        case 8: /* drop the last NUL of a string: find a 0 and make it 'A' */
          if (len)
            {
              size_t at = rnd () % len;
              for (size_t k = 0; k < len; k++)
                if (out[(at + k) % len] == 0)
                  {
                    out[(at + k) % len] = 'A';
                    break;
                  }
            }
          break;
        }
    }
  return len;
}

static uint8_t *
slurp (const char *path, size_t *n)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    {
      perror (path);
      exit (2);
    }
  fseek (f, 0, SEEK_END);
  long sz = ftell (f);
  fseek (f, 0, SEEK_SET);
  uint8_t *b = malloc ((size_t) sz + 1);
  if (!b || fread (b, 1, (size_t) sz, f) != (size_t) sz)
    exit (2);
  fclose (f);
  *n = (size_t) sz;
  return b;
}

int
main (int argc, char **argv)
{
  if (argc < 4)
    {
      fprintf (stderr, "usage: plan_fuzz ITERATIONS SEED CORPUS-FILE...\n");
      return 2;
    }
  long iters = atol (argv[1]);
  rng = strtoull (argv[2], NULL, 0) | 1;
  int nseeds = argc - 3;
  uint8_t **seeds = calloc ((size_t) nseeds, sizeof *seeds);
  size_t *lens = calloc ((size_t) nseeds, sizeof *lens);
  size_t maxlen = 0;
  for (int i = 0; i < nseeds; i++)
    {
      seeds[i] = slurp (argv[3 + i], &lens[i]);
      if (lens[i] > maxlen)
        maxlen = lens[i];
      /* every seed from the real encoder must decode */
      unsigned long before = decoded;
      try_decode (seeds[i], lens[i]);
      if (decoded != before + 1)
        {
          fprintf (stderr, "seed %s does not decode\n", argv[3 + i]);
          return 1;
        }
    }

  /* edge cases: empty, every short prefix of each seed */
  try_decode ((const uint8_t *) "", 0);
  for (int i = 0; i < nseeds; i++)
    for (size_t l = 0; l < lens[i] && l < 256; l++)
      try_decode (seeds[i], l);

  size_t cap = maxlen * 2 + 256;
  uint8_t *out = malloc (cap);
  for (long it = 0; it < iters; it++)
    {
      int s = (int) (rnd () % (unsigned) nseeds);
      if (rnd () % 16 == 0)
        {
          /* pure noise behind a valid header */
          size_t l = 16 + rnd () % 512;
          memcpy (out, seeds[s], 16);
          for (size_t k = 16; k < l; k++)
            out[k] = (uint8_t) rnd ();
          try_decode (out, l);
          continue;
        }
      try_decode (out, mutate (seeds[s], lens[s], out, cap));
    }
  free (out);
  for (int i = 0; i < nseeds; i++)
    free (seeds[i]);
  free (seeds);
  free (lens);
  printf ("decoded %lu rejected %lu\n", decoded, rejected);
  return 0;
}
