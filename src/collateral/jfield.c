/* Strict typed field access over jansson for the TCB Info and QE Identity
 * parsers (jfield.h). Messages start with the JSON path of the value.
 * Thread-safe: no state. */
#include "collateral/jfield.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/quote.h"

void jf_pathf(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, JF_PATH_MAX, fmt, ap);
    va_end(ap);
}

const char *jf_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
        case JSON_OBJECT:
            return "an object";
        case JSON_ARRAY:
            return "an array";
        case JSON_STRING:
            return "a string";
        case JSON_INTEGER:
            return "an integer";
        case JSON_REAL:
            return "a number with a fraction or exponent";
        case JSON_TRUE:
        case JSON_FALSE:
            return "a boolean";
        case JSON_NULL:
            return "null";
    }
    return "an unknown value";
}

avow_err jf_load_object(const char *json, size_t len, const char *what, json_t **out,
                        avow_error *err)
{
    *out = NULL;
    if (!json) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "%s: no JSON given", what);
    json_error_t je;
    /* Strict: duplicate keys rejected, EOF check on (no trailing data), no NUL. */
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root)
        return avow_error_set(err, AVOW_ERR_FORMAT, (size_t)je.position,
                              "%s: invalid JSON at offset %d: %s", what, je.position, je.text);
    if (!json_is_object(root)) {
        avow_err e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                    "%s: expected an object, got %s", what, jf_type_name(root));
        json_decref(root);
        return e;
    }
    *out = root;
    return AVOW_OK;
}

avow_err jf_parse_with(const char *json, size_t len, const char *what,
                       avow_err (*parse)(json_t *root, void *out, avow_error *err), void *out,
                       void (*release)(void *out), avow_error *err)
{
    json_t *root;
    avow_err e = jf_load_object(json, len, what, &root, err);
    if (!e) {
        e = parse(root, out, err);
        json_decref(root);
        if (e) release(out);
    }
    return e;
}

static avow_err member(json_t *obj, const char *path, const char *key, json_type type, json_t **out,
                       avow_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: missing", path, key);
    if (json_typeof(v) != type) {
        static const char *const want[] = {
            [JSON_OBJECT] = "an object",   [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
            [JSON_INTEGER] = "an integer", [JSON_REAL] = "a number",  [JSON_TRUE] = "a boolean",
            [JSON_FALSE] = "a boolean",    [JSON_NULL] = "null",
        };
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: expected %s, got %s",
                              path, key, want[type], jf_type_name(v));
    }
    *out = v;
    return AVOW_OK;
}

avow_err jf_object(json_t *obj, const char *path, const char *key, json_t **out, avow_error *err)
{
    return member(obj, path, key, JSON_OBJECT, out, err);
}

avow_err jf_array(json_t *obj, const char *path, const char *key, bool nonempty, json_t **out,
                  avow_error *err)
{
    avow_err e = member(obj, path, key, JSON_ARRAY, out, err);
    if (!e && nonempty && json_array_size(*out) == 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: empty array", path,
                              key);
    return e;
}

avow_err jf_string(json_t *obj, const char *path, const char *key, const char **s, size_t *len,
                   avow_error *err)
{
    json_t *v = NULL;
    avow_err e = member(obj, path, key, JSON_STRING, &v, err);
    if (e) return e;
    *s = json_string_value(v);
    *len = json_string_length(v);
    return AVOW_OK;
}

avow_err jf_opt_string(json_t *obj, const char *path, const char *key, avow_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_string(v)) return AVOW_OK;
    return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: expected a string, got %s",
                          path, key, jf_type_name(v));
}

/* jf_uint for a value already in hand; `path` names the value itself. */
static avow_err jf_uint_value(json_t *v, const char *path, uint64_t max, uint64_t *out,
                              avow_error *err)
{
    if (json_is_real(v))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: %g is not an integer",
                              path, json_real_value(v));
    if (!json_is_integer(v))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: expected an integer, got %s", path, jf_type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < 0 || (uint64_t)x > max)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: %" JSON_INTEGER_FORMAT " is out of range 0..%" PRIu64, path, x,
                              max);
    *out = (uint64_t)x;
    return AVOW_OK;
}

avow_err jf_uint(json_t *obj, const char *path, const char *key, uint64_t max, uint64_t *out,
                 avow_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: missing", path, key);
    char p[JF_PATH_MAX];
    jf_pathf(p, "%s.%s", path, key);
    return jf_uint_value(v, p, max, out, err);
}

avow_err jf_hex(json_t *obj, const char *path, const char *key, uint8_t *out, size_t n,
                avow_error *err)
{
    const char *s;
    size_t len;
    avow_err e = jf_string(obj, path, key, &s, &len, err);
    if (e) return e;
    if (len != 2 * n)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.%s: expected %zu hex digits, got %zu", path, key, 2 * n, len);
    avow_error sub;
    if (avow_hex_decode_fixed(s, len, out, n, &sub))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s.%s: '%.*s' is not hex",
                              path, key, (int)(len > 96 ? 96 : len), s);
    return AVOW_OK;
}

avow_err jf_date(json_t *obj, const char *path, const char *key, avow_time *out, avow_error *err)
{
    const char *s;
    size_t len;
    avow_err e = jf_string(obj, path, key, &s, &len, err);
    if (e) return e;
    avow_error sub;
    if (avow_time_parse_rfc3339(s, len, out, &sub))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.%s: '%.*s' is not an RFC 3339 date-time", path, key,
                              (int)(len > 40 ? 40 : len), s);
    return AVOW_OK;
}

avow_err jf_status(json_t *obj, const char *path, const char *key, unsigned allowed,
                   avow_tcb_status *out, avow_error *err)
{
    const char *s;
    size_t len;
    avow_err e = jf_string(obj, path, key, &s, &len, err);
    if (e) return e;
    avow_tcb_status st;
    if (avow_tcb_status_parse(s, len, &st) != AVOW_OK || !(allowed & JF_STATUS_BIT(st)))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.%s: unrecognized TCB status '%.*s'", path, key,
                              (int)(len > 48 ? 48 : len), s);
    *out = st;
    return AVOW_OK;
}

void jf_free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

avow_err jf_advisories(json_t *obj, const char *path, char ***ids, size_t *n, avow_error *err)
{
    *ids = NULL;
    *n = 0;
    json_t *arr = json_object_get(obj, "advisoryIDs");
    if (!arr) return AVOW_OK;
    if (!json_is_array(arr))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.advisoryIDs: expected an array, got %s", path, jf_type_name(arr));
    size_t count = json_array_size(arr);
    if (!count) return AVOW_OK;
    char **v = calloc(count, sizeof(*v));
    if (!v) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < count; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) {
            jf_free_strings(v, count);
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s.advisoryIDs[%zu]: expected a string, got %s", path, i,
                                  jf_type_name(s));
        }
        v[i] = strdup(json_string_value(s));
        if (!v[i]) {
            jf_free_strings(v, count);
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        }
    }
    *ids = v;
    *n = count;
    return AVOW_OK;
}

void jf_free_identity_levels(avow_qe_level *levels, size_t n)
{
    if (!levels) return;
    for (size_t i = 0; i < n; i++)
        jf_free_strings(levels[i].advisory_ids, levels[i].n_advisory_ids);
    free(levels);
}

static int level_cmp_desc(const void *a, const void *b)
{
    const avow_qe_level *x = a, *y = b;
    return (x->isvsvn < y->isvsvn) - (x->isvsvn > y->isvsvn);
}

avow_err jf_identity_levels(json_t *arr, const char *path, uint64_t max_isvsvn, avow_qe_level **out,
                            size_t *n_out, avow_error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t n = json_array_size(arr);
    if (!n) return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s: empty array", path);
    avow_qe_level *lv = calloc(n, sizeof(*lv));
    if (!lv) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err e = AVOW_OK;
    for (size_t i = 0; i < n && !e; i++) {
        char p[JF_PATH_MAX], tp[JF_PATH_MAX];
        jf_pathf(p, "%s[%zu]", path, i);
        json_t *o = json_array_get(arr, i), *tcb;
        uint64_t svn;
        if (!json_is_object(o)) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "%s: expected an object, got %s", p, jf_type_name(o));
            break;
        }
        jf_pathf(tp, "%s.tcb", p);
        if ((e = jf_object(o, p, "tcb", &tcb, err))) break;
        if ((e = jf_uint(tcb, tp, "isvsvn", max_isvsvn, &svn, err))) break;
        lv[i].isvsvn = (uint16_t)svn;
        if ((e = jf_date(o, p, "tcbDate", &lv[i].tcb_date, err))) break;
        if ((e = jf_status(o, p, "tcbStatus", JF_IDENTITY_STATUSES, &lv[i].status, err))) break;
        e = jf_advisories(o, p, &lv[i].advisory_ids, &lv[i].n_advisory_ids, err);
    }
    if (!e) {
        qsort(lv, n, sizeof(*lv), level_cmp_desc);
        for (size_t i = 1; i < n; i++)
            if (lv[i].isvsvn == lv[i - 1].isvsvn) {
                e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                   "%s: duplicate level for isvsvn %u", path, lv[i].isvsvn);
                break;
            }
    }
    if (e) {
        jf_free_identity_levels(lv, n);
        return e;
    }
    *out = lv;
    *n_out = n;
    return AVOW_OK;
}

avow_err jf_tee_type(const char *tcb_info, size_t len, uint32_t *tee, avow_error *err)
{
    json_t *root;
    avow_err e = jf_load_object(tcb_info, len, "tcbInfo", &root, err);
    if (e) return e;
    const char *id = json_string_value(json_object_get(root, "id"));
    *tee = id && strcmp(id, "TDX") == 0 ? AVOW_TEE_TDX : AVOW_TEE_SGX;
    json_decref(root);
    return AVOW_OK;
}
