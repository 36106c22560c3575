/* Hex, base64, base64url, percent-decoding and encoding sniffing
 * (include/avow/encode.h). Hand-written rather than OpenSSL's EVP_Decode*,
 * which accepts whitespace and garbage silently; these are strict and report
 * the offset of the first bad character. Thread-safe: no state. */
#include "avow/encode.h"

#include <stdlib.h>
#include <string.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void avow_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static avow_err hex_decode_into(const char *in, size_t len, uint8_t *out, avow_error *err)
{
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)in[2 * i]), lo = hexval((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return avow_error_set(err, AVOW_ERR_FORMAT, hi < 0 ? 2 * i : 2 * i + 1,
                                  "not a hex digit at character %zu", hi < 0 ? 2 * i : 2 * i + 1);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return AVOW_OK;
}

avow_err avow_hex_decode_alloc(const char *in, size_t len, uint8_t **out, size_t *out_len,
                               avow_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (len % 2) return avow_error_set(err, AVOW_ERR_FORMAT, len, "odd number of hex digits (%zu)", len);
    uint8_t *buf = malloc(len / 2 + 1);
    if (!buf) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err e = hex_decode_into(in, len, buf, err);
    if (e) {
        free(buf);
        return e;
    }
    *out = buf;
    *out_len = len / 2;
    return AVOW_OK;
}

avow_err avow_hex_decode_fixed(const char *in, size_t len, uint8_t *out, size_t out_len,
                               avow_error *err)
{
    if (len != 2 * out_len)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "expected %zu hex digits, got %zu", 2 * out_len, len);
    return hex_decode_into(in, len, out, err);
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t avow_base64_len(size_t len)
{
    return (len + 2) / 3 * 4 + 1;
}

static void b64_encode(const char *alpha, bool pad, const uint8_t *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad) out[o++] = '=';
    }
    out[o] = '\0';
}

void avow_base64_encode(const uint8_t *in, size_t len, char *out)
{
    b64_encode(b64_std, true, in, len, out);
}

void avow_base64url_encode(const uint8_t *in, size_t len, char *out)
{
    b64_encode(b64_url, false, in, len, out);
}

/* Sextet of each byte, for both alphabets at once: STD_ONLY marks '+' and '/',
 * URL_ONLY marks '-' and '_', and a byte in neither alphabet has both bits. */
#define STD_ONLY 0x40
#define URL_ONLY 0x80
static const uint8_t b64_dec[256] = {
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0x7e, 0xc0, 0xbe, 0xc0, 0x7f,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xc0, 0xc0, 0xc0, 0xc0, 0xbf,
    0xc0, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
    0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0,
};

static int b64_val(unsigned char c, bool url)
{
    uint8_t v = b64_dec[c];
    return v & (url ? STD_ONLY : URL_ONLY) ? -1 : v & 63;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static avow_err b64_decode(const char *in, size_t len, bool url, bool lenient, uint8_t **out,
                           size_t *out_len, avow_error *err)
{
    const char *what = url ? "base64url" : "base64";
    *out = NULL;
    *out_len = 0;
    uint8_t *buf = malloc(len / 4 * 3 + 3);
    if (!buf) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    const uint8_t foreign = url ? STD_ONLY : URL_ONLY; /* the other alphabet's bit */
    const unsigned char *u = (const unsigned char *)in;
    uint32_t acc = 0;
    size_t n = 0, o = 0, pad = 0, pad_at = 0;
    for (size_t i = 0; i < len; i++) {
        /* Fast path: four alphabet characters at a group boundary. Anything
         * else (space, '=', a bad byte, the tail) takes the checked path. */
        while (n == 0 && !pad && len - i >= 4) {
            uint32_t a = b64_dec[u[i]], b = b64_dec[u[i + 1]], c2 = b64_dec[u[i + 2]],
                     d = b64_dec[u[i + 3]];
            if ((a | b | c2 | d) & foreign) break;
            uint32_t g = (a & 63) << 18 | (b & 63) << 12 | (c2 & 63) << 6 | (d & 63);
            buf[o++] = (uint8_t)(g >> 16);
            buf[o++] = (uint8_t)(g >> 8);
            buf[o++] = (uint8_t)g;
            i += 4;
        }
        if (i == len) break;
        unsigned char c = u[i];
        if (lenient && is_space(c)) continue;
        if (c == '=') {
            if (url && !lenient) {
                free(buf);
                return avow_error_set(err, AVOW_ERR_FORMAT, i, "%s: padding '=' at offset %zu is not allowed", what, i);
            }
            if (!pad) pad_at = i;
            pad++;
            continue;
        }
        int v = b64_val(c, url);
        if (v < 0 || pad) {
            free(buf);
            return avow_error_set(err, AVOW_ERR_FORMAT, i, "%s: invalid character 0x%02x at offset %zu",
                                  what, c, i);
        }
        acc = acc << 6 | (uint32_t)v;
        if (++n == 4) {
            buf[o++] = (uint8_t)(acc >> 16);
            buf[o++] = (uint8_t)(acc >> 8);
            buf[o++] = (uint8_t)acc;
            n = 0;
            acc = 0;
        }
    }
    if (n == 1 || pad > 2) {
        free(buf);
        return avow_error_set(err, AVOW_ERR_FORMAT, pad ? pad_at : len, "%s: truncated input", what);
    }
    if (!url && !lenient && ((n + pad) % 4 != 0)) {
        free(buf);
        return avow_error_set(err, AVOW_ERR_FORMAT, len, "%s: missing padding", what);
    }
    if (pad && n == 0) {
        free(buf);
        return avow_error_set(err, AVOW_ERR_FORMAT, pad_at, "%s: unexpected padding", what);
    }
    if (n == 2) {
        if ((acc & 0xF) && !lenient) {
            free(buf);
            return avow_error_set(err, AVOW_ERR_FORMAT, len, "%s: non-canonical final character", what);
        }
        buf[o++] = (uint8_t)(acc >> 4);
    } else if (n == 3) {
        if ((acc & 0x3) && !lenient) {
            free(buf);
            return avow_error_set(err, AVOW_ERR_FORMAT, len, "%s: non-canonical final character", what);
        }
        buf[o++] = (uint8_t)(acc >> 10);
        buf[o++] = (uint8_t)(acc >> 2);
    }
    *out = buf;
    *out_len = o;
    return AVOW_OK;
}

avow_err avow_base64_decode_alloc(const char *in, size_t len, bool lenient, uint8_t **out,
                                  size_t *out_len, avow_error *err)
{
    return b64_decode(in, len, false, lenient, out, out_len, err);
}

avow_err avow_base64url_decode_alloc(const char *in, size_t len, bool lenient, uint8_t **out,
                                     size_t *out_len, avow_error *err)
{
    return b64_decode(in, len, true, lenient, out, out_len, err);
}

avow_err avow_percent_decode_alloc(const char *in, size_t len, char **out, size_t *out_len,
                                   avow_error *err)
{
    *out = NULL;
    *out_len = 0;
    char *buf = malloc(len + 1);
    if (!buf) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '%') {
            buf[o++] = in[i];
            continue;
        }
        int hi = i + 1 < len ? hexval((unsigned char)in[i + 1]) : -1;
        int lo = i + 2 < len ? hexval((unsigned char)in[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            free(buf);
            return avow_error_set(err, AVOW_ERR_FORMAT, i, "bad percent escape at offset %zu", i);
        }
        buf[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return AVOW_OK;
}

avow_encoding avow_encoding_sniff(const uint8_t *in, size_t len)
{
    while (len && is_space(in[len - 1])) len--;
    if (!len) return AVOW_ENC_RAW;
    bool hex = len % 2 == 0, std = true, url = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = in[i];
        if (hexval(c) < 0) hex = false;
        bool eq = c == '=';
        if (b64_val(c, false) < 0 && !eq && !is_space(c)) std = false;
        if (b64_val(c, true) < 0 && !eq) url = false;
        if (!hex && !std && !url) return AVOW_ENC_RAW;
    }
    if (hex) return AVOW_ENC_HEX;
    if (url && !std) return AVOW_ENC_BASE64URL;
    if (std) return AVOW_ENC_BASE64;
    return AVOW_ENC_BASE64URL;
}

avow_err avow_decode_as(avow_encoding enc, const uint8_t *in, size_t len, uint8_t **out,
                        size_t *out_len, avow_error *err)
{
    size_t trimmed = len;
    if (enc != AVOW_ENC_RAW)
        while (trimmed && is_space(in[trimmed - 1])) trimmed--;
    switch (enc) {
    case AVOW_ENC_HEX: return avow_hex_decode_alloc((const char *)in, trimmed, out, out_len, err);
    case AVOW_ENC_BASE64:
        return avow_base64_decode_alloc((const char *)in, trimmed, true, out, out_len, err);
    case AVOW_ENC_BASE64URL:
        return avow_base64url_decode_alloc((const char *)in, trimmed, true, out, out_len, err);
    case AVOW_ENC_RAW: break;
    }
    *out = malloc(len ? len : 1);
    if (!*out) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    if (len) memcpy(*out, in, len);
    *out_len = len;
    return AVOW_OK;
}

int avow_ct_memcmp(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < len; i++) d |= x[i] ^ y[i];
    return d != 0;
}

void avow_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;
    while (len--) *v++ = 0;
}
