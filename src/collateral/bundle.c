/* The collateral value (init/free/copy/equal) and the dcap-qvl JSON bundle
 * reader and writer (collateral.h). The bundle carries tcb_info and
 * qe_identity as the exact signed JSON text, which is kept verbatim; CRLs are
 * normalised to DER (written back as lower-case hex DER) and issuer chains to
 * PEM text (URL-encoded PEM is decoded). Writing then reading gives back the
 * same value, byte for byte. Thread-safe: no state. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "collateral/jfield.h"
#include "collateral/json_span.h"
#include "collateral/pem_chain.h"
#include "pki/cert.h"

void avow_collateral_init(avow_collateral *c)
{
    if (c) memset(c, 0, sizeof(*c));
}

void avow_collateral_free(avow_collateral *c)
{
    if (!c) return;
    free(c->pck_crl_issuer_chain);
    free(c->root_ca_crl);
    free(c->pck_crl);
    free(c->tcb_info_issuer_chain);
    free(c->tcb_info);
    free(c->qe_identity_issuer_chain);
    free(c->qe_identity);
    memset(c, 0, sizeof(*c));
}

/* Copies n bytes plus a NUL (text pieces); NULL stays NULL. Clears *ok on
 * allocation failure. */
static void *dup_bytes(const void *src, size_t n, bool *ok)
{
    if (!src) return NULL;
    char *d = malloc(n + 1);
    if (!d) {
        *ok = false;
        return NULL;
    }
    memcpy(d, src, n);
    d[n] = '\0';
    return d;
}

static char *dup_str(const char *s, bool *ok)
{
    return dup_bytes(s, s ? strlen(s) : 0, ok);
}

avow_err avow_collateral_copy(const avow_collateral *src, avow_collateral *dst)
{
    if (!src || !dst) return AVOW_ERR_ARG;
    avow_collateral c = *src;
    /* Every copy is attempted; on failure each pointer is NULL or owned. */
    bool ok = true;
    c.pck_crl_issuer_chain = dup_str(src->pck_crl_issuer_chain, &ok);
    c.root_ca_crl = dup_bytes(src->root_ca_crl, src->root_ca_crl_len, &ok);
    c.pck_crl = dup_bytes(src->pck_crl, src->pck_crl_len, &ok);
    c.tcb_info_issuer_chain = dup_str(src->tcb_info_issuer_chain, &ok);
    c.tcb_info = dup_bytes(src->tcb_info, src->tcb_info_len, &ok);
    c.qe_identity_issuer_chain = dup_str(src->qe_identity_issuer_chain, &ok);
    c.qe_identity = dup_bytes(src->qe_identity, src->qe_identity_len, &ok);
    if (!ok) {
        avow_collateral_free(&c);
        avow_collateral_init(dst);
        return AVOW_ERR_NOMEM;
    }
    *dst = c;
    return AVOW_OK;
}

static bool same(const void *a, size_t an, const void *b, size_t bn)
{
    if (!a || !b) return !a && !b;
    return an == bn && memcmp(a, b, an) == 0;
}

static bool same_str(const char *a, const char *b)
{
    return same(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0);
}

bool avow_collateral_equal(const avow_collateral *a, const avow_collateral *b)
{
    return a->tee_type == b->tee_type &&
           same_str(a->pck_crl_issuer_chain, b->pck_crl_issuer_chain) &&
           same(a->root_ca_crl, a->root_ca_crl_len, b->root_ca_crl, b->root_ca_crl_len) &&
           same(a->pck_crl, a->pck_crl_len, b->pck_crl, b->pck_crl_len) &&
           same_str(a->tcb_info_issuer_chain, b->tcb_info_issuer_chain) &&
           same(a->tcb_info, a->tcb_info_len, b->tcb_info, b->tcb_info_len) &&
           (!a->tcb_info || memcmp(a->tcb_info_sig, b->tcb_info_sig, 64) == 0) &&
           same_str(a->qe_identity_issuer_chain, b->qe_identity_issuer_chain) &&
           same(a->qe_identity, a->qe_identity_len, b->qe_identity, b->qe_identity_len) &&
           (!a->qe_identity || memcmp(a->qe_identity_sig, b->qe_identity_sig, 64) == 0);
}

/* ---- reading ------------------------------------------------------------ */

/* A bundle member: absent, null and "" all mean "not given" (*s = NULL). */
static avow_err bundle_str(json_t *root, const char *key, const char **s, size_t *len,
                           avow_error *err)
{
    *s = NULL;
    *len = 0;
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return AVOW_OK;
    if (!json_is_string(v))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "collateral.%s: expected a string, got %s", key, jf_type_name(v));
    if (json_string_length(v) == 0) return AVOW_OK;
    *s = json_string_value(v);
    *len = json_string_length(v);
    return AVOW_OK;
}

static avow_err read_chain(json_t *root, const char *key, char **out, avow_error *err)
{
    const char *s;
    size_t len, tlen;
    avow_err e = bundle_str(root, key, &s, &len, err);
    if (e || !s) return e;
    char what[64];
    snprintf(what, sizeof(what), "collateral.%s", key);
    char *text;
    if ((e = coll_pem_text(s, len, what, &text, &tlen, err))) return e;
    avow_cert_chain certs;
    if ((e = avow_cert_chain_read(text, tlen, what, &certs, err))) {
        free(text);
        return e;
    }
    avow_cert_chain_free(&certs);
    *out = text;
    return AVOW_OK;
}

static avow_err read_crl(json_t *root, const char *key, uint8_t **der, size_t *der_len,
                         avow_error *err)
{
    const char *s;
    size_t len;
    avow_err e = bundle_str(root, key, &s, &len, err);
    if (e || !s) return e;
    if ((e = avow_crl_to_der((const uint8_t *)s, len, der, der_len, err))) {
        char what[64];
        snprintf(what, sizeof(what), "collateral.%s", key);
        avow_error_prefix(err, what);
    }
    return e;
}

/* tcb_info / qe_identity: the signed object text and its signature. The
 * text may also be a whole PCS body {"tcbInfo":...,"signature":...}; then
 * the separate signature, if given, must agree with it. */
static avow_err read_signed(json_t *root, const char *key, const char *sig_key,
                            const char *body_key, char **text, size_t *text_len, uint8_t sig[64],
                            avow_error *err)
{
    const char *s, *sig_hex;
    size_t len, sig_len;
    avow_err e = bundle_str(root, key, &s, &len, err);
    if (e || !s) return e;
    if ((e = bundle_str(root, sig_key, &sig_hex, &sig_len, err))) return e;
    const char *span = s;
    size_t span_len = len;
    uint8_t body_sig[64];
    bool have_body_sig = false;
    e = avow_json_member_span(s, len, body_key, NULL, NULL, err);
    if (e == AVOW_OK) {
        if ((e = avow_signed_json_split(s, len, body_key, &span, &span_len, body_sig, err)))
            goto fail;
        have_body_sig = true;
    } else if (e != AVOW_ERR_NOT_FOUND) {
        goto fail;
    }
    if (sig_hex) {
        avow_error sub;
        if (avow_hex_decode_fixed(sig_hex, sig_len, sig, 64, &sub))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "collateral.%s: %s (want 128 hex digits)", sig_key, sub.msg);
        if (have_body_sig && memcmp(sig, body_sig, 64) != 0)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "collateral.%s: differs from the signature inside %s", sig_key,
                                  key);
    } else if (have_body_sig) {
        memcpy(sig, body_sig, 64);
    } else {
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "collateral.%s: missing",
                              sig_key);
    }
    bool ok = true;
    *text = dup_bytes(span, span_len, &ok);
    if (!ok) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    *text_len = span_len;
    return AVOW_OK;
fail:;
    char what[64];
    snprintf(what, sizeof(what), "collateral.%s", key);
    avow_error_prefix(err, what);
    return e;
}

avow_err avow_collateral_from_bundle(const uint8_t *json, size_t len, avow_collateral *out,
                                     avow_error *err)
{
    if (!json || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral: missing argument");
    avow_collateral_init(out);
    json_t *root;
    avow_err e = jf_load_object((const char *)json, len, "collateral", &root, err);
    if (e) return e;
    avow_collateral *c = out;
    static const char *const keys[] = {
        "tcb_info",    "tcb_info_signature",    "tcb_info_issuer_chain",
        "qe_identity", "qe_identity_signature", "qe_identity_issuer_chain",
        "pck_crl",     "pck_crl_issuer_chain",  "root_ca_crl"};
    size_t known = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        known += json_object_get(root, keys[i]) != NULL;
    if (!known) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "collateral: not a collateral bundle (no tcb_info, qe_identity, "
                           "pck_crl, ... member; for Intel PCS responses give their folder)");
        goto done;
    }
    if ((e = read_signed(root, "tcb_info", "tcb_info_signature", "tcbInfo", &c->tcb_info,
                         &c->tcb_info_len, c->tcb_info_sig, err)))
        goto done;
    if ((e = read_signed(root, "qe_identity", "qe_identity_signature", "enclaveIdentity",
                         &c->qe_identity, &c->qe_identity_len, c->qe_identity_sig, err)))
        goto done;
    if ((e = read_chain(root, "tcb_info_issuer_chain", &c->tcb_info_issuer_chain, err))) goto done;
    if ((e = read_chain(root, "qe_identity_issuer_chain", &c->qe_identity_issuer_chain, err)))
        goto done;
    if ((e = read_chain(root, "pck_crl_issuer_chain", &c->pck_crl_issuer_chain, err))) goto done;
    if ((e = read_crl(root, "root_ca_crl", &c->root_ca_crl, &c->root_ca_crl_len, err))) goto done;
    if ((e = read_crl(root, "pck_crl", &c->pck_crl, &c->pck_crl_len, err))) goto done;
    c->tee_type = AVOW_TEE_SGX;
    if (c->tcb_info && (e = jf_tee_type(c->tcb_info, c->tcb_info_len, &c->tee_type, err)))
        avow_error_prefix(err, "collateral.tcb_info");
done:
    json_decref(root);
    if (e) avow_collateral_free(out);
    return e;
}

/* ---- writing ------------------------------------------------------------ */

static int put_text(json_t *o, const char *key, const char *s, size_t len)
{
    return json_object_set_new(o, key, json_stringn(s ? s : "", s ? len : 0));
}

static int put_hex(json_t *o, const char *key, const uint8_t *b, size_t len)
{
    if (!b) return put_text(o, key, NULL, 0);
    if (len > (SIZE_MAX - 1) / 2) return -1;
    char *hex = malloc(2 * len + 1);
    if (!hex) return -1;
    avow_hex_encode(b, len, hex);
    int r = put_text(o, key, hex, 2 * len);
    free(hex);
    return r;
}

avow_err avow_collateral_to_bundle(const avow_collateral *c, char **out, avow_error *err)
{
    if (!c || !out)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "collateral: missing argument");
    *out = NULL;
    json_t *o = json_object();
    if (!o) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    /* json_stringn returns NULL (and the set fails) for invalid UTF-8. */
    int bad = 0;
    bad |= put_text(o, "tcb_info_issuer_chain", c->tcb_info_issuer_chain,
                    c->tcb_info_issuer_chain ? strlen(c->tcb_info_issuer_chain) : 0);
    bad |= put_text(o, "tcb_info", c->tcb_info, c->tcb_info_len);
    bad |= put_hex(o, "tcb_info_signature", c->tcb_info ? c->tcb_info_sig : NULL, 64);
    bad |= put_text(o, "qe_identity_issuer_chain", c->qe_identity_issuer_chain,
                    c->qe_identity_issuer_chain ? strlen(c->qe_identity_issuer_chain) : 0);
    bad |= put_text(o, "qe_identity", c->qe_identity, c->qe_identity_len);
    bad |= put_hex(o, "qe_identity_signature", c->qe_identity ? c->qe_identity_sig : NULL, 64);
    bad |= put_text(o, "pck_crl_issuer_chain", c->pck_crl_issuer_chain,
                    c->pck_crl_issuer_chain ? strlen(c->pck_crl_issuer_chain) : 0);
    bad |= put_hex(o, "root_ca_crl", c->root_ca_crl, c->root_ca_crl_len);
    bad |= put_hex(o, "pck_crl", c->pck_crl, c->pck_crl_len);
    char *s = bad ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "collateral: cannot write the bundle (text that is not UTF-8?)");
    *out = s; /* jansson's default allocator: the caller free()s it */
    return AVOW_OK;
}
