/* Unit tests of the claim set and its serializer (include/avow/claims.h), and the policy
 * management bodies (policy JWS upload in AAD and isolated modes, result
 * claims, signer certificate add/remove), and which request forms each route
 * takes (docs/security.md "Policy management"): resets only with an empty
 * payload, iat in policies, Avow's certificate requests bound to their
 * operation, the Python SDK's jwk.x5c header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/claims.h"
#include "avow/policy.h"
#include "avow/encode.h"
#include "avow/token.h"
#include "testutil.h"

static char *to_json(const avow_claims *cs)
{
    char *s = NULL;
    assert_int_equal(avow_claims_to_json(cs, &s, NULL), AVOW_OK);
    return s;
}

static void test_set_and_json(void **state)
{
    (void)state;
    avow_claims *cs = avow_claims_new();
    assert_int_equal(avow_claims_add_string(cs, "b", "x", AVOW_ISSUER_CUSTOM), AVOW_OK);
    assert_int_equal(avow_claims_add_int(cs, "a", -7, AVOW_ISSUER_SERVICE), AVOW_OK);
    assert_int_equal(avow_claims_add_json(cs, "j", "[1, 2]", AVOW_ISSUER_SERVICE), AVOW_OK);
    assert_int_equal(avow_claims_add_json(cs, "j", "{\"k\": true}", AVOW_ISSUER_SERVICE), AVOW_OK);
    assert_int_equal(avow_claims_add_bool(cs, "b", true, AVOW_ISSUER_POLICY), AVOW_OK);
    assert_int_equal(avow_claims_add_string(cs, "b", "y", AVOW_ISSUER_POLICY), AVOW_OK);
    assert_int_equal(avow_claims_add_json(cs, "bad", "\"scalar\"", AVOW_ISSUER_CUSTOM),
                     AVOW_ERR_FORMAT);
    assert_int_equal(avow_claims_add_string(cs, "", "x", AVOW_ISSUER_CUSTOM), AVOW_ERR_ARG);
    assert_int_equal(avow_claims_count(cs), 6);
    char *s = to_json(cs);
    /* sorted keys; repeated types become arrays; a JSON array claim stays nested */
    assert_string_equal(s, "{\"a\":-7,\"b\":[\"x\",true,\"y\"],\"j\":[[1,2],{\"k\":true}]}");
    free(s);
    size_t pos = 0;
    const avow_claim *c = avow_claims_find(cs, "b", &pos);
    assert_string_equal(c->value.str, "x");
    c = avow_claims_find(cs, "b", &pos);
    assert_true(c->value.boolean);
    assert_string_equal(avow_claim_issuer_name(c->issuer), "AttestationPolicy");
    assert_string_equal(avow_claim_kind_name(c->value.kind), "Boolean");
    assert_non_null(avow_claims_find(cs, "b", &pos));
    assert_null(avow_claims_find(cs, "b", &pos));
    avow_claims *copy = avow_claims_copy(cs);
    assert_int_equal(avow_claims_remove(copy, "b"), 3);
    assert_int_equal(avow_claims_count(copy), 3);
    assert_int_equal(avow_claims_count(cs), 6);
    avow_claims_free(copy);

    avow_claims *back = NULL;
    const char *body = "{\"x\":[1,\"a\"],\"o\":{\"k\":1},\"t\":true}";
    assert_int_equal(
        avow_claims_from_json(body, strlen(body), AVOW_ISSUER_CUSTOM, true, &back, NULL), AVOW_OK);
    assert_int_equal(avow_claims_count(back), 4);
    s = to_json(back);
    assert_string_equal(s, "{\"o\":{\"k\":1},\"t\":true,\"x\":[1,\"a\"]}");
    free(s);
    avow_claims_free(back);
    assert_int_equal(
        avow_claims_from_json("{\"r\":1.5}", 9, AVOW_ISSUER_CUSTOM, false, &back, NULL),
        AVOW_ERR_FORMAT);
    avow_claims_free(cs);
}

static char *make_cert(const char *dir, const char *name, char **key_pem)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/%s.key -out %s/%s.pem -days 2 "
             "-subj /CN=%s 2>/dev/null",
             dir, name, dir, name, name);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    free(out);
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s.key", dir, name);
    *key_pem = (char *)tu_read_file(path, &len);
    snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
    return (char *)tu_read_file(path, &len);
}

static void test_policy_upload(void **state)
{
    (void)state;
    char dir[] = "/tmp/avow_policy_claims_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *k1, *k2;
    char *c1 = make_cert(dir, "signer1", &k1), *c2 = make_cert(dir, "signer2", &k2);
    const char *text = "version=1.0; authorizationrules { => permit(); };";
    const char *pems[] = {c1};
    avow_policy_signers signers = {pems, 1};

    /* unsigned: accepted in AAD mode, refused in isolated mode */
    char *jws = NULL;
    avow_error e;
    assert_int_equal(avow_policy_jws_build(text, strlen(text), NULL, NULL, -1, &jws, &e), AVOW_OK);
    assert_int_equal(strncmp(jws, "eyJhbGciOiJub25lIn0.", 20), 0);
    avow_policy_upload u;
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)jws, strlen(jws),
                                              AVOW_POLICY_MODE_AAD, NULL, &u, &e),
                     AVOW_OK);
    assert_string_equal(u.text, text);
    assert_false(u.signed_);
    avow_claims *rc = NULL;
    assert_int_equal(avow_policy_result_claims(&u, NULL, 0, true, &rc, &e), AVOW_OK);
    assert_string_equal(avow_claims_find(rc, "x-ms-policy-result", NULL)->value.str, "Updated");
    assert_string_equal(avow_claims_find(rc, "x-ms-policy", NULL)->value.str, jws);
    assert_null(avow_claims_find(rc, "x-ms-policy-signer", NULL));
    avow_claims_free(rc);
    avow_policy_upload_free(&u);
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)jws, strlen(jws),
                                              AVOW_POLICY_MODE_ISOLATED, &signers, &u, &e),
                     AVOW_ERR_CHAIN);
    /* a JSON-quoted body works too */
    char quoted[4096];
    snprintf(quoted, sizeof(quoted), " \"%s\"\n", jws);
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)quoted, strlen(quoted),
                                              AVOW_POLICY_MODE_AAD, NULL, &u, &e),
                     AVOW_OK);
    avow_policy_upload_free(&u);
    free(jws);

    /* the real recording: token hash of the docs' unsigned JWS (docs/maa.md §1.7) */
    const char *reset = "eyJhbGciOiJub25lIn0..";
    assert_int_equal(avow_policy_result_claims(NULL, reset, strlen(reset), false, &rc, &e),
                     AVOW_OK);
    assert_string_equal(avow_claims_find(rc, "x-ms-policy-result", NULL)->value.str, "Removed");
    avow_claims_free(rc);

    /* signed by signer1: accepted in isolated mode; by signer2: refused */
    assert_int_equal(avow_policy_jws_build(text, strlen(text), k1, c1, -1, &jws, &e), AVOW_OK);
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)jws, strlen(jws),
                                              AVOW_POLICY_MODE_ISOLATED, &signers, &u, &e),
                     AVOW_OK);
    assert_true(u.signed_);
    assert_int_equal(strlen(u.token_hash), 43);
    assert_int_equal(avow_policy_result_claims(&u, NULL, 0, false, &rc, &e), AVOW_OK);
    const avow_claim *sg = avow_claims_find(rc, "x-ms-policy-signer", NULL);
    assert_non_null(sg);
    assert_int_equal(sg->value.kind, AVOW_CLAIM_JSON);
    assert_non_null(strstr(sg->value.str, "\"x5c\""));
    assert_string_equal(avow_claims_find(rc, "x-ms-policy-token-hash", NULL)->value.str,
                        u.token_hash);
    avow_claims_free(rc);
    avow_policy_upload_free(&u);
    /* signer1's JWS with one signature byte or one payload byte changed: refused */
    {
        size_t n = strlen(jws);
        char *bad = strdup(jws);
        bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
        assert_int_not_equal(avow_policy_upload_parse((const uint8_t *)bad, n,
                                                      AVOW_POLICY_MODE_ISOLATED, &signers, &u, &e),
                             AVOW_OK);
        memcpy(bad, jws, n);
        char *dot = strchr(bad, '.');
        dot[3] = dot[3] == 'A' ? 'B' : 'A';
        assert_int_not_equal(avow_policy_upload_parse((const uint8_t *)bad, n,
                                                      AVOW_POLICY_MODE_ISOLATED, &signers, &u, &e),
                             AVOW_OK);
        free(bad);
    }
    free(jws);
    assert_int_equal(avow_policy_jws_build(text, strlen(text), k2, c2, -1, &jws, &e), AVOW_OK);
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)jws, strlen(jws),
                                              AVOW_POLICY_MODE_ISOLATED, &signers, &u, &e),
                     AVOW_ERR_CHAIN);
    free(jws);
    /* key of one certificate with another's certificate: refused at build */
    assert_int_equal(avow_policy_jws_build(text, strlen(text), k2, c1, -1, &jws, &e),
                     AVOW_ERR_MISMATCH);

    /* a policy that does not compile: line:col in the error */
    const char *broken = "version=1.0;\nauthorizationrules { [type==\"a\" => permit(); };";
    assert_int_equal(avow_policy_jws_build(broken, strlen(broken), NULL, NULL, -1, &jws, &e),
                     AVOW_OK);
    assert_int_equal(avow_policy_upload_parse((const uint8_t *)jws, strlen(jws),
                                              AVOW_POLICY_MODE_AAD, NULL, &u, &e),
                     AVOW_ERR_FORMAT);
    assert_string_equal(e.msg, "policy 2:33: expected ']' or ',' after property test, found '=>'");
    assert_int_equal(u.diag.line, 2);
    free(jws);

    /* certificates: signer1 adds signer2, then removes it; the last cannot go */
    char *x5c = NULL;
    {
        char *jwk = NULL;
        assert_int_equal(avow_jwk_from_cert((const uint8_t *)c2, strlen(c2), true, &jwk, &e),
                         AVOW_OK);
        char payload[8192];
        snprintf(payload, sizeof(payload), "{\"policyCertificate\":%s}", jwk);
        free(jwk);
        avow_jws_key *key = NULL;
        assert_int_equal(avow_jws_key_from_pem(k1, strlen(k1), &key, &e), AVOW_OK);
        uint8_t *der;
        size_t dl;
        assert_int_equal(avow_cert_pem_to_der(c1, strlen(c1), &der, &dl, &e), AVOW_OK);
        char *b64 = malloc(avow_base64_len(dl));
        avow_base64_encode(der, dl, b64);
        free(der);
        char header[8192];
        snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", b64);
        free(b64);
        assert_int_equal(
            avow_jws_sign(header, (const uint8_t *)payload, strlen(payload), key, &x5c, &e),
            AVOW_OK);
        avow_jws_key_free(key);
    }
    avow_cert_request req;
    assert_int_equal(avow_cert_request_parse((const uint8_t *)x5c, strlen(x5c), &signers, &req, &e),
                     AVOW_OK);
    char **list;
    size_t n;
    avow_claims *res;
    assert_int_equal(avow_cert_request_apply(&req, AVOW_CERT_OP_ADD, &signers, &list, &n, &res, &e),
                     AVOW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(avow_claims_find(res, "x-ms-policycertificates-result", NULL)->value.str,
                        "IsPresent");
    assert_string_equal(avow_claims_find(res, "x-ms-certificate-thumbprint", NULL)->value.str,
                        req.thumbprint);
    avow_claims_free(res);
    avow_policy_signers two = {(const char *const *)list, n};
    char **list2;
    size_t n2;
    assert_int_equal(
        avow_cert_request_apply(&req, AVOW_CERT_OP_REMOVE, &two, &list2, &n2, &res, &e), AVOW_OK);
    assert_int_equal(n2, 1);
    assert_string_equal(avow_claims_find(res, "x-ms-policycertificates-result", NULL)->value.str,
                        "IsAbsent");
    avow_claims_free(res);
    for (size_t i = 0; i < n2; i++)
        free(list2[i]);
    free(list2);
    /* removing the only signer is refused */
    const char *only[] = {req.cert_pem};
    avow_policy_signers one = {only, 1};
    assert_int_equal(
        avow_cert_request_apply(&req, AVOW_CERT_OP_REMOVE, &one, &list2, &n2, &res, &e),
        AVOW_ERR_ARG);
    assert_string_equal(e.msg, "the last policy signer certificate cannot be removed");
    assert_null(list2);
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    /* a request signed by a non-signer is refused */
    const char *pems2[] = {c2};
    avow_policy_signers only2 = {pems2, 1};
    avow_cert_request req2;
    assert_int_equal(avow_cert_request_parse((const uint8_t *)x5c, strlen(x5c), &only2, &req2, &e),
                     AVOW_ERR_CHAIN);
    avow_claims *gc = NULL;
    assert_int_equal(avow_policy_certificates_claims(&signers, &gc, &e), AVOW_OK);
    assert_non_null(
        strstr(avow_claims_find(gc, "x-ms-policy-certificates", NULL)->value.str, "\"keys\":[{"));
    avow_claims_free(gc);
    avow_cert_request_free(&req);
    free(x5c);
    free(c1);
    free(c2);
    free(k1);
    free(k2);
    char cmd[128], *o = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    tu_run(cmd, &o);
    free(o);
}

/* A compact RS256 JWS of `payload` under `header` signed with key_pem. */
static char *sign_raw(const char *header, const char *payload, const char *key_pem)
{
    avow_jws_key *key = NULL;
    char *out = NULL;
    assert_int_equal(avow_jws_key_from_pem(key_pem, strlen(key_pem), &key, NULL), AVOW_OK);
    assert_int_equal(
        avow_jws_sign(header, (const uint8_t *)payload, strlen(payload), key, &out, NULL), AVOW_OK);
    avow_jws_key_free(key);
    return out;
}

static char *x5c_of(const char *pem)
{
    uint8_t *der;
    size_t dl;
    assert_int_equal(avow_cert_pem_to_der(pem, strlen(pem), &der, &dl, NULL), AVOW_OK);
    char *b64 = malloc(avow_base64_len(dl));
    avow_base64_encode(der, dl, b64);
    free(der);
    return b64;
}

static void test_request_forms(void **state)
{
    (void)state;
    char dir[] = "/tmp/avow_policy_forms_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *k1, *k2;
    char *c1 = make_cert(dir, "signer1", &k1), *c2 = make_cert(dir, "signer2", &k2);
    const char *pems[] = {c1};
    avow_policy_signers signers = {pems, 1};
    char *x1 = x5c_of(c1), *x2 = x5c_of(c2);
    char h_js[4096], h_py[4096], h_out[4096];
    snprintf(h_js, sizeof(h_js), "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", x1);
    snprintf(h_py, sizeof(h_py), "{\"alg\":\"RS256\",\"jwk\":{\"x5c\":[\"%s\"]}}", x1);
    snprintf(h_out, sizeof(h_out), "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", x2);
    avow_error e;
    avow_policy_reset rs;
    const avow_policy_mode ISO = AVOW_POLICY_MODE_ISOLATED, AAD = AVOW_POLICY_MODE_AAD;

    /* resets: unsigned (AAD only), signed with x5c or jwk.x5c, empty or null payload */
    const char *none = "eyJhbGciOiJub25lIn0..";
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)none, strlen(none), AAD, NULL, &rs, &e), AVOW_OK);
    assert_false(rs.signed_);
    avow_policy_reset_free(&rs);
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)none, strlen(none), ISO, &signers, &rs, &e),
        AVOW_ERR_CHAIN);
    const char *hdrs[] = {h_js, h_py};
    for (int i = 0; i < 2; i++) {
        char *r = sign_raw(hdrs[i], "", k1);
        assert_int_equal(
            avow_policy_reset_parse((const uint8_t *)r, strlen(r), ISO, &signers, &rs, &e),
            AVOW_OK);
        assert_true(rs.signed_);
        assert_non_null(rs.signer_pem);
        avow_policy_reset_free(&rs);
        free(r);
    }
    char *rnull = sign_raw(h_js, "null", k1);
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)rnull, strlen(rnull), ISO, &signers, &rs, &e),
        AVOW_OK);
    avow_policy_reset_free(&rs);
    free(rnull);
    char *rout = sign_raw(h_out, "", k2);
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)rout, strlen(rout), ISO, &signers, &rs, &e),
        AVOW_ERR_CHAIN);
    assert_non_null(strstr(e.msg, "which is not one of the 1 current policy signers"));
    free(rout);
    /* a policy JWS (signed by the signer) is never a reset; nor is a cert request */
    const char *text = "version=1.0; authorizationrules { => permit(); };";
    char *pol = NULL;
    assert_int_equal(avow_policy_jws_build(text, strlen(text), k1, c1, 1700000000, &pol, &e),
                     AVOW_OK);
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)pol, strlen(pol), ISO, &signers, &rs, &e),
        AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "\"AttestationPolicy\": a policy JWS is never taken as a reset"));
    assert_int_equal(avow_policy_reset_parse((const uint8_t *)pol, strlen(pol), AAD, NULL, &rs, &e),
                     AVOW_ERR_FORMAT);
    char *creq = NULL;
    assert_int_equal(avow_cert_request_build(c2, AVOW_CERT_OP_ADD, 1700000100, k1, c1, &creq, &e),
                     AVOW_OK);
    assert_int_equal(
        avow_policy_reset_parse((const uint8_t *)creq, strlen(creq), ISO, &signers, &rs, &e),
        AVOW_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "\"policyCertificate\""));
    assert_int_equal(avow_policy_reset_parse((const uint8_t *)"", 0, AAD, NULL, &rs, &e),
                     AVOW_ERR_FORMAT);

    /* policy iat: written by jws_build, read by upload_parse; absent = -1; bad = error */
    avow_policy_upload u;
    assert_int_equal(
        avow_policy_upload_parse((const uint8_t *)pol, strlen(pol), ISO, &signers, &u, &e),
        AVOW_OK);
    assert_int_equal(u.iat, 1700000000);
    avow_policy_upload_free(&u);
    free(pol);
    assert_int_equal(avow_policy_jws_build(text, strlen(text), k1, c1, -1, &pol, &e), AVOW_OK);
    assert_int_equal(
        avow_policy_upload_parse((const uint8_t *)pol, strlen(pol), ISO, &signers, &u, &e),
        AVOW_OK);
    assert_int_equal(u.iat, -1);
    avow_policy_upload_free(&u);
    free(pol);
    char b64[256], payload[4096];
    avow_base64url_encode((const uint8_t *)text, strlen(text), b64);
    const char *bad_iats[] = {"\"yesterday\"", "-5", "1e300"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(payload, sizeof(payload), "{\"AttestationPolicy\":\"%s\",\"iat\":%s}", b64,
                 bad_iats[i]);
        pol = sign_raw(h_py, payload, k1); /* the Python SDK's header form */
        assert_int_equal(
            avow_policy_upload_parse((const uint8_t *)pol, strlen(pol), ISO, &signers, &u, &e),
            AVOW_ERR_FORMAT);
        assert_non_null(strstr(e.msg, "NumericDate"));
        free(pol);
    }
    snprintf(payload, sizeof(payload), "{\"AttestationPolicy\":\"%s\",\"iat\":1700000000.75}", b64);
    pol = sign_raw(h_py, payload, k1);
    assert_int_equal(
        avow_policy_upload_parse((const uint8_t *)pol, strlen(pol), ISO, &signers, &u, &e),
        AVOW_OK);
    assert_int_equal(u.iat, 1700000000);
    assert_non_null(u.signer_pem);
    avow_policy_upload_free(&u);
    free(pol);

    /* certificate requests: Avow's form is bound to its operation */
    avow_cert_request cr;
    char **list;
    size_t n;
    avow_claims *res;
    assert_int_equal(
        avow_cert_request_parse((const uint8_t *)creq, strlen(creq), &signers, &cr, &e), AVOW_OK);
    assert_true(cr.has_op);
    assert_int_equal(cr.op, AVOW_CERT_OP_ADD);
    assert_int_equal(cr.iat, 1700000100);
    assert_int_equal(
        avow_cert_request_apply(&cr, AVOW_CERT_OP_REMOVE, &signers, &list, &n, &res, &e),
        AVOW_ERR_MISMATCH);
    assert_string_equal(e.msg,
                        "this request was signed for certificates:add, not "
                        "certificates:remove");
    assert_int_equal(avow_cert_request_apply(&cr, AVOW_CERT_OP_ADD, &signers, &list, &n, &res, &e),
                     AVOW_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    avow_claims_free(res);
    avow_cert_request_free(&cr);
    free(creq);
    /* MAA's form: no operation, no iat */
    char *jwk = NULL;
    assert_int_equal(avow_jwk_from_cert((const uint8_t *)c2, strlen(c2), true, &jwk, &e), AVOW_OK);
    snprintf(payload, sizeof(payload), "{\"policyCertificate\":%s}", jwk);
    free(jwk);
    char *maa = sign_raw(h_py, payload, k1);
    assert_int_equal(avow_cert_request_parse((const uint8_t *)maa, strlen(maa), &signers, &cr, &e),
                     AVOW_OK);
    assert_false(cr.has_op);
    assert_int_equal(cr.iat, -1);
    avow_cert_request_free(&cr);
    free(maa);
    /* an unknown operation, and an unsigned request, are refused */
    snprintf(payload, sizeof(payload),
             "{\"policyCertificate\":{\"kty\":\"RSA\",\"x5c\":[\"%s\"]},"
             "\"x-avow-operation\":\"replace\"}",
             x2);
    maa = sign_raw(h_js, payload, k1);
    assert_int_equal(avow_cert_request_parse((const uint8_t *)maa, strlen(maa), &signers, &cr, &e),
                     AVOW_ERR_FORMAT);
    free(maa);
    char *unsig = NULL;
    assert_int_equal(avow_jws_sign("{\"alg\":\"none\"}", (const uint8_t *)payload, strlen(payload),
                                   NULL, &unsig, NULL),
                     AVOW_OK);
    assert_int_equal(
        avow_cert_request_parse((const uint8_t *)unsig, strlen(unsig), &signers, &cr, &e),
        AVOW_ERR_CHAIN);
    free(unsig);
    /* the builder refuses a key that is not the certificate's */
    assert_int_equal(avow_cert_request_build(c2, AVOW_CERT_OP_REMOVE, 1, k2, c1, &creq, &e),
                     AVOW_ERR_MISMATCH);
    free(x1);
    free(x2);
    free(c1);
    free(c2);
    free(k1);
    free(k2);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    tu_run(cmd, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_json),
        cmocka_unit_test(test_policy_upload),
        cmocka_unit_test(test_request_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
