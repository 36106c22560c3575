/* avow_verify_result_json and avow_supplemental_json (result_json.h). Hex is
 * lower-case; integers are JSON integers; times are RFC 3339 strings.
 * Thread-safe: no state. */
#include "verify/result_json.h"

#include <stdlib.h>

#include "avow/encode.h"
#include "avow/quote.h"

static json_t *hex(const uint8_t *b, size_t n)
{
    char s[2 * 64 + 1];
    if (n > 64) return json_null();
    avow_hex_encode(b, n, s);
    return json_string(s);
}

static json_t *when(avow_time t)
{
    if (!t) return json_null();
    char s[21];
    avow_time_format(t, s);
    return json_string(s);
}

static json_t *report_json(const avow_verify_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "mrenclave", hex(r->mr_enclave, 32));
    json_object_set_new(o, "mrsigner", hex(r->mr_signer, 32));
    json_object_set_new(o, "isv_prod_id", json_integer(r->isv_prod_id));
    json_object_set_new(o, "isv_svn", json_integer(r->isv_svn));
    json_object_set_new(o, "attributes", hex(r->attributes, 16));
    json_object_set_new(o, "report_data", hex(r->report_data, 64));
    json_object_set_new(o, "misc_select", json_integer(r->misc_select));
    json_object_set_new(o, "config_svn", json_integer(r->config_svn));
    json_object_set_new(o, "cpu_svn", hex(r->cpu_svn, 16));
    json_object_set_new(o, "isv_ext_prod_id", hex(r->isv_ext_prod_id, 16));
    json_object_set_new(o, "isv_family_id", hex(r->isv_family_id, 16));
    json_object_set_new(o, "config_id", hex(r->config_id, 64));
    json_object_set_new(o, "debug", json_boolean(r->debug));
    return o;
}

/* The TD report (design.md "Interfaces"): lower-case hex. */
static json_t *td_json(const avow_td_info *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "tee_tcb_svn", hex(t->tee_tcb_svn, 16));
    json_object_set_new(o, "mrseam", hex(t->mr_seam, 48));
    json_object_set_new(o, "mrsignerseam", hex(t->mr_signer_seam, 48));
    json_object_set_new(o, "seam_attributes", hex(t->seam_attributes, 8));
    json_object_set_new(o, "td_attributes", hex(t->td_attributes, 8));
    json_object_set_new(o, "xfam", hex(t->xfam, 8));
    json_object_set_new(o, "mrtd", hex(t->mr_td, 48));
    json_object_set_new(o, "mrconfigid", hex(t->mr_config_id, 48));
    json_object_set_new(o, "mrowner", hex(t->mr_owner, 48));
    json_object_set_new(o, "mrownerconfig", hex(t->mr_owner_config, 48));
    for (int i = 0; i < 4; i++) {
        char k[6] = {'r', 't', 'm', 'r', (char)('0' + i), '\0'};
        json_object_set_new(o, k, hex(t->rtmr[i], 48));
    }
    json_object_set_new(o, "report_data", hex(t->report_data, 64));
    if (t->body_type == AVOW_BODY_TD15) {
        json_object_set_new(o, "tee_tcb_svn_2", hex(t->tee_tcb_svn2, 16));
        json_object_set_new(o, "mrservicetd", hex(t->mr_service_td, 48));
    }
    return o;
}

static json_t *status_or_null(avow_tcb_status s)
{
    const char *n = avow_tcb_status_name(s);
    return n ? json_string(n) : json_null();
}

static json_t *ids_json(char *const *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
}

static json_t *platform_json(const avow_verify_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "tee",
                        json_string(r->tee_type == AVOW_TEE_TDX   ? "tdx"
                                    : r->tee_type == AVOW_TEE_SGX ? "sgx"
                                                                  : "unknown"));
    json_object_set_new(o, "quote_version", json_integer(r->quote_version));
    json_object_set_new(o, "qe_svn", json_integer(r->qe_svn));
    json_object_set_new(o, "pce_svn", json_integer(r->pce_svn));
    if (r->have_pck) {
        json_object_set_new(o, "fmspc", hex(r->pck.fmspc, 6));
        json_object_set_new(o, "pce_id", hex(r->pck.pce_id, 2));
        json_object_set_new(o, "pck_ca", json_string(avow_pck_ca_name(r->pck_ca)));
        json_object_set_new(o, "pcesvn", json_integer(r->pck.pcesvn));
        json_object_set_new(o, "cpusvn", hex(r->pck.cpusvn, 16));
        json_t *comp = json_array();
        for (int i = 0; i < 16; i++)
            json_array_append_new(comp, json_integer(r->pck.comp_svn[i]));
        json_object_set_new(o, "tcb_components", comp);
        json_object_set_new(o, "sgx_type", json_integer(r->pck.sgx_type));
    } else {
        json_object_set_new(o, "fmspc", json_null());
        json_object_set_new(o, "pce_id", json_null());
        json_object_set_new(o, "pck_ca", json_null());
    }
    json_object_set_new(o, "tcb_date", when(r->tcb_date));
    json_object_set_new(o, "tcb_eval_num",
                        r->tcb_eval_num ? json_integer(r->tcb_eval_num) : json_null());
    json_object_set_new(o, "platform_status", status_or_null(r->platform_status));
    json_object_set_new(o, "qe_status", status_or_null(r->qe_status));
    json_object_set_new(o, "earliest_expiration", when(r->earliest_expiration));
    if (r->is_td) { /* the TDX parts of the verdict (docs/tdx.md) */
        json_object_set_new(o, "sgx_tcb_status", status_or_null(r->sgx_tcb_status));
        json_object_set_new(o, "module_status", status_or_null(r->module_status));
        json_object_set_new(o, "module_id", json_string(r->module_id));
        json_object_set_new(o, "module_advisory_ids",
                            ids_json(r->module_advisory_ids, r->n_module_advisory_ids));
    }
    return o;
}

static json_t *flag_json(avow_pck_flag f)
{
    return f == AVOW_PCK_FLAG_TRUE    ? json_true()
           : f == AVOW_PCK_FLAG_FALSE ? json_false()
                                      : json_null();
}

json_t *avow_supplemental_json(const avow_verify_result *r)
{
    const avow_supplemental *s = &r->supplemental;
    if (!s->valid) return json_null();
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "major_version", json_integer(s->major_version));
    json_object_set_new(o, "minor_version", json_integer(s->minor_version));
    json_object_set_new(o, "earliest_issue_date", when(s->earliest_issue_date));
    json_object_set_new(o, "latest_issue_date", when(s->latest_issue_date));
    json_object_set_new(o, "earliest_expiration_date", when(s->earliest_expiration_date));
    json_object_set_new(o, "tcb_level_date_tag", when(s->tcb_level_date_tag));
    json_object_set_new(o, "platform_tcb_level_date_tag", when(s->platform_tcb_level_date_tag));
    json_object_set_new(o, "pck_crl_num",
                        s->has_pck_crl_num ? json_integer(s->pck_crl_num) : json_null());
    json_object_set_new(o, "root_ca_crl_num",
                        s->has_root_ca_crl_num ? json_integer(s->root_ca_crl_num) : json_null());
    json_object_set_new(o, "tcb_eval_ref_num", json_integer(s->tcb_eval_ref_num));
    json_object_set_new(o, "root_key_id", hex(s->root_key_id, sizeof(s->root_key_id)));
    json_object_set_new(o, "pck_ppid", hex(s->pck_ppid, 16));
    json_object_set_new(o, "tcb_cpusvn", hex(s->tcb_cpusvn, 16));
    json_object_set_new(o, "tcb_pce_isvsvn", json_integer(s->tcb_pce_isvsvn));
    json_object_set_new(o, "pce_id", hex(s->pce_id, 2));
    json_object_set_new(o, "tee_type", json_integer(s->tee_type));
    json_object_set_new(o, "sgx_type", json_integer(s->sgx_type));
    json_object_set_new(
        o, "platform_instance_id",
        s->has_platform_instance_id ? hex(s->platform_instance_id, 16) : json_null());
    json_object_set_new(o, "dynamic_platform", flag_json(s->dynamic_platform));
    json_object_set_new(o, "cached_keys", flag_json(s->cached_keys));
    json_object_set_new(o, "smt_enabled", flag_json(s->smt_enabled));
    json_object_set_new(o, "sa_list", json_string(s->sa_list ? s->sa_list : ""));
    json_object_set_new(o, "qe_iden_earliest_issue_date", when(s->qe_iden_earliest_issue_date));
    json_object_set_new(o, "qe_iden_latest_issue_date", when(s->qe_iden_latest_issue_date));
    json_object_set_new(o, "qe_iden_earliest_expiration_date",
                        when(s->qe_iden_earliest_expiration_date));
    json_object_set_new(o, "qe_iden_tcb_level_date_tag", when(s->qe_iden_tcb_level_date_tag));
    json_object_set_new(o, "qe_iden_tcb_eval_ref_num", json_integer(s->qe_iden_tcb_eval_ref_num));
    json_object_set_new(o, "qe_iden_status", json_integer(s->qe_iden_status));
    json_object_set_new(o, "collateral_expiration_status",
                        json_integer(s->collateral_expiration_status));
    if (s->tee_type == AVOW_TEE_TDX) {
        json_object_set_new(o, "tdx_module_major_ver", json_integer(s->tdx_module_major_ver));
        json_object_set_new(o, "tdx_module_svn", json_integer(s->tdx_module_svn));
        json_object_set_new(o, "tdx_module_tcb_level_date_tag",
                            when(s->tdx_module_tcb_level_date_tag));
    }
    return o;
}

json_t *avow_verify_result_json(const avow_verify_result *r)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "verdict", json_string(r->ok ? "ok" : "fail"));
    json_object_set_new(o, "status", status_or_null(r->status));
    json_object_set_new(o, "advisory_ids", ids_json(r->advisory_ids, r->n_advisory_ids));
    json_object_set_new(o, "result_code", json_integer(r->result_code));
    json_object_set_new(o, "result_name", json_string(avow_qv_result_name(r->result_code)));
    json_object_set_new(o, "collateral_expired", json_boolean(r->collateral_expired));
    json_object_set_new(o, "debug", json_boolean(r->debug));
    json_object_set_new(o, "crl_missing", json_boolean(r->crl_missing));
    json_object_set_new(o, "simulated_root", json_boolean(r->simulated_root));
    if (!r->ok) {
        json_object_set_new(o, "reason", json_string(r->reason));
        json_object_set_new(o, "error", json_string(avow_err_name(r->err)));
    }
    json_t *checks = json_array();
    for (size_t i = 0; i < r->trace.count; i++) {
        const avow_trace_entry *e = &r->trace.entries[i];
        json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "step", e->step, "pass", e->pass,
                                                "detail", e->detail ? e->detail : ""));
    }
    json_object_set_new(o, "checks", checks);
    /* SGX quotes carry `report`, TD quotes `td` */
    if (r->is_td)
        json_object_set_new(o, "td", td_json(&r->td));
    else
        json_object_set_new(o, "report", report_json(r));
    json_object_set_new(o, "platform", platform_json(r));
    json_object_set_new(o, "supplemental", avow_supplemental_json(r));
    return o;
}
