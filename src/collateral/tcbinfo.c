/* TCB Info v2 / v3 (SGX and TDX) parser (tcb.h, docs/verification.md A4).
 * Takes the exact signed `tcbInfo` object, checks every field's type, range,
 * hex length and date, rejects duplicate levels and sorts levels the way
 * Intel does (descending by the 16 SGX SVNs, then PCESVN, then the 16 TDX
 * SVNs) instead of trusting JSON order. Unknown members are ignored, as
 * Intel's parser does, so that Intel can add fields. Thread-safe: no state. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/tcb.h"
#include "collateral/jfield.h"

#define P_ROOT "tcbInfo"

static avow_err fmt(avow_error *err, const char *f, const char *path, const char *detail)
{
    return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, f, path, detail);
}

/* sgxtcbcomponents / tdxtcbcomponents: exactly 16 {svn, category?, type?}. */
static avow_err parse_components(json_t *tcb, const char *path, const char *key, uint8_t svn[16],
                                 avow_error *err)
{
    json_t *arr;
    avow_err e = jf_array(tcb, path, key, false, &arr, err);
    if (e) return e;
    if (json_array_size(arr) != 16)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.%s: expected 16 components, got %zu", path, key,
                              json_array_size(arr));
    for (size_t i = 0; i < 16; i++) {
        char p[JF_PATH_MAX];
        jf_pathf(p, "%s.%s[%zu]", path, key, i);
        json_t *c = json_array_get(arr, i);
        if (!json_is_object(c))
            return fmt(err, "%s: expected an object, got %s", p, jf_type_name(c));
        uint64_t v;
        if ((e = jf_uint(c, p, "svn", 255, &v, err))) return e;
        svn[i] = (uint8_t)v;
        if ((e = jf_opt_string(c, p, "category", err))) return e;
        if ((e = jf_opt_string(c, p, "type", err))) return e;
    }
    return AVOW_OK;
}

static avow_err parse_level(json_t *o, const char *path, const avow_tcb_info *ti,
                            avow_tcb_level *lv, avow_error *err)
{
    if (!json_is_object(o))
        return fmt(err, "%s: expected an object, got %s", path, jf_type_name(o));
    char tp[JF_PATH_MAX];
    jf_pathf(tp, "%s.tcb", path);
    json_t *tcb;
    uint64_t v;
    avow_err e = jf_object(o, path, "tcb", &tcb, err);
    if (e) return e;
    if (ti->version == 2) {
        for (int i = 0; i < 16; i++) {
            char key[JF_PATH_MAX];
            jf_pathf(key, "sgxtcbcomp%02dsvn", i + 1);
            if ((e = jf_uint(tcb, tp, key, 255, &v, err))) return e;
            lv->sgx_comp[i] = (uint8_t)v;
        }
    } else {
        if ((e = parse_components(tcb, tp, "sgxtcbcomponents", lv->sgx_comp, err))) return e;
        if (ti->is_tdx) {
            if ((e = parse_components(tcb, tp, "tdxtcbcomponents", lv->tdx_comp, err))) return e;
            lv->has_tdx = true;
        } else if (json_object_get(tcb, "tdxtcbcomponents")) {
            return fmt(err, "%s.%s: not allowed in SGX TCB Info", tp, "tdxtcbcomponents");
        }
    }
    if ((e = jf_uint(tcb, tp, "pcesvn", 65535, &v, err))) return e;
    lv->pcesvn = (uint16_t)v;
    if ((e = jf_date(o, path, "tcbDate", &lv->tcb_date, err))) return e;
    if ((e = jf_status(o, path, "tcbStatus", JF_TCB_STATUSES, &lv->status, err))) return e;
    return jf_advisories(o, path, &lv->advisory_ids, &lv->n_advisory_ids, err);
}

/* tdxModule (with_id false, no levels) or a tdxModuleIdentities entry. */
static avow_err parse_module(json_t *o, const char *path, bool with_id, avow_tdx_module_identity *m,
                             avow_error *err)
{
    if (!json_is_object(o))
        return fmt(err, "%s: expected an object, got %s", path, jf_type_name(o));
    avow_err e;
    if (with_id) {
        const char *id;
        size_t len;
        if ((e = jf_string(o, path, "id", &id, &len, err))) return e;
        /* Intel names them "TDX_%02X" after the module's major version and
         * compares ids case-insensitively (findTdxModuleIdentity); ids of
         * another form could never be selected, so they are rejected here. */
        bool ok = len == 6 && memcmp(id, "TDX_", 4) == 0;
        for (size_t i = 4; ok && i < 6; i++)
            ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'F') ||
                 (id[i] >= 'a' && id[i] <= 'f');
        if (!ok)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s.id: '%.*s' is not of the form TDX_XX", path,
                                  (int)(len > 32 ? 32 : len), id);
        for (size_t i = 0; i < 6; i++) /* kept upper-case, as Intel compares */
            m->id[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
        m->id[6] = '\0';
    }
    if ((e = jf_hex(o, path, "mrsigner", m->mrsigner, 48, err))) return e;
    if ((e = jf_hex(o, path, "attributes", m->attributes, 8, err))) return e;
    if ((e = jf_hex(o, path, "attributesMask", m->attributes_mask, 8, err))) return e;
    if (!with_id) return AVOW_OK;
    json_t *arr;
    char lp[JF_PATH_MAX];
    jf_pathf(lp, "%s.tcbLevels", path);
    if ((e = jf_array(o, path, "tcbLevels", true, &arr, err))) return e;
    /* ISVSVN 0..65535 as Intel's TdxModuleTcb parser takes it (a level above
     * 255 can never be met by TEE_TCB_SVN[0]) */
    return jf_identity_levels(arr, lp, 65535, &m->levels, &m->n_levels, err);
}

static avow_err parse_modules(json_t *root, avow_tcb_info *ti, avow_error *err)
{
    json_t *mod;
    avow_err e = jf_object(root, P_ROOT, "tdxModule", &mod, err);
    if (e) return e;
    if ((e = parse_module(mod, P_ROOT ".tdxModule", false, &ti->tdx_module, err))) return e;
    ti->has_tdx_module = true;
    json_t *ids = json_object_get(root, "tdxModuleIdentities");
    if (!ids) return AVOW_OK;
    if ((e = jf_array(root, P_ROOT, "tdxModuleIdentities", true, &ids, err))) return e;
    size_t n = json_array_size(ids);
    ti->tdx_module_identities = calloc(n, sizeof(*ti->tdx_module_identities));
    if (!ti->tdx_module_identities)
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char p[JF_PATH_MAX];
        jf_pathf(p, P_ROOT ".tdxModuleIdentities[%zu]", i);
        ti->n_tdx_module_identities = i + 1; /* so that free() sees it */
        if ((e = parse_module(json_array_get(ids, i), p, true, &ti->tdx_module_identities[i], err)))
            return e;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ti->tdx_module_identities[j].id, ti->tdx_module_identities[i].id) == 0)
                return fmt(err, "%s.id: duplicate module identity '%s'", p,
                           ti->tdx_module_identities[i].id);
    }
    return AVOW_OK;
}

/* Intel's order: descending by SGX SVNs (lexicographic), PCESVN, TDX SVNs. */
static int level_cmp_desc(const void *a, const void *b)
{
    const avow_tcb_level *x = a, *y = b;
    int c = memcmp(y->sgx_comp, x->sgx_comp, 16);
    if (c) return c;
    if (x->pcesvn != y->pcesvn) return x->pcesvn < y->pcesvn ? 1 : -1;
    return memcmp(y->tdx_comp, x->tdx_comp, 16);
}

static avow_err parse_root(json_t *root, avow_tcb_info *ti, avow_error *err)
{
    uint64_t v;
    avow_err e = jf_uint(root, P_ROOT, "version", INT_MAX, &v, err);
    if (e) return e;
    if (v != 2 && v != 3)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".version: unsupported version %d (expected 2 or 3)", (int)v);
    ti->version = (int)v;
    if (ti->version == 3) {
        const char *id;
        size_t len;
        if ((e = jf_string(root, P_ROOT, "id", &id, &len, err))) return e;
        if (len == 3 && memcmp(id, "TDX", 3) == 0)
            ti->is_tdx = true;
        else if (!(len == 3 && memcmp(id, "SGX", 3) == 0))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  P_ROOT ".id: '%.*s' is neither SGX nor TDX",
                                  (int)(len > 32 ? 32 : len), id);
    }
    if ((e = jf_date(root, P_ROOT, "issueDate", &ti->issue_date, err))) return e;
    if ((e = jf_date(root, P_ROOT, "nextUpdate", &ti->next_update, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "fmspc", ti->fmspc, 6, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "pceId", ti->pce_id, 2, err))) return e;
    if ((e = jf_uint(root, P_ROOT, "tcbType", INT_MAX, &v, err))) return e;
    if (v != 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".tcbType: %d is not supported (only 0)", (int)v);
    ti->tcb_type = 0;
    if ((e = jf_uint(root, P_ROOT, "tcbEvaluationDataNumber", INT_MAX, &v, err))) return e;
    ti->tcb_eval_num = (int)v;

    if (ti->is_tdx) {
        if ((e = parse_modules(root, ti, err))) return e;
    } else {
        static const char *const tdx_only[] = {"tdxModule", "tdxModuleIdentities"};
        for (size_t i = 0; i < 2; i++)
            if (json_object_get(root, tdx_only[i]))
                return fmt(err, "%s.%s: not allowed in SGX TCB Info", P_ROOT, tdx_only[i]);
    }

    json_t *levels;
    if ((e = jf_array(root, P_ROOT, "tcbLevels", true, &levels, err))) return e;
    size_t n = json_array_size(levels);
    ti->levels = calloc(n, sizeof(*ti->levels));
    if (!ti->levels) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char p[JF_PATH_MAX];
        jf_pathf(p, P_ROOT ".tcbLevels[%zu]", i);
        ti->n_levels = i + 1;
        if ((e = parse_level(json_array_get(levels, i), p, ti, &ti->levels[i], err))) return e;
    }
    qsort(ti->levels, n, sizeof(*ti->levels), level_cmp_desc);
    for (size_t i = 1; i < n; i++)
        if (level_cmp_desc(&ti->levels[i - 1], &ti->levels[i]) == 0)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  P_ROOT
                                  ".tcbLevels: duplicate level (two levels with the same "
                                  "components and pcesvn %u)",
                                  ti->levels[i].pcesvn);
    return AVOW_OK;
}

avow_err avow_tcb_info_parse(const char *json, size_t len, avow_tcb_info *out, avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "tcbInfo: no output");
    memset(out, 0, sizeof(*out));
    json_t *root;
    avow_err e = jf_load_object(json, len, P_ROOT, &root, err);
    if (e) return e;
    e = parse_root(root, out, err);
    json_decref(root);
    if (e) avow_tcb_info_free(out);
    return e;
}

static void free_module(avow_tdx_module_identity *m)
{
    jf_free_identity_levels(m->levels, m->n_levels);
    m->levels = NULL;
    m->n_levels = 0;
}

void avow_tcb_info_free(avow_tcb_info *t)
{
    if (!t) return;
    for (size_t i = 0; t->levels && i < t->n_levels; i++)
        jf_free_strings(t->levels[i].advisory_ids, t->levels[i].n_advisory_ids);
    free(t->levels);
    free_module(&t->tdx_module);
    for (size_t i = 0; t->tdx_module_identities && i < t->n_tdx_module_identities; i++)
        free_module(&t->tdx_module_identities[i]);
    free(t->tdx_module_identities);
    memset(t, 0, sizeof(*t));
}
