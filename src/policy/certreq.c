/* Policy-signer certificate requests of the MAA REST API (docs/maa.md
 * §1.8), without HTTP: parsing a certificates:add|remove body (MAA's form, and
 * Avow's form that names its operation and carries an iat), building Avow's
 * form, applying a request to the signer list, and the GET /certificates
 * claims. Why the two forms differ in what they protect against is
 * docs/security.md "Policy management". Thread-safe: no state. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "avow/encode.h"
#include "avow/policy.h"
#include "avow/token.h"
#include "policy/manage_int.h"

#define OP_CLAIM "x-avow-operation"

const char *avow_cert_op_name(avow_cert_op op)
{
    return op == AVOW_CERT_OP_ADD ? "add" : "remove";
}

void avow_cert_request_free(avow_cert_request *r)
{
    if (!r) return;
    free(r->cert_pem);
    free(r->signer_pem);
    memset(r, 0, sizeof(*r));
}

avow_err avow_cert_request_parse(const uint8_t *body, size_t len,
                                 const avow_policy_signers *signers, avow_cert_request *r,
                                 avow_error *err)
{
    if (!body || !r) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no body");
    memset(r, 0, sizeof(*r));
    r->iat = -1;
    char *compact = NULL;
    avow_jws j;
    memset(&j, 0, sizeof(j));
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    json_t *o = NULL;
    const char *what = "certificate request";
    avow_err rc = mgmt_body_jws(body, len, &compact, err);
    if (!rc) rc = mgmt_jws_parse(compact, true, what, &j, err);
    if (!rc && j.alg == AVOW_JWS_ALG_NONE)
        rc = avow_error_set(err, AVOW_ERR_CHAIN, AVOW_NO_OFFSET,
                            "a certificate request must be signed by a policy-signer "
                            "certificate; this one is unsigned (alg none)");
    if (!rc) rc = mgmt_jws_signer(&j, signers, what, &r->signer_pem, err);
    if (rc) goto fail;
    o = json_loadb((const char *)j.payload, j.payload_len, 0, NULL);
    json_t *jwk = o ? json_object_get(o, "policyCertificate") : NULL;
    if (!jwk && o) jwk = json_object_get(o, "maa-policyCertificate");
    json_t *x5c = json_is_object(jwk) ? json_object_get(jwk, "x5c") : NULL;
    json_t *first = json_is_array(x5c) ? json_array_get(x5c, 0) : NULL;
    if (!json_is_string(first)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "certificate request payload needs {\"policyCertificate\": "
                            "{\"x5c\": [\"<base64 DER>\"]}}");
        goto fail;
    }
    json_t *op = json_object_get(o, OP_CLAIM);
    if (op) {
        const char *v = json_string_value(op);
        r->has_op = v && (!strcmp(v, "add") || !strcmp(v, "remove"));
        if (!r->has_op) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                "certificate request: \"" OP_CLAIM
                                "\" must be \"add\" or "
                                "\"remove\"");
            goto fail;
        }
        r->op = !strcmp(v, "add") ? AVOW_CERT_OP_ADD : AVOW_CERT_OP_REMOVE;
    }
    if ((rc = mgmt_payload_iat(o, what, &r->iat, err))) goto fail;
    if ((rc = avow_base64_decode_alloc(json_string_value(first), json_string_length(first), true,
                                       &cert, &cert_len, err))) {
        avow_error_prefix(err, "policyCertificate x5c[0]");
        goto fail;
    }
    if ((rc = avow_cert_der_to_pem(cert, cert_len, &r->cert_pem, err))) goto fail;
    if ((rc = avow_cert_thumbprint_sha1(cert, cert_len, r->thumbprint, err))) goto fail;
    goto done;
fail:
    avow_cert_request_free(r);
done:
    json_decref(o);
    free(compact);
    free(cert);
    avow_jws_free(&j);
    return rc;
}

avow_err avow_cert_request_build(const char *target_pem, avow_cert_op op, int64_t iat,
                                 const char *key_pem, const char *cert_pem, char **out,
                                 avow_error *err)
{
    if (!target_pem || !key_pem || !cert_pem || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "a certificate request needs the certificate, a key and its "
                              "certificate");
    *out = NULL;
    char *jwk = NULL, *payload = NULL;
    json_t *p = NULL;
    avow_err rc =
        avow_jwk_from_cert((const uint8_t *)target_pem, strlen(target_pem), true, &jwk, err);
    if (rc) return rc;
    json_t *k = json_loads(jwk, 0, NULL);
    p = k ? json_pack("{s:o,s:s,s:I}", "policyCertificate", k, OP_CLAIM, avow_cert_op_name(op),
                      "iat", (json_int_t)iat)
          : NULL;
    if (!(payload = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL))
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
    else
        rc = mgmt_sign_x5c(payload, key_pem, cert_pem, out, err);
    json_decref(p);
    free(jwk);
    free(payload);
    return rc;
}

avow_err avow_cert_request_apply(const avow_cert_request *r, avow_cert_op op,
                                 const avow_policy_signers *current, char ***new_list,
                                 size_t *new_n, avow_claims **result, avow_error *err)
{
    if (!r || !r->cert_pem || !current || !new_list || !new_n || !result)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "certificate apply: bad arguments");
    *new_list = NULL;
    *new_n = 0;
    *result = NULL;
    if (r->has_op && r->op != op)
        return avow_error_set(err, AVOW_ERR_MISMATCH, AVOW_NO_OFFSET,
                              "this request was signed for certificates:%s, not certificates:%s",
                              avow_cert_op_name(r->op), avow_cert_op_name(op));
    uint8_t *der = NULL;
    size_t der_len = 0;
    avow_err rc = avow_cert_pem_to_der(r->cert_pem, strlen(r->cert_pem), &der, &der_len, err);
    if (rc) return rc;
    char **list = calloc(current->n + 1, sizeof(char *));
    size_t n = 0;
    bool found = false;
    if (!list) {
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto fail;
    }
    for (size_t i = 0; i < current->n; i++) {
        uint8_t *d = NULL;
        size_t dl = 0;
        bool same = false;
        if (current->cert_pems[i] &&
            !avow_cert_pem_to_der(current->cert_pems[i], strlen(current->cert_pems[i]), &d, &dl,
                                  NULL))
            same = dl == der_len && !memcmp(d, der, dl);
        free(d);
        if (same) found = true;
        if (same && op == AVOW_CERT_OP_REMOVE) continue;
        if (!(list[n++] = strdup(current->cert_pems[i] ? current->cert_pems[i] : ""))) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto fail;
        }
    }
    if (op == AVOW_CERT_OP_REMOVE && found && n == 0) {
        rc = avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                            "the last policy signer certificate cannot be removed");
        goto fail;
    }
    if (op == AVOW_CERT_OP_ADD && !found) {
        if (!(list[n++] = strdup(r->cert_pem))) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto fail;
        }
    }
    avow_claims *cs = avow_claims_new();
    if (!cs ||
        avow_claims_add_string(cs, "x-ms-certificate-thumbprint", r->thumbprint,
                               AVOW_ISSUER_SERVICE) ||
        avow_claims_add_string(cs, "x-ms-policycertificates-result",
                               op == AVOW_CERT_OP_ADD ? "IsPresent" : "IsAbsent",
                               AVOW_ISSUER_SERVICE)) {
        avow_claims_free(cs);
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto fail;
    }
    free(der);
    *new_list = list;
    *new_n = n;
    *result = cs;
    return AVOW_OK;
fail:
    free(der);
    if (list)
        for (size_t i = 0; i < n; i++)
            free(list[i]);
    free(list);
    return rc;
}

avow_err avow_policy_certificates_claims(const avow_policy_signers *signers, avow_claims **out,
                                         avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "no output");
    *out = NULL;
    json_t *keys = json_array(), *obj = NULL;
    char *text = NULL;
    avow_err rc = AVOW_OK;
    for (size_t i = 0; signers && i < signers->n && keys; i++) {
        char *jwk = NULL;
        if ((rc = avow_jwk_from_cert((const uint8_t *)signers->cert_pems[i],
                                     strlen(signers->cert_pems[i]), true, &jwk, err)))
            goto done;
        json_t *k = json_loads(jwk, 0, NULL);
        free(jwk);
        if (!k || json_array_append_new(keys, k)) {
            rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
            goto done;
        }
    }
    obj = keys ? json_pack("{s:O}", "keys", keys) : NULL;
    text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    avow_claims *cs = text ? avow_claims_new() : NULL;
    if (!cs || avow_claims_add_json(cs, "x-ms-policy-certificates", text, AVOW_ISSUER_SERVICE)) {
        avow_claims_free(cs);
        rc = avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "no memory");
        goto done;
    }
    *out = cs;
done:
    json_decref(keys);
    json_decref(obj);
    free(text);
    return rc;
}
