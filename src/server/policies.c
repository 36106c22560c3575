/* avowd policy management routes (MAA §1.7-§1.8): GET/PUT /policies/{type},
 * POST /policies/{type}:reset, GET /certificates, POST /certificates:add and
 * :remove; plus the policy in force per attestation type. Bodies are parsed
 * and checked by libavow (policy.h). Every route needs the admin bearer token
 * (--admin-token; none configured: management is off); in "isolated" mode a
 * write must also be signed by a current policy-signer certificate. Signed
 * requests that carry "iat" pass the store's rollback marks (store.h). The
 * rules and the attacks they stop are docs/security.md "Policy management";
 * every refusal is an audit record. Accepted policies are swapped in so
 * attestations in flight keep the one they started with.
 * Thread-safety: the current policies are refcounted snapshots swapped under
 * `lock`; writes (and store refreshes) are serialised by `write_lock`. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "avow/token.h"
#include "store/store.h"
#include "server/log.h"
#include "server/policies.h"
#include "server/token_claims.h"

#define N_TYPES               3
#define POLICY_TOKEN_LIFETIME 3600
#define MAX_IAT_SKEW          300 /* seconds a signer's clock may run ahead of ours */

static const char *const type_names[N_TYPES] = {"SgxEnclave", "OpenEnclave", "TdxVm"};

struct avowd_policies {
    pthread_mutex_t lock, write_lock;
    avowd_pol *cur[N_TYPES];
};

int avowd_policy_type_index(const char *type)
{
    for (int i = 0; i < N_TYPES; i++)
        if (!strcasecmp(type, type_names[i])) return i;
    return -1;
}

static void pol_free(avowd_pol *p)
{
    if (!p) return;
    avow_policy_free(p->owned);
    free(p->jws);
    free(p->signer_pem);
    free(p->signer_jwk);
    free(p);
}

void avowd_pol_put(avowd_pol *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) pol_free(p);
}

avowd_pol *avowd_pol_get(avowd *d, int ti)
{
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->lock);
    avowd_pol *p = ps->cur[ti];
    atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&ps->lock);
    return p;
}

static void swap_in(avowd *d, int ti, avowd_pol *p)
{
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->lock);
    avowd_pol *old = ps->cur[ti];
    ps->cur[ti] = p;
    pthread_mutex_unlock(&ps->lock);
    avowd_pol_put(old);
}

/* The default policy of type index ti (attest.h: MAA's for SGX, Avow's for
 * TdxVm); its JWS (jws NULL) is built from its text when read. */
static avowd_pol *pol_default(int ti)
{
    avowd_pol *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    atomic_init(&p->refs, 1);
    p->policy = avow_attest_default_policy(avow_attest_type_parse(type_names[ti]));
    if (!p->policy) {
        free(p);
        return NULL;
    }
    return p;
}

/* Takes the compiled policy, JWS and signer out of an upload. */
static avowd_pol *pol_from_upload(avow_policy_upload *u, const char *store_hash, avow_error *err)
{
    avowd_pol *p = calloc(1, sizeof(*p));
    if (!p) {
        avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->owned = u->policy;
    p->policy = u->policy;
    u->policy = NULL;
    p->jws = u->jws;
    u->jws = NULL;
    p->signer_pem = u->signer_pem;
    u->signer_pem = NULL;
    snprintf(p->store_hash, sizeof(p->store_hash), "%s", store_hash);
    if (p->signer_pem && avow_jwk_from_cert((const uint8_t *)p->signer_pem, strlen(p->signer_pem),
                                            true, &p->signer_jwk, err) != AVOW_OK) {
        pol_free(p);
        return NULL;
    }
    return p;
}

/* Loads the stored policy of one type (default when none). */
static avowd_pol *load_stored(avowd *d, int ti, const char *have_hash, bool *unchanged,
                              avow_error *err)
{
    avow_store_policy sp;
    memset(&sp, 0, sizeof(sp));
    *unchanged = false;
    avow_err e = avow_store_policy_get(d->store, type_names[ti], &sp, err);
    if (e == AVOW_ERR_NOT_FOUND) {
        if (have_hash && !have_hash[0]) {
            *unchanged = true;
            return NULL;
        }
        avow_error_clear(err);
        avowd_pol *p = pol_default(ti);
        if (!p) avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        return p;
    }
    if (e != AVOW_OK) return NULL;
    if (have_hash && !strcmp(have_hash, sp.hash)) {
        avow_store_policy_free(&sp);
        *unchanged = true;
        return NULL;
    }
    avow_policy_upload u;
    memset(&u, 0, sizeof(u));
    /* stored bodies were authenticated when written; re-parse only to compile */
    e = avow_policy_upload_parse((const uint8_t *)sp.jws, strlen(sp.jws), AVOW_POLICY_MODE_AAD,
                                 NULL, &u, err);
    avowd_pol *p = NULL;
    if (e == AVOW_OK)
        p = pol_from_upload(&u, sp.hash, err);
    else
        avow_error_prefix(err, "stored policy");
    avow_policy_upload_free(&u);
    avow_store_policy_free(&sp);
    return p;
}

bool avowd_policies_init(avowd *d, avow_error *err)
{
    struct avowd_policies *ps = calloc(1, sizeof(*ps));
    if (!ps) return false;
    pthread_mutex_init(&ps->lock, NULL);
    pthread_mutex_init(&ps->write_lock, NULL);
    d->policies = ps;
    for (int i = 0; i < N_TYPES; i++) {
        bool unchanged;
        ps->cur[i] = load_stored(d, i, NULL, &unchanged, err);
        if (!ps->cur[i]) {
            avow_error_prefix(err, type_names[i]);
            return false;
        }
        avowd_log("info", "%s policy in force: %s (x-ms-policy-hash %s)", type_names[i],
                  ps->cur[i]->jws ? "stored" : "default", avow_policy_get_hash(ps->cur[i]->policy));
    }
    bool admin = d->cfg->admin_token && *d->cfg->admin_token;
    if (!strcmp(d->policy_mode, "isolated") && !admin)
        avowd_log("warn",
                  "policy mode \"isolated\" without --admin-token: policy and "
                  "certificate management is disabled (isolated mode needs the admin "
                  "bearer token and a policy signer's signature)");
    else if (admin)
        avowd_log("info", "policy management (%s mode): the admin bearer token%s", d->policy_mode,
                  strcmp(d->policy_mode, "isolated")
                      ? ""
                      : " and a signature by a policy-signer certificate");
    return true;
}

void avowd_policies_free(avowd *d)
{
    struct avowd_policies *ps = d->policies;
    if (!ps) return;
    for (int i = 0; i < N_TYPES; i++)
        avowd_pol_put(ps->cur[i]);
    pthread_mutex_destroy(&ps->lock);
    pthread_mutex_destroy(&ps->write_lock);
    free(ps);
    d->policies = NULL;
}

void avowd_policies_refresh(avowd *d)
{
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->write_lock);
    for (int i = 0; i < N_TYPES; i++) {
        avowd_pol *cur = avowd_pol_get(d, i);
        bool unchanged;
        avow_error err;
        avow_error_clear(&err);
        avowd_pol *p = load_stored(d, i, cur->store_hash, &unchanged, &err);
        avowd_pol_put(cur);
        if (p) {
            swap_in(d, i, p);
            avowd_log("info", "%s policy changed in the store; now %s (x-ms-policy-hash %s)",
                      type_names[i], p->jws ? "stored" : "default",
                      avow_policy_get_hash(p->policy));
        } else if (!unchanged) {
            avowd_log("error", "re-reading the %s policy failed: %s", type_names[i], err.msg);
        }
    }
    pthread_mutex_unlock(&ps->write_lock);
}

/* ---- who asked, and the audit record ------------------------------------------ */

/* What a management request presented: for the audit log (never a secret). */
typedef struct {
    const char *op;         /* "get", "set", "reset", "certificates-get", "certificate-add", ... */
    const char *type;       /* attestation type, or NULL */
    const char *bearer;     /* "valid", "missing", "invalid", "not configured" */
    char signer[41];        /* thumbprint of the signing certificate, "" when unsigned */
    int64_t iat;            /* the request's iat, -1 when none */
    const char *protection; /* what the rollback / replay protection did */
    char subject[41];       /* certificate added or removed */
} mgmt_ctx;

static void audit(avowd_req *r, const mgmt_ctx *m, bool ok, unsigned status, const char *reason)
{
    if (!avowd_logs_audit_enabled(r->d->logs)) return;
    char ts[21];
    avow_time_format(avow_time_now(), ts);
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:i,s:s}", "ts", ts, "event", "policy_management",
                  "request_id", r->request_id, "operation", m->op, "type", m->type, "outcome",
                  ok ? "ok" : "refused", "status", (int)status, "bearer", m->bearer);
    if (o && m->signer[0]) json_object_set_new(o, "signer", json_string(m->signer));
    if (o && m->iat >= 0) json_object_set_new(o, "iat", json_integer(m->iat));
    if (o && m->subject[0]) json_object_set_new(o, "certificate", json_string(m->subject));
    if (o && m->protection) json_object_set_new(o, "protection", json_string(m->protection));
    if (o && reason) json_object_set_new(o, ok ? "detail" : "reason", json_string(reason));
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (line) avowd_logs_audit_line(r->d->logs, line);
    free(line);
}

static void set_signer(mgmt_ctx *m, const char *pem)
{
    if (pem) avow_cert_thumbprint_sha1((const uint8_t *)pem, strlen(pem), m->signer, NULL);
}

/* Refuses with MAA's error body and an audit record. */
static int mgmt_refuse(avowd_req *r, const mgmt_ctx *m, unsigned status, const char *code,
                       const char *what, const char *msg)
{
    audit(r, m, false, status, msg);
    return avowd_error(r, status, code, "%s refused: %s", what, msg);
}

/* ---- authentication --------------------------------------------------------- */

typedef struct {
    avow_store_cert *certs;
    size_t n;
    const char **pems;
    avow_policy_signers s;
} signers_t;

static void signers_free(signers_t *s)
{
    avow_store_cert_list_free(s->certs, s->n);
    free(s->pems);
    memset(s, 0, sizeof(*s));
}

static bool signers_load(avowd *d, signers_t *s, avow_error *err)
{
    memset(s, 0, sizeof(*s));
    if (avow_store_cert_list(d->store, &s->certs, &s->n, err) != AVOW_OK) return false;
    s->pems = calloc(s->n + 1, sizeof(*s->pems));
    if (!s->pems) return false;
    for (size_t i = 0; i < s->n; i++)
        s->pems[i] = s->certs[i].cert_pem;
    s->s.cert_pems = s->pems;
    s->s.n = s->n;
    return true;
}

static bool isolated(const avowd *d)
{
    return !strcmp(d->policy_mode, "isolated");
}

/* "Authorization: Bearer <admin token>", compared in constant time, on every
 * management route in both modes (as MAA needs an Azure AD token for each).
 * Returns true when authorised; otherwise the refusal is queued in *ret. */
static bool check_bearer(avowd_req *r, mgmt_ctx *m, const char *what, int *ret)
{
    const char *tok = r->d->cfg->admin_token;
    if (!tok || !*tok) {
        m->bearer = "not configured";
        *ret = mgmt_refuse(r, m, 401, "Unauthorized", what,
                           isolated(r->d)
                               ? "policy management is disabled: this avowd has no --admin-token "
                                 "(isolated mode needs the admin bearer token and a policy "
                                 "signer's signature)"
                               : "policy management is disabled: this avowd has no --admin-token");
        return false;
    }
    const char *h = avowd_req_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7)) {
        m->bearer = "missing";
        avowd_resp_header(r, "WWW-Authenticate", "Bearer");
        *ret =
            mgmt_refuse(r, m, 401, "Unauthorized", what,
                        isolated(r->d) ? "policy management needs \"Authorization: Bearer <admin "
                                         "token>\" (and, for a change, a policy signer's signature)"
                                       : "policy management needs \"Authorization: Bearer <admin "
                                         "token>\"");
        return false;
    }
    h += 7;
    while (*h == ' ')
        h++;
    size_t hl = strlen(h), tl = strlen(tok);
    /* compare over the token's length whatever the input's, then the lengths */
    char *padded = calloc(1, tl + 1);
    if (!padded) {
        *ret = avowd_error(r, 500, "InternalError", "out of memory");
        return false;
    }
    memcpy(padded, h, hl < tl ? hl : tl);
    bool same = avow_ct_memcmp(padded, tok, tl) == 0 && hl == tl;
    avow_wipe(padded, tl);
    free(padded);
    if (!same) {
        m->bearer = "invalid";
        avowd_resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        *ret = mgmt_refuse(r, m, 401, "Unauthorized", what, "the admin bearer token is not valid");
        return false;
    }
    m->bearer = "valid";
    return true;
}

static avow_policy_mode mode_of(const avowd *d)
{
    return isolated(d) ? AVOW_POLICY_MODE_ISOLATED : AVOW_POLICY_MODE_AAD;
}

static unsigned status_for(avow_err e)
{
    return e == AVOW_ERR_SIGNATURE || e == AVOW_ERR_CHAIN                      ? 401
           : e == AVOW_ERR_IO || e == AVOW_ERR_NOMEM || e == AVOW_ERR_INTERNAL ? 500
                                                                               : 400;
}

static const char *code_for(unsigned status)
{
    return status == 401   ? "Unauthorized"
           : status == 409 ? "Conflict"
           : status >= 500 ? "InternalError"
                           : "InvalidParameter";
}

/* The reason of a library refusal into msg; its HTTP status. */
static unsigned lib_refusal(avow_err e, const avow_error *err, char *msg, size_t cap)
{
    snprintf(msg, cap, "%s", err->msg[0] ? err->msg : avow_err_name(e));
    return status_for(e);
}

/* A request's iat against our clock: more than MAX_IAT_SKEW ahead would
 * raise the rollback mark past every honest request for that long. */
static bool iat_in_future(int64_t iat, char *msg, size_t cap)
{
    avow_time now = avow_time_now();
    if (iat <= now + MAX_IAT_SKEW) return false;
    char t[21];
    avow_time_format(iat, t);
    snprintf(msg, cap,
             "its iat %s is %lld s ahead of this service's clock (more than %d s): "
             "check the signer's clock",
             t, (long long)(iat - now), MAX_IAT_SKEW);
    return true;
}

/* "signed at X (iat N), before the newest ... accepted (signed at Y)". */
static void stale_msg(char *msg, size_t cap, const char *what, int64_t iat, int64_t mark)
{
    char a[21], b[21];
    avow_time_format(iat, a);
    avow_time_format(mark, b);
    snprintf(msg, cap,
             "it was signed at %s (iat %lld), before the newest %s this service "
             "accepted (signed at %s): an older request is not replayed over a newer one",
             a, (long long)iat, what, b);
}

#define NO_IAT "not applied: the request has no iat (MAA's form)"

/* ---- routes ------------------------------------------------------------------ */

static int policy_get(avowd_req *r, int ti)
{
    avow_error err;
    avow_error_clear(&err);
    avow_claims *cs = NULL;
    char *built = NULL;
    avowd_pol *p = avowd_pol_get(r->d, ti);
    avow_err e = AVOW_OK;
    if (!p->jws) { /* the type's default: an unsigned JWS of its text */
        size_t n;
        const char *text = avow_policy_text(p->policy, &n);
        e = avow_policy_jws_build(text, n, NULL, NULL, -1, &built, &err);
    }
    if (e == AVOW_OK) e = avow_policy_get_claims(p->jws ? p->jws : built, p->signer_pem, &cs, &err);
    free(built);
    avowd_pol_put(p);
    if (e == AVOW_OK) e = avowd_claims_add_std(r->d, cs, POLICY_TOKEN_LIFETIME, &err);
    int ret = e == AVOW_OK ? avowd_respond_token(r, cs, false)
                           : avowd_error(r, 500, "InternalError", "%s", err.msg);
    avow_claims_free(cs);
    return ret;
}

/* PUT: under write_lock. Fills *cs on success; else returns the status and
 * the reason in msg. */
static unsigned policy_set(avowd_req *r, int ti, const signers_t *signers, mgmt_ctx *m,
                           avow_claims **cs, char *msg, size_t cap)
{
    avowd *d = r->d;
    avow_error err;
    avow_error_clear(&err);
    avow_policy_upload u;
    memset(&u, 0, sizeof(u));
    avow_err e = avow_policy_upload_parse(r->body, r->body_len, mode_of(d), &signers->s, &u, &err);
    if (e) return lib_refusal(e, &err, msg, cap);
    unsigned status = 200;
    set_signer(m, u.signer_pem);
    m->iat = u.iat;
    m->protection = u.iat < 0 ? NO_IAT : "applied";
    avow_store_guard g;
    if (u.iat >= 0 && iat_in_future(u.iat, msg, cap)) {
        status = 400;
    } else if ((e = avow_store_policy_put_guarded(d->store, type_names[ti], u.jws, u.iat,
                                                  avow_time_now(), &g, &err))) {
        status = 500;
        snprintf(msg, cap, "storing the policy: %s", err.msg);
    } else if (!g.accepted) {
        status = 409;
        char what[48];
        snprintf(what, sizeof(what), "%s policy", type_names[ti]);
        stale_msg(msg, cap, what, u.iat, g.mark);
    } else if ((e = avow_policy_result_claims(&u, NULL, 0, false, cs, &err))) {
        status = 500;
        snprintf(msg, cap, "%s", err.msg);
    } else {
        avowd_pol *p = pol_from_upload(&u, g.hash, &err);
        if (!p) {
            status = 500;
            snprintf(msg, cap, "%s", err.msg);
        } else {
            swap_in(d, ti, p);
            snprintf(msg, cap, "x-ms-policy-hash %s, %s", avow_policy_get_hash(p->policy),
                     p->signer_pem ? "signed" : "unsigned");
            avowd_log("info", "%s policy set (x-ms-policy-hash %s)", type_names[ti],
                      avow_policy_get_hash(p->policy));
        }
    }
    avow_policy_upload_free(&u);
    return status;
}

static unsigned policy_reset(avowd_req *r, int ti, const signers_t *signers, mgmt_ctx *m,
                             avow_claims **cs, char *msg, size_t cap)
{
    avowd *d = r->d;
    avow_error err;
    avow_error_clear(&err);
    avow_policy_reset rs;
    memset(&rs, 0, sizeof(rs));
    avow_err e = avow_policy_reset_parse(r->body, r->body_len, mode_of(d), &signers->s, &rs, &err);
    if (!e) {
        set_signer(m, rs.signer_pem);
        m->protection = "none: a reset request carries no iat (the rollback mark is kept)";
        e = avow_store_policy_delete(d->store, type_names[ti], NULL, &err);
    }
    if (!e) e = avow_policy_result_claims(NULL, rs.jws, strlen(rs.jws), false, cs, &err);
    avow_policy_reset_free(&rs);
    if (e) return lib_refusal(e, &err, msg, cap);
    avowd_pol *p = pol_default(ti);
    if (!p) {
        snprintf(msg, cap, "out of memory");
        return 500;
    }
    swap_in(d, ti, p);
    snprintf(msg, cap, "default policy restored");
    avowd_log("info", "%s policy reset to the default", type_names[ti]);
    return 200;
}

int avowd_handle_policy(avowd_req *r, const char *type)
{
    avowd *d = r->d;
    int ti = avowd_policy_type_index(type);
    if (ti < 0)
        return avowd_error(r, 400, "InvalidParameter",
                           "policies of attestation type '%s' are not supported (supported: "
                           "SgxEnclave, OpenEnclave, TdxVm)",
                           type);
    bool put = r->route == ROUTE_POLICY_PUT;
    mgmt_ctx m = {.op = r->route == ROUTE_POLICY_GET ? "get"
                        : put                        ? "set"
                                                     : "reset",
                  .type = type_names[ti],
                  .iat = -1};
    char what[64];
    snprintf(what, sizeof(what), "%s policy %s", type_names[ti],
             r->route == ROUTE_POLICY_GET ? "read"
             : put                        ? "update"
                                          : "reset");
    int ret;
    if (!check_bearer(r, &m, what, &ret)) return ret;
    if (r->route == ROUTE_POLICY_GET) return policy_get(r, ti);

    avow_error err;
    avow_error_clear(&err);
    signers_t signers;
    if (!signers_load(d, &signers, &err))
        return avowd_error(r, 500, "InternalError", "reading policy signers: %s", err.msg);
    avow_claims *cs = NULL;
    char msg[400];
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->write_lock);
    unsigned status = put ? policy_set(r, ti, &signers, &m, &cs, msg, sizeof(msg))
                          : policy_reset(r, ti, &signers, &m, &cs, msg, sizeof(msg));
    pthread_mutex_unlock(&ps->write_lock);
    signers_free(&signers);
    if (status == 200 && avowd_claims_add_std(d, cs, POLICY_TOKEN_LIFETIME, &err)) {
        status = 500;
        snprintf(msg, sizeof(msg), "%s", err.msg);
    }
    if (status == 200) {
        audit(r, &m, true, status, msg);
        ret = avowd_respond_token(r, cs, false);
    } else {
        ret = mgmt_refuse(r, &m, status, code_for(status), what, msg);
    }
    avow_claims_free(cs);
    return ret;
}

/* certificates:add|remove under write_lock (the signer list is read,
 * checked and changed as one). */
static unsigned cert_change(avowd_req *r, bool add, const signers_t *signers, mgmt_ctx *m,
                            avow_claims **cs, char *msg, size_t cap)
{
    avowd *d = r->d;
    avow_error err;
    avow_error_clear(&err);
    if (!signers->n) {
        snprintf(msg, cap,
                 "there are no policy-signer certificates to authorise this change "
                 "(this store is in \"%s\" mode; isolated stores start with "
                 "--policy-signer-cert)",
                 d->policy_mode);
        return 401;
    }
    avow_cert_request cr;
    memset(&cr, 0, sizeof(cr));
    char **list = NULL;
    size_t n = 0;
    unsigned status = 200;
    avow_store_guard g;
    avow_err e = avow_cert_request_parse(r->body, r->body_len, &signers->s, &cr, &err);
    if (!e) {
        set_signer(m, cr.signer_pem);
        snprintf(m->subject, sizeof(m->subject), "%s", cr.thumbprint);
        m->iat = cr.iat;
        m->protection = cr.has_op && cr.iat >= 0 ? "applied"
                        : cr.has_op ? "operation checked; no iat, so no replay protection"
                                    : "not applied: MAA's form names no operation and no iat, "
                                      "so it is taken at :add and :remove alike";
        e = avow_cert_request_apply(&cr, add ? AVOW_CERT_OP_ADD : AVOW_CERT_OP_REMOVE, &signers->s,
                                    &list, &n, cs, &err);
    }
    if (e) {
        status = lib_refusal(e, &err, msg, cap);
    } else if (cr.iat >= 0 && iat_in_future(cr.iat, msg, cap)) {
        status = 400;
    } else if ((e = avow_store_cert_change_guarded(d->store, add, cr.cert_pem, cr.iat,
                                                   avow_time_now(), &g, &err))) {
        status = 500;
        snprintf(msg, cap, "storing the change: %s", err.msg);
    } else if (!g.accepted) {
        status = 409;
        stale_msg(msg, cap, "certificate change", cr.iat, g.mark);
    } else {
        snprintf(
            msg, cap, "%s",
            g.changed ? (add ? "added" : "removed") : (add ? "already present" : "already absent"));
    }
    if (status != 200) {
        avow_claims_free(*cs);
        *cs = NULL;
    }
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    avow_cert_request_free(&cr);
    return status;
}

int avowd_handle_certificates(avowd_req *r)
{
    avowd *d = r->d;
    bool add = r->route == ROUTE_CERTIFICATES_ADD;
    mgmt_ctx m = {.op = r->route == ROUTE_CERTIFICATES_GET ? "certificates-get"
                        : add                              ? "certificate-add"
                                                           : "certificate-remove",
                  .iat = -1};
    const char *what = r->route == ROUTE_CERTIFICATES_GET ? "policy certificates read"
                       : add                              ? "policy certificate add"
                                                          : "policy certificate remove";
    int ret;
    if (!check_bearer(r, &m, what, &ret)) return ret;
    avow_error err;
    avow_error_clear(&err);
    avow_claims *cs = NULL;
    signers_t signers;
    char msg[400];
    unsigned status = 200;
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->write_lock);
    if (!signers_load(d, &signers, &err)) {
        pthread_mutex_unlock(&ps->write_lock);
        return avowd_error(r, 500, "InternalError", "reading policy signers: %s", err.msg);
    }
    if (r->route == ROUTE_CERTIFICATES_GET) {
        if (avow_policy_certificates_claims(&signers.s, &cs, &err)) {
            status = 500;
            snprintf(msg, sizeof(msg), "%s", err.msg);
        }
    } else {
        status = cert_change(r, add, &signers, &m, &cs, msg, sizeof(msg));
    }
    pthread_mutex_unlock(&ps->write_lock);
    signers_free(&signers);
    if (status == 200 && avowd_claims_add_std(d, cs, POLICY_TOKEN_LIFETIME, &err)) {
        status = 500;
        snprintf(msg, sizeof(msg), "%s", err.msg);
    }
    if (status == 200) {
        if (r->route != ROUTE_CERTIFICATES_GET) audit(r, &m, true, status, msg);
        ret = avowd_respond_token(r, cs, false);
    } else {
        ret = mgmt_refuse(r, &m, status, code_for(status), what, msg);
    }
    avow_claims_free(cs);
    return ret;
}
