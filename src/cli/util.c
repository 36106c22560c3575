/* Shared CLI helpers (cli.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/file.h"
#include "avow/time.h"
#include "cli/cli.h"

bool cli_read_file(const char *path, uint8_t **buf, size_t *len)
{
    avow_error e;
    avow_error_clear(&e);
    avow_err rc = strcmp(path, "-") ? avow_file_read(path, 0, false, buf, len, &e)
                                    : avow_file_read_stream(stdin, "-", 0, false, buf, len, &e);
    if (rc != AVOW_OK) fprintf(stderr, "avow: %s\n", e.msg);
    return rc == AVOW_OK;
}

bool cli_read_binary(const char *path, const char *encoding, uint8_t **buf, size_t *len)
{
    uint8_t *raw;
    size_t raw_len;
    if (!cli_read_file(path, &raw, &raw_len)) return false;
    avow_encoding enc;
    if (!encoding || !strcmp(encoding, "auto"))
        enc = avow_encoding_sniff(raw, raw_len);
    else if (!strcmp(encoding, "raw"))
        enc = AVOW_ENC_RAW;
    else if (!strcmp(encoding, "hex"))
        enc = AVOW_ENC_HEX;
    else if (!strcmp(encoding, "base64"))
        enc = AVOW_ENC_BASE64;
    else if (!strcmp(encoding, "base64url"))
        enc = AVOW_ENC_BASE64URL;
    else {
        free(raw);
        fprintf(stderr, "avow: unknown encoding '%s' (raw, hex, base64, base64url)\n", encoding);
        return false;
    }
    if (enc == AVOW_ENC_RAW) {
        *buf = raw;
        *len = raw_len;
        return true;
    }
    avow_error e;
    avow_error_clear(&e);
    bool ok = avow_decode_as(enc, raw, raw_len, buf, len, &e) == AVOW_OK;
    free(raw);
    if (!ok) cli_error(&e, "%s: cannot decode", path);
    return ok;
}

bool cli_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "avow: %s: %s\n", path, strerror(errno));
        if (f) fclose(f);
        return false;
    }
    return true;
}

void cli_error(const avow_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("avow: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (e && e->msg[0]) fprintf(stderr, ": %s", e->msg);
    fputc('\n', stderr);
}

avow_store *cli_open_store(const char *data)
{
    avow_store *s = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_open(data, &s, &e)) {
        cli_error(&e, "cannot open the store");
        return NULL;
    }
    return s;
}

void cli_evidence_free(cli_evidence *ev)
{
    free(ev->quote);
    avow_collateral_free(&ev->coll);
    avow_verifier_free(ev->verifier);
    ev->quote = NULL;
    ev->verifier = NULL;
}

avow_verifier *cli_make_verifier(const char *const *roots, size_t n_roots)
{
    avow_verifier *v;
    avow_error e;
    avow_error_clear(&e);
    if (avow_verifier_new(&v, &e) != AVOW_OK) {
        cli_error(&e, "verifier");
        return NULL;
    }
    for (size_t i = 0; i < n_roots; i++) {
        uint8_t *pem;
        size_t plen;
        if (!cli_read_file(roots[i], &pem, &plen)) goto fail;
        avow_err rc = avow_verifier_add_root_pem(v, (const char *)pem, plen, &e);
        free(pem);
        if (rc != AVOW_OK) {
            cli_error(&e, "--root %s", roots[i]);
            goto fail;
        }
    }
    return v;
fail:
    avow_verifier_free(v);
    return NULL;
}

bool cli_load_evidence(const char *quote_path, const char *encoding, const char *coll_path,
                       const char *const *roots, size_t n_roots, cli_evidence *ev)
{
    memset(ev, 0, sizeof(*ev));
    avow_collateral_init(&ev->coll);
    avow_error e;
    avow_error_clear(&e);
    if (!cli_read_binary(quote_path, encoding, &ev->quote, &ev->quote_len)) goto fail;
    if (avow_collateral_load(coll_path, &ev->coll, &e) != AVOW_OK) {
        cli_error(&e, "%s", coll_path);
        goto fail;
    }
    if (!(ev->verifier = cli_make_verifier(roots, n_roots))) goto fail;
    return true;
fail:
    cli_evidence_free(ev);
    return false;
}

bool cli_parse_uint(const char *name, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s && *s && *s != '-' ? strtoull(s, &end, 0) : 0;
    if (!s || !*s || *s == '-' || errno || *end || v > max) {
        fprintf(stderr, "avow: %s: '%s' is not a number in 0..%" PRIu64 "\n", name, s ? s : "",
                max);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_hex(const char *name, const char *s, uint8_t *out, size_t n)
{
    avow_error e;
    avow_error_clear(&e);
    if (avow_hex_decode_fixed(s, strlen(s), out, n, &e) != AVOW_OK) {
        cli_error(&e, "%s: expected %zu bytes of hex", name, n);
        return false;
    }
    return true;
}

bool cli_parse_hex_upto(const char *name, const char *s, uint8_t *out, size_t max)
{
    uint8_t *b;
    size_t n;
    avow_error e;
    avow_error_clear(&e);
    if (avow_hex_decode_alloc(s, strlen(s), &b, &n, &e) != AVOW_OK) {
        cli_error(&e, "%s: bad hex", name);
        return false;
    }
    if (n > max) {
        fprintf(stderr, "avow: %s: %zu bytes, at most %zu\n", name, n, max);
        free(b);
        return false;
    }
    memset(out, 0, max);
    memcpy(out, b, n);
    free(b);
    return true;
}

bool cli_parse_time(const char *name, const char *s, avow_time *t)
{
    avow_error e;
    avow_error_clear(&e);
    if (avow_time_parse(s, t, &e) != AVOW_OK) {
        cli_error(&e, "%s", name);
        return false;
    }
    return true;
}
