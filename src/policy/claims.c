/* The claim set (include/avow/claims.h): an ordered, growable array of typed
 * claims that owns its strings, plus the JSON serializer for token bodies and
 * the reverse reader. JSON goes through jansson (strict UTF-8, no reals),
 * except for two allocation-light fast paths that produce the same bytes:
 * JSON claim text already in canonical form is kept as is, and the token body
 * of an all-ASCII set is written directly (see json_is_canonical).
 *
 * Why these two paths must not be jansson (measured with callgrind on a
 * 28-claim token like avowd's, two 600-byte JSON claims): jansson's
 * parse + dump of one such JSON claim costs ~100 k instructions and the
 * jansson token body ~450 k, against ~9 k and ~55 k here; per attestation
 * that is ~5 % of avowd's CPU (~11 M instructions, docs/performance.md,
 * avowd section). They are
 * held to jansson's output byte for byte by tests/fuzz/fuzz_claims_json.c,
 * which compares them with avow_claims_to_json_jansson and json_dumps. Copies
 * of a set do not re-read its JSON text: it is already jansson's form.
 * Thread-safety: a set is a plain value; concurrent readers are fine, writers
 * need the caller's exclusion. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "policy/claims_int.h"

const char *avow_claim_kind_name(avow_claim_kind k)
{
    switch (k) {
        case AVOW_CLAIM_STRING:
            return "String";
        case AVOW_CLAIM_INTEGER:
            return "Integer";
        case AVOW_CLAIM_BOOLEAN:
            return "Boolean";
        case AVOW_CLAIM_JSON:
            return "String";
    }
    return "String";
}

const char *avow_claim_issuer_name(avow_claim_issuer i)
{
    switch (i) {
        case AVOW_ISSUER_CUSTOM:
            return "CustomClaim";
        case AVOW_ISSUER_SERVICE:
            return "AttestationService";
        case AVOW_ISSUER_POLICY:
            return "AttestationPolicy";
    }
    return "CustomClaim";
}

avow_claims *avow_claims_new(void)
{
    return calloc(1, sizeof(avow_claims));
}

static void claim_clear(avow_claim *c)
{
    free((char *)c->type);
    free((char *)c->value.str);
    c->type = NULL;
    c->value.str = NULL;
}

void avow_claims_free(avow_claims *cs)
{
    if (!cs) return;
    for (size_t i = 0; i < cs->n; i++)
        claim_clear(&cs->v[i]);
    free(cs->v);
    free(cs);
}

/* Appends a claim whose `type` and `value.str` are already malloc'd: takes
 * ownership of both (frees them on failure). */
static avow_err claims_push_owned(avow_claims *cs, char *type, avow_claim_value v,
                                  avow_claim_issuer issuer)
{
    if (!cs || !type) {
        free(type);
        free((char *)v.str);
        return AVOW_ERR_ARG;
    }
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 16;
        avow_claim *nv = cap > SIZE_MAX / sizeof(*nv) ? NULL : realloc(cs->v, cap * sizeof(*nv));
        if (!nv) {
            free(type);
            free((char *)v.str);
            return AVOW_ERR_NOMEM;
        }
        cs->v = nv;
        cs->cap = cap;
    }
    avow_claim *c = &cs->v[cs->n++];
    c->type = type;
    c->value = v;
    c->issuer = issuer;
    return AVOW_OK;
}

/* ---- canonical-text scanner ------------------------------------------------
 * Hand-written on purpose (docs/contributing.md allows it where it is the better
 * choice; the costs are in the opening comment). This scanner
 * recognises, without allocating, text that jansson would re-serialize to
 * exactly the same bytes, so the caller can keep it as is; anything else (any
 * doubt) goes the jansson way, so results are identical either way.
 *
 * Accepted subset: an object or array, nesting depth <= SCAN_MAX_DEPTH, no
 * whitespace, strings of printable ASCII (0x20..0x7e) without '"' or '\'
 * (jansson prints those unescaped), integers in canonical form (no "-0", no
 * leading zero, <= 18 digits so they fit json_int_t), true/false/null; no
 * reals. Object keys must be distinct (jansson's JSON_REJECT_DUPLICATES) and,
 * with `sorted`, strictly ascending (jansson's JSON_SORT_KEYS compares keys
 * bytewise, which is what memcmp does on this subset). */
#define SCAN_MAX_DEPTH 16
#define SCAN_MAX_KEYS  64 /* keys per object checked for duplicates; more: fall back */

typedef struct {
    const char *p;
    size_t len;
} span;

static bool scan_value(const char **pp, const char *end, bool sorted, int depth);

static bool scan_string(const char **pp, const char *end, span *out)
{
    const char *p = *pp;
    if (p >= end || *p != '"') return false;
    const char *start = ++p;
    while (p < end && *p != '"') {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch > 0x7e || ch == '\\') return false;
        p++;
    }
    if (p >= end) return false;
    if (out) *out = (span){start, (size_t)(p - start)};
    *pp = p + 1;
    return true;
}

static int span_cmp(span a, span b)
{
    int c = memcmp(a.p, b.p, a.len < b.len ? a.len : b.len);
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static bool scan_number(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p < end && *p == '-') p++;
    const char *d = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    size_t nd = (size_t)(p - d);
    if (nd == 0 || nd > 18 || (d[0] == '0' && (nd > 1 || d != *pp))) return false;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false; /* a real */
    *pp = p;
    return true;
}

static bool scan_literal(const char **pp, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n)) return false;
    *pp += n;
    return true;
}

static bool scan_container(const char **pp, const char *end, bool sorted, int depth)
{
    const char *p = *pp;
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    if (depth >= SCAN_MAX_DEPTH) return false;
    p++;
    if (p < end && *p == close) {
        *pp = p + 1;
        return true;
    }
    span keys[SCAN_MAX_KEYS];
    size_t nk = 0;
    for (;;) {
        if (obj) {
            span k;
            if (nk == SCAN_MAX_KEYS || !scan_string(&p, end, &k)) return false;
            if (sorted) {
                if (nk && span_cmp(keys[nk - 1], k) >= 0) return false;
            } else {
                for (size_t i = 0; i < nk; i++)
                    if (span_cmp(keys[i], k) == 0) return false;
            }
            keys[nk++] = k;
            if (p >= end || *p != ':') return false;
            p++;
        }
        if (!scan_value(&p, end, sorted, depth + 1)) return false;
        if (p >= end) return false;
        if (*p == close) {
            *pp = p + 1;
            return true;
        }
        if (*p != ',') return false;
        p++;
    }
}

static bool scan_value(const char **pp, const char *end, bool sorted, int depth)
{
    if (*pp >= end) return false;
    switch (**pp) {
        case '{':
        case '[':
            return scan_container(pp, end, sorted, depth);
        case '"':
            return scan_string(pp, end, NULL);
        case 't':
            return scan_literal(pp, end, "true");
        case 'f':
            return scan_literal(pp, end, "false");
        case 'n':
            return scan_literal(pp, end, "null");
        default:
            return scan_number(pp, end);
    }
}

/* True when `text` is an object or array that jansson would dump (compact;
 * with `sorted`, also JSON_SORT_KEYS) to exactly these bytes. */
static bool json_is_canonical(const char *text, size_t len, bool sorted)
{
    const char *p = text, *end = text + len;
    if (!len || (*p != '{' && *p != '[')) return false;
    return scan_container(&p, end, sorted, 0) && p == end;
}

/* Re-serializes a JSON object/array compactly; NULL when it is not one. */
static char *json_canonical(const char *text, size_t len)
{
    if (json_is_canonical(text, len, false)) {
        char *out = malloc(len + 1);
        if (out) {
            memcpy(out, text, len);
            out[len] = '\0';
        }
        return out;
    }
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!j) return NULL;
    char *out = NULL;
    if (json_is_object(j) || json_is_array(j))
        out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}

avow_err avow_claims_add(avow_claims *cs, const avow_claim *c)
{
    if (!cs || !c || !c->type || !c->type[0]) return AVOW_ERR_ARG;
    char *type = strdup(c->type);
    if (!type) return AVOW_ERR_NOMEM;
    avow_claim_value v = c->value;
    v.str = NULL;
    if (c->value.kind == AVOW_CLAIM_STRING) {
        v.str = strdup(c->value.str ? c->value.str : "");
        if (!v.str) {
            free(type);
            return AVOW_ERR_NOMEM;
        }
    } else if (c->value.kind == AVOW_CLAIM_JSON) {
        if (!c->value.str) {
            free(type);
            return AVOW_ERR_FORMAT;
        }
        v.str = json_canonical(c->value.str, strlen(c->value.str));
        if (!v.str) {
            free(type);
            return AVOW_ERR_FORMAT;
        }
    } else if (c->value.kind != AVOW_CLAIM_INTEGER && c->value.kind != AVOW_CLAIM_BOOLEAN) {
        free(type);
        return AVOW_ERR_ARG;
    }
    return claims_push_owned(cs, type, v, c->issuer);
}

avow_err avow_claims_add_string(avow_claims *cs, const char *type, const char *value,
                                avow_claim_issuer issuer)
{
    avow_claim c = {
        .type = type, .value = {.kind = AVOW_CLAIM_STRING, .str = value}, .issuer = issuer};
    return avow_claims_add(cs, &c);
}

avow_err avow_claims_add_int(avow_claims *cs, const char *type, int64_t value,
                             avow_claim_issuer issuer)
{
    avow_claim c = {
        .type = type, .value = {.kind = AVOW_CLAIM_INTEGER, .integer = value}, .issuer = issuer};
    return avow_claims_add(cs, &c);
}

avow_err avow_claims_add_bool(avow_claims *cs, const char *type, bool value,
                              avow_claim_issuer issuer)
{
    avow_claim c = {
        .type = type, .value = {.kind = AVOW_CLAIM_BOOLEAN, .boolean = value}, .issuer = issuer};
    return avow_claims_add(cs, &c);
}

avow_err avow_claims_add_json(avow_claims *cs, const char *type, const char *json,
                              avow_claim_issuer issuer)
{
    avow_claim c = {
        .type = type, .value = {.kind = AVOW_CLAIM_JSON, .str = json}, .issuer = issuer};
    return avow_claims_add(cs, &c);
}

avow_err avow_claims_add_all(avow_claims *dst, const avow_claims *src)
{
    if (!dst || !src) return AVOW_ERR_ARG;
    size_t n = src->n; /* dst == src: copy only the original claims */
    for (size_t i = 0; i < n; i++) {
        /* a set's JSON text is already in jansson's form: copied, not re-read */
        const avow_claim *c = &src->v[i];
        char *type = strdup(c->type), *str = c->value.str ? strdup(c->value.str) : NULL;
        avow_claim_value v = c->value;
        v.str = str;
        if (!type || (c->value.str && !str)) {
            free(type);
            free(str);
            return AVOW_ERR_NOMEM;
        }
        avow_err e = claims_push_owned(dst, type, v, c->issuer);
        if (e) return e;
    }
    return AVOW_OK;
}

avow_claims *avow_claims_copy(const avow_claims *cs)
{
    if (!cs) return NULL;
    avow_claims *out = avow_claims_new();
    if (!out) return NULL;
    if (avow_claims_add_all(out, cs) != AVOW_OK) {
        avow_claims_free(out);
        return NULL;
    }
    return out;
}

size_t avow_claims_remove(avow_claims *cs, const char *type)
{
    if (!cs || !type) return 0;
    size_t w = 0, removed = 0;
    for (size_t i = 0; i < cs->n; i++) {
        if (!strcmp(cs->v[i].type, type)) {
            claim_clear(&cs->v[i]);
            removed++;
        } else {
            cs->v[w++] = cs->v[i];
        }
    }
    cs->n = w;
    return removed;
}

size_t avow_claims_count(const avow_claims *cs)
{
    return cs ? cs->n : 0;
}

const avow_claim *avow_claims_at(const avow_claims *cs, size_t i)
{
    return cs && i < cs->n ? &cs->v[i] : NULL;
}

const avow_claim *avow_claims_find(const avow_claims *cs, const char *type, size_t *pos)
{
    if (!cs || !type) return NULL;
    for (size_t i = pos ? *pos : 0; i < cs->n; i++) {
        if (!strcmp(cs->v[i].type, type)) {
            if (pos) *pos = i + 1;
            return &cs->v[i];
        }
    }
    if (pos) *pos = cs->n;
    return NULL;
}

bool avow_claim_value_equal(const avow_claim_value *a, const avow_claim_value *b)
{
    if (a->kind != b->kind) return false;
    switch (a->kind) {
        case AVOW_CLAIM_INTEGER:
            return a->integer == b->integer;
        case AVOW_CLAIM_BOOLEAN:
            return a->boolean == b->boolean;
        case AVOW_CLAIM_STRING:
        case AVOW_CLAIM_JSON:
            return !strcmp(a->str ? a->str : "", b->str ? b->str : "");
    }
    return false;
}

static json_t *value_to_json(const avow_claim_value *v)
{
    switch (v->kind) {
        case AVOW_CLAIM_STRING:
            return json_string(v->str ? v->str : "");
        case AVOW_CLAIM_INTEGER:
            return json_integer(v->integer);
        case AVOW_CLAIM_BOOLEAN:
            return json_boolean(v->boolean);
        case AVOW_CLAIM_JSON:
            return v->str ? json_loads(v->str, 0, NULL) : NULL;
    }
    return NULL;
}

/* ---- token body without jansson ---------------------------------------------
 * The common case of avow_claims_to_json, written straight into one buffer:
 * every type and String value plain printable ASCII without '"' or '\\', every
 * JSON value already in jansson's sorted compact form (json_is_canonical). The
 * output is byte-for-byte what the jansson path below produces (keys sorted
 * bytewise, a repeated type becomes an array of its values in order); any
 * claim outside that subset sends the whole set down the jansson path. */

static bool plain_ascii(const char *s, size_t *len)
{
    const char *p = s;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
            return false;
    *len = (size_t)(p - s);
    return true;
}

typedef struct {
    const avow_claim *c;
    size_t idx, tlen, vlen; /* vlen: String and JSON text length */
} tb_item;

static int tb_cmp(const void *a, const void *b)
{
    const tb_item *x = a, *y = b;
    int r = strcmp(x->c->type, y->c->type);
    if (r) return r;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static size_t tb_value(const tb_item *it, char *w)
{
    const avow_claim_value *v = &it->c->value;
    switch (v->kind) {
        case AVOW_CLAIM_STRING:
            if (w) {
                w[0] = '"';
                memcpy(w + 1, v->str ? v->str : "", it->vlen);
                w[it->vlen + 1] = '"';
            }
            return it->vlen + 2;
        case AVOW_CLAIM_JSON:
            if (w) memcpy(w, v->str, it->vlen);
            return it->vlen;
        case AVOW_CLAIM_INTEGER: {
            char num[24];
            int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, (json_int_t)v->integer);
            if (w) memcpy(w, num, (size_t)n);
            return (size_t)n;
        }
        case AVOW_CLAIM_BOOLEAN:
            if (w) memcpy(w, v->boolean ? "true" : "false", v->boolean ? 4 : 5);
            return v->boolean ? 4 : 5;
    }
    return 0;
}

/* Writes (w != NULL) or measures the body of the sorted items. */
static size_t tb_emit(const tb_item *it, size_t n, char *w)
{
    size_t o = 0;
#define PUTC(ch)            \
    do {                    \
        if (w) w[o] = (ch); \
        o++;                \
    } while (0)
    PUTC('{');
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && !strcmp(it[j].c->type, it[i].c->type))
            j++;
        if (i) PUTC(',');
        PUTC('"');
        if (w) memcpy(w + o, it[i].c->type, it[i].tlen);
        o += it[i].tlen;
        PUTC('"');
        PUTC(':');
        if (j - i > 1) PUTC('[');
        for (size_t k = i; k < j; k++) {
            if (k > i) PUTC(',');
            o += tb_value(&it[k], w ? w + o : NULL);
        }
        if (j - i > 1) PUTC(']');
        i = j;
    }
    PUTC('}');
#undef PUTC
    return o;
}

/* 1: *out written; 0: not in the fast subset (use jansson); -1: no memory. */
static int claims_to_json_fast(const avow_claims *cs, char **out)
{
    tb_item stack_items[64];
    tb_item *it = cs->n <= 64 ? stack_items : malloc(cs->n * sizeof(*it));
    if (!it) return -1;
    int ret = 0;
    for (size_t i = 0; i < cs->n; i++) {
        const avow_claim *c = &cs->v[i];
        it[i] = (tb_item){.c = c, .idx = i};
        if (!plain_ascii(c->type, &it[i].tlen)) goto done;
        if (c->value.kind == AVOW_CLAIM_STRING) {
            if (!plain_ascii(c->value.str ? c->value.str : "", &it[i].vlen)) goto done;
        } else if (c->value.kind == AVOW_CLAIM_JSON) {
            if (!c->value.str) goto done;
            it[i].vlen = strlen(c->value.str);
            if (!json_is_canonical(c->value.str, it[i].vlen, true)) goto done;
        } else if (c->value.kind != AVOW_CLAIM_INTEGER && c->value.kind != AVOW_CLAIM_BOOLEAN) {
            goto done;
        }
    }
    qsort(it, cs->n, sizeof(*it), tb_cmp);
    size_t len = tb_emit(it, cs->n, NULL);
    char *buf = malloc(len + 1);
    if (!buf) {
        ret = -1;
        goto done;
    }
    tb_emit(it, cs->n, buf);
    buf[len] = '\0';
    *out = buf;
    ret = 1;
done:
    if (it != stack_items) free(it);
    return ret;
}

avow_err avow_claims_to_json(const avow_claims *cs, char **out, avow_error *err)
{
    if (!cs || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "claims: no set");
    *out = NULL;
    int fast = claims_to_json_fast(cs, out);
    if (fast > 0) return AVOW_OK;
    if (fast < 0) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
    return avow_claims_to_json_jansson(cs, out, err);
}

avow_err avow_claims_to_json_jansson(const avow_claims *cs, char **out, avow_error *err)
{
    *out = NULL;
    json_t *obj = json_object();
    if (!obj) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
    avow_err rc = AVOW_OK;
    for (size_t i = 0; i < cs->n; i++) {
        const avow_claim *c = &cs->v[i];
        json_t *val = value_to_json(&c->value);
        if (!val) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                "claims: %s: value is not valid UTF-8 or JSON", c->type);
            goto done;
        }
        json_t *prev = json_object_get(obj, c->type);
        if (!prev) {
            /* A first occurrence stays a plain value. */
            if (json_object_set_new(obj, c->type, val)) {
                rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
                goto done;
            }
            continue;
        }
        /* Repeated type: `prev` is our aggregation array only from the third
         * occurrence on (a JSON-kind claim may itself be an array), so count. */
        size_t earlier = 0;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(cs->v[k].type, c->type)) earlier++;
        if (earlier == 1) {
            json_t *arr = json_array();
            if (!arr || json_array_append(arr, prev) || json_array_append_new(arr, val) ||
                json_object_set_new(obj, c->type, arr)) {
                json_decref(val);
                rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
                goto done;
            }
        } else if (json_array_append_new(prev, val)) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
            goto done;
        }
    }
    *out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (!*out) rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
done:
    json_decref(obj);
    return rc;
}

static avow_err add_json_value(avow_claims *cs, const char *type, json_t *v,
                               avow_claim_issuer issuer, avow_error *err)
{
    avow_err rc;
    if (json_is_string(v)) {
        rc = avow_claims_add_string(cs, type, json_string_value(v), issuer);
    } else if (json_is_integer(v)) {
        rc = avow_claims_add_int(cs, type, json_integer_value(v), issuer);
    } else if (json_is_boolean(v)) {
        rc = avow_claims_add_bool(cs, type, json_is_true(v), issuer);
    } else if (json_is_object(v) || json_is_array(v)) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
        rc = avow_claims_add_json(cs, type, text, issuer);
        free(text);
    } else {
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "claims: %s: null and real values are not supported", type);
    }
    if (rc) avow_error_set(err, rc, AVOW_NO_OFFSET, "claims: %s: cannot add", type);
    return rc;
}

avow_err avow_claims_from_json(const char *json, size_t len, avow_claim_issuer issuer,
                               bool split_arrays, avow_claims **out, avow_error *err)
{
    if (!json || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "claims: no input");
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)je.position, "claims: %s", je.text);
    avow_err rc = AVOW_OK;
    avow_claims *cs = NULL;
    if (!json_is_object(root)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, 0, "claims: not a JSON object");
        goto done;
    }
    cs = avow_claims_new();
    if (!cs) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "claims: no memory");
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (split_arrays && json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if ((rc = add_json_value(cs, key, e, issuer, err))) goto done;
            }
        } else if ((rc = add_json_value(cs, key, v, issuer, err))) {
            goto done;
        }
    }
    *out = cs;
    cs = NULL;
done:
    avow_claims_free(cs);
    json_decref(root);
    return rc;
}
