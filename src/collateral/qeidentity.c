/* QE Identity v2 parser (tcb.h, docs/verification.md A5): id QE / TD_QE /
 * QVE, masks and values as raw bytes in report order, levels sorted by
 * descending ISVSVN with duplicates rejected. Same strictness as TCB Info;
 * unknown members are ignored as Intel does. Thread-safe: no state. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "avow/tcb.h"
#include "collateral/jfield.h"

#define P_ROOT "enclaveIdentity"

static avow_err parse_root(json_t *root, avow_qe_identity *q, avow_error *err)
{
    const char *id;
    size_t len;
    uint64_t v;
    avow_err e = jf_string(root, P_ROOT, "id", &id, &len, err);
    if (e) return e;
    static const char *const ids[] = {"QE", "TD_QE", "QVE"};
    bool known = false;
    for (size_t i = 0; i < 3 && !known; i++)
        known = strlen(ids[i]) == len && memcmp(ids[i], id, len) == 0;
    if (!known)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".id: '%.*s' is not QE, TD_QE or QVE",
                              (int)(len > 32 ? 32 : len), id);
    memcpy(q->id, id, len);
    q->id[len] = '\0';
    if ((e = jf_uint(root, P_ROOT, "version", INT_MAX, &v, err))) return e;
    if (v != 2)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              P_ROOT ".version: unsupported version %d (expected 2)", (int)v);
    q->version = 2;
    if ((e = jf_date(root, P_ROOT, "issueDate", &q->issue_date, err))) return e;
    if ((e = jf_date(root, P_ROOT, "nextUpdate", &q->next_update, err))) return e;
    if ((e = jf_uint(root, P_ROOT, "tcbEvaluationDataNumber", INT_MAX, &v, err))) return e;
    q->tcb_eval_num = (int)v;
    if ((e = jf_hex(root, P_ROOT, "miscselect", q->miscselect, 4, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "miscselectMask", q->miscselect_mask, 4, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "attributes", q->attributes, 16, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "attributesMask", q->attributes_mask, 16, err))) return e;
    if ((e = jf_hex(root, P_ROOT, "mrsigner", q->mrsigner, 32, err))) return e;
    if ((e = jf_uint(root, P_ROOT, "isvprodid", 65535, &v, err))) return e;
    q->isvprodid = (uint16_t)v;
    json_t *levels;
    if ((e = jf_array(root, P_ROOT, "tcbLevels", true, &levels, err))) return e;
    return jf_identity_levels(levels, P_ROOT ".tcbLevels", 65535, &q->levels, &q->n_levels, err);
}

avow_err avow_qe_identity_parse(const char *json, size_t len, avow_qe_identity *out,
                                avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, P_ROOT ": no output");
    memset(out, 0, sizeof(*out));
    json_t *root;
    avow_err e = jf_load_object(json, len, P_ROOT, &root, err);
    if (e) return e;
    e = parse_root(root, out, err);
    json_decref(root);
    if (e) avow_qe_identity_free(out);
    return e;
}

void avow_qe_identity_free(avow_qe_identity *q)
{
    if (!q) return;
    jf_free_identity_levels(q->levels, q->n_levels);
    memset(q, 0, sizeof(*q));
}
