/* The policy functions of version 1.2 (docs/maa.md §3.7):
 * AppendString, NegateBool, JsonToClaimValue, IsSubsetOf, ContainsOnlyValue,
 * and the per-evaluation bump allocator their results live in. JmesPath is
 * not implemented (no proper JMESPath engine here), so the parser rejects it
 * at load time like any unknown name. Every function charges its work and
 * its results' bytes to the evaluation's limits (policy_int.h). Thread-safe: constant tables; an
 * arena belongs to one evaluation. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

static const fn_info functions[] = {
    {"AppendString", FN_APPEND_STRING, 2},
    {"NegateBool", FN_NEGATE_BOOL, 1},
    {"JsonToClaimValue", FN_JSON_TO_CLAIM_VALUE, 1},
    {"IsSubsetOf", FN_IS_SUBSET_OF, 2},
    {"ContainsOnlyValue", FN_CONTAINS_ONLY_VALUE, 2},
};

const fn_info *policy_fn_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
        if (!strcmp(functions[i].name, name)) return &functions[i];
    return NULL;
}

bool policy_fn_set_arg(fn_kind fn, size_t i)
{
    return fn == FN_IS_SUBSET_OF || (fn == FN_CONTAINS_ONLY_VALUE && i == 0);
}

/* ---- arena --------------------------------------------------------------- */

struct arena_chunk {
    arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *arena_alloc(arena *a, size_t n)
{
    if (n > POLICY_MAX_BYTES || a->total > POLICY_MAX_BYTES - n) {
        a->capped = true;
        return NULL;
    }
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0) n = sizeof(max_align_t);
    a->total += n;
    arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        c = malloc(sizeof(*c) + cap);
        if (!c) return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX) return NULL;
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_free(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- helpers ------------------------------------------------------------- */

int policy_strcmp_charged(const char *a, const char *b, policy_work *w)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    policy_work_charge(w, i / POLICY_WORK_BYTES);
    return (unsigned char)a[i] - (unsigned char)b[i];
}

static bool is_stringish(const avow_claim_value *v)
{
    return v->kind == AVOW_CLAIM_STRING || v->kind == AVOW_CLAIM_JSON;
}

/* Value equality where a JSON claim counts as a String claim with its text;
 * one unit of work, and the bytes compared. */
static bool value_eq(const avow_claim_value *a, const avow_claim_value *b, policy_work *w)
{
    policy_work_charge(w, 1);
    if (is_stringish(a) && is_stringish(b)) return !policy_strcmp_charged(a->str, b->str, w);
    return avow_claim_value_equal(a, b);
}

/* Views any value as a list of items (scalar: one; empty: none). */
static void as_items(const pval *v, const avow_claim_value **items, size_t *n)
{
    if (v->shape == PV_SET) {
        *items = v->items;
        *n = v->n;
    } else if (v->shape == PV_SCALAR) {
        *items = &v->v;
        *n = 1;
    } else {
        *items = NULL;
        *n = 0;
    }
}

static bool fail(char *why, size_t len, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return false;
}

/* An allocation from the arena failed: its cap, or the system's memory. */
static bool no_memory(const arena *a, char *why, size_t len)
{
    return fail(why, len, a->capped ? POLICY_BYTES_MSG : "out of memory");
}

static bool json_primitive(json_t *j, arena *a, avow_claim_value *out, bool *skip, char *why,
                           size_t why_len)
{
    *skip = false;
    if (json_is_integer(j)) {
        out->kind = AVOW_CLAIM_INTEGER;
        out->integer = json_integer_value(j);
    } else if (json_is_boolean(j)) {
        out->kind = AVOW_CLAIM_BOOLEAN;
        out->boolean = json_is_true(j);
    } else if (json_is_string(j)) {
        out->kind = AVOW_CLAIM_STRING;
        out->str = arena_strndup(a, json_string_value(j), strlen(json_string_value(j)));
        if (!out->str) return no_memory(a, why, why_len);
    } else if (json_is_null(j)) {
        *skip = true;
    } else if (json_is_real(j)) {
        return fail(why, why_len, "JsonToClaimValue: fractional numbers are not claim values");
    } else {
        return fail(why, why_len, "JsonToClaimValue: objects are not claim values");
    }
    return true;
}

static bool json_to_claim_value(const pval *arg, arena *a, policy_work *w, pval *out, char *why,
                                size_t why_len)
{
    if (arg->shape != PV_SCALAR || !is_stringish(&arg->v))
        return fail(why, why_len, "JsonToClaimValue needs a string holding JSON");
    if (!policy_work_charge(w, 1 + strlen(arg->v.str) / POLICY_WORK_BYTES))
        return fail(why, why_len, POLICY_WORK_MSG);
    json_error_t je;
    json_t *j = json_loads(arg->v.str, JSON_DECODE_ANY, &je);
    if (!j) return fail(why, why_len, "JsonToClaimValue: the argument is not valid JSON");
    bool ok = true, skip;
    if (json_is_null(j)) {
        out->shape = PV_EMPTY;
    } else if (json_is_array(j)) {
        size_t n = json_array_size(j), k = 0;
        out->shape = PV_SET;
        out->items = arena_alloc(a, (n ? n : 1) * sizeof(avow_claim_value));
        if (!out->items) ok = no_memory(a, why, why_len);
        for (size_t i = 0; ok && i < n; i++) {
            json_t *e = json_array_get(j, i);
            if (json_is_array(e) || json_is_object(e)) {
                ok = fail(why, why_len,
                          "JsonToClaimValue: arrays may hold only numbers, booleans, strings and "
                          "null");
                break;
            }
            memset(&out->items[k], 0, sizeof(out->items[k]));
            ok = json_primitive(e, a, &out->items[k], &skip, why, why_len);
            if (ok && !skip) k++;
        }
        out->n = k;
    } else {
        out->shape = PV_SCALAR;
        memset(&out->v, 0, sizeof(out->v));
        ok = json_primitive(j, a, &out->v, &skip, why, why_len);
        if (ok && skip) out->shape = PV_EMPTY;
    }
    json_decref(j);
    return ok;
}

bool policy_fn_apply(fn_kind fn, const pval *args, size_t nargs, arena *a, policy_work *w,
                     pval *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof(*out));
    out->shape = PV_SCALAR;
    switch (fn) {
        case FN_APPEND_STRING: {
            if (nargs != 2 || args[0].shape != PV_SCALAR || args[1].shape != PV_SCALAR ||
                !is_stringish(&args[0].v) || !is_stringish(&args[1].v))
                return fail(why, why_len, "AppendString needs two strings");
            size_t l0 = strlen(args[0].v.str), l1 = strlen(args[1].v.str);
            if (l0 > (SIZE_MAX - 1) / 2 || l1 > (SIZE_MAX - 1) / 2 || l0 + l1 > (1u << 20))
                return fail(why, why_len, "AppendString: result longer than 1 MiB");
            if (!policy_work_charge(w, 1 + (l0 + l1) / POLICY_WORK_BYTES))
                return fail(why, why_len, POLICY_WORK_MSG);
            char *s = arena_alloc(a, l0 + l1 + 1);
            if (!s) return no_memory(a, why, why_len);
            memcpy(s, args[0].v.str, l0);
            memcpy(s + l0, args[1].v.str, l1 + 1);
            out->v.kind = AVOW_CLAIM_STRING;
            out->v.str = s;
            return true;
        }
        case FN_NEGATE_BOOL:
            if (nargs != 1 || args[0].shape != PV_SCALAR || args[0].v.kind != AVOW_CLAIM_BOOLEAN)
                return fail(why, why_len, "NegateBool needs a boolean");
            out->v.kind = AVOW_CLAIM_BOOLEAN;
            out->v.boolean = !args[0].v.boolean;
            return true;
        case FN_JSON_TO_CLAIM_VALUE:
            if (nargs != 1) return fail(why, why_len, "JsonToClaimValue takes one argument");
            return json_to_claim_value(&args[0], a, w, out, why, why_len);
        case FN_IS_SUBSET_OF: {
            if (nargs != 2) return fail(why, why_len, "IsSubsetOf takes two arguments");
            const avow_claim_value *x, *y;
            size_t nx, ny;
            as_items(&args[0], &x, &nx);
            as_items(&args[1], &y, &ny);
            bool subset = true;
            for (size_t i = 0; subset && i < nx; i++) {
                bool found = false;
                for (size_t k = 0; !found && k < ny && w->used <= POLICY_MAX_WORK; k++)
                    found = value_eq(&x[i], &y[k], w);
                if (w->used > POLICY_MAX_WORK) return fail(why, why_len, POLICY_WORK_MSG);
                subset = found;
            }
            out->v.kind = AVOW_CLAIM_BOOLEAN;
            out->v.boolean = subset;
            return true;
        }
        case FN_CONTAINS_ONLY_VALUE: {
            if (nargs != 2 || args[1].shape != PV_SCALAR)
                return fail(why, why_len, "ContainsOnlyValue needs a set and a single value");
            const avow_claim_value *x;
            size_t nx;
            as_items(&args[0], &x, &nx);
            bool only = nx > 0;
            for (size_t i = 0; only && i < nx && w->used <= POLICY_MAX_WORK; i++)
                only = value_eq(&x[i], &args[1].v, w);
            if (w->used > POLICY_MAX_WORK) return fail(why, why_len, POLICY_WORK_MSG);
            out->v.kind = AVOW_CLAIM_BOOLEAN;
            out->v.boolean = only;
            return true;
        }
    }
    return fail(why, why_len, "unknown function");
}
