/* GET /tcbbaselines/{SgxEnclave|OpenEnclave|TdxVm}[?provideCurrentTcbInPolicy=true]:
 * MAA's TcbBaselineResult (docs/maa.md §1.11), {"tcbBaselines":[TcbBaseline,
 * ...]}, one baseline per TCB evaluation number of Intel's evaluation
 * numbers document held for the type's TEE, newest first, after MAA's
 * "azuredefault" entry (avowd's default: --tcb-eval-num, else the newest set
 * held per platform). A baseline: tcbIdentifier (the number as a string),
 * tcbEvaluationDataNumber, tcbReleaseDate (Intel's tcbDate of the number),
 * minimumPswLinuxVersion / minimumPswWindowsVersion (configuration, when
 * set), isSelectedTcb (what the policy in force selects with
 * x-ms-sgx-tcbidentifier). With provideCurrentTcbInPolicy=true only the
 * selected baseline. Anyone may ask, like /certs (docs/security.md).
 * Thread-safety: per-request state only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "avow/attest.h"
#include "avow/evalnum.h"
#include "avow/quote.h"
#include "server/policies.h"
#include "server/service.h"
#include "server/tcbbaselines.h"

static json_t *baseline(const avowd *d, const char *id, int num, avow_time date, bool selected)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "tcbIdentifier", json_string(id));
    if (num > 0) json_object_set_new(o, "tcbEvaluationDataNumber", json_integer(num));
    if (date) {
        char when[21];
        avow_time_format(date, when);
        json_object_set_new(o, "tcbReleaseDate", json_string(when));
    }
    if (d->cfg->min_psw_linux)
        json_object_set_new(o, "minimumPswLinuxVersion", json_string(d->cfg->min_psw_linux));
    if (d->cfg->min_psw_windows)
        json_object_set_new(o, "minimumPswWindowsVersion", json_string(d->cfg->min_psw_windows));
    json_object_set_new(o, "isSelectedTcb", json_boolean(selected));
    return o;
}

int avowd_handle_tcbbaselines(avowd_req *r)
{
    avowd *d = r->d;
    const char *type = r->path + strlen("/tcbbaselines/");
    avow_attest_type t = avow_attest_type_parse(type);
    int ti = t ? avowd_policy_type_index(avow_attest_type_name(t)) : -1;
    if (ti < 0)
        return avowd_error(r, 400, "InvalidParameter",
                           "TCB baselines are kept for SgxEnclave, OpenEnclave and TdxVm, not "
                           "'%.64s'",
                           type);
    const char *cur = avowd_req_query(r, "provideCurrentTcbInPolicy");
    bool current_only = cur && !strcasecmp(cur, "true");

    avowd_pol *pol = avowd_pol_get(d, ti);
    int sel = 0;
    avow_error err;
    avow_error_clear(&err);
    avow_err e = avow_attest_tcb_eval_num(pol->policy, &sel, &err);
    avowd_pol_put(pol);
    if (e != AVOW_OK) return avowd_error(r, 500, "InternalError", "%s", err.msg);

    avow_evalnums doc;
    e = avow_pccs_evalnums(d->pccs, avow_attest_type_tee(t), &doc, &err);
    if (e != AVOW_OK && e != AVOW_ERR_NOT_FOUND)
        return avowd_error(r, 503, "InternalError", "%s", err.msg);
    if (e == AVOW_ERR_NOT_FOUND) memset(&doc, 0, sizeof(doc));

    json_t *list = json_array();
    int def = (int)d->cfg->tcb_eval_num;
    const avow_evalnum_entry *de = def ? avow_evalnums_find(&doc, def) : NULL;
    if (!current_only || sel == 0)
        json_array_append_new(list,
                              baseline(d, "azuredefault", def, de ? de->tcb_date : 0, sel == 0));
    bool listed = false;
    for (size_t i = doc.n_entries; i-- > 0;) {
        const avow_evalnum_entry *en = &doc.entries[i];
        bool is_sel = sel > 0 && en->number == sel;
        listed |= is_sel;
        if (current_only && !is_sel) continue;
        char id[16];
        snprintf(id, sizeof(id), "%d", en->number);
        json_array_append_new(list, baseline(d, id, en->number, en->tcb_date, is_sel));
    }
    if (sel > 0 && !listed) { /* selected by the policy, not (or no longer) listed by Intel */
        char id[16];
        snprintf(id, sizeof(id), "%d", sel);
        json_array_append_new(list, baseline(d, id, sel, 0, true));
    }
    avow_evalnums_free(&doc);
    json_t *o = json_pack("{s:o}", "tcbBaselines", list);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) return avowd_error(r, 500, "InternalError", "out of memory");
    return avowd_respond_take(r, 200, AVOWD_JSON, body, strlen(body));
}
