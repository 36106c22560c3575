/* `avow attest`: a small MAA client. Posts a quote (or an Open Enclave
 * report, or a TD quote) to URL/attest/{type} the way @azure/attestation does (base64url
 * without padding, runtimeData Binary or JSON), fetches URL/certs, verifies
 * the returned token's RS256 signature with the /certs key named by its kid
 * (and exp/nbf against the clock), and prints the token's claims as pretty
 * JSON. An unsigned (alg "none") token is refused unless this run sent a
 * draft policy (--draft-policy: MAA answers draftPolicyForAttestation with
 * an unsigned token, docs/security.md "avow attest and unsigned tokens").
 * Works against avowd and against Microsoft Azure Attestation.
 * Thread-safety: a command-line program; single-threaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "avow/token.h"
#include "cli/cli.h"

typedef struct {
    char *p;
    size_t len;
} buf_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    size_t add = size * n;
    if (b->len + add > 16 * 1024 * 1024) return 0; /* a response is never this large */
    char *np = realloc(b->p, b->len + add + 1);
    if (!np) return 0;
    memcpy(np + b->len, ptr, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

/* One HTTP exchange; returns the status (0 on transport failure, message printed). */
static long http_call(const char *url, const char *post_body, bool insecure, buf_t *out)
{
    CURL *c = curl_easy_init();
    if (!c) return 0;
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/json");
    if (post_body) h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "User-Agent: avow-attest/1.0");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (post_body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body);
    if (insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fprintf(stderr, "avow attest: %s: %s\n", url, curl_easy_strerror(rc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static char *b64url_alloc(const uint8_t *p, size_t n)
{
    char *s = malloc(avow_base64_len(n));
    if (s) avow_base64url_encode(p, n, s);
    return s;
}

enum { O_URL = 1, O_RUNTIME_DATA, O_JSON_RUNTIME, O_TYPE, O_DRAFT_POLICY, O_INSECURE, O_TOKEN };

static const cli_option attest_opts[] = {
    {O_URL, "url", "URL", "the service: avowd or an MAA instance (required)"},
    {O_RUNTIME_DATA, "runtime-data", "FILE", "bytes bound to REPORTDATA[0..32] by SHA-256"},
    {O_JSON_RUNTIME, "json-runtime", NULL, "send them as dataType JSON (claim x-ms-runtime)"},
    {O_TYPE, "type", "SgxEnclave|OpenEnclave|TdxVm", "the attestation type (default SgxEnclave)"},
    {O_DRAFT_POLICY, "draft-policy", "FILE",
     "attest against this policy text (draftPolicyForAttestation); the service answers with an "
     "unsigned token, shown with a warning. Without it an unsigned token is refused."},
    {O_INSECURE, "insecure", NULL, "do not verify the server's TLS certificate"},
    {O_TOKEN, "token", NULL, "print the raw token instead of its claims"},
    {0},
};

static const cli_positional attest_args[] = {
    {"QUOTE",
     "a DCAP quote (raw, hex or base64); with --type OpenEnclave an Open Enclave report (16-byte "
     "header + quote); with --type TdxVm a TD quote"},
    {0},
};

static const cli_command attest_cmd = {
    .path = "avow attest",
    .usage = "--url URL QUOTE [options]",
    .about =
        "Attests QUOTE at URL/attest/{type} as the @azure/attestation client does, verifies "
        "the token's signature with URL/certs and prints its claims as JSON.",
    .args = attest_args,
    .opts = {attest_opts},
};

int cli_attest(int argc, char **argv)
{
    const char *url = NULL, *quote_path = NULL, *rt_path = NULL, *type = "SgxEnclave",
               *draft_path = NULL;
    bool json_rt = false, insecure = false, print_token = false;
    const char *v;
    cli_args a;
    cli_args_init(&a, &attest_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_URL:
                url = v;
                break;
            case O_RUNTIME_DATA:
                rt_path = v;
                break;
            case O_DRAFT_POLICY:
                draft_path = v;
                break;
            case O_TYPE:
                type = v;
                break;
            case O_JSON_RUNTIME:
                json_rt = true;
                break;
            case O_INSECURE:
                insecure = true;
                break;
            case O_TOKEN:
                print_token = true;
                break;
            case CLI_ARG:
                quote_path = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!url) return cli_usage_error(&attest_cmd, "--url is missing");
    if (!quote_path) return cli_usage_error(&attest_cmd, "QUOTE is missing");
    avow_attest_type at = avow_attest_type_parse(type);
    if (!at) return cli_usage_error(&attest_cmd, "--type must be SgxEnclave, OpenEnclave or TdxVm");
    bool oe = at == AVOW_ATTEST_OPEN_ENCLAVE;
    if (json_rt && !rt_path) {
        fprintf(stderr, "avow attest: --json-runtime needs --runtime-data FILE\n");
        return CLI_USAGE;
    }
    char base[2048];
    snprintf(base, sizeof(base), "%s", url);
    for (size_t n = strlen(base); n && base[n - 1] == '/'; n--)
        base[n - 1] = '\0';

    int rc = CLI_USAGE;
    uint8_t *quote = NULL, *rt = NULL, *draft = NULL;
    size_t quote_len = 0, rt_len = 0, draft_len = 0;
    char *qb = NULL, *rb = NULL, *body = NULL, *claims = NULL;
    json_t *req = NULL, *resp = NULL, *certs = NULL;
    buf_t r1 = {0}, r2 = {0};
    avow_jws_key *key = NULL;
    avow_jws jws;
    memset(&jws, 0, sizeof(jws));
    avow_error err;
    avow_error_clear(&err);

    if (!cli_read_binary(quote_path, NULL, &quote, &quote_len)) goto done;
    if (rt_path && !cli_read_file(rt_path, &rt, &rt_len)) goto done;
    if (draft_path && !cli_read_file(draft_path, &draft, &draft_len)) goto done;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    qb = b64url_alloc(quote, quote_len);
    req = json_object();
    if (!qb || !req) goto done;
    json_object_set_new(req, oe ? "report" : "quote", json_string(qb));
    if (rt) {
        rb = b64url_alloc(rt, rt_len);
        if (!rb) goto done;
        json_object_set_new(
            req, "runtimeData",
            json_pack("{s:s,s:s}", "data", rb, "dataType", json_rt ? "JSON" : "Binary"));
    }
    if (draft) {
        json_t *dp = json_stringn((const char *)draft, draft_len);
        if (!dp) {
            fprintf(stderr, "avow attest: %s: the draft policy is not UTF-8 text\n", draft_path);
            goto done;
        }
        json_object_set_new(req, "draftPolicyForAttestation", dp);
    }
    body = json_dumps(req, JSON_COMPACT);
    if (!body) goto done;

    char ep[2300];
    /* TdxVm came with api-version 2023-04-01-preview, stable in 2025-06-01 (docs/maa.md §1.1) */
    snprintf(ep, sizeof(ep), "%s/attest/%s?api-version=%s", base, avow_attest_type_name(at),
             at == AVOW_ATTEST_TDX_VM ? "2025-06-01" : "2022-08-01");
    long st = http_call(ep, body, insecure, &r1);
    rc = CLI_FAIL;
    if (!st) goto done;
    json_error_t je;
    resp = r1.p ? json_loadb(r1.p, r1.len, 0, &je) : NULL;
    if (st != 200) {
        json_t *e = json_object_get(json_object_get(resp, "error"), "message");
        json_t *c = json_object_get(json_object_get(resp, "error"), "code");
        fprintf(stderr, "avow attest: HTTP %ld %s: %s\n", st,
                json_is_string(c) ? json_string_value(c) : "",
                json_is_string(e) ? json_string_value(e) : (r1.p ? r1.p : "(no body)"));
        goto done;
    }
    const char *token = json_string_value(json_object_get(resp, "token"));
    if (!token) {
        fprintf(stderr, "avow attest: the response has no \"token\"\n");
        goto done;
    }
    if (avow_jws_parse(token, strlen(token), AVOW_JWS_ALLOW_NONE, &jws, &err) != AVOW_OK) {
        cli_error(&err, "the token does not parse");
        goto done;
    }
    if (jws.alg == AVOW_JWS_ALG_NONE && !draft) {
        /* Only a draft-policy attestation yields an unsigned token: anything
         * else claiming to be a verdict without a signature is forged (a
         * man in the middle, a hostile --url) or a broken service. */
        fprintf(stderr,
                "avow attest: refusing the token: it is unsigned (alg \"none\") but no draft "
                "policy was sent, so nothing vouches for its claims\n");
        goto done;
    }
    if (jws.alg == AVOW_JWS_ALG_NONE) {
        fprintf(stderr,
                "avow attest: warning: unsigned (alg none) token: a draft-policy result, "
                "not verifiable\n");
        claims = strdup((const char *)jws.payload);
    } else {
        char cu[2100];
        snprintf(cu, sizeof(cu), "%s/certs", base);
        if (http_call(cu, NULL, insecure, &r2) != 200) {
            fprintf(stderr, "avow attest: GET %s failed\n", cu);
            goto done;
        }
        certs = json_loadb(r2.p, r2.len, 0, &je);
        json_t *keys = json_object_get(certs, "keys"), *k;
        size_t i;
        json_array_foreach(keys, i, k)
        {
            const char *kid = json_string_value(json_object_get(k, "kid"));
            const char *x5c = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
            if (!kid || !x5c || !jws.kid || strcmp(kid, jws.kid)) continue;
            uint8_t *der = NULL;
            size_t der_len = 0;
            if (avow_base64_decode_alloc(x5c, strlen(x5c), true, &der, &der_len, &err) == AVOW_OK)
                avow_jws_key_from_cert_der(der, der_len, &key, &err);
            free(der);
            break;
        }
        if (!key) {
            fprintf(stderr, "avow attest: no key with kid %s (and an x5c) in %s\n",
                    jws.kid ? jws.kid : "(none)", cu);
            goto done;
        }
        if (avow_jwt_verify(token, strlen(token), key, avow_time_now(), 60, &claims, &err) !=
            AVOW_OK) {
            cli_error(&err, "the token does not verify");
            goto done;
        }
    }
    json_t *cj = claims ? json_loads(claims, 0, &je) : NULL;
    const char *iss = json_string_value(json_object_get(cj, "iss"));
    if (iss && strcmp(iss, base))
        fprintf(stderr, "avow attest: note: token issuer %s differs from %s\n", iss, base);
    if (print_token) {
        printf("%s\n", token);
    } else {
        char *pretty = cj ? json_dumps(cj, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (pretty) printf("%s\n", pretty);
        free(pretty);
    }
    json_decref(cj);
    rc = cj ? CLI_OK : CLI_FAIL;
done:
    avow_jws_free(&jws);
    avow_jws_key_free(key);
    json_decref(req);
    json_decref(resp);
    json_decref(certs);
    free(r1.p);
    free(r2.p);
    free(quote);
    free(rt);
    free(draft);
    free(qb);
    free(rb);
    free(body);
    free(claims);
    return rc;
}
