/* Shared helpers of the `avow` command line (internal). Each command group
 * lives in its own file (quote.c, enclave.c, sim.c, ...) and exposes one
 * entry point `int cli_<group>(int argc, char **argv)` that returns the exit
 * code: 0 ok, 1 verdict "fail", 2 unusable input or arguments. Commands read
 * their arguments with the parser of cli/opt.h. Thread-safety: n/a (CLI). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/err.h"
#include "avow/collateral.h"
#include "store/store.h"
#include "avow/verify.h"
#include "cli/opt.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_quote(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_enclave(int argc, char **argv);
int cli_sim(int argc, char **argv);
int cli_collateral(int argc, char **argv);
int cli_attest(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_key(int argc, char **argv);

/* Reads a whole file (or stdin for "-") into a malloc'd, NUL-terminated
 * buffer. On failure prints "avow: PATH: reason" and returns false. */
bool cli_read_file(const char *path, uint8_t **buf, size_t *len);

/* Reads binary evidence given raw, hex or base64 (sniffed unless forced by
 * `encoding`: "raw", "hex", "base64" or NULL for auto). */
bool cli_read_binary(const char *path, const char *encoding, uint8_t **buf, size_t *len);

/* Writes a buffer to a file, creating or truncating it. */
bool cli_write_file(const char *path, const void *buf, size_t len);

/* Prints "avow: <msg>" (and the error detail, if any) to stderr. */
void cli_error(const avow_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Evidence for offline verification, as `quote verify`, `bench verify` and
 * `policy eval` take it: reads QUOTE (raw/hex/base64, or `encoding`), loads
 * the collateral (bundle file or PCS folder) and makes a verifier trusting
 * Intel's root plus each `roots[i]` PEM. On failure prints why, frees what it
 * made and returns false. */
typedef struct {
    uint8_t *quote;
    size_t quote_len;
    avow_collateral coll;
    avow_verifier *verifier;
} cli_evidence;

/* Option values, each with an "avow: NAME: ..." message on stderr when bad:
 * a whole number in 0..max (decimal, or hex with 0x); exactly n bytes of hex;
 * up to max bytes of hex, zero-padded on the right; a time (unix seconds or
 * RFC 3339). */
bool cli_parse_uint(const char *name, const char *s, uint64_t max, uint64_t *out);
bool cli_parse_hex(const char *name, const char *s, uint8_t *out, size_t n);
bool cli_parse_hex_upto(const char *name, const char *s, uint8_t *out, size_t max);
bool cli_parse_time(const char *name, const char *s, avow_time *t);

bool cli_load_evidence(const char *quote_path, const char *encoding, const char *coll_path,
                       const char *const *roots, size_t n_roots, cli_evidence *ev);
void cli_evidence_free(cli_evidence *ev);

/* A verifier trusting Intel's root plus each `roots[i]` PEM (`--root`); on
 * failure prints why and returns NULL. */
avow_verifier *cli_make_verifier(const char *const *roots, size_t n_roots);

/* Opens avowd's store (a data directory or a postgresql:// URI); on failure
 * prints why and returns NULL. */
avow_store *cli_open_store(const char *data);
