/* Unit tests of the token layer: RS256 / ES256 JWS round trips, tampering,
 * wrong keys, alg "none", the RSA256 alias with x5c, strict base64url, JWT
 * exp/nbf (exp required; the NumericDate form rule), JWKS shape, kid stability, the token signer, a
 * JWS signed by the openssl CLI, and JWKs of MAA's real /certs certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "avow/encode.h"
#include "avow/token.h"
#include "testutil.h"

static avow_signing_material rsa_mat; /* generated once (RSA keygen is slow) */

static int setup(void **state)
{
    (void)state;
    return avow_signing_key_generate("https://avow.test", 1700000000, 30, &rsa_mat, NULL);
}

static int teardown(void **state)
{
    (void)state;
    avow_signing_material_free(&rsa_mat);
    return 0;
}

static avow_jws_key *load(const char *pem)
{
    avow_jws_key *k = NULL;
    avow_error e;
    if (avow_jws_key_from_pem(pem, strlen(pem), &k, &e)) fail_msg("key: %s", e.msg);
    return k;
}

static char *ec_key_pem(void)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(pk);
    return s;
}

static void test_rs256_roundtrip(void **state)
{
    (void)state;
    avow_jws_key *priv = load(rsa_mat.key_pem), *pub = load(rsa_mat.cert_pem);
    assert_true(avow_jws_key_is_private(priv));
    assert_false(avow_jws_key_is_private(pub));
    assert_int_equal(avow_jws_key_alg(pub), AVOW_JWS_ALG_RS256);
    char *jws;
    const char *payload = "{\"a\":1}";
    assert_int_equal(avow_jws_sign("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", (const uint8_t *)payload,
                                   strlen(payload), priv, &jws, NULL),
                     AVOW_OK);
    assert_null(strchr(jws, '='));
    avow_jws j;
    assert_int_equal(avow_jws_parse(jws, strlen(jws), 0, &j, NULL), AVOW_OK);
    assert_int_equal(j.alg, AVOW_JWS_ALG_RS256);
    assert_string_equal((char *)j.payload, payload);
    assert_string_equal(j.typ, "JWT");
    assert_int_equal(j.signature_len, 256);
    assert_int_equal(avow_jws_verify(&j, pub, NULL), AVOW_OK);
    assert_int_equal(avow_jws_verify(&j, priv, NULL), AVOW_OK);
    avow_jws_free(&j);

    /* Tampering with each segment breaks it. */
    char *dot1 = strchr(jws, '.'), *dot2 = strchr(dot1 + 1, '.');
    size_t where[] = {2, (size_t)(dot1 - jws) + 2, (size_t)(dot2 - jws) + 5};
    for (size_t i = 0; i < 3; i++) {
        char *t = strdup(jws);
        t[where[i]] = t[where[i]] == 'A' ? 'B' : 'A';
        avow_error e;
        avow_err rc = avow_jws_parse(t, strlen(t), 0, &j, &e);
        if (rc == AVOW_OK) {
            assert_int_equal(avow_jws_verify(&j, pub, &e), AVOW_ERR_SIGNATURE);
            avow_jws_free(&j);
        }
        free(t);
    }
    /* A wrong key (another RSA key) fails. */
    avow_signing_material other;
    assert_int_equal(avow_signing_key_generate(NULL, 1700000000, 0, &other, NULL), AVOW_OK);
    avow_jws_key *wrong = load(other.cert_pem);
    assert_int_equal(avow_jws_parse(jws, strlen(jws), 0, &j, NULL), AVOW_OK);
    assert_int_equal(avow_jws_verify(&j, wrong, NULL), AVOW_ERR_SIGNATURE);
    /* An ES256 key cannot verify an RS256 JWS. */
    char *ecp = ec_key_pem();
    avow_jws_key *ec = load(ecp);
    assert_int_equal(avow_jws_verify(&j, ec, NULL), AVOW_ERR_SIGNATURE);
    /* Header alg must match the signing key. */
    char *bad;
    assert_int_equal(
        avow_jws_sign("{\"alg\":\"ES256\"}", (const uint8_t *)"x", 1, priv, &bad, NULL),
        AVOW_ERR_ARG);
    avow_jws_free(&j);
    avow_jws_key_free(ec);
    free(ecp);
    avow_jws_key_free(wrong);
    avow_signing_material_free(&other);
    free(jws);
    avow_jws_key_free(priv);
    avow_jws_key_free(pub);
}

static void test_es256_roundtrip(void **state)
{
    (void)state;
    char *pem = ec_key_pem();
    avow_jws_key *k = load(pem);
    assert_int_equal(avow_jws_key_alg(k), AVOW_JWS_ALG_ES256);
    char *jws;
    assert_int_equal(
        avow_jws_sign("{\"alg\":\"ES256\"}", (const uint8_t *)"hello", 5, k, &jws, NULL), AVOW_OK);
    avow_jws j;
    assert_int_equal(avow_jws_parse(jws, strlen(jws), 0, &j, NULL), AVOW_OK);
    assert_int_equal(j.alg, AVOW_JWS_ALG_ES256);
    assert_int_equal(j.signature_len, 64); /* raw r||s, not DER */
    assert_int_equal(avow_jws_verify(&j, k, NULL), AVOW_OK);
    j.signature[10] ^= 1;
    assert_int_equal(avow_jws_verify(&j, k, NULL), AVOW_ERR_SIGNATURE);
    avow_jws_free(&j);
    /* JWT helpers with ES256 and exp/nbf. */
    char *tok;
    assert_int_equal(avow_jwt_sign(k, "kid1", NULL, "{\"nbf\":100,\"exp\":200}", &tok, NULL),
                     AVOW_OK);
    char *claims = NULL;
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 150, 0, &claims, NULL), AVOW_OK);
    assert_string_equal(claims, "{\"nbf\":100,\"exp\":200}");
    free(claims);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 201, 0, NULL, NULL), AVOW_ERR_EXPIRED);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 201, 5, NULL, NULL), AVOW_OK);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 99, 0, NULL, NULL), AVOW_ERR_EXPIRED);
    avow_jws pj;
    assert_int_equal(avow_jws_parse(tok, strlen(tok), 0, &pj, NULL), AVOW_OK);
    assert_string_equal(pj.header, "{\"alg\":\"ES256\",\"kid\":\"kid1\",\"typ\":\"JWT\"}");
    avow_jws_free(&pj);
    free(tok);
    free(jws);
    avow_jws_key_free(k);
    free(pem);
}

/* signs `payload` as is (avow_jwt_sign would refuse what jansson cannot read) */
static char *jwt_raw(const avow_jws_key *k, const char *payload)
{
    char *tok = NULL;
    avow_error e;
    if (avow_jws_sign("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", (const uint8_t *)payload,
                      strlen(payload), k, &tok, &e) != AVOW_OK)
        fail_msg("sign: %s", e.msg);
    return tok;
}

/* exp is required; exp / nbf / iat must be integers in 0..INT64_MAX, and
 * each refusal names the claim (docs/security.md, "JWT time claims"). */
static void test_jwt_time_claims(void **state)
{
    (void)state;
    char *pem = ec_key_pem();
    avow_jws_key *k = load(pem);
    static const struct {
        const char *payload, *needle;
        avow_err rc;
    } cases[] = {
        {"{\"sub\":\"x\"}", "no \"exp\"", AVOW_ERR_FORMAT},
        {"{\"nbf\":100}", "no \"exp\"", AVOW_ERR_FORMAT},
        {"{\"exp\":1e300}", "\"exp\" is not an integer", AVOW_ERR_FORMAT},
        {"{\"exp\":200.5}", "\"exp\" is not an integer", AVOW_ERR_FORMAT},
        {"{\"exp\":200.0}", "\"exp\" is not an integer", AVOW_ERR_FORMAT},
        {"{\"exp\":-1}", "\"exp\" is negative", AVOW_ERR_FORMAT},
        {"{\"exp\":\"200\"}", "\"exp\" is not a number", AVOW_ERR_FORMAT},
        {"{\"exp\":9223372036854775808}", "\"exp\" is out of range", AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"nbf\":99999999999999999999999}", "\"nbf\" is out of range",
         AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"nbf\":-9223372036854775809}", "\"nbf\" is out of range", AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"iat\":1.5}", "\"iat\" is not an integer", AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"iat\":-5}", "\"iat\" is negative", AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"nbf\":1e3}", "\"nbf\" is not an integer", AVOW_ERR_FORMAT},
        {"{\"exp\":200,\"n\":99999999999999999999}", "out of range at line 1", AVOW_ERR_FORMAT},
        /* the edges that are accepted */
        {"{\"exp\":200,\"nbf\":0,\"iat\":0}", NULL, AVOW_OK},
        {"{\"exp\":9223372036854775807}", NULL, AVOW_OK},
        {"{\"exp\":150}", NULL, AVOW_OK},
        {"{\"exp\":149}", "expired at 149", AVOW_ERR_EXPIRED},
        {"{\"exp\":200,\"nbf\":9223372036854775807}", "not valid before", AVOW_ERR_EXPIRED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *tok = jwt_raw(k, cases[i].payload);
        avow_error e;
        avow_error_clear(&e);
        char *claims = NULL;
        avow_err rc = avow_jwt_verify(tok, strlen(tok), k, 150, 0, &claims, &e);
        if (rc != cases[i].rc || (cases[i].needle && !strstr(e.msg, cases[i].needle)))
            fail_msg("%s: got %s \"%s\", expected %s \"%s\"", cases[i].payload, avow_err_name(rc),
                     e.msg, avow_err_name(cases[i].rc), cases[i].needle ? cases[i].needle : "");
        if (rc == AVOW_OK) assert_string_equal(claims, cases[i].payload);
        free(claims);
        free(tok);
    }
    /* leeway at the edges: huge leeway and times never wrap */
    char *tok = jwt_raw(k, "{\"exp\":0,\"nbf\":9223372036854775807}");
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 0, INT64_MAX, NULL, NULL), AVOW_OK);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, INT64_MAX, 0, NULL, NULL),
                     AVOW_ERR_EXPIRED);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, INT64_MIN, 0, NULL, NULL),
                     AVOW_ERR_EXPIRED);
    assert_int_equal(avow_jwt_verify(tok, strlen(tok), k, 0, -1, NULL, NULL), AVOW_ERR_ARG);
    free(tok);
    avow_jws_key_free(k);
    free(pem);
}

static void test_alg_none(void **state)
{
    (void)state;
    const char *reset = "eyJhbGciOiJub25lIn0..";
    avow_jws j;
    avow_error e;
    assert_int_equal(avow_jws_parse(reset, strlen(reset), 0, &j, &e), AVOW_ERR_UNSUPPORTED);
    assert_int_equal(avow_jws_parse(reset, strlen(reset), AVOW_JWS_ALLOW_NONE, &j, NULL), AVOW_OK);
    assert_int_equal(j.alg, AVOW_JWS_ALG_NONE);
    assert_int_equal(j.payload_len, 0);
    avow_jws_key *pub = load(rsa_mat.cert_pem);
    assert_int_equal(avow_jws_verify(&j, pub, NULL), AVOW_ERR_SIGNATURE);
    avow_jws_free(&j);
    /* An unsigned policy as MAA's docs show it. */
    char *unsigned_jws;
    const char *pl = "{\"AttestationPolicy\":\"dmVyc2lvbj0xLjA7\"}";
    assert_int_equal(avow_jws_sign("{\"alg\":\"none\"}", (const uint8_t *)pl, strlen(pl), NULL,
                                   &unsigned_jws, NULL),
                     AVOW_OK);
    assert_true(!strncmp(unsigned_jws, "eyJhbGciOiJub25lIn0.", 20));
    assert_int_equal(unsigned_jws[strlen(unsigned_jws) - 1], '.');
    assert_int_equal(
        avow_jws_parse(unsigned_jws, strlen(unsigned_jws), AVOW_JWS_ALLOW_NONE, &j, NULL), AVOW_OK);
    assert_string_equal((char *)j.payload, pl);
    avow_jws_free(&j);
    free(unsigned_jws);
    /* "none" with a signature is malformed. */
    const char *sig = "eyJhbGciOiJub25lIn0..AAAA";
    assert_int_equal(avow_jws_parse(sig, strlen(sig), AVOW_JWS_ALLOW_NONE, &j, NULL),
                     AVOW_ERR_FORMAT);
    avow_jws_key_free(pub);
}

/* Signs "<b64url(header)>.<b64url(payload)>" with OpenSSL directly. */
static char *raw_rs256(const char *header, const char *payload, const char *key_pem)
{
    char *h = malloc(avow_base64_len(strlen(header))),
         *p = malloc(avow_base64_len(strlen(payload)));
    avow_base64url_encode((const uint8_t *)header, strlen(header), h);
    avow_base64url_encode((const uint8_t *)payload, strlen(payload), p);
    char *input;
    assert_true(asprintf(&input, "%s.%s", h, p) > 0);
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[512];
    size_t n = sizeof(sig);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, (uint8_t *)input, strlen(input)), 1);
    char *s = malloc(avow_base64_len(n));
    avow_base64url_encode(sig, n, s);
    char *out;
    assert_true(asprintf(&out, "%s.%s", input, s) > 0);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    BIO_free(b);
    free(h);
    free(p);
    free(s);
    free(input);
    return out;
}

static void test_rsa256_alias_x5c(void **state)
{
    (void)state;
    uint8_t *der;
    size_t der_len;
    assert_int_equal(
        avow_cert_pem_to_der(rsa_mat.cert_pem, strlen(rsa_mat.cert_pem), &der, &der_len, NULL),
        AVOW_OK);
    char *b64 = malloc(avow_base64_len(der_len));
    avow_base64_encode(der, der_len, b64);
    char *header;
    assert_true(asprintf(&header, "{\"alg\":\"RSA256\",\"x5c\":[\"%s\"]}", b64) > 0);
    char *jws = raw_rs256(header, "{\"AttestationPolicy\":\"eA\"}", rsa_mat.key_pem);
    avow_jws j;
    assert_int_equal(avow_jws_parse(jws, strlen(jws), 0, &j, NULL), AVOW_ERR_UNSUPPORTED);
    assert_int_equal(avow_jws_parse(jws, strlen(jws), AVOW_JWS_ALLOW_RSA256, &j, NULL), AVOW_OK);
    assert_int_equal(j.alg, AVOW_JWS_ALG_RS256);
    assert_string_equal(j.alg_name, "RSA256");
    assert_int_equal(j.n_x5c, 1);
    uint8_t *signer;
    size_t signer_len;
    assert_int_equal(avow_jws_verify_x5c(&j, &signer, &signer_len, NULL), AVOW_OK);
    assert_int_equal(signer_len, der_len);
    assert_memory_equal(signer, der, der_len);
    free(signer);
    avow_jws_free(&j);
    /* A JWS whose x5c is another certificate does not verify. */
    avow_signing_material other;
    assert_int_equal(avow_signing_key_generate(NULL, 1700000000, 0, &other, NULL), AVOW_OK);
    char *jws2 = raw_rs256(header, "{}", other.key_pem);
    assert_int_equal(avow_jws_parse(jws2, strlen(jws2), AVOW_JWS_ALLOW_RSA256, &j, NULL), AVOW_OK);
    assert_int_equal(avow_jws_verify_x5c(&j, NULL, NULL, NULL), AVOW_ERR_SIGNATURE);
    avow_jws_free(&j);
    avow_signing_material_free(&other);
    free(jws2);
    free(jws);
    free(header);
    free(b64);
    free(der);
}

static void test_b64url_strict(void **state)
{
    (void)state;
    avow_jws j;
    const char *cases[] = {
        "eyJhbGciOiJub25lIn0=..",                 /* padding */
        "eyJhbGciOiJub25lIn0..\n",                /* trailing newline */
        "eyJhbGciOiJub25lIn0.e+8.",               /* '+' is not base64url */
        "eyJhbGciOiJub25lIn0.",                   /* two segments */
        "eyJhbGciOiJub25lIn0...",                 /* four segments */
        ".e30.",                                  /* empty header */
        "bm90IGpzb24..",                          /* header not JSON */
        "eyJhbGciOiJub25lIiwiYWxnIjoibm9uZSJ9..", /* duplicate "alg" */
        "eyJhbGciOiJub25lIn1..",                  /* non-canonical trailing bits */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avow_error e;
        avow_err rc = avow_jws_parse(cases[i], strlen(cases[i]), AVOW_JWS_ALLOW_NONE, &j, &e);
        if (rc == AVOW_OK) fail_msg("case %zu (%s) was accepted", i, cases[i]);
    }
    /* Lenient mode takes padding and surrounding whitespace. */
    assert_int_equal(avow_jws_parse(cases[0], strlen(cases[0]),
                                    AVOW_JWS_ALLOW_NONE | AVOW_JWS_LENIENT_B64, &j, NULL),
                     AVOW_OK);
    avow_jws_free(&j);
    assert_int_equal(avow_jws_parse(cases[1], strlen(cases[1]),
                                    AVOW_JWS_ALLOW_NONE | AVOW_JWS_LENIENT_B64, &j, NULL),
                     AVOW_OK);
    avow_jws_free(&j);
}

static void test_jwks_and_kid(void **state)
{
    (void)state;
    char kid_pem[AVOW_KID_LEN], kid_der[AVOW_KID_LEN];
    uint8_t *der;
    size_t der_len;
    assert_int_equal(
        avow_cert_kid((const uint8_t *)rsa_mat.cert_pem, strlen(rsa_mat.cert_pem), kid_pem, NULL),
        AVOW_OK);
    assert_int_equal(
        avow_cert_pem_to_der(rsa_mat.cert_pem, strlen(rsa_mat.cert_pem), &der, &der_len, NULL),
        AVOW_OK);
    assert_int_equal(avow_cert_kid(der, der_len, kid_der, NULL), AVOW_OK);
    assert_string_equal(kid_pem, kid_der);
    assert_string_equal(kid_pem, rsa_mat.kid);
    assert_int_equal(strlen(kid_pem), 43);
    uint8_t h[32];
    char expect[AVOW_KID_LEN];
    SHA256(der, der_len, h);
    avow_base64url_encode(h, 32, expect);
    assert_string_equal(kid_pem, expect);

    const char *certs[] = {rsa_mat.cert_pem};
    char *jwks;
    assert_int_equal(avow_jwks_build(certs, 1, &jwks, NULL), AVOW_OK);
    json_t *o = json_loads(jwks, 0, NULL);
    assert_non_null(o);
    json_t *keys = json_object_get(o, "keys");
    assert_int_equal(json_array_size(keys), 1);
    json_t *k = json_array_get(keys, 0);
    assert_string_equal(json_string_value(json_object_get(k, "kid")), rsa_mat.kid);
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "RSA");
    assert_string_equal(json_string_value(json_object_get(k, "use")), "sig");
    assert_string_equal(json_string_value(json_object_get(k, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(k, "e")), "AQAB");
    assert_int_equal(strlen(json_string_value(json_object_get(k, "n"))), 342); /* 256 bytes */
    const char *x5c = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
    uint8_t *x;
    size_t xl;
    assert_int_equal(avow_base64_decode_alloc(x5c, strlen(x5c), false, &x, &xl, NULL), AVOW_OK);
    assert_int_equal(xl, der_len);
    assert_memory_equal(x, der, der_len);
    free(x);
    json_decref(o);
    free(jwks);
    /* Minimal JWK (x-ms-policy-signer shape). */
    char *jwk;
    assert_int_equal(avow_jwk_from_cert(der, der_len, true, &jwk, NULL), AVOW_OK);
    assert_true(!strncmp(jwk, "{\"kty\":\"RSA\",\"x5c\":[\"", 21));
    free(jwk);
    char thumb[41];
    assert_int_equal(avow_cert_thumbprint_sha1(der, der_len, thumb, NULL), AVOW_OK);
    assert_int_equal(strlen(thumb), 40);
    free(der);
}

static void test_signer(void **state)
{
    (void)state;
    avow_token_signer *s;
    assert_int_equal(avow_token_signer_new(rsa_mat.key_pem, rsa_mat.cert_pem,
                                           "https://avow.test/certs", &s, NULL),
                     AVOW_OK);
    assert_string_equal(avow_token_signer_kid(s), rsa_mat.kid);
    const char *claims = "{\"iss\":\"https://avow.test\",\"iat\":1700000000,\"exp\":1700028800}";
    char *tok;
    assert_int_equal(avow_token_signer_sign(s, claims, strlen(claims), &tok, NULL), AVOW_OK);
    avow_jws j;
    assert_int_equal(avow_jws_parse(tok, strlen(tok), 0, &j, NULL), AVOW_OK);
    char *hdr;
    assert_true(asprintf(&hdr,
                         "{\"alg\":\"RS256\",\"jku\":\"https://avow.test/"
                         "certs\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
                         rsa_mat.kid) > 0);
    assert_string_equal(j.header, hdr);
    assert_string_equal(j.kid, rsa_mat.kid);
    assert_int_equal(avow_jws_verify(&j, avow_token_signer_key(s), NULL), AVOW_OK);
    avow_jws_free(&j);
    char *out;
    assert_int_equal(
        avow_jwt_verify(tok, strlen(tok), avow_token_signer_key(s), 1700000100, 0, &out, NULL),
        AVOW_OK);
    assert_string_equal(out, claims);
    free(out);
    free(tok);
    free(hdr);
    /* A key that does not match the certificate is refused. */
    avow_signing_material other;
    assert_int_equal(avow_signing_key_generate(NULL, 1700000000, 0, &other, NULL), AVOW_OK);
    avow_token_signer *bad;
    assert_int_equal(avow_token_signer_new(other.key_pem, rsa_mat.cert_pem, NULL, &bad, NULL),
                     AVOW_ERR_MISMATCH);
    avow_signing_material_free(&other);
    avow_token_signer_free(s);
}

/* A JWS made entirely by the openssl CLI verifies with our code. */
static void test_openssl_cli_vector(void **state)
{
    (void)state;
    char dir[] = "/tmp/avow-jws-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
               *payload = "{\"sub\":\"cli\",\"exp\":100}";
    char *h = malloc(avow_base64_len(strlen(header))),
         *p = malloc(avow_base64_len(strlen(payload)));
    avow_base64url_encode((const uint8_t *)header, strlen(header), h);
    avow_base64url_encode((const uint8_t *)payload, strlen(payload), p);
    char *cmd, *out = NULL;
    assert_true(
        asprintf(&cmd,
                 "cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
                 "-out k.pem 2>/dev/null && openssl pkey -in k.pem -pubout -out pub.pem && "
                 "printf '%%s' '%s.%s' > in && openssl dgst -sha256 -sign k.pem -out sig in && "
                 "openssl base64 -A -in sig | tr '+/' '-_' | tr -d '='",
                 dir, h, p) > 0);
    assert_int_equal(tu_run(cmd, &out), 0);
    char *jws;
    assert_true(asprintf(&jws, "%s.%s.%s", h, p, out) > 0);
    char *pubpath;
    assert_true(asprintf(&pubpath, "%s/pub.pem", dir) > 0);
    size_t plen;
    char *pub = (char *)tu_read_file(pubpath, &plen);
    avow_jws_key *k = load(pub);
    char *claims;
    assert_int_equal(avow_jwt_verify(jws, strlen(jws), k, 0, 0, &claims, NULL), AVOW_OK);
    assert_string_equal(claims, payload);
    free(claims);
    jws[strlen(jws) - 3] ^= 1;
    assert_int_not_equal(avow_jwt_verify(jws, strlen(jws), k, 0, 0, NULL, NULL), AVOW_OK);
    avow_jws_key_free(k);
    free(pub);
    free(pubpath);
    free(jws);
    free(out);
    free(cmd);
    free(h);
    free(p);
    assert_true(asprintf(&cmd, "rm -rf %s", dir) > 0);
    tu_run(cmd, NULL);
    free(cmd);
}

/* MAA's real /certs: our JWK of each certificate keeps its x5c and kty. */
static void test_maa_certs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *body = tu_read_vector("maa/maa-exchange-2020/get.certs.response.body.json", &len);
    json_t *o = json_loadb((char *)body, len, 0, NULL);
    assert_non_null(o);
    json_t *keys = json_object_get(o, "keys");
    assert_true(json_array_size(keys) >= 1);
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *x5c =
            json_string_value(json_array_get(json_object_get(json_array_get(keys, i), "x5c"), 0));
        uint8_t *der;
        size_t dl;
        assert_int_equal(avow_base64_decode_alloc(x5c, strlen(x5c), false, &der, &dl, NULL),
                         AVOW_OK);
        char *jwk;
        assert_int_equal(avow_jwk_from_cert(der, dl, false, &jwk, NULL), AVOW_OK);
        json_t *k = json_loads(jwk, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(k, "kty")), "RSA");
        assert_string_equal(json_string_value(json_array_get(json_object_get(k, "x5c"), 0)), x5c);
        avow_jws_key *vk;
        assert_int_equal(avow_jws_key_from_cert_der(der, dl, &vk, NULL), AVOW_OK);
        avow_jws_key_free(vk);
        json_decref(k);
        free(jwk);
        free(der);
    }
    json_decref(o);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs256_roundtrip), cmocka_unit_test(test_es256_roundtrip),
        cmocka_unit_test(test_alg_none),        cmocka_unit_test(test_rsa256_alias_x5c),
        cmocka_unit_test(test_b64url_strict),   cmocka_unit_test(test_jwks_and_kid),
        cmocka_unit_test(test_signer),          cmocka_unit_test(test_openssl_cli_vector),
        cmocka_unit_test(test_maa_certs),       cmocka_unit_test(test_jwt_time_claims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
