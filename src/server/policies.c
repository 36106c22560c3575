/* avowd policy management routes (MAA §1.7-§1.8): GET/PUT /policies/{type},
 * POST /policies/{type}:reset, GET /certificates, POST /certificates:add and
 * :remove; plus the policy in force per attestation type. Bodies are parsed
 * and checked by libavow (policy.h); this file authenticates writes per the
 * store's mode ("token": the admin bearer token; "isolated": a JWS signed by
 * a current policy-signer certificate), stores them, and swaps the compiled
 * policy so attestations in flight keep the one they started with.
 * Thread-safety: the current policies are refcounted snapshots swapped under
 * `lock`; writes (and store refreshes) are serialised by `write_lock`. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "avow/encode.h"
#include "server/attest_int.h"

#define N_TYPES               2
#define POLICY_TOKEN_LIFETIME 3600

static const char *const type_names[N_TYPES] = {"SgxEnclave", "OpenEnclave"};

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

static avowd_pol *pol_default(void)
{
    avowd_pol *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    atomic_init(&p->refs, 1);
    p->policy = avow_policy_default();
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
        avowd_pol *p = pol_default();
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

/* Token mode: "Authorization: Bearer <admin token>" (compared in constant
 * time). Returns 0 when authorised, else the response already queued. */
static int check_bearer(avowd_req *r, bool *ok)
{
    *ok = false;
    const char *tok = r->d->cfg->admin_token;
    if (!tok || !*tok)
        return avowd_error(r, 401, "Unauthorized",
                           "policy writes are disabled: this avowd runs in \"token\" mode and no "
                           "--admin-token is configured");
    const char *h = avowd_req_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7)) {
        avowd_resp_header(r, "WWW-Authenticate", "Bearer");
        return avowd_error(r, 401, "Unauthorized",
                           "policy writes need \"Authorization: Bearer <admin token>\" (the "
                           "store is in \"token\" mode)");
    }
    h += 7;
    while (*h == ' ')
        h++;
    size_t hl = strlen(h), tl = strlen(tok);
    /* compare over the token's length whatever the input's, then the lengths */
    char *padded = calloc(1, tl + 1);
    if (!padded) return avowd_error(r, 500, "InternalError", "out of memory");
    memcpy(padded, h, hl < tl ? hl : tl);
    bool same = avow_ct_memcmp(padded, tok, tl) == 0 && hl == tl;
    avow_wipe(padded, tl);
    free(padded);
    if (!same) {
        avowd_resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        return avowd_error(r, 401, "Unauthorized", "the admin bearer token is not valid");
    }
    *ok = true;
    return 1;
}

static unsigned status_for(avow_err e)
{
    return e == AVOW_ERR_SIGNATURE || e == AVOW_ERR_CHAIN                      ? 401
           : e == AVOW_ERR_IO || e == AVOW_ERR_NOMEM || e == AVOW_ERR_INTERNAL ? 500
                                                                               : 400;
}

static const char *code_for(avow_err e)
{
    return e == AVOW_ERR_SIGNATURE || e == AVOW_ERR_CHAIN                      ? "Unauthorized"
           : e == AVOW_ERR_IO || e == AVOW_ERR_NOMEM || e == AVOW_ERR_INTERNAL ? "InternalError"
                                                                               : "InvalidParameter";
}

static void audit(avowd_req *r, const char *op, const char *type, const char *detail)
{
    if (!avowd_log_audit_enabled()) return;
    char ts[21];
    avow_time_format(avow_time_now(), ts);
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?}", "ts", ts, "event", "policy_management",
                  "request_id", r->request_id, "operation", op, "type", type, "detail", detail);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (line) avowd_log_audit_line(line);
    free(line);
}

/* ---- reset bodies ------------------------------------------------------------ */

/* A reset body: a JWS (raw or JSON-quoted), alg none (token mode only) or
 * signed by a current signer. */
static avow_err check_reset_body(avowd *d, const uint8_t *body, size_t len,
                                 const signers_t *signers, char **jws_out, avow_error *err)
{
    char *text = NULL;
    size_t b = 0, e = len;
    while (b < e && (body[b] == ' ' || body[b] == '\t' || body[b] == '\r' || body[b] == '\n'))
        b++;
    while (e > b && (body[e - 1] == ' ' || body[e - 1] == '\t' || body[e - 1] == '\r' ||
                     body[e - 1] == '\n'))
        e--;
    if (e > b && body[b] == '"') {
        json_error_t je;
        json_t *s = json_loadb((const char *)body + b, e - b, JSON_DECODE_ANY, &je);
        if (!json_is_string(s)) {
            json_decref(s);
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "reset body is a malformed JSON string: %s", je.text);
        }
        text = strdup(json_string_value(s));
        json_decref(s);
    } else {
        text = strndup((const char *)body + b, e - b);
    }
    if (!text) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    if (!*text) {
        if (isolated(d)) {
            free(text);
            return avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                  "isolated mode: a reset must be a JWS signed by a "
                                  "policy-signer certificate; the body is empty");
        }
        *jws_out = text;
        return AVOW_OK;
    }
    avow_jws j;
    memset(&j, 0, sizeof(j));
    avow_err rc =
        avow_jws_parse(text, strlen(text),
                       AVOW_JWS_ALLOW_NONE | AVOW_JWS_ALLOW_RSA256 | AVOW_JWS_LENIENT_B64, &j, err);
    if (rc != AVOW_OK) {
        avow_error_prefix(err, "reset body");
        goto done;
    }
    if (j.alg == AVOW_JWS_ALG_NONE) {
        if (isolated(d))
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "isolated mode: an unsigned (alg none) reset is not accepted; "
                                "sign it with a policy-signer certificate");
        goto done;
    }
    uint8_t *der = NULL;
    size_t der_len = 0;
    rc = avow_jws_verify_x5c(&j, &der, &der_len, err);
    if (rc != AVOW_OK) {
        avow_error_prefix(err, "reset body signature");
        goto done;
    }
    if (isolated(d)) {
        char want[41];
        bool trusted = false;
        if (avow_cert_thumbprint_sha1(der, der_len, want, err) == AVOW_OK)
            for (size_t i = 0; i < signers->n && !trusted; i++)
                trusted = !strcasecmp(signers->certs[i].thumbprint, want);
        if (!trusted)
            rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                                "reset body is signed by certificate %s, which is not a current "
                                "policy-signer certificate",
                                want);
    }
    free(der);
done:
    avow_jws_free(&j);
    if (rc == AVOW_OK)
        *jws_out = text;
    else
        free(text);
    return rc;
}

/* ---- routes ------------------------------------------------------------------ */

int avowd_handle_policy(avowd_req *r, const char *type)
{
    avowd *d = r->d;
    int ti = avowd_policy_type_index(type);
    if (ti < 0)
        return avowd_error(r, 400, "InvalidParameter",
                           "policies of attestation type '%s' are not supported (supported: "
                           "SgxEnclave, OpenEnclave)",
                           type);
    avow_error err;
    avow_error_clear(&err);
    avow_claims *cs = NULL;
    int ret;

    if (r->route == ROUTE_POLICY_GET) {
        avowd_pol *p = avowd_pol_get(d, ti);
        avow_err e = avow_policy_get_claims(p->jws, p->signer_pem, &cs, &err);
        avowd_pol_put(p);
        if (e == AVOW_OK) e = avowd_claims_add_std(d, cs, POLICY_TOKEN_LIFETIME, &err);
        ret = e == AVOW_OK ? avowd_respond_token(r, cs, false)
                           : avowd_error(r, 500, "InternalError", "%s", err.msg);
        avow_claims_free(cs);
        return ret;
    }

    if (!isolated(d)) {
        bool ok;
        ret = check_bearer(r, &ok);
        if (!ok) return ret;
    }
    signers_t signers;
    if (!signers_load(d, &signers, &err))
        return avowd_error(r, 500, "InternalError", "reading policy signers: %s", err.msg);
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->write_lock);
    avow_err e;
    if (r->route == ROUTE_POLICY_PUT) {
        avow_policy_upload u;
        memset(&u, 0, sizeof(u));
        e = avow_policy_upload_parse(r->body, r->body_len,
                                     isolated(d) ? AVOW_POLICY_MODE_ISOLATED : AVOW_POLICY_MODE_AAD,
                                     &signers.s, &u, &err);
        char hash[48] = "";
        if (e == AVOW_OK)
            e = avow_store_policy_put(d->store, type_names[ti], u.jws, avow_time_now(), hash, &err);
        if (e == AVOW_OK) e = avow_policy_result_claims(&u, NULL, 0, false, &cs, &err);
        if (e == AVOW_OK) {
            avowd_pol *p = pol_from_upload(&u, hash, &err);
            if (p) {
                swap_in(d, ti, p);
                char note[160];
                snprintf(note, sizeof(note), "x-ms-policy-hash %s, %s",
                         avow_policy_get_hash(p->policy), p->signer_pem ? "signed" : "unsigned");
                audit(r, "set", type_names[ti], note);
                avowd_log("info", "%s policy set (x-ms-policy-hash %s)", type_names[ti],
                          avow_policy_get_hash(p->policy));
            } else {
                e = AVOW_ERR_NOMEM;
            }
        }
        avow_policy_upload_free(&u);
    } else { /* reset */
        char *jws = NULL;
        e = check_reset_body(d, r->body, r->body_len, &signers, &jws, &err);
        if (e == AVOW_OK) e = avow_store_policy_delete(d->store, type_names[ti], NULL, &err);
        if (e == AVOW_OK) e = avow_policy_result_claims(NULL, jws, strlen(jws), false, &cs, &err);
        if (e == AVOW_OK) {
            avowd_pol *p = pol_default();
            if (p) {
                swap_in(d, ti, p);
                audit(r, "reset", type_names[ti], "default policy restored");
                avowd_log("info", "%s policy reset to the default", type_names[ti]);
            } else {
                e = AVOW_ERR_NOMEM;
            }
        }
        free(jws);
    }
    pthread_mutex_unlock(&ps->write_lock);
    signers_free(&signers);
    if (e == AVOW_OK) e = avowd_claims_add_std(d, cs, POLICY_TOKEN_LIFETIME, &err);
    if (e == AVOW_OK) {
        ret = avowd_respond_token(r, cs, false);
    } else {
        audit(r, r->route == ROUTE_POLICY_PUT ? "set-refused" : "reset-refused", type_names[ti],
              err.msg);
        ret = avowd_error(r, status_for(e), code_for(e), "%s policy %s refused: %s", type_names[ti],
                          r->route == ROUTE_POLICY_PUT ? "update" : "reset",
                          err.msg[0] ? err.msg : avow_err_name(e));
    }
    avow_claims_free(cs);
    return ret;
}

int avowd_handle_certificates(avowd_req *r)
{
    avowd *d = r->d;
    avow_error err;
    avow_error_clear(&err);
    avow_claims *cs = NULL;
    signers_t signers;
    int ret;
    if (r->route != ROUTE_CERTIFICATES_GET && !isolated(d)) {
        bool ok;
        ret = check_bearer(r, &ok);
        if (!ok) return ret;
    }
    struct avowd_policies *ps = d->policies;
    pthread_mutex_lock(&ps->write_lock); /* the signer list is read, checked and changed as one */
    if (!signers_load(d, &signers, &err)) {
        pthread_mutex_unlock(&ps->write_lock);
        return avowd_error(r, 500, "InternalError", "reading policy signers: %s", err.msg);
    }
    avow_err e;
    if (r->route == ROUTE_CERTIFICATES_GET) {
        e = avow_policy_certificates_claims(&signers.s, &cs, &err);
    } else if (!signers.n) {
        e = avow_error_set(&err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                           "there are no policy-signer certificates to authorise this change "
                           "(start avowd with --policy-signer-cert on a new store)");
    } else {
        bool add = r->route == ROUTE_CERTIFICATES_ADD;
        avow_cert_request cr;
        memset(&cr, 0, sizeof(cr));
        char **list = NULL;
        size_t n = 0;
        e = avow_cert_request_parse(r->body, r->body_len, &signers.s, &cr, &err);
        if (e == AVOW_OK)
            e = avow_cert_request_apply(&cr, add ? AVOW_CERT_OP_ADD : AVOW_CERT_OP_REMOVE,
                                        &signers.s, &list, &n, &cs, &err);
        if (e == AVOW_OK)
            e = add ? avow_store_cert_add(d->store, cr.cert_pem, avow_time_now(), NULL, NULL, &err)
                    : avow_store_cert_remove(d->store, cr.thumbprint, NULL, &err);
        if (e == AVOW_OK)
            audit(r, add ? "certificate-add" : "certificate-remove", "", cr.thumbprint);
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(list);
        avow_cert_request_free(&cr);
    }
    pthread_mutex_unlock(&ps->write_lock);
    signers_free(&signers);
    if (e == AVOW_OK) e = avowd_claims_add_std(d, cs, POLICY_TOKEN_LIFETIME, &err);
    if (e == AVOW_OK) {
        ret = avowd_respond_token(r, cs, false);
    } else {
        if (r->route != ROUTE_CERTIFICATES_GET) audit(r, "certificate-refused", "", err.msg);
        ret = avowd_error(r, status_for(e), code_for(e), "policy certificate operation refused: %s",
                          err.msg[0] ? err.msg : avow_err_name(e));
    }
    avow_claims_free(cs);
    return ret;
}
