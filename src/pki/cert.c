/* Certificates and CRLs from DER (cert.h): a strict walk of RFC 5280's
 * Certificate and CertificateList keeping views of the fields the library
 * uses. Hand-written for speed on the cold verification path (d2i_X509
 * ~100-170 us per certificate on OpenSSL 3.0, this walk a few us;
 * docs/performance.md); signatures are still verified by OpenSSL
 * (cert_check.c). Thread-safe: no state. */
#include "pki/cert.h"

#include <string.h>

/* OID contents. */
static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t OID_EC_PUBKEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};
static const uint8_t OID_SGX[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
/* id-ce-* (2.5.29.n) is 55 1d n. */
enum {
    CE_SKI = 14,
    CE_KU = 15,
    CE_SAN = 17,
    CE_BC = 19,
    CE_CRL_NUMBER = 20,
    CE_REASON = 21,
    CE_INVALIDITY_DATE = 24,
    CE_CERT_ISSUER = 29,
    CE_IDP = 28,
    CE_CRL_DP = 31,
    CE_POLICIES = 32,
    CE_AKI = 35,
    CE_EKU = 37,
};

static int ce_arc(avow_span oid)
{
    return oid.len == 3 && oid.p[0] == 0x55 && oid.p[1] == 0x1d ? oid.p[2] : -1;
}

#define BAD(field, t) bad(err, what, field, (t)->off)
static avow_err bad(avow_error *err, const char *what, const char *field, size_t off)
{
    return avow_error_set(err, AVOW_ERR_FORMAT, off, "%s.%s at offset %zu: malformed DER", what,
                          field, off);
}

/* AlgorithmIdentifier parameters (ANY): absent, NULL, an OBJECT IDENTIFIER
 * (a named curve) or a SEQUENCE (e.g. RSASSA-PSS), nothing else. */
static bool params_ok(const avow_tlv *p)
{
    return (p->tag == DER_NULL && p->val.len == 0) ||
           (p->tag == DER_OID && avow_der_oid_ok(p->val)) || p->tag == DER_SEQUENCE;
}

/* AlgorithmIdentifier; true if it is ecdsa-with-SHA256 with absent parameters. */
static bool alg(avow_der *d, avow_tlv *t, bool *is_ecdsa)
{
    if (!avow_der_expect(d, DER_SEQUENCE, t)) return false;
    avow_der a = avow_der_inside(t);
    avow_tlv oid, params;
    if (!avow_der_expect(&a, DER_OID, &oid) || !avow_der_oid_ok(oid.val)) return false;
    bool has_params = avow_der_next(&a, &params);
    if (!avow_der_empty(&a) || (has_params && !params_ok(&params))) return false;
    *is_ecdsa = !has_params && avow_der_oid_is(oid.val, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256));
    return true;
}

/* Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }; the first CN.
 * Values must be directory strings that decode (avow_der_dirstring_ok). */
static bool name(avow_der *d, avow_tlv *t, avow_span *cn)
{
    if (!avow_der_expect(d, DER_SEQUENCE, t)) return false;
    *cn = (avow_span){NULL, 0};
    bool found = false;
    avow_der rdns = avow_der_inside(t);
    while (!avow_der_empty(&rdns)) {
        avow_tlv set;
        if (!avow_der_expect(&rdns, DER_SET, &set) || set.val.len == 0) return false;
        avow_der avas = avow_der_inside(&set);
        while (!avow_der_empty(&avas)) {
            avow_tlv ava, type, value;
            if (!avow_der_expect(&avas, DER_SEQUENCE, &ava)) return false;
            avow_der x = avow_der_inside(&ava);
            if (!avow_der_expect(&x, DER_OID, &type) || !avow_der_oid_ok(type.val) ||
                !avow_der_next(&x, &value) || !avow_der_empty(&x) ||
                !avow_der_dirstring_ok(value.tag, value.val))
                return false;
            if (!found && avow_der_oid_is(type.val, OID_CN, sizeof(OID_CN))) {
                found = true;
                *cn = value.val;
            }
        }
    }
    return true;
}

/* Validity / CRL time. */
static bool time_field(avow_der *d, avow_tlv *t, avow_time *out)
{
    return avow_der_next(d, t) && avow_der_time(t, out);
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static bool extension(avow_der *exts, avow_tlv *ext, avow_span *oid, bool *critical,
                      avow_tlv *value)
{
    avow_tlv o, c;
    if (!avow_der_expect(exts, DER_SEQUENCE, ext)) return false;
    avow_der e = avow_der_inside(ext);
    if (!avow_der_expect(&e, DER_OID, &o) || !avow_der_oid_ok(o.val)) return false;
    *critical = false;
    if (avow_der_optional(&e, DER_BOOLEAN, &c) && !avow_der_bool(c.val, critical)) return false;
    if (!avow_der_expect(&e, DER_OCTET_STRING, value) || !avow_der_empty(&e)) return false;
    *oid = o.val;
    return true;
}

/* Rejects a second extension with the same OID among the first `n` seen. */
static bool remember(avow_span *seen, size_t *n, size_t cap, avow_span oid)
{
    for (size_t i = 0; i < *n; i++)
        if (seen[i].len == oid.len && !memcmp(seen[i].p, oid.p, oid.len)) return false;
    if (*n == cap) return false;
    seen[(*n)++] = oid;
    return true;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, read one at a time:
 * at most `cap` (<= 32) of them, no OID twice (RFC 5280 4.2). */
typedef struct {
    avow_der d;
    avow_span seen[32];
    size_t n, cap;
} ext_list;

static bool ext_list_open(avow_tlv *seq, size_t cap, ext_list *l)
{
    l->d = avow_der_inside(seq);
    l->n = 0;
    l->cap = cap;
    return !avow_der_empty(&l->d);
}

/* The same list under an explicit tag ([3] in a certificate, [0] in a CRL). */
static bool ext_list_open_explicit(avow_tlv *ctx, size_t cap, ext_list *l)
{
    avow_der outer = avow_der_inside(ctx);
    avow_tlv seq;
    return avow_der_expect(&outer, DER_SEQUENCE, &seq) && avow_der_empty(&outer) &&
           ext_list_open(&seq, cap, l);
}

static bool ext_list_next(ext_list *l, avow_tlv *ext, avow_span *oid, bool *critical,
                          avow_tlv *value)
{
    return extension(&l->d, ext, oid, critical, value) && remember(l->seen, &l->n, l->cap, *oid);
}

static bool basic_constraints(avow_tlv *v, avow_cert *c)
{
    avow_der d = avow_der_inside(v);
    avow_tlv seq, t;
    if (!avow_der_expect(&d, DER_SEQUENCE, &seq) || !avow_der_empty(&d)) return false;
    avow_der s = avow_der_inside(&seq);
    c->ca = false;
    if (avow_der_optional(&s, DER_BOOLEAN, &t) && (!avow_der_bool(t.val, &c->ca) || !c->ca))
        return false; /* DEFAULT FALSE is never encoded in DER */
    if (avow_der_optional(&s, DER_INTEGER, &t)) {
        uint32_t pl;
        /* RFC 5280 4.2.1.9: no pathLenConstraint unless cA is asserted */
        if (!c->ca || !avow_der_small_uint(t.val, 255, &pl)) return false;
        c->path_len = (int)pl;
    }
    c->has_bc = true;
    return avow_der_empty(&s);
}

static bool key_usage(avow_tlv *v, avow_cert *c)
{
    avow_der d = avow_der_inside(v);
    avow_tlv bits;
    if (!avow_der_expect(&d, DER_BIT_STRING, &bits) || !avow_der_empty(&d) || bits.val.len < 2 ||
        bits.val.len > 3 || !avow_der_bits_ok(bits.val))
        return false;
    c->ku = (uint16_t)(bits.val.p[1] | (bits.val.len == 3 ? bits.val.p[2] << 8 : 0));
    c->has_ku = true;
    return true;
}

/* GeneralNames (the contents of `t`), as far as an authority is named in
 * practice: rfc822Name, dNSName, URI ([1] [2] [6] IA5String), directoryName
 * ([4] Name), iPAddress ([7]), registeredID ([8]); at least one. Other forms
 * (otherName, x400Address, ediPartyName) are refused rather than half read. */
static bool general_names(const avow_tlv *t)
{
    avow_der d = avow_der_inside(t);
    if (avow_der_empty(&d)) return false;
    while (!avow_der_empty(&d)) {
        avow_tlv gn, nm;
        avow_span cn;
        if (!avow_der_next(&d, &gn)) return false;
        switch (gn.tag) {
            case 0x81:
            case 0x82:
            case 0x86:
            case 0x87:
                break;
            case 0x88:
                if (!avow_der_oid_ok(gn.val)) return false;
                break;
            case 0xa4: {
                avow_der in = avow_der_inside(&gn);
                if (!name(&in, &nm, &cn) || !avow_der_empty(&in)) return false;
                break;
            }
            default:
                return false;
        }
    }
    return true;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OCTET STRING
 * OPTIONAL, authorityCertIssuer [1] GeneralNames OPTIONAL,
 * authorityCertSerialNumber [2] INTEGER OPTIONAL } (the last two together). */
static bool aki(avow_tlv *v, avow_span *out)
{
    avow_der d = avow_der_inside(v);
    avow_tlv seq, t;
    if (!avow_der_expect(&d, DER_SEQUENCE, &seq) || !avow_der_empty(&d)) return false;
    avow_der s = avow_der_inside(&seq);
    if (avow_der_optional(&s, 0x80, &t)) *out = t.val;
    if (avow_der_optional(&s, 0xa1, &t) &&
        (!general_names(&t) || !avow_der_optional(&s, 0x82, &t) || !avow_der_int_ok(t.val)))
        return false;
    return avow_der_empty(&s);
}

static avow_err cert_extensions(avow_tlv *ctx3, avow_cert *c, avow_error *err, const char *what)
{
    ext_list exts;
    if (!ext_list_open_explicit(ctx3, 32, &exts)) return BAD("extensions", ctx3);
    while (!avow_der_empty(&exts.d)) {
        avow_tlv ext, value;
        avow_span oid;
        bool critical;
        if (!ext_list_next(&exts, &ext, &oid, &critical, &value)) return BAD("extension", &ext);
        bool ok = true, known = true;
        switch (ce_arc(oid)) {
            case CE_BC:
                ok = basic_constraints(&value, c);
                break;
            case CE_KU:
                ok = key_usage(&value, c);
                break;
            case CE_AKI:
                ok = aki(&value, &c->aki);
                break;
            case CE_SKI: {
                avow_der d = avow_der_inside(&value);
                avow_tlv k;
                ok = avow_der_expect(&d, DER_OCTET_STRING, &k) && avow_der_empty(&d);
                if (ok) c->ski = k.val;
                break;
            }
            case CE_EKU:
            case CE_SAN:
            case CE_POLICIES:
                break; /* understood enough to accept as critical; not used by DCAP */
            case CE_CRL_DP:
                known = false; /* never critical (RFC 5280) */
                break;
            default:
                if (avow_der_oid_is(oid, OID_SGX, sizeof(OID_SGX)))
                    c->sgx_ext = value.val;
                else
                    known = false;
        }
        if (!ok) return BAD("extension value", &value);
        if (critical && !known)
            return avow_error_set(err, AVOW_ERR_FORMAT, ext.off,
                                  "%s.extension at offset %zu: unknown critical extension", what,
                                  ext.off);
    }
    return AVOW_OK;
}

/* SubjectPublicKeyInfo. */
static bool spki(avow_der *d, avow_tlv *t, avow_cert *c)
{
    if (!avow_der_expect(d, DER_SEQUENCE, t)) return false;
    avow_der s = avow_der_inside(t);
    avow_tlv a, oid, param, bits;
    if (!avow_der_expect(&s, DER_SEQUENCE, &a) || !avow_der_expect(&s, DER_BIT_STRING, &bits) ||
        !avow_der_empty(&s) || !avow_der_bits_whole(bits.val, &c->key))
        return false;
    avow_der ad = avow_der_inside(&a);
    if (!avow_der_expect(&ad, DER_OID, &oid) || !avow_der_oid_ok(oid.val)) return false;
    bool has_param = avow_der_next(&ad, &param);
    if (!avow_der_empty(&ad) || (has_param && !params_ok(&param))) return false;
    c->spki = t->tlv;
    c->key_alg = oid.val;
    if (has_param) c->key_param = param.tlv;
    c->key_p256 = has_param && param.tag == DER_OID &&
                  avow_der_oid_is(oid.val, OID_EC_PUBKEY, sizeof(OID_EC_PUBKEY)) &&
                  avow_der_oid_is(param.val, OID_P256, sizeof(OID_P256)) && c->key.len == 65 &&
                  c->key.p[0] == 0x04;
    return true;
}

avow_err avow_cert_parse(const uint8_t *der, size_t len, avow_cert *c, avow_error *err)
{
    static const char what[] = "certificate";
    memset(c, 0, sizeof(*c));
    c->path_len = -1;
    if (!der || !len) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "certificate: no bytes");
    avow_der top = avow_der_init(der, len);
    avow_tlv cert, tbs, t, sigval;
    if (!avow_der_expect(&top, DER_SEQUENCE, &cert)) return BAD("Certificate", &cert);
    if (!avow_der_empty(&top))
        return avow_error_set(err, AVOW_ERR_FORMAT, cert.tlv.len,
                              "certificate: %zu unexpected bytes after it at offset %zu",
                              len - cert.tlv.len, cert.tlv.len);
    c->der = cert.tlv;
    avow_der cd = avow_der_inside(&cert);
    bool outer_ecdsa, inner_ecdsa;
    if (!avow_der_expect(&cd, DER_SEQUENCE, &tbs)) return BAD("tbsCertificate", &tbs);
    c->tbs = tbs.tlv;
    if (!alg(&cd, &t, &outer_ecdsa)) return BAD("signatureAlgorithm", &t);
    c->sig_alg = t.tlv;
    if (!avow_der_expect(&cd, DER_BIT_STRING, &sigval) ||
        !avow_der_bits_whole(sigval.val, &c->sig) || !avow_der_empty(&cd))
        return BAD("signatureValue", &sigval);

    avow_der d = avow_der_inside(&tbs);
    if (avow_der_optional(&d, DER_CTX0, &t)) {
        avow_der v = avow_der_inside(&t);
        avow_tlv vi;
        if (!avow_der_expect(&v, DER_INTEGER, &vi) || !avow_der_empty(&v) ||
            !avow_der_small_uint(vi.val, 2, &c->version) || c->version == 0)
            return BAD("version", &t);
    }
    if (!avow_der_expect(&d, DER_INTEGER, &t) || !avow_der_int_ok(t.val))
        return BAD("serialNumber", &t);
    c->serial = t.val;
    if (!alg(&d, &t, &inner_ecdsa)) return BAD("signature", &t);
    c->sig_alg_match =
        t.tlv.len == c->sig_alg.len && !memcmp(t.tlv.p, c->sig_alg.p, c->sig_alg.len);
    if (!name(&d, &t, &c->issuer_cn)) return BAD("issuer", &t);
    c->issuer = t.tlv;
    avow_tlv val;
    if (!avow_der_expect(&d, DER_SEQUENCE, &val)) return BAD("validity", &val);
    avow_der vd = avow_der_inside(&val);
    if (!time_field(&vd, &t, &c->not_before)) return BAD("notBefore", &t);
    if (!time_field(&vd, &t, &c->not_after) || !avow_der_empty(&vd)) return BAD("notAfter", &t);
    if (!name(&d, &t, &c->subject_cn)) return BAD("subject", &t);
    c->subject = t.tlv;
    if (!spki(&d, &t, c)) return BAD("subjectPublicKeyInfo", &t);
    if (avow_der_optional(&d, 0x81, &t) && (c->version < 1 || !avow_der_bits_ok(t.val)))
        return BAD("issuerUniqueID", &t);
    if (avow_der_optional(&d, 0x82, &t) && (c->version < 1 || !avow_der_bits_ok(t.val)))
        return BAD("subjectUniqueID", &t);
    if (avow_der_optional(&d, DER_CTX3, &t)) {
        if (c->version != 2) return BAD("extensions", &t);
        avow_err rc = cert_extensions(&t, c, err, what);
        if (rc != AVOW_OK) return rc;
    }
    if (!avow_der_empty(&d))
        return avow_error_set(err, AVOW_ERR_FORMAT, d.off + d.pos,
                              "certificate.tbsCertificate at offset %zu: unexpected field",
                              d.off + d.pos);
    c->sig_ecdsa_sha256 = outer_ecdsa && inner_ecdsa;
    return AVOW_OK;
}

/* ---- CRLs ------------------------------------------------------------------ */

/* One revokedCertificates entry: SEQUENCE { serial INTEGER, revocationDate Time,
 * crlEntryExtensions Extensions OPTIONAL }. The reason removeFromCRL (8)
 * belongs to delta CRLs only (RFC 5280 5.3.1) and is refused: with it, which of
 * two entries of one serial counts is up to the reader (OpenSSL takes the
 * first after an unstable sort), and Intel publishes complete CRLs. */
static bool crl_entry(avow_der *list, avow_tlv *e, avow_span *serial)
{
    avow_tlv s, t, exts;
    avow_time when;
    if (!avow_der_expect(list, DER_SEQUENCE, e)) return false;
    avow_der d = avow_der_inside(e);
    if (!avow_der_expect(&d, DER_INTEGER, &s) || !avow_der_int_ok(s.val) ||
        !time_field(&d, &t, &when))
        return false;
    *serial = s.val;
    if (avow_der_optional(&d, DER_SEQUENCE, &exts)) {
        ext_list x;
        if (!ext_list_open(&exts, 8, &x)) return false;
        while (!avow_der_empty(&x.d)) {
            avow_tlv ext, value;
            avow_span oid;
            bool critical;
            if (!ext_list_next(&x, &ext, &oid, &critical, &value)) return false;
            int arc = ce_arc(oid);
            if (arc == CE_REASON) {
                avow_der v = avow_der_inside(&value);
                avow_tlv r;
                uint32_t code;
                if (!avow_der_expect(&v, DER_ENUMERATED, &r) || !avow_der_empty(&v) ||
                    !avow_der_small_uint(r.val, 10, &code))
                    return false;
                if (code == 8) return false;
            } else if (arc == CE_CERT_ISSUER || (critical && arc != CE_INVALIDITY_DATE)) {
                /* an entry of an indirect CRL revokes another issuer's
                 * certificate: not what Intel publishes, refused */
                return false;
            }
        }
    }
    return avow_der_empty(&d);
}

static avow_err crl_extensions(avow_tlv *ctx0, avow_crl *c, avow_error *err, const char *what)
{
    ext_list exts;
    if (!ext_list_open_explicit(ctx0, 16, &exts)) return BAD("crlExtensions", ctx0);
    while (!avow_der_empty(&exts.d)) {
        avow_tlv ext, value;
        avow_span oid;
        bool critical;
        if (!ext_list_next(&exts, &ext, &oid, &critical, &value)) return BAD("crlExtension", &ext);
        int arc = ce_arc(oid);
        if (arc == CE_CRL_NUMBER) {
            avow_der v = avow_der_inside(&value);
            avow_tlv num;
            if (!avow_der_expect(&v, DER_INTEGER, &num) || !avow_der_empty(&v) ||
                !avow_der_int_ok(num.val) || (num.val.p[0] & 0x80))
                return BAD("cRLNumber", &value);
            c->has_crl_number = true;
            c->crl_number = num.val;
        } else if (arc == CE_AKI) {
            avow_span id = {NULL, 0};
            if (!aki(&value, &id)) return BAD("authorityKeyIdentifier", &value);
            c->has_aki = true;
        } else if (critical) {
            /* issuingDistributionPoint, deltaCRLIndicator, ...: scoped or delta
             * CRLs are not what Intel publishes; refuse rather than misread. */
            return avow_error_set(err, AVOW_ERR_FORMAT, ext.off,
                                  "%s.crlExtension at offset %zu: unsupported critical extension",
                                  what, ext.off);
        }
    }
    return AVOW_OK;
}

avow_err avow_crl_parse(const uint8_t *der, size_t len, avow_crl *c, avow_error *err)
{
    static const char what[] = "crl";
    memset(c, 0, sizeof(*c));
    if (!der || !len) return avow_error_set(err, AVOW_ERR_FORMAT, 0, "crl: no bytes");
    avow_der top = avow_der_init(der, len);
    avow_tlv crl, tbs, t, sigval;
    if (!avow_der_expect(&top, DER_SEQUENCE, &crl)) return BAD("CertificateList", &crl);
    if (!avow_der_empty(&top))
        return avow_error_set(err, AVOW_ERR_FORMAT, crl.tlv.len,
                              "crl: %zu unexpected bytes after it at offset %zu", len - crl.tlv.len,
                              crl.tlv.len);
    c->der = crl.tlv;
    avow_der cd = avow_der_inside(&crl);
    bool outer_ecdsa, inner_ecdsa;
    if (!avow_der_expect(&cd, DER_SEQUENCE, &tbs)) return BAD("tbsCertList", &tbs);
    c->tbs = tbs.tlv;
    if (!alg(&cd, &t, &outer_ecdsa)) return BAD("signatureAlgorithm", &t);
    if (!avow_der_expect(&cd, DER_BIT_STRING, &sigval) ||
        !avow_der_bits_whole(sigval.val, &c->sig) || !avow_der_empty(&cd))
        return BAD("signatureValue", &sigval);

    avow_der d = avow_der_inside(&tbs);
    uint32_t version = 0;
    if (avow_der_optional(&d, DER_INTEGER, &t) && !avow_der_small_uint(t.val, 1, &version))
        return BAD("version", &t);
    if (!alg(&d, &t, &inner_ecdsa)) return BAD("signature", &t);
    if (!name(&d, &t, &c->issuer_cn)) return BAD("issuer", &t);
    c->issuer = t.tlv;
    if (!time_field(&d, &t, &c->this_update)) return BAD("thisUpdate", &t);
    size_t pos = d.pos;
    if (avow_der_next(&d, &t) && (t.tag == DER_UTC_TIME || t.tag == DER_GENERALIZED_TIME)) {
        if (!avow_der_time(&t, &c->next_update)) return BAD("nextUpdate", &t);
        c->has_next_update = true;
    } else {
        d.pos = pos;
    }
    avow_tlv list;
    if (avow_der_optional(&d, DER_SEQUENCE, &list)) {
        avow_der l = avow_der_inside(&list);
        if (avow_der_empty(&l)) return BAD("revokedCertificates", &list);
        while (!avow_der_empty(&l)) {
            avow_tlv e;
            avow_span serial;
            if (!crl_entry(&l, &e, &serial)) return BAD("revokedCertificate", &e);
            c->n_revoked++;
        }
        c->revoked = list.val;
    }
    if (avow_der_optional(&d, DER_CTX0, &t)) {
        if (version != 1) return BAD("crlExtensions", &t);
        avow_err rc = crl_extensions(&t, c, err, what);
        if (rc != AVOW_OK) return rc;
    }
    if (!avow_der_empty(&d))
        return avow_error_set(err, AVOW_ERR_FORMAT, d.off + d.pos,
                              "crl.tbsCertList at offset %zu: unexpected field", d.off + d.pos);
    c->sig_ecdsa_sha256 = outer_ecdsa && inner_ecdsa;
    return AVOW_OK;
}

bool avow_crl_has_serial(const avow_crl *crl, avow_span serial)
{
    avow_der l = avow_der_init(crl->revoked.p, crl->revoked.len);
    while (!avow_der_empty(&l)) {
        avow_tlv e;
        avow_span s;
        if (!crl_entry(&l, &e, &s)) return false; /* checked at parse */
        if (s.len == serial.len && !memcmp(s.p, serial.p, s.len)) return true;
    }
    return false;
}
