/* The pieces of TCB Info and enclave-identity JSON that both simulated
 * issuers write (issue.c for SGX TCB Info and QE Identity, issue_tdx.c for
 * TDX TCB Info): Intel's default advisory lists per status, a TCB level, the
 * TCB Info head, the platform's levels, an identity level.
 * Thread-safe: no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "sim/sim_internal.h"

#define DAY 86400LL

static const char *const SA_SW[] = {"INTEL-SA-00615"};
static const char *const SA_CONF[] = {"INTEL-SA-00289"};
static const char *const SA_CONF_SW[] = {"INTEL-SA-00289", "INTEL-SA-00615"};
static const char *const SA_OOD[] = {"INTEL-SA-00828"};
static const char *const SA_OOD_CONF[] = {"INTEL-SA-00289", "INTEL-SA-00828"};

void sim_default_advisories(avow_tcb_status s, const char *const **ids, size_t *n)
{
    switch (s) {
        case AVOW_TCB_SW_HARDENING_NEEDED:
            *ids = SA_SW, *n = 1;
            break;
        case AVOW_TCB_CONFIGURATION_NEEDED:
            *ids = SA_CONF, *n = 1;
            break;
        case AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
            *ids = SA_CONF_SW, *n = 2;
            break;
        case AVOW_TCB_OUT_OF_DATE:
        case AVOW_TCB_REVOKED:
            *ids = SA_OOD, *n = 1;
            break;
        case AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED:
            *ids = SA_OOD_CONF, *n = 2;
            break;
        default:
            *ids = NULL, *n = 0;
            break;
    }
}

void sim_put_tcb_level(sim_sb *b, const uint8_t comps[16], uint32_t pcesvn, const uint8_t *tdx,
                       avow_time date, avow_tcb_status st, const char *const *ids, size_t n_ids,
                       bool first)
{
    sim_sb_printf(b, "%s{\"tcb\":{\"sgxtcbcomponents\":[", first ? "" : ",");
    for (int i = 0; i < 16; i++)
        sim_sb_printf(b, "%s{\"svn\":%u}", i ? "," : "", comps[i]);
    sim_sb_printf(b, "],\"pcesvn\":%u", pcesvn);
    if (tdx) {
        sim_sb_printf(b, ",\"tdxtcbcomponents\":[");
        for (int i = 0; i < 16; i++)
            sim_sb_printf(b, "%s{\"svn\":%u}", i ? "," : "", tdx[i]);
        sim_sb_printf(b, "]");
    }
    sim_sb_printf(b, "},");
    sim_put_date(b, "tcbDate", date);
    sim_sb_printf(b, ",\"tcbStatus\":\"%s\"", avow_tcb_status_name(st));
    sim_put_advisories(b, ids, n_ids);
    sim_sb_printf(b, "}");
}

void sim_put_tcb_info_head(sim_sb *b, const char *id, const avow_sim_platform *p,
                           const avow_sim_collateral_opts *o, avow_time next)
{
    char fmspc[13];
    sim_upper_hex(p->opts.fmspc, 6, fmspc);
    sim_sb_printf(b, "{\"id\":\"%s\",\"version\":3,", id);
    sim_put_date(b, "issueDate", o->issue_date);
    sim_sb_printf(b, ",");
    sim_put_date(b, "nextUpdate", next);
    sim_sb_printf(b,
                  ",\"fmspc\":\"%s\",\"pceId\":\"0000\",\"tcbType\":0,"
                  "\"tcbEvaluationDataNumber\":%d",
                  fmspc, o->tcb_eval_num ? o->tcb_eval_num : 17);
}

void sim_put_platform_levels(sim_sb *b, const avow_sim_platform *p,
                             const avow_sim_collateral_opts *o, avow_tcb_status st,
                             const uint8_t *tdx, bool after_top)
{
    const uint8_t *c = p->opts.comp_svn;
    uint32_t pce = p->opts.pce_svn;
    avow_time today = sim_day_floor(o->issue_date);
    const char *const *ids = o->advisory_ids;
    size_t n_ids = o->n_advisory_ids;
    if (!ids) sim_default_advisories(st, &ids, &n_ids);
    bool first = !after_top;
    if (!after_top && st != AVOW_TCB_UP_TO_DATE) {
        /* A newer UpToDate level the platform does not reach: PCESVN + 1. */
        sim_put_tcb_level(b, c, pce + 1, tdx, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0,
                          first);
        first = false;
    }
    sim_put_tcb_level(b, c, pce, tdx, today - (st == AVOW_TCB_UP_TO_DATE ? 30 : 400) * DAY, st, ids,
                      n_ids, first);
    if (pce > 0) {
        /* An older level below the platform's (never matched first). */
        const char *const *oids;
        size_t on;
        sim_default_advisories(AVOW_TCB_OUT_OF_DATE, &oids, &on);
        sim_put_tcb_level(b, c, pce - 1, tdx, today - 800 * DAY, AVOW_TCB_OUT_OF_DATE, oids, on,
                          false);
    }
}

void sim_put_identity_level(sim_sb *b, uint32_t svn, avow_time date, avow_tcb_status st,
                            const char *const *ids, size_t n, bool first)
{
    sim_sb_printf(b, "%s{\"tcb\":{\"isvsvn\":%u},", first ? "" : ",", svn);
    sim_put_date(b, "tcbDate", date);
    sim_sb_printf(b, ",\"tcbStatus\":\"%s\"", avow_tcb_status_name(st));
    sim_put_advisories(b, ids, n);
    sim_sb_printf(b, "}");
}
