/* avowd's PCCS-compatible collateral endpoints, served from its store so one
 * avowd can be the upstream (--pcs-url) of another:
 *   GET /sgx|tdx/certification/v4/tcb?fmspc=HEX   {"tcbInfo":...,"signature":...}
 *       header TCB-Info-Issuer-Chain (URL-encoded PEM)
 *   GET /sgx|tdx/certification/v4/qe/identity       {"enclaveIdentity":...,"signature":...}
 *       header SGX-Enclave-Identity-Issuer-Chain
 *   GET /sgx/certification/v4/pckcrl?ca=processor|platform[&encoding=pem|der]
 *       PEM by default (as Intel PCS), DER with encoding=der; the CA's CRL
 *       from a set of either TEE (TDX platforms use the same CRL);
 *       header SGX-PCK-CRL-Issuer-Chain
 *   GET /sgx/certification/v4/rootcacrl             hex-encoded DER (as Intel PCCS)
 *   GET /sgx|tdx/certification/v4/tcbevaluationdatanumbers   Intel's signed
 *       document as stored; header TCB-Evaluation-Data-Numbers-Issuer-Chain
 * tcb and qe/identity take Intel's `update=standard|early` or
 * `tcbEvaluationDataNumber=N` (one or the other, as Intel): the set of that
 * number, or the newest of that channel (docs/verification.md A13).
 * The signed JSON is rebuilt byte-exact around the stored signed span
 * (avow_signed_json_join). Absent collateral is a 404 with an MAA-style body.
 * Thread-safety: per-request state only (the store is thread-safe). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "avow/evalnum.h"
#include "avow/quote.h"
#include "core/pem.h"
#include "store/store.h"
#include "server/pccs_routes.h"
#include "server/service.h"

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static char *pct_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = malloc(n * 3 + 1), *p = o;
    if (!o) return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return o;
}

static int fail(avowd_req *r, avow_err e, const avow_error *err)
{
    if (e == AVOW_ERR_NOT_FOUND) return avowd_error(r, 404, "NotFound", "%s", err->msg);
    return avowd_error(r, 500, "InternalError", "%s", err->msg);
}

/* Responds with `body` and one URL-encoded issuer-chain header. */
static int respond_with_chain(avowd_req *r, const char *ctype, char *body, size_t len,
                              const char *header, const char *chain_pem)
{
    char *enc = chain_pem ? pct_encode(chain_pem) : NULL;
    if (chain_pem && !enc) {
        free(body);
        return avowd_error(r, 500, "InternalError", "out of memory");
    }
    if (enc) avowd_resp_header(r, header, enc);
    int ret = avowd_respond_take(r, 200, ctype, body, len);
    free(enc);
    return ret;
}

/* The `update` and `tcbEvaluationDataNumber` parameters (docs/verification.md
 * A12, A13): *num 0 and *update NULL when neither is given. Returns 0, or
 * the response already made for a bad parameter. */
static int which_set(avowd_req *r, int *num, const char **update, bool *bad)
{
    *num = 0;
    *update = NULL;
    *bad = true;
    static const char *const names[] = {"update", "tcbEvaluationDataNumber"};
    size_t given[2];
    for (int i = 0; i < 2; i++) {
        /* given twice, or without a value: which set is meant is not clear
         * (a cache in front may read the other one), so say so */
        given[i] = avowd_req_query_count(r, names[i]);
        if (given[i] > 1)
            return avowd_error(r, 400, "InvalidParameter", "%s is given %zu times", names[i],
                               given[i]);
        if (given[i] && !avowd_req_query(r, names[i]))
            return avowd_error(r, 400, "InvalidParameter", "%s is given without a value", names[i]);
    }
    const char *u = avowd_req_query(r, "update");
    const char *n = avowd_req_query(r, "tcbEvaluationDataNumber");
    if (u && n)
        return avowd_error(r, 400, "InvalidParameter",
                           "update and tcbEvaluationDataNumber cannot be given together");
    if (u && strcmp(u, "standard") && strcmp(u, "early"))
        return avowd_error(r, 400, "InvalidParameter",
                           "update must be \"standard\" or \"early\" (got '%.32s')", u);
    if (n && !avow_tcb_eval_num_parse(n, num))
        return avowd_error(r, 400, "InvalidParameter",
                           "tcbEvaluationDataNumber must be a TCB evaluation data number (1 to "
                           "%d, digits only; got '%.32s')",
                           AVOW_TCB_EVAL_NUM_MAX, n);
    *update = u;
    *bad = false;
    return 0;
}

int avowd_handle_pccs(avowd_req *r)
{
    avowd *d = r->d;
    const char *tee = r->path[1] == 't' ? "tdx" : "sgx";
    avow_collateral c;
    avow_collateral_init(&c);
    avow_error err;
    avow_error_clear(&err);
    avow_err e;
    int ret;
    char *body = NULL;

    int num = 0;
    const char *update = NULL;
    bool bad = false;
    if (r->route == ROUTE_PCCS_TCB || r->route == ROUTE_PCCS_QE) {
        ret = which_set(r, &num, &update, &bad);
        if (bad) return ret;
    }

    switch (r->route) {
        case ROUTE_PCCS_EVALNUMS: {
            avow_evalnums_raw raw;
            e = avow_pccs_evalnums_get(d->store, r->path[1] == 't' ? AVOW_TEE_TDX : AVOW_TEE_SGX,
                                       &raw, &err);
            if (e != AVOW_OK) return fail(r, e, &err);
            e = avow_evalnums_raw_to_body(&raw, &body, &err);
            if (e != AVOW_OK)
                ret = fail(r, e, &err);
            else
                ret = respond_with_chain(r, AVOWD_JSON, body, strlen(body),
                                         "TCB-Evaluation-Data-Numbers-Issuer-Chain",
                                         raw.issuer_chain);
            avow_evalnums_raw_free(&raw);
            break;
        }
        case ROUTE_PCCS_TCB: {
            const char *fmspc = avowd_req_query(r, "fmspc");
            uint8_t raw[6];
            if (!fmspc || avow_hex_decode_fixed(fmspc, strlen(fmspc), raw, 6, &err) != AVOW_OK)
                return avowd_error(r, 400, "InvalidParameter",
                                   "fmspc must be 12 hexadecimal characters (got '%s')",
                                   fmspc ? fmspc : "");
            char lower[13];
            avow_hex_encode(raw, 6, lower);
            if ((e = avow_pccs_row_find(d->store, lower, NULL, tee, num, update, &c, &err)) !=
                AVOW_OK)
                return fail(r, e, &err);
            e = avow_signed_json_join("tcbInfo", c.tcb_info, c.tcb_info_len, c.tcb_info_sig, &body,
                                      &err);
            if (e != AVOW_OK) {
                ret = fail(r, e, &err);
                break;
            }
            ret = respond_with_chain(r, AVOWD_JSON, body, strlen(body), "TCB-Info-Issuer-Chain",
                                     c.tcb_info_issuer_chain);
            break;
        }
        case ROUTE_PCCS_QE:
            if ((e = avow_pccs_row_find(d->store, NULL, NULL, tee, num, update, &c, &err)) !=
                AVOW_OK)
                return fail(r, e, &err);
            e = avow_signed_json_join("enclaveIdentity", c.qe_identity, c.qe_identity_len,
                                      c.qe_identity_sig, &body, &err);
            if (e != AVOW_OK) {
                ret = fail(r, e, &err);
                break;
            }
            ret =
                respond_with_chain(r, AVOWD_JSON, body, strlen(body),
                                   "SGX-Enclave-Identity-Issuer-Chain", c.qe_identity_issuer_chain);
            break;
        case ROUTE_PCCS_PCKCRL: {
            const char *ca = avowd_req_query(r, "ca");
            const char *enc = avowd_req_query(r, "encoding");
            if (!ca || (strcasecmp(ca, "processor") && strcasecmp(ca, "platform")))
                return avowd_error(r, 400, "InvalidParameter",
                                   "ca must be \"processor\" or \"platform\" (got '%s')",
                                   ca ? ca : "");
            if (enc && strcasecmp(enc, "pem") && strcasecmp(enc, "der"))
                return avowd_error(r, 400, "InvalidParameter",
                                   "encoding must be \"pem\" or \"der\" (got '%s')", enc);
            const char *cal = !strcasecmp(ca, "processor") ? "processor" : "platform";
            /* one PCK CRL per CA for SGX and TDX platforms alike (Intel serves
             * it only here, under /sgx): any TEE's row of that CA, newest */
            if ((e = avow_pccs_row_find(d->store, NULL, cal, NULL, 0, NULL, &c, &err)) != AVOW_OK)
                return fail(r, e, &err);
            if (!c.pck_crl) {
                avow_error_set(&err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                               "the stored collateral of the %s CA has no PCK CRL", cal);
                ret = fail(r, AVOW_ERR_NOT_FOUND, &err);
                break;
            }
            size_t len;
            if (enc && !strcasecmp(enc, "der")) {
                body = malloc(c.pck_crl_len ? c.pck_crl_len : 1);
                if (body) memcpy(body, c.pck_crl, c.pck_crl_len);
                len = c.pck_crl_len;
            } else {
                len = 0;
                avow_pem_append(&body, &len, "X509 CRL", c.pck_crl, c.pck_crl_len, NULL);
            }
            if (!body) {
                ret = avowd_error(r, 500, "InternalError", "out of memory");
                break;
            }
            ret = respond_with_chain(
                r,
                enc && !strcasecmp(enc, "der") ? "application/pkix-crl" : "application/x-pem-file",
                body, len, "SGX-PCK-CRL-Issuer-Chain", c.pck_crl_issuer_chain);
            break;
        }
        case ROUTE_PCCS_ROOTCACRL: {
            if ((e = avow_pccs_row_find(d->store, NULL, NULL, NULL, 0, NULL, &c, &err)) != AVOW_OK)
                return fail(r, e, &err);
            if (!c.root_ca_crl) {
                avow_error_set(&err, AVOW_ERR_NOT_FOUND, AVOW_NO_OFFSET,
                               "the stored collateral has no Root CA CRL");
                ret = fail(r, AVOW_ERR_NOT_FOUND, &err);
                break;
            }
            body = malloc(c.root_ca_crl_len * 2 + 1);
            if (!body) {
                ret = avowd_error(r, 500, "InternalError", "out of memory");
                break;
            }
            avow_hex_encode(c.root_ca_crl, c.root_ca_crl_len, body);
            ret = avowd_respond_take(r, 200, "application/x-pem-file", body, c.root_ca_crl_len * 2);
            break;
        }
        default:
            ret = avowd_error(r, 404, "NotFound", "no route for %s", r->path);
    }
    avow_collateral_free(&c);
    return ret;
}
