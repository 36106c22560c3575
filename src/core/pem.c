/* PEM reading and writing (core/pem.h): finds BEGIN/END blocks, decodes
 * their strict base64 bodies with the core codec and checks each result is
 * one DER TLV; writes blocks in OpenSSL's layout. Hand-written rather than
 * PEM_read_bio_* because quotes and PCS headers carry chains with a trailing
 * NUL, CRLF and junk between blocks, and we want an error that says which
 * block is bad and where, without OpenSSL's error queue. Thread-safe: no
 * state. */
#include "core/pem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "avow/encode.h"

static const char BEGIN[] = "-----BEGIN ";
static const char END[] = "-----END ";
static const char DASHES[] = "-----";

size_t avow_der_tlv_len(const uint8_t *der, size_t len)
{
    if (len < 2 || (der[0] & 0x1f) == 0x1f) return 0; /* high tag numbers: not used here */
    size_t hdr = 2, n = der[1];
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || len < 2 + k) return 0; /* indefinite or absurd */
        if (der[2] == 0) return 0;                    /* leading zero: not minimal */
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = n << 8 | der[2 + i];
        if (n < 0x80) return 0; /* long form for a short length: not DER */
        hdr += k;
    }
    if (n > len - hdr) return 0;
    return hdr + n;
}

void avow_der_blobs_free(avow_der_blob *blobs, size_t n)
{
    if (!blobs) return;
    for (size_t i = 0; i < n; i++)
        free(blobs[i].der);
    free(blobs);
}

static const char *find(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    return memmem(hay, hay_len, needle, n);
}

static bool is_b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decodes one block body [body, body+blen) into blob; `off` and `k` are for messages. */
static avow_err decode_body(const char *body, size_t blen, size_t body_off, size_t off, size_t k,
                            avow_der_blob *blob, avow_error *err)
{
    char *clean = malloc(blen + 1);
    if (!clean) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    const char *colon = memchr(body, ':', blen);
    if (colon) {
        free(clean);
        return avow_error_set(err, AVOW_ERR_FORMAT, body_off + (size_t)(colon - body),
                              "pem block %zu at offset %zu: encapsulated headers (RFC 1421) are "
                              "not supported",
                              k, off);
    }
    size_t m = 0;
    for (size_t i = 0; i < blen; i++) {
        unsigned char c = (unsigned char)body[i];
        if (is_ws(c)) continue;
        if (!is_b64_char(c)) {
            free(clean);
            return avow_error_set(err, AVOW_ERR_FORMAT, body_off + i,
                                  "pem block %zu at offset %zu: byte 0x%02x at offset %zu is not "
                                  "base64",
                                  k, off, c, body_off + i);
        }
        clean[m++] = (char)c;
    }
    if (m == 0) {
        free(clean);
        return avow_error_set(err, AVOW_ERR_FORMAT, off, "pem block %zu at offset %zu: empty", k,
                              off);
    }
    avow_error sub;
    avow_error_clear(&sub);
    avow_err e = avow_base64_decode_alloc(clean, m, false, &blob->der, &blob->len, &sub);
    free(clean);
    if (e) return avow_error_set(err, e, off, "pem block %zu at offset %zu: %s", k, off, sub.msg);
    size_t tlv = avow_der_tlv_len(blob->der, blob->len);
    if (tlv == 0 || tlv != blob->len) {
        free(blob->der);
        blob->der = NULL;
        if (tlv == 0)
            return avow_error_set(err, AVOW_ERR_FORMAT, off,
                                  "pem block %zu at offset %zu: the %zu decoded bytes are not "
                                  "DER",
                                  k, off, blob->len);
        return avow_error_set(err, AVOW_ERR_FORMAT, off,
                              "pem block %zu at offset %zu: DER object of %zu bytes followed by "
                              "%zu extra bytes",
                              k, off, tlv, blob->len - tlv);
    }
    return AVOW_OK;
}

/* Splits up to `max` blocks (0: all). */
static avow_err pem_scan(const char *pem, size_t len, const char *label, size_t max,
                         avow_der_blob **out, size_t *n, avow_error *err)
{
    if (!out || !n || (!pem && len))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pem: no input or output");
    *out = NULL;
    *n = 0;
    avow_der_blob *blobs = NULL;
    size_t count = 0, cap = 0, pos = 0, block = 0;
    avow_err e = AVOW_OK;
    const size_t bl = sizeof(BEGIN) - 1, el = sizeof(END) - 1, dl = sizeof(DASHES) - 1;

    for (;;) {
        const char *b = find(pem + pos, len - pos, BEGIN, bl);
        if (!b) break;
        size_t boff = (size_t)(b - pem);
        block++;
        /* the label runs to the next "-----" on the same line */
        size_t lab = boff + bl, i = lab;
        while (i < len && pem[i] != '\n' && pem[i] != '-')
            i++;
        if (i + dl > len || memcmp(pem + i, DASHES, dl) != 0) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, boff,
                               "pem block %zu at offset %zu: malformed BEGIN line", block, boff);
            goto done;
        }
        size_t lab_len = i - lab;
        size_t body = i + dl;
        while (body < len && (pem[body] == ' ' || pem[body] == '\t' || pem[body] == '\r'))
            body++;
        if (body < len && pem[body] != '\n') {
            e = avow_error_set(err, AVOW_ERR_FORMAT, boff,
                               "pem block %zu at offset %zu: junk after the BEGIN line", block,
                               boff);
            goto done;
        }
        /* the matching END line: "-----END " label "-----" */
        size_t want_len = el + lab_len + dl;
        char *want = malloc(want_len + 1);
        if (!want) {
            e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
            goto done;
        }
        memcpy(want, END, el);
        memcpy(want + el, pem + lab, lab_len);
        memcpy(want + el + lab_len, DASHES, dl);
        const char *end = find(pem + body, len - body, want, want_len);
        free(want);
        if (!end) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, boff,
                               "pem block %zu at offset %zu: no END line for label '%.*s'", block,
                               boff, (int)lab_len, pem + lab);
            goto done;
        }
        size_t eoff = (size_t)(end - pem);
        pos = eoff + want_len;
        if (label && (strlen(label) != lab_len || memcmp(label, pem + lab, lab_len) != 0))
            continue; /* another kind of block: skip it */
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            avow_der_blob *nb = realloc(blobs, ncap * sizeof(*nb));
            if (!nb) {
                e = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
                goto done;
            }
            blobs = nb;
            cap = ncap;
        }
        avow_der_blob *bl = &blobs[count];
        memset(bl, 0, sizeof(*bl));
        size_t keep = lab_len < sizeof(bl->label) ? lab_len : sizeof(bl->label) - 1;
        memcpy(bl->label, pem + lab, keep);
        bl->off = boff;
        bl->end = pos;
        if ((e = decode_body(pem + body, eoff - body, body, boff, block, bl, err))) goto done;
        count++;
        if (count == max) break;
    }
    if (count == 0) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "pem: no -----BEGIN %s----- block",
                           label ? label : "");
        goto done;
    }
    *out = blobs;
    *n = count;
    return AVOW_OK;
done:
    avow_der_blobs_free(blobs, count);
    return e;
}

avow_err avow_pem_split(const char *pem, size_t len, const char *label, avow_der_blob **out,
                        size_t *n, avow_error *err)
{
    return pem_scan(pem, len, label, 0, out, n, err);
}

avow_err avow_pem_first(const char *pem, size_t len, const char *label, avow_der_blob **out,
                        avow_error *err)
{
    size_t n;
    return pem_scan(pem, len, label, 1, out, &n, err);
}

avow_err avow_pem_append(char **pem, size_t *pem_len, const char *label, const uint8_t *der,
                         size_t len, avow_error *err)
{
    size_t lab = strlen(label), b64 = avow_base64_len(len) - 1, lines = (b64 + 63) / 64;
    size_t have = *pem ? *pem_len : 0;
    /* "-----BEGIN " label "-----\n" body-with-newlines "-----END " label "-----\n" */
    size_t add = (11 + lab + 6) + b64 + lines + (9 + lab + 6);
    char *enc = malloc(b64 + 1), *out = realloc(*pem, have + add + 1);
    if (!enc || !out) {
        free(enc);
        if (out) *pem = out;
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    avow_base64_encode(der, len, enc);
    char *w = out + have;
    w += sprintf(w, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < b64; i += 64) {
        size_t k = b64 - i < 64 ? b64 - i : 64;
        memcpy(w, enc + i, k);
        w += k;
        *w++ = '\n';
    }
    w += sprintf(w, "-----END %s-----\n", label);
    free(enc);
    *pem = out;
    *pem_len = (size_t)(w - out);
    return AVOW_OK;
}

avow_err avow_pem_private_key(const char *pem, size_t len, EVP_PKEY **out, avow_error *err)
{
    static const char *const labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"};
    *out = NULL;
    avow_der_blob *b = NULL;
    size_t n = 0;
    avow_err rc = avow_pem_split(pem, len, NULL, &b, &n, err);
    if (rc) return rc;
    const avow_der_blob *key_block = NULL;
    for (size_t i = 0; i < n && !key_block; i++)
        for (size_t k = 0; k < 3 && !key_block; k++)
            if (!strcmp(b[i].label, labels[k])) key_block = &b[i];
    if (!key_block) {
        rc = avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "pem: no private key block");
    } else {
        const unsigned char *p = key_block->der;
        EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &p, (long)key_block->len);
        if (key && p == key_block->der + key_block->len) {
            *out = key;
        } else {
            EVP_PKEY_free(key);
            ERR_clear_error();
            rc = avow_error_set(err, AVOW_ERR_FORMAT, key_block->off,
                                "pem block '%s' at offset %zu: not a private key", key_block->label,
                                key_block->off);
        }
    }
    avow_der_blobs_free(b, n);
    return rc;
}
