/* The simulated PCS: issues collateral for a platform in Intel's formats —
 * TCB Info v3 and QE Identity v2 as compact JSON signed (ECDSA P-256, raw
 * r||s) over the exact bytes by the TCB Signing key, the root CA and PCK CRLs,
 * and the issuer chains — with the levels built so that the platform and the
 * QE land on the statuses asked for.
 * Thread-safe: reads the platform only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "sim/sim_internal.h"

#define DAY 86400LL

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} sb;

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static void upper_hex(const uint8_t *in, size_t n, char *out)
{
    static const char H[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = H[in[i] >> 4];
        out[2 * i + 1] = H[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void put_date(sb *b, const char *key, avow_time t)
{
    char d[21];
    avow_time_format(t, d);
    sb_printf(b, "\"%s\":\"%s\"", key, d);
}

static void put_advisories(sb *b, const char *const *ids, size_t n)
{
    if (!n) return;
    sb_printf(b, ",\"advisoryIDs\":[");
    for (size_t i = 0; i < n; i++)
        sb_printf(b, "%s\"%s\"", i ? "," : "", ids[i]);
    sb_printf(b, "]");
}

static const char *const SA_SW[] = {"INTEL-SA-00615"};
static const char *const SA_CONF[] = {"INTEL-SA-00289"};
static const char *const SA_CONF_SW[] = {"INTEL-SA-00289", "INTEL-SA-00615"};
static const char *const SA_OOD[] = {"INTEL-SA-00828"};
static const char *const SA_OOD_CONF[] = {"INTEL-SA-00289", "INTEL-SA-00828"};

static void default_advisories(avow_tcb_status s, const char *const **ids, size_t *n)
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

static void put_tcb_level(sb *b, const uint8_t comps[16], uint32_t pcesvn, avow_time date,
                          avow_tcb_status st, const char *const *ids, size_t n_ids, bool first)
{
    sb_printf(b, "%s{\"tcb\":{\"sgxtcbcomponents\":[", first ? "" : ",");
    for (int i = 0; i < 16; i++)
        sb_printf(b, "%s{\"svn\":%u}", i ? "," : "", comps[i]);
    sb_printf(b, "],\"pcesvn\":%u},", pcesvn);
    put_date(b, "tcbDate", date);
    sb_printf(b, ",\"tcbStatus\":\"%s\"", avow_tcb_status_name(st));
    put_advisories(b, ids, n_ids);
    sb_printf(b, "}");
}

static avow_time day_floor(avow_time t)
{
    return t - ((t % DAY) + DAY) % DAY;
}

static char *build_tcb_info(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                            avow_tcb_status st, avow_time next)
{
    char fmspc[13];
    upper_hex(p->opts.fmspc, 6, fmspc);
    sb b = {0};
    sb_printf(&b, "{\"id\":\"SGX\",\"version\":3,");
    put_date(&b, "issueDate", o->issue_date);
    sb_printf(&b, ",");
    put_date(&b, "nextUpdate", next);
    sb_printf(&b,
              ",\"fmspc\":\"%s\",\"pceId\":\"0000\",\"tcbType\":0,"
              "\"tcbEvaluationDataNumber\":%d,\"tcbLevels\":[",
              fmspc, o->tcb_eval_num ? o->tcb_eval_num : 17);
    const uint8_t *c = p->opts.comp_svn;
    uint32_t pce = p->opts.pce_svn;
    avow_time today = day_floor(o->issue_date);
    const char *const *ids = o->advisory_ids;
    size_t n_ids = o->n_advisory_ids;
    if (!ids) default_advisories(st, &ids, &n_ids);
    bool first = true;
    if (st != AVOW_TCB_UP_TO_DATE) {
        /* A newer UpToDate level the platform does not reach: PCESVN + 1. */
        put_tcb_level(&b, c, pce + 1, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0, first);
        first = false;
    }
    put_tcb_level(&b, c, pce, today - (st == AVOW_TCB_UP_TO_DATE ? 30 : 400) * DAY, st, ids, n_ids,
                  first);
    if (pce > 0) {
        /* An older level below the platform's (never matched first). */
        const char *const *oids;
        size_t on;
        default_advisories(AVOW_TCB_OUT_OF_DATE, &oids, &on);
        put_tcb_level(&b, c, pce - 1, today - 800 * DAY, AVOW_TCB_OUT_OF_DATE, oids, on, false);
    }
    sb_printf(&b, "]}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void put_qe_level(sb *b, uint32_t svn, avow_time date, avow_tcb_status st,
                         const char *const *ids, size_t n, bool first)
{
    sb_printf(b, "%s{\"tcb\":{\"isvsvn\":%u},", first ? "" : ",", svn);
    put_date(b, "tcbDate", date);
    sb_printf(b, ",\"tcbStatus\":\"%s\"", avow_tcb_status_name(st));
    put_advisories(b, ids, n);
    sb_printf(b, "}");
}

static char *build_qe_identity(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                               avow_tcb_status st, avow_time next)
{
    char mrsigner[65];
    upper_hex(p->qe_secs.mr_signer, 32, mrsigner);
    sb b = {0};
    sb_printf(&b, "{\"id\":\"QE\",\"version\":2,");
    put_date(&b, "issueDate", o->issue_date);
    sb_printf(&b, ",");
    put_date(&b, "nextUpdate", next);
    /* attributes 0x11 under mask FBFF..: INIT|PROVISIONKEY required, DEBUG must be 0,
     * MODE64BIT ignored (as Intel's QE identity). */
    sb_printf(&b,
              ",\"tcbEvaluationDataNumber\":%d,\"miscselect\":\"00000000\","
              "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
              "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\","
              "\"isvprodid\":%u,\"tcbLevels\":[",
              o->tcb_eval_num ? o->tcb_eval_num : 17, mrsigner, p->qe_secs.isv_prod_id);
    uint32_t svn = p->qe_secs.isv_svn;
    avow_time today = day_floor(o->issue_date);
    static const char *const QE_SA[] = {"INTEL-SA-00615"};
    const char *const *ids = o->qe_advisory_ids;
    size_t n = o->n_qe_advisory_ids;
    if (!ids && st != AVOW_TCB_UP_TO_DATE) ids = QE_SA, n = 1;
    bool first = true;
    if (st != AVOW_TCB_UP_TO_DATE) {
        put_qe_level(&b, svn + 1, today - 30 * DAY, AVOW_TCB_UP_TO_DATE, NULL, 0, first);
        first = false;
    }
    put_qe_level(&b, svn, today - (st == AVOW_TCB_UP_TO_DATE ? 30 : 400) * DAY, st, ids, n, first);
    if (svn > 0)
        put_qe_level(&b, svn - 1, today - 800 * DAY, AVOW_TCB_OUT_OF_DATE, QE_SA, 1, false);
    sb_printf(&b, "]}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void avow_sim_collateral_opts_default(avow_sim_collateral_opts *o, avow_time now)
{
    memset(o, 0, sizeof *o);
    o->issue_date = now;
    o->next_update = now + 30 * DAY;
    o->tcb_status = AVOW_TCB_UP_TO_DATE;
    o->qe_status = AVOW_TCB_UP_TO_DATE;
    o->tcb_eval_num = 17;
}

avow_err avow_sim_collateral(const avow_sim_platform *p, const avow_sim_collateral_opts *o,
                             avow_collateral *out, avow_error *err)
{
    if (!p || !o || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim collateral: NULL argument");
    avow_collateral_init(out);
    avow_tcb_status st = o->tcb_status == AVOW_TCB_NONE ? AVOW_TCB_UP_TO_DATE : o->tcb_status;
    avow_tcb_status qst = o->qe_status == AVOW_TCB_NONE ? AVOW_TCB_UP_TO_DATE : o->qe_status;
    if (st > AVOW_TCB_REVOKED)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: %s is not an SGX TCB status",
                              avow_sim_status_name(st));
    if (qst != AVOW_TCB_UP_TO_DATE && qst != AVOW_TCB_OUT_OF_DATE && qst != AVOW_TCB_REVOKED)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: QE status must be UpToDate, OutOfDate or Revoked, "
                              "not %s",
                              avow_sim_status_name(qst));
    if (o->issue_date <= 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "sim collateral: an issue date is required");
    if (p->opts.pce_svn == 0xffff || p->qe_secs.isv_svn == 0xffff)
        return avow_error_set(
            err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
            "sim collateral: PCESVN/QE SVN 65535 leaves no room for a newer level");
    avow_time next = o->next_update ? o->next_update : o->issue_date + 30 * DAY;
    avow_err rc = AVOW_ERR_NOMEM;
    out->tee_type = 0;
    out->tcb_info = build_tcb_info(p, o, st, next);
    out->qe_identity = build_qe_identity(p, o, qst, next);
    X509 *tcb_chain[] = {p->tcb_cert, p->root_cert, NULL};
    X509 *pck_chain[] = {p->ca_cert, p->root_cert, NULL};
    out->tcb_info_issuer_chain = sim_pem_chain(tcb_chain);
    out->qe_identity_issuer_chain = sim_pem_chain(tcb_chain);
    out->pck_crl_issuer_chain = sim_pem_chain(pck_chain);
    if (!out->tcb_info || !out->qe_identity || !out->tcb_info_issuer_chain ||
        !out->qe_identity_issuer_chain || !out->pck_crl_issuer_chain)
        goto fail;
    out->tcb_info_len = strlen(out->tcb_info);
    out->qe_identity_len = strlen(out->qe_identity);
    rc = AVOW_ERR_INTERNAL;
    if (sim_ecdsa_sign(p->tcb_key, (const uint8_t *)out->tcb_info, out->tcb_info_len,
                       out->tcb_info_sig) ||
        sim_ecdsa_sign(p->tcb_key, (const uint8_t *)out->qe_identity, out->qe_identity_len,
                       out->qe_identity_sig))
        goto fail;
    if ((rc = sim_pki_crl(p->root_cert, p->root_key, o->revoke_pck_ca ? p->ca_cert : NULL,
                          o->issue_date, next, &out->root_ca_crl, &out->root_ca_crl_len, err)) ||
        (rc = sim_pki_crl(p->ca_cert, p->ca_key, o->revoke_pck ? p->pck_cert : NULL, o->issue_date,
                          next, &out->pck_crl, &out->pck_crl_len, err)))
        goto fail;
    return AVOW_OK;
fail:
    avow_collateral_free(out);
    if (rc == AVOW_ERR_NOMEM)
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sim collateral: out of memory");
    else if (err && !err->msg[0])
        avow_error_set(err, rc, AVOW_NO_OFFSET, "sim collateral: signing failed");
    return rc;
}
