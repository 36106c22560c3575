/* libcurl client of Intel PCS v4 / a PCCS (src/pccs/upstream.h): GETs TCB
 * Info, QE Identity, the PCK CRL and the Root CA CRL with their URL-encoded
 * issuer-chain headers and assembles an avow_collateral, using the collateral
 * layer's own readers for the signed JSON span and CRL encodings. Errors name
 * the URL, the HTTP status and Intel's Error-Code / Error-Message headers.
 * The subscription key goes only to the configured https origin: redirects
 * are followed here, hop by hop, and each hop carries the key only when it
 * is that origin (docs/security.md, "PCS subscription key").
 * Thread-safe: the client is immutable; each request has its own curl easy
 * handle (CURLOPT_NOSIGNAL); curl_global_init runs once via pthread_once. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "avow/encode.h"
#include "pccs/upstream.h"
#include "avow/quote.h"

#define MAX_BODY    (8u << 20) /* a TCB Info is ~10 KB, a CRL at most a few hundred KB */
#define MAX_HEADERS (64u << 10)
#define MAX_REDIRS  5

struct avow_pcs_client {
    char *base;     /* SGX tree, no trailing '/' */
    char *tdx_base; /* TDX tree for tcb and qe/identity */
    char *api_key;
    char *origin; /* "scheme://host:port" of base, lower case, port explicit */
    long timeout_ms;
    char *ca_file;
    bool insecure;
    char *update;
    char *root_url; /* NULL: {base}/rootcacrl then Intel's CDP; "": none */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

void avow_pcs_client_free(avow_pcs_client *c)
{
    if (!c) return;
    free(c->base);
    free(c->tdx_base);
    free(c->origin);
    if (c->api_key) {
        avow_wipe(c->api_key, strlen(c->api_key));
        free(c->api_key);
    }
    free(c->ca_file);
    free(c->update);
    free(c->root_url);
    free(c);
}

/* The origin of an absolute http(s) URL as "scheme://host:port" (lower
 * case, default port made explicit), malloc'd; NULL when it is not one. */
static char *url_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"))) {
        size_t n = strlen(scheme) + strlen(host) + strlen(port) + 5;
        if ((out = malloc(n)) != NULL) {
            snprintf(out, n, "%s://%s:%s", scheme, host, port);
            for (char *p = out; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

/* Whether a request to `url` may carry the subscription key: only to the
 * configured origin, which is https whenever there is a key. */
static bool key_allowed(const avow_pcs_client *c, const char *url)
{
    if (!c->api_key || !c->origin) return false;
    char *o = url_origin(url);
    bool ok = o && !strcmp(o, c->origin) && !strncmp(o, "https://", 8);
    free(o);
    return ok;
}

avow_err avow_pcs_client_new(const avow_pcs_opts *opts, avow_pcs_client **out, avow_error *err)
{
    *out = NULL;
    if (!opts || !opts->base_url || strncasecmp(opts->base_url, "http", 4) != 0)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "pcs: base URL must be an http(s) URL");
    if (opts->update && strcmp(opts->update, "standard") && strcmp(opts->update, "early"))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "pcs: update must be \"standard\" or \"early\"");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "curl_global_init: %s",
                              curl_easy_strerror(curl_init_rc));
    char *origin = url_origin(opts->base_url);
    if (!origin)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "pcs: base URL %s is not an absolute http(s) URL", opts->base_url);
    if (opts->api_key && strncmp(origin, "https://", 8)) {
        free(origin);
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "pcs: refusing to send the subscription key over plain http to %s: "
                              "use an https:// base URL (or no key)",
                              opts->base_url);
    }
    avow_pcs_client *c = calloc(1, sizeof(*c));
    if (!c) {
        free(origin);
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    c->origin = origin;
    c->base = strdup(opts->base_url);
    c->api_key = dup_opt(opts->api_key);
    c->ca_file = dup_opt(opts->ca_file);
    c->update = dup_opt(opts->update);
    c->root_url = dup_opt(opts->root_ca_crl_url);
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    c->insecure = opts->insecure_tls;
    if (!c->base || (opts->api_key && !c->api_key) || (opts->ca_file && !c->ca_file) ||
        (opts->update && !c->update) || (opts->root_ca_crl_url && !c->root_url))
        goto nomem;
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    /* The TDX tree: .../sgx/certification/v4 -> .../tdx/certification/v4. */
    c->tdx_base = strdup(c->base);
    if (!c->tdx_base) goto nomem;
    char *p = strstr(c->tdx_base, "/sgx/certification/");
    if (p) memcpy(p, "/tdx", 4);
    *out = c;
    return AVOW_OK;
nomem:
    avow_pcs_client_free(c);
    return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
}

const char *avow_pcs_client_base_url(const avow_pcs_client *c)
{
    return c->base;
}

/* ---- one GET ------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
    bool overflow;
} buf;

static bool buf_add(buf *b, const char *p, size_t n, size_t max)
{
    if (b->len + n + 1 > max) {
        b->overflow = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *d = realloc(b->data, ncap);
        if (!d) return false;
        b->data = d;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return buf_add(ud, p, size * n, MAX_BODY) ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    buf *h = ud;
    /* A new status line (after a redirect or 100-continue) starts over. */
    if (size * n >= 5 && !strncmp(p, "HTTP/", 5)) h->len = 0;
    return buf_add(h, p, size * n, MAX_HEADERS) ? size * n : 0;
}

typedef struct {
    long status;
    buf body, headers;
} response;

static void response_free(response *r)
{
    free(r->body.data);
    free(r->headers.data);
    memset(r, 0, sizeof(*r));
}

/* Value of header `name` (case-insensitive), trimmed, malloc'd; NULL if absent. */
static char *header_get(const response *r, const char *name)
{
    size_t nl = strlen(name);
    const char *p = r->headers.data;
    while (p && *p) {
        const char *eol = strstr(p, "\n");
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            const char *e = p + ll;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            char *s = malloc((size_t)(e - v) + 1);
            if (s) {
                memcpy(s, v, (size_t)(e - v));
                s[e - v] = '\0';
            }
            return s;
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* One request, no redirect followed; *next receives the target of a
 * redirect answer (malloc'd), else NULL. */
static avow_err http_get_once(const avow_pcs_client *c, const char *url, bool send_key, response *r,
                              char **next, avow_error *err)
{
    memset(r, 0, sizeof(*r));
    *next = NULL;
    CURL *h = curl_easy_init();
    if (!h) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "curl_easy_init failed");
    struct curl_slist *hdrs = NULL;
    char *key_hdr = NULL;
    if (send_key) {
        size_t n = strlen(c->api_key) + 32;
        key_hdr = malloc(n);
        if (key_hdr) {
            snprintf(key_hdr, n, "Ocp-Apim-Subscription-Key: %s", c->api_key);
            hdrs = curl_slist_append(hdrs, key_hdr);
        }
    }
    hdrs = curl_slist_append(hdrs, "Accept: */*");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    /* libcurl would send our headers, the key among them, to wherever a
     * redirect points: http_get follows redirects itself. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "avow-pcs-client/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode cc = curl_easy_perform(h);
    avow_err rc = AVOW_OK;
    if (cc != CURLE_OK) {
        rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "GET %s: %s", url,
                            r->body.overflow ? "response too large"
                            : *errbuf        ? errbuf
                                             : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        char *loc = NULL;
        if ((r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 ||
             r->status == 308) &&
            curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) {
            *next = strdup(loc);
            if (!*next) rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        }
    }
    curl_slist_free_all(hdrs);
    if (key_hdr) {
        avow_wipe(key_hdr, strlen(key_hdr));
        free(key_hdr);
    }
    curl_easy_cleanup(h);
    if (rc) response_free(r);
    return rc;
}

/* A GET, following up to MAX_REDIRS redirects (http and https only); the
 * key goes with each hop whose URL is the configured origin, never with
 * another host, port or scheme. */
static avow_err http_get(const avow_pcs_client *c, const char *url, response *r, avow_error *err)
{
    char *cur = strdup(url), *next = NULL;
    if (!cur) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err rc;
    for (int hop = 0;; hop++) {
        rc = http_get_once(c, cur, key_allowed(c, cur), r, &next, err);
        if (rc || !next) break;
        if (hop == MAX_REDIRS) {
            response_free(r);
            rc = avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET,
                                "GET %s: more than %d redirects (last to %s)", url, MAX_REDIRS,
                                next);
            break;
        }
        response_free(r);
        free(cur);
        cur = next;
        next = NULL;
    }
    free(next);
    free(cur);
    return rc;
}

/* GET that must answer 200; otherwise an error with Intel's error headers. */
static avow_err get_ok(const avow_pcs_client *c, const char *url, response *r, avow_error *err)
{
    avow_err rc = http_get(c, url, r, err);
    if (rc) return rc;
    if (r->status == 200) return AVOW_OK;
    char *code = header_get(r, "Error-Code"), *msg = header_get(r, "Error-Message");
    char *rid = header_get(r, "Request-ID");
    char detail[160] = "";
    if (code || msg || rid)
        snprintf(detail, sizeof(detail), " (%s%s%s%s%s%s)", code ? "Error-Code: " : "",
                 code ? code : "", msg ? (code ? "; Error-Message: " : "Error-Message: ") : "",
                 msg ? msg : "", rid ? ((code || msg) ? "; Request-ID: " : "Request-ID: ") : "",
                 rid ? rid : "");
    rc = avow_error_set(err, r->status == 404 ? AVOW_ERR_NOT_FOUND : AVOW_ERR_IO, AVOW_NO_OFFSET,
                        "GET %s: HTTP %ld%s", url, r->status, detail);
    free(code);
    free(msg);
    free(rid);
    response_free(r);
    return rc;
}

/* The URL-encoded PEM chain in one of the named headers. */
static avow_err chain_header(const response *r, const char *url, const char *const *names,
                             char **pem, avow_error *err)
{
    *pem = NULL;
    char *v = NULL;
    for (const char *const *n = names; *n && !v; n++)
        v = header_get(r, *n);
    if (!v)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "GET %s: response lacks the %s header", url, names[0]);
    size_t len;
    avow_error sub;
    avow_error_clear(&sub);
    avow_err rc = avow_percent_decode_alloc(v, strlen(v), pem, &len, &sub);
    free(v);
    if (rc)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "GET %s: %s header: %s", url,
                              names[0], sub.msg);
    if (!strstr(*pem, "-----BEGIN CERTIFICATE-----")) {
        free(*pem);
        *pem = NULL;
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "GET %s: %s header holds no PEM certificate", url, names[0]);
    }
    return AVOW_OK;
}

/* Body `{"<key>":{...},"signature":"hex"}` -> exact signed bytes + signature. */
static avow_err signed_body(const response *r, const char *url, const char *key, char **span_out,
                            size_t *span_len, uint8_t sig[64], avow_error *err)
{
    const char *span;
    size_t n;
    avow_err rc = avow_signed_json_split(r->body.data ? r->body.data : "", r->body.len, key, &span,
                                         &n, sig, err);
    if (rc) {
        char what[300];
        snprintf(what, sizeof(what), "GET %s: body", url);
        avow_error_prefix(err, what);
        return rc;
    }
    *span_out = malloc(n + 1);
    if (!*span_out) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    memcpy(*span_out, span, n);
    (*span_out)[n] = '\0';
    *span_len = n;
    return AVOW_OK;
}

static avow_err crl_body(const response *r, const char *url, uint8_t **der, size_t *der_len,
                         avow_error *err)
{
    avow_err rc = avow_crl_to_der((const uint8_t *)(r->body.data ? r->body.data : ""), r->body.len,
                                  der, der_len, err);
    if (rc) {
        char what[300];
        snprintf(what, sizeof(what), "GET %s: CRL body", url);
        avow_error_prefix(err, what);
    }
    return rc;
}

/* Checks the TCB Info answer is for the FMSPC and TEE asked for. */
static avow_err check_tcb_info(const char *json, size_t len, const char *fmspc_hex,
                               uint32_t tee_type, const char *url, avow_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    const char *f = json_string_value(json_object_get(o, "fmspc"));
    const char *id = json_string_value(json_object_get(o, "id"));
    avow_err rc = AVOW_OK;
    if (!o || !f)
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "GET %s: tcbInfo has no fmspc",
                            url);
    else if (strcasecmp(f, fmspc_hex))
        rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                            "GET %s: tcbInfo is for FMSPC %s, not %s", url, f, fmspc_hex);
    else if ((tee_type == AVOW_TEE_TDX) != (id && !strcmp(id, "TDX")))
        rc = avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                            "GET %s: tcbInfo id \"%s\" does not match the requested TEE", url,
                            id ? id : "SGX");
    json_decref(o);
    return rc;
}

static char *url_join(const char *base, const char *path)
{
    size_t n = strlen(base) + strlen(path) + 1;
    char *u = malloc(n);
    if (u) snprintf(u, n, "%s%s", base, path);
    return u;
}

avow_err avow_pcs_fetch(const avow_pcs_client *c, const uint8_t fmspc[6], avow_pck_ca ca,
                        uint32_t tee_type, avow_collateral *out, avow_error *err)
{
    return avow_pcs_fetch_num(c, fmspc, ca, tee_type, 0, out, err);
}

/* The query naming what to fetch: "tcbEvaluationDataNumber=N" for a
 * number, else "update=<channel>" when one is configured (Intel takes one
 * or the other, never both: docs/verification.md A12). */
static void which_query(const avow_pcs_client *c, int eval_num, char *out, size_t n)
{
    if (eval_num > 0)
        snprintf(out, n, "tcbEvaluationDataNumber=%d", eval_num);
    else if (c->update)
        snprintf(out, n, "update=%s", c->update);
    else
        out[0] = '\0';
}

avow_err avow_pcs_fetch_num(const avow_pcs_client *c, const uint8_t fmspc[6], avow_pck_ca ca,
                            uint32_t tee_type, int eval_num, avow_collateral *out, avow_error *err)
{
    avow_collateral_init(out);
    if (!c || !fmspc) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pcs: no client");
    if (ca != AVOW_PCK_CA_PROCESSOR && ca != AVOW_PCK_CA_PLATFORM)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "pcs: the PCK CA must be processor or platform");
    if (tee_type != AVOW_TEE_SGX && tee_type != AVOW_TEE_TDX)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pcs: unknown TEE type 0x%x",
                              tee_type);
    char hex[13], path[128];
    avow_hex_encode(fmspc, 6, hex);
    char upper[13];
    for (int i = 0; i < 13; i++)
        upper[i] = (char)toupper((unsigned char)hex[i]);
    const char *tbase = tee_type == AVOW_TEE_TDX ? c->tdx_base : c->base;
    avow_err rc = AVOW_OK;
    response r = {0};
    char *url = NULL;
    out->tee_type = tee_type;

    /* TCB Info. */
    char which[48];
    which_query(c, eval_num, which, sizeof(which));
    snprintf(path, sizeof(path), "/tcb?fmspc=%s%s%s", upper, which[0] ? "&" : "", which);
    if (!(url = url_join(tbase, path))) goto nomem;
    static const char *const tcb_chain[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain",
                                            "TDX-TCB-Info-Issuer-Chain", NULL};
    if ((rc = get_ok(c, url, &r, err)) ||
        (rc = chain_header(&r, url, tcb_chain, &out->tcb_info_issuer_chain, err)) ||
        (rc = signed_body(&r, url, "tcbInfo", &out->tcb_info, &out->tcb_info_len, out->tcb_info_sig,
                          err)) ||
        (rc = check_tcb_info(out->tcb_info, out->tcb_info_len, hex, tee_type, url, err)))
        goto fail;
    response_free(&r);
    free(url);

    /* QE Identity. */
    snprintf(path, sizeof(path), "/qe/identity%s%s", which[0] ? "?" : "", which);
    if (!(url = url_join(tbase, path))) goto nomem;
    static const char *const qe_chain[] = {"SGX-Enclave-Identity-Issuer-Chain",
                                           "Enclave-Identity-Issuer-Chain",
                                           "TDX-Enclave-Identity-Issuer-Chain", NULL};
    if ((rc = get_ok(c, url, &r, err)) ||
        (rc = chain_header(&r, url, qe_chain, &out->qe_identity_issuer_chain, err)) ||
        (rc = signed_body(&r, url, "enclaveIdentity", &out->qe_identity, &out->qe_identity_len,
                          out->qe_identity_sig, err)))
        goto fail;
    response_free(&r);
    free(url);

    /* PCK CRL (always from the SGX tree). */
    snprintf(path, sizeof(path), "/pckcrl?ca=%s&encoding=der", avow_pck_ca_name(ca));
    if (!(url = url_join(c->base, path))) goto nomem;
    static const char *const crl_chain[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
    if ((rc = get_ok(c, url, &r, err)) ||
        (rc = chain_header(&r, url, crl_chain, &out->pck_crl_issuer_chain, err)) ||
        (rc = crl_body(&r, url, &out->pck_crl, &out->pck_crl_len, err)))
        goto fail;
    response_free(&r);
    free(url);
    url = NULL;

    /* Root CA CRL. */
    if (c->root_url && !*c->root_url) return AVOW_OK;
    if (!(url = c->root_url ? strdup(c->root_url) : url_join(c->base, "/rootcacrl"))) goto nomem;
    rc = get_ok(c, url, &r, err);
    if (rc == AVOW_ERR_NOT_FOUND && !c->root_url) {
        /* Intel PCS has no /rootcacrl: use the root certificate's CDP. */
        free(url);
        if (!(url = strdup(AVOW_PCS_ROOT_CRL_URL))) goto nomem;
        rc = get_ok(c, url, &r, err);
    }
    if (rc || (rc = crl_body(&r, url, &out->root_ca_crl, &out->root_ca_crl_len, err))) goto fail;
    response_free(&r);
    free(url);
    return AVOW_OK;
nomem:
    rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
fail:
    response_free(&r);
    free(url);
    avow_collateral_free(out);
    return rc;
}

avow_err avow_pcs_fetch_evalnums(const avow_pcs_client *c, uint32_t tee_type,
                                 avow_evalnums_raw *out, avow_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!c) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "pcs: no client");
    char *url =
        url_join(tee_type == AVOW_TEE_TDX ? c->tdx_base : c->base, "/tcbevaluationdatanumbers");
    if (!url) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    response r = {0};
    char *chain = NULL;
    static const char *const names[] = {"TCB-Evaluation-Data-Numbers-Issuer-Chain", NULL};
    avow_err rc = get_ok(c, url, &r, err);
    if (!rc) rc = chain_header(&r, url, names, &chain, err);
    if (!rc) {
        rc = avow_evalnums_raw_from_body(r.body.data ? r.body.data : "", r.body.len, chain, out,
                                         err);
        if (rc) {
            char what[300];
            snprintf(what, sizeof(what), "GET %s: body", url);
            avow_error_prefix(err, what);
        }
    }
    free(chain);
    response_free(&r);
    free(url);
    return rc;
}
