/* The signed-JSON span finder (json_span.h) and the PCS body split/join of
 * collateral.h. Hand-written on purpose: jansson (used for everything else)
 * does not report byte offsets of values, and Intel signs the exact bytes of
 * the `tcbInfo` / `enclaveIdentity` value as served, so re-serialising a
 * parsed object would be wrong whenever the server's formatting differs from
 * ours. The tokenizer validates the whole input as strictly as jansson does
 * (UTF-8, escapes, surrogate pairs, no NUL, number grammar, no trailing
 * bytes) and rejects duplicate top-level keys. Thread-safe: no state. */
#include "collateral/json_span.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "avow/encode.h"

typedef struct {
    const char *s;
    size_t len, pos;
    avow_error *err;
} jtok;

typedef struct {
    char *s;
    size_t len;
} jkey;

static avow_err fail(jtok *t, const char *what)
{
    if (t->pos >= t->len)
        return avow_error_set(t->err, AVOW_ERR_FORMAT, t->pos,
                              "JSON at offset %zu: %s (end of input)", t->pos, what);
    return avow_error_set(t->err, AVOW_ERR_FORMAT, t->pos, "JSON at offset %zu: %s", t->pos, what);
}

static void skip_ws(jtok *t)
{
    while (t->pos < t->len) {
        char c = t->s[t->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        t->pos++;
    }
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at t->pos (after "\u"). */
static bool read_u4(jtok *t, uint32_t *v)
{
    if (t->len - t->pos < 4) return false;
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexv(t->s[t->pos + (size_t)i]);
        if (h < 0) return false;
        x = x << 4 | (uint32_t)h;
    }
    t->pos += 4;
    *v = x;
    return true;
}

/* Length of the valid UTF-8 sequence starting at p (at most n bytes), 0 if
 * invalid (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Scans a string starting at t->pos ('"'). When `d` is given, the unescaped
 * bytes are written there (the caller sized it to the raw text, which is
 * never shorter than the unescaped text) and their count to *dn. */
static avow_err scan_string(jtok *t, char *d, size_t *dn_out)
{
    size_t dn = 0;
    t->pos++; /* past the opening quote */
    for (;;) {
        if (t->pos >= t->len) return fail(t, "unterminated string");
        unsigned char c = (unsigned char)t->s[t->pos];
        if (c == '"') {
            t->pos++;
            break;
        }
        if (c < 0x20) return fail(t, "control character in string");
        if (c != '\\') {
            size_t n = utf8_len((const unsigned char *)t->s + t->pos, t->len - t->pos);
            if (!n) return fail(t, "invalid UTF-8 in string");
            if (d) memcpy(d + dn, t->s + t->pos, n);
            dn += n;
            t->pos += n;
            continue;
        }
        t->pos++;
        if (t->pos >= t->len) return fail(t, "unterminated escape");
        uint32_t cp, lo;
        switch (t->s[t->pos++]) {
            case '"':
                cp = '"';
                break;
            case '\\':
                cp = '\\';
                break;
            case '/':
                cp = '/';
                break;
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u':
                if (!read_u4(t, &cp)) return fail(t, "bad \\u escape");
                if (cp == 0) return fail(t, "\\u0000 in string");
                if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(t, "lone low surrogate");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (t->len - t->pos < 2 || t->s[t->pos] != '\\' || t->s[t->pos + 1] != 'u')
                        return fail(t, "high surrogate without a low surrogate");
                    t->pos += 2;
                    if (!read_u4(t, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return fail(t, "high surrogate without a low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                break;
            default:
                t->pos--;
                return fail(t, "bad escape in string");
        }
        if (d)
            dn += put_utf8(d + dn, cp);
        else
            dn++;
    }
    if (dn_out) *dn_out = dn;
    return AVOW_OK;
}

/* A string; when `out` is given, also its unescaped value (malloc'd). */
static avow_err parse_string(jtok *t, jkey *out)
{
    size_t start = t->pos;
    avow_err e = scan_string(t, NULL, NULL);
    if (e || !out) return e;
    char *d = malloc(t->pos - start + 1);
    if (!d) return avow_error_set(t->err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    size_t end = t->pos, dn = 0;
    t->pos = start;
    scan_string(t, d, &dn); /* already validated: cannot fail */
    t->pos = end;
    d[dn] = '\0';
    out->s = d;
    out->len = dn;
    return AVOW_OK;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static avow_err parse_number(jtok *t)
{
    if (t->s[t->pos] == '-') t->pos++;
    if (t->pos >= t->len || !is_digit(t->s[t->pos])) return fail(t, "bad number");
    if (t->s[t->pos] == '0') {
        t->pos++;
    } else {
        while (t->pos < t->len && is_digit(t->s[t->pos]))
            t->pos++;
    }
    if (t->pos < t->len && t->s[t->pos] == '.') {
        t->pos++;
        if (t->pos >= t->len || !is_digit(t->s[t->pos])) return fail(t, "bad fraction");
        while (t->pos < t->len && is_digit(t->s[t->pos]))
            t->pos++;
    }
    if (t->pos < t->len && (t->s[t->pos] == 'e' || t->s[t->pos] == 'E')) {
        t->pos++;
        if (t->pos < t->len && (t->s[t->pos] == '+' || t->s[t->pos] == '-')) t->pos++;
        if (t->pos >= t->len || !is_digit(t->s[t->pos])) return fail(t, "bad exponent");
        while (t->pos < t->len && is_digit(t->s[t->pos]))
            t->pos++;
    }
    return AVOW_OK;
}

static avow_err parse_literal(jtok *t, const char *lit)
{
    size_t n = strlen(lit);
    if (t->len - t->pos < n || memcmp(t->s + t->pos, lit, n) != 0)
        return fail(t, "unexpected character");
    t->pos += n;
    return AVOW_OK;
}

/* Per-object bookkeeping, used only at the top level. */
typedef struct {
    const char *want; /* the member looked for, or NULL */
    size_t span_start, span_end;
    bool found;
    jkey *keys; /* decoded keys, to find duplicates */
    size_t n_keys, cap_keys;
} top_info;

static avow_err parse_value(jtok *t, int depth, top_info *top);

static avow_err parse_object(jtok *t, int depth, top_info *top)
{
    t->pos++; /* '{' */
    skip_ws(t);
    if (t->pos < t->len && t->s[t->pos] == '}') {
        t->pos++;
        return AVOW_OK;
    }
    for (;;) {
        skip_ws(t);
        if (t->pos >= t->len || t->s[t->pos] != '"') return fail(t, "expected a member name");
        jkey k = {0};
        avow_err e = parse_string(t, top ? &k : NULL);
        if (e) return e;
        if (top) {
            if (top->n_keys == top->cap_keys) {
                size_t cap = top->cap_keys ? 2 * top->cap_keys : 8;
                jkey *nk = realloc(top->keys, cap * sizeof(*nk));
                if (!nk) {
                    free(k.s);
                    return avow_error_set(t->err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
                }
                top->keys = nk;
                top->cap_keys = cap;
            }
            top->keys[top->n_keys++] = k;
        }
        skip_ws(t);
        if (t->pos >= t->len || t->s[t->pos] != ':') return fail(t, "expected ':'");
        t->pos++;
        skip_ws(t);
        size_t vstart = t->pos;
        e = parse_value(t, depth, NULL);
        if (e) return e;
        if (top && top->want && strlen(top->want) == k.len && memcmp(top->want, k.s, k.len) == 0) {
            top->found = true;
            top->span_start = vstart;
            top->span_end = t->pos;
        }
        skip_ws(t);
        if (t->pos >= t->len) return fail(t, "unterminated object");
        if (t->s[t->pos] == ',') {
            t->pos++;
            continue;
        }
        if (t->s[t->pos] == '}') {
            t->pos++;
            return AVOW_OK;
        }
        return fail(t, "expected ',' or '}'");
    }
}

static avow_err parse_array(jtok *t, int depth)
{
    t->pos++; /* '[' */
    skip_ws(t);
    if (t->pos < t->len && t->s[t->pos] == ']') {
        t->pos++;
        return AVOW_OK;
    }
    for (;;) {
        skip_ws(t);
        avow_err e = parse_value(t, depth, NULL);
        if (e) return e;
        skip_ws(t);
        if (t->pos >= t->len) return fail(t, "unterminated array");
        if (t->s[t->pos] == ',') {
            t->pos++;
            continue;
        }
        if (t->s[t->pos] == ']') {
            t->pos++;
            return AVOW_OK;
        }
        return fail(t, "expected ',' or ']'");
    }
}

static avow_err parse_value(jtok *t, int depth, top_info *top)
{
    if (t->pos >= t->len) return fail(t, "expected a value");
    switch (t->s[t->pos]) {
        case '{':
            if (depth >= AVOW_JSON_SPAN_MAX_DEPTH) return fail(t, "nesting too deep");
            return parse_object(t, depth + 1, top);
        case '[':
            if (depth >= AVOW_JSON_SPAN_MAX_DEPTH) return fail(t, "nesting too deep");
            return parse_array(t, depth + 1);
        case '"':
            return parse_string(t, NULL);
        case 't':
            return parse_literal(t, "true");
        case 'f':
            return parse_literal(t, "false");
        case 'n':
            return parse_literal(t, "null");
        default:
            if (t->s[t->pos] == '-' || is_digit(t->s[t->pos])) return parse_number(t);
            return fail(t, "unexpected character");
    }
}

static int key_cmp(const void *a, const void *b)
{
    const jkey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Parses the whole input as one value; `top` (if given) requires an object. */
static avow_err parse_document(jtok *t, top_info *top, int *is_object)
{
    skip_ws(t);
    if (top && (t->pos >= t->len || t->s[t->pos] != '{')) return fail(t, "expected a JSON object");
    if (is_object) *is_object = t->pos < t->len && t->s[t->pos] == '{';
    avow_err e = parse_value(t, 0, top);
    if (e) return e;
    skip_ws(t);
    if (t->pos != t->len) return fail(t, "trailing data after the JSON value");
    return AVOW_OK;
}

avow_err avow_json_member_span(const char *json, size_t len, const char *key, const char **span,
                               size_t *span_len, avow_error *err)
{
    if (!json) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no JSON given");
    jtok t = {json, len, 0, err};
    top_info top = {.want = key};
    avow_err e = parse_document(&t, &top, NULL);
    if (!e && top.n_keys > 1) {
        qsort(top.keys, top.n_keys, sizeof(*top.keys), key_cmp);
        for (size_t i = 1; i < top.n_keys && !e; i++)
            if (key_cmp(&top.keys[i - 1], &top.keys[i]) == 0)
                e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                   "JSON: duplicate top-level key '%.60s'", top.keys[i].s);
    }
    for (size_t i = 0; i < top.n_keys; i++)
        free(top.keys[i].s);
    free(top.keys);
    if (e) return e;
    if (!key) return AVOW_OK;
    if (!top.found)
        return avow_error_set(err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET, "JSON: no member '%s'", key);
    if (span) *span = json + top.span_start;
    if (span_len) *span_len = top.span_end - top.span_start;
    return AVOW_OK;
}

avow_err avow_json_validate(const char *json, size_t len, int *is_object, avow_error *err)
{
    if (!json) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no JSON given");
    jtok t = {json, len, 0, err};
    return parse_document(&t, NULL, is_object);
}

avow_err avow_signed_json_split(const char *body, size_t len, const char *key, const char **span,
                                size_t *span_len, uint8_t sig[64], avow_error *err)
{
    if (!body || !key || !span || !span_len || !sig)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signed JSON: missing argument");
    const char *obj, *sv;
    size_t obj_len, sv_len;
    avow_err e = avow_json_member_span(body, len, key, &obj, &obj_len, err);
    if (e == AVOW_ERR_NOT_FOUND)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: missing", key);
    if (e) return e;
    if (obj[0] != '{')
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)(obj - body), "%s: expected an object",
                              key);
    e = avow_json_member_span(body, len, "signature", &sv, &sv_len, err);
    if (e == AVOW_ERR_NOT_FOUND)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "signature: missing");
    if (e) return e;
    /* A JSON string of exactly 128 hex digits (hex needs no escapes, so the
     * raw bytes between the quotes are the value). */
    if (sv[0] != '"' || sv_len != 130)
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)(sv - body),
                              "signature: expected a string of 128 hex digits");
    avow_error sub;
    if (avow_hex_decode_fixed(sv + 1, 128, sig, 64, &sub))
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)(sv - body) + 1 + sub.offset,
                              "signature: %s", sub.msg);
    *span = obj;
    *span_len = obj_len;
    return AVOW_OK;
}

avow_err avow_signed_json_join(const char *key, const char *span, size_t span_len,
                               const uint8_t sig[64], char **out, avow_error *err)
{
    if (!key || !span || !sig || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "signed JSON: missing argument");
    *out = NULL;
    int is_obj = 0;
    avow_err e = avow_json_validate(span, span_len, &is_obj, err);
    if (e) {
        avow_error_prefix(err, key);
        return e;
    }
    if (!is_obj || span[0] != '{' || span[span_len - 1] != '}')
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: expected an object without surrounding whitespace", key);
    for (const char *k = key; *k; k++)
        if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20)
            return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "bad member name");
    char hex[129];
    avow_hex_encode(sig, 64, hex);
    size_t klen = strlen(key);
    /* {"KEY":SPAN,"signature":"HEX"} */
    size_t total = 2 + klen + 2 + span_len + 14 + 128 + 2;
    char *buf = malloc(total + 1);
    if (!buf) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    size_t o = 0;
    memcpy(buf + o, "{\"", 2), o += 2;
    memcpy(buf + o, key, klen), o += klen;
    memcpy(buf + o, "\":", 2), o += 2;
    memcpy(buf + o, span, span_len), o += span_len;
    memcpy(buf + o, ",\"signature\":\"", 14), o += 14;
    memcpy(buf + o, hex, 128), o += 128;
    memcpy(buf + o, "\"}", 2), o += 2;
    buf[o] = '\0';
    *out = buf;
    return AVOW_OK;
}
