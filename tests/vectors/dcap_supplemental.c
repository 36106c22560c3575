/* Intel's supplemental data (avow_supplemental, verify.h; docs/verification.md
 * A10) of every real DCAP set that reaches a status -- SGX P1, R1, F1, O1, X
 * and TDX P2, O2 -- checked field by field against values this test works out
 * on its own from the same files: certificates and CRLs read with OpenSSL
 * (d2i_X509, d2i_X509_CRL, the CRL Number extension), the PCK certificate's
 * SGX extension walked with d2i_ASN1_SEQUENCE_ANY, SHA-384 of the root's
 * point, TCB Info and QE Identity read with jansson and their levels matched
 * here, the quote's offsets read by hand; nothing goes through libavow's
 * parsers. The sets that stop before a status (I1, G1) have none. Intel's
 * `<=` rule at the earliest expiration date; warm == cold == caches off ==
 * checked collateral, and a warm call at another time judges
 * collateral_expiration_status anew. Where Avow deliberately reports
 * something other than Intel's code, a comment names Intel's function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "avow/collateral.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "testutil.h"
#include "verify/result_json.h"

/* ---- the independent computation ------------------------------------------ */

typedef struct {
    time_t first, last, expiry;
    bool any;
} rspan;

typedef struct {
    rspan all, qe; /* Intel's eight sources; the QE Identity with its issuer chain */
    bool has_pck_crl_num, has_root_crl_num;
    long pck_crl_num, root_crl_num;
    uint8_t root_key_id[48];
    uint8_t ppid[16], cpusvn[16], pce_id[2], instance_id[16];
    bool has_instance_id;
    int comps[16], pcesvn, sgx_type;
    int flags[3]; /* dynamic platform, cached keys, SMT: -1 absent, 0, 1 */
    uint32_t tee_type;
    uint8_t tee_tcb_svn[16];
    int qe_isvsvn;
    time_t tcb_date, qe_date, module_date;
    int tcb_eval, qe_eval, module_svn;
    uint32_t qe_status;
    char *ids[64];
    size_t n_ids;
    char sa_list[1024];
} ref;

static void span_add(rspan *s, time_t issue, time_t expiry)
{
    if (!s->any || issue < s->first) s->first = issue;
    if (!s->any || issue > s->last) s->last = issue;
    if (!s->any || expiry < s->expiry) s->expiry = expiry;
    s->any = true;
}

static time_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
    return timegm(&tm);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (Intel's dates) */
static time_t json_date(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    assert_non_null(s);
    struct tm tm = {0};
    assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static void span_chain(rspan *s, const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x;
    int n = 0;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        span_add(s, asn1_time(X509_get0_notBefore(x)), asn1_time(X509_get0_notAfter(x)));
        X509_free(x);
        n++;
    }
    BIO_free(b);
    assert_int_equal(n, 2);
}

/* A CRL from collateral.json (hex DER or PEM); NULL when "". */
static X509_CRL *crl_of(const char *s)
{
    if (!s || !*s) return NULL;
    X509_CRL *c = NULL;
    if (!strncmp(s, "-----BEGIN", 10)) {
        BIO *b = BIO_new_mem_buf(s, -1);
        c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
        BIO_free(b);
    } else {
        long n = 0;
        unsigned char *der = OPENSSL_hexstr2buf(s, &n);
        const unsigned char *p = der;
        if (der) c = d2i_X509_CRL(NULL, &p, n);
        OPENSSL_free(der);
    }
    assert_non_null(c);
    return c;
}

static void crl_ref(rspan *all, const char *s, bool *has, long *num)
{
    X509_CRL *c = crl_of(s);
    *has = c != NULL;
    if (!c) return;
    span_add(all, asn1_time(X509_CRL_get0_lastUpdate(c)), asn1_time(X509_CRL_get0_nextUpdate(c)));
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
    assert_non_null(n);
    *num = ASN1_INTEGER_get(n);
    ASN1_INTEGER_free(n);
    X509_CRL_free(c);
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The quote's TEE type, TEE_TCB_SVN and the QE report's ISVSVN, from the
 * published layouts: header 48 bytes; v5 a body descriptor (type u16, size
 * u32); the body (SGX report 384, TD report 584); signature data length; the
 * quote signature and attestation key (64 + 64); from v4 a certification data
 * header (type u16, size u32) before the QE report, whose ISVSVN is at 258. */
static void quote_ref(const uint8_t *q, size_t len, ref *r)
{
    uint16_t ver = le16(q);
    r->tee_type = le32(q + 4);
    size_t body = 48, body_len = r->tee_type == 0x81 ? 584 : 384;
    if (ver == 5) {
        body_len = le32(q + 50);
        body = 54;
    }
    memcpy(r->tee_tcb_svn, q + body, 16);
    size_t qe = body + body_len + 4 + 128 + (ver >= 4 ? 6 : 0);
    assert_true(qe + 384 <= len);
    r->qe_isvsvn = le16(q + qe + 258);
}

static ASN1_SEQUENCE_ANY *inner(const ASN1_TYPE *t)
{
    assert_int_equal(t->type, V_ASN1_SEQUENCE);
    const unsigned char *p = t->value.sequence->data;
    ASN1_SEQUENCE_ANY *s = d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
    assert_non_null(s);
    return s;
}

/* An entry {OID, value} of the SGX extension: the OID's arcs after
 * 1.2.840.113741.1.13.1 ("2.17") and the value. */
static const ASN1_TYPE *entry(const ASN1_TYPE *t, char *arcs, ASN1_SEQUENCE_ANY **hold)
{
    *hold = inner(t);
    assert_int_equal(sk_ASN1_TYPE_num(*hold), 2);
    const ASN1_TYPE *oid = sk_ASN1_TYPE_value(*hold, 0);
    assert_int_equal(oid->type, V_ASN1_OBJECT);
    char txt[80];
    OBJ_obj2txt(txt, sizeof(txt), oid->value.object, 1);
    static const char prefix[] = "1.2.840.113741.1.13.1.";
    assert_memory_equal(txt, prefix, sizeof(prefix) - 1);
    strcpy(arcs, txt + sizeof(prefix) - 1);
    return sk_ASN1_TYPE_value(*hold, 1);
}

static void octets(const ASN1_TYPE *v, uint8_t *out, int n)
{
    assert_int_equal(v->type, V_ASN1_OCTET_STRING);
    assert_int_equal(ASN1_STRING_length(v->value.octet_string), n);
    memcpy(out, ASN1_STRING_get0_data(v->value.octet_string), (size_t)n);
}

static void pck_ext_ref(X509 *leaf, ref *r)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = X509_get_ext_by_OBJ(leaf, obj, -1);
    ASN1_OBJECT_free(obj);
    assert_true(idx >= 0);
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    const unsigned char *p = ASN1_STRING_get0_data(os);
    ASN1_SEQUENCE_ANY *top = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(os));
    assert_non_null(top);
    r->flags[0] = r->flags[1] = r->flags[2] = -1;
    for (int i = 0; i < sk_ASN1_TYPE_num(top); i++) {
        char arcs[32];
        ASN1_SEQUENCE_ANY *e;
        const ASN1_TYPE *v = entry(sk_ASN1_TYPE_value(top, i), arcs, &e);
        if (!strcmp(arcs, "1")) {
            octets(v, r->ppid, 16);
        } else if (!strcmp(arcs, "3")) {
            octets(v, r->pce_id, 2);
        } else if (!strcmp(arcs, "5")) {
            assert_int_equal(v->type, V_ASN1_ENUMERATED);
            r->sgx_type = (int)ASN1_ENUMERATED_get(v->value.enumerated);
        } else if (!strcmp(arcs, "6")) {
            octets(v, r->instance_id, 16);
            r->has_instance_id = true;
        } else if (!strcmp(arcs, "2") || !strcmp(arcs, "7")) {
            ASN1_SEQUENCE_ANY *sub = inner(v);
            for (int k = 0; k < sk_ASN1_TYPE_num(sub); k++) {
                char a2[32];
                ASN1_SEQUENCE_ANY *e2;
                const ASN1_TYPE *w = entry(sk_ASN1_TYPE_value(sub, k), a2, &e2);
                int n = atoi(strchr(a2, '.') + 1);
                if (arcs[0] == '7') {
                    assert_int_equal(w->type, V_ASN1_BOOLEAN);
                    assert_true(n >= 1 && n <= 3);
                    r->flags[n - 1] = w->value.boolean ? 1 : 0;
                } else if (n <= 16) {
                    r->comps[n - 1] = (int)ASN1_INTEGER_get(w->value.integer);
                } else if (n == 17) {
                    r->pcesvn = (int)ASN1_INTEGER_get(w->value.integer);
                } else {
                    octets(w, r->cpusvn, 16);
                }
                sk_ASN1_TYPE_pop_free(e2, ASN1_TYPE_free);
            }
            sk_ASN1_TYPE_pop_free(sub, ASN1_TYPE_free);
        }
        sk_ASN1_TYPE_pop_free(e, ASN1_TYPE_free);
    }
    sk_ASN1_TYPE_pop_free(top, ASN1_TYPE_free);
}

/* The quote's PCK chain (PEM inside the certification data): its dates, the
 * leaf's SGX extension and SHA-384 of the root's public key bits. */
static void pck_chain_ref(const uint8_t *q, size_t len, ref *r)
{
    const char *mark = "-----BEGIN CERTIFICATE-----";
    const uint8_t *p = NULL;
    for (size_t i = 0; i + strlen(mark) <= len && !p; i++)
        if (!memcmp(q + i, mark, strlen(mark))) p = q + i;
    assert_non_null(p);
    BIO *b = BIO_new_mem_buf(p, (int)(q + len - p));
    X509 *x, *leaf = NULL, *last = NULL;
    int n = 0;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        span_add(&r->all, asn1_time(X509_get0_notBefore(x)), asn1_time(X509_get0_notAfter(x)));
        if (!leaf)
            leaf = x;
        else {
            X509_free(last);
            last = x;
        }
        n++;
    }
    BIO_free(b);
    assert_int_equal(n, 3);
    pck_ext_ref(leaf, r);
    const ASN1_BIT_STRING *k = X509_get0_pubkey_bitstr(last);
    assert_int_equal(k->length, 65);
    unsigned int dl = 0;
    assert_int_equal(
        EVP_Digest(k->data, (size_t)k->length, r->root_key_id, &dl, EVP_sha384(), NULL), 1);
    X509_free(leaf);
    X509_free(last);
}

static void add_ids(ref *r, const json_t *level)
{
    const json_t *a = json_object_get(level, "advisoryIDs");
    size_t i;
    const json_t *id;
    json_array_foreach(a, i, id)
    {
        assert_true(r->n_ids < 64);
        r->ids[r->n_ids++] = strdup(json_string_value(id));
    }
}

static int level_svn(const json_t *tcb, const char *arr, const char *v2, int i)
{
    const json_t *a = json_object_get(tcb, arr);
    if (a) return (int)json_integer_value(json_object_get(json_array_get(a, (size_t)i), "svn"));
    char k[32];
    snprintf(k, sizeof(k), v2, i + 1); /* TCB Info v2: sgxtcbcomp01svn.. */
    return (int)json_integer_value(json_object_get(tcb, k));
}

/* The matched TCB level, walked in the JSON's order (Intel publishes levels
 * sorted): every SGX component and PCESVN met and, for TD quotes, every
 * TEE_TCB_SVN byte (from byte 2 when the module's major version is > 0). */
static void tcb_ref(const json_t *ti, ref *r)
{
    r->tcb_eval = (int)json_integer_value(json_object_get(ti, "tcbEvaluationDataNumber"));
    bool td = r->tee_type == 0x81;
    size_t i;
    const json_t *lv;
    json_array_foreach(json_object_get(ti, "tcbLevels"), i, lv)
    {
        const json_t *tcb = json_object_get(lv, "tcb");
        bool ok = json_integer_value(json_object_get(tcb, "pcesvn")) <= r->pcesvn;
        for (int c = 0; c < 16 && ok; c++)
            ok = level_svn(tcb, "sgxtcbcomponents", "sgxtcbcomp%02dsvn", c) <= r->comps[c];
        for (int c = r->tee_tcb_svn[1] ? 2 : 0; td && c < 16 && ok; c++)
            ok = level_svn(tcb, "tdxtcbcomponents", "-", c) <= r->tee_tcb_svn[c];
        if (!ok) continue;
        r->tcb_date = json_date(lv, "tcbDate");
        add_ids(r, lv);
        break;
    }
    assert_true(r->tcb_date > 0);
    if (!td || !r->tee_tcb_svn[1]) return;
    char want[8];
    snprintf(want, sizeof(want), "TDX_%02X", r->tee_tcb_svn[1]);
    const json_t *m;
    json_array_foreach(json_object_get(ti, "tdxModuleIdentities"), i, m)
    {
        if (strcasecmp(json_string_value(json_object_get(m, "id")), want)) continue;
        size_t k;
        json_array_foreach(json_object_get(m, "tcbLevels"), k, lv)
        {
            int isvsvn =
                (int)json_integer_value(json_object_get(json_object_get(lv, "tcb"), "isvsvn"));
            if (r->tee_tcb_svn[0] < isvsvn) continue;
            r->module_svn = isvsvn;
            r->module_date = json_date(lv, "tcbDate");
            add_ids(r, lv);
            return;
        }
    }
    fail_msg("no module level for %s", want);
}

/* The QE level: the highest isvsvn <= the QE's ISVSVN. */
static void qe_ref(const json_t *qi, ref *r)
{
    r->qe_eval = (int)json_integer_value(json_object_get(qi, "tcbEvaluationDataNumber"));
    size_t i;
    const json_t *lv, *best = NULL;
    int best_svn = -1;
    json_array_foreach(json_object_get(qi, "tcbLevels"), i, lv)
    {
        int svn = (int)json_integer_value(json_object_get(json_object_get(lv, "tcb"), "isvsvn"));
        if (svn <= r->qe_isvsvn && svn > best_svn) {
            best = lv;
            best_svn = svn;
        }
    }
    assert_non_null(best);
    r->qe_date = json_date(best, "tcbDate");
    const char *st = json_string_value(json_object_get(best, "tcbStatus"));
    r->qe_status = !strcmp(st, "UpToDate")    ? 0x0000
                   : !strcmp(st, "OutOfDate") ? 0xA002
                   : !strcmp(st, "Revoked")   ? 0xA005
                                              : 0xA006;
    add_ids(r, best);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *signed_body(const json_t *coll, const char *key, const char *top)
{
    json_error_t je;
    json_t *j = json_loads(json_string_value(json_object_get(coll, key)), 0, &je);
    assert_non_null(j);
    /* the collateral holds the signed object itself ({"id":..}); accept a wrapper too */
    json_t *in = json_object_get(j, top);
    if (in) {
        json_incref(in);
        json_decref(j);
        j = in;
    }
    return j;
}

/* dcap/<set>/<file> read with jansson. */
static json_t *read_json(const char *set, const char *file)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "dcap/%s/%s", set, file);
    size_t n;
    uint8_t *txt = tu_read_vector(rel, &n);
    json_error_t je;
    json_t *j = json_loadb((const char *)txt, n, 0, &je);
    free(txt);
    if (!j) fail_msg("%s: %s", rel, je.text);
    return j;
}

static void ref_compute(const char *set, const uint8_t *q, size_t qlen, ref *r)
{
    memset(r, 0, sizeof(*r));
    json_t *c = read_json(set, "collateral.json");
    quote_ref(q, qlen, r);
    pck_chain_ref(q, qlen, r);
    crl_ref(&r->all, json_string_value(json_object_get(c, "root_ca_crl")), &r->has_root_crl_num,
            &r->root_crl_num);
    crl_ref(&r->all, json_string_value(json_object_get(c, "pck_crl")), &r->has_pck_crl_num,
            &r->pck_crl_num);
    span_chain(&r->all, json_string_value(json_object_get(c, "pck_crl_issuer_chain")));
    span_chain(&r->all, json_string_value(json_object_get(c, "tcb_info_issuer_chain")));
    span_chain(&r->all, json_string_value(json_object_get(c, "qe_identity_issuer_chain")));
    span_chain(&r->qe, json_string_value(json_object_get(c, "qe_identity_issuer_chain")));
    json_t *ti = signed_body(c, "tcb_info", "tcbInfo");
    json_t *qi = signed_body(c, "qe_identity", "enclaveIdentity");
    span_add(&r->all, json_date(ti, "issueDate"), json_date(ti, "nextUpdate"));
    span_add(&r->all, json_date(qi, "issueDate"), json_date(qi, "nextUpdate"));
    span_add(&r->qe, json_date(qi, "issueDate"), json_date(qi, "nextUpdate"));
    tcb_ref(ti, r);
    qe_ref(qi, r);
    json_decref(ti);
    json_decref(qi);
    json_decref(c);
    qsort(r->ids, r->n_ids, sizeof(r->ids[0]), cmp_str);
    for (size_t i = 0; i < r->n_ids; i++) {
        if (i && !strcmp(r->ids[i], r->ids[i - 1])) continue;
        if (r->sa_list[0]) strcat(r->sa_list, ",");
        strcat(r->sa_list, r->ids[i]);
    }
}

static void ref_free(ref *r)
{
    for (size_t i = 0; i < r->n_ids; i++)
        free(r->ids[i]);
}

/* ---- the checks ------------------------------------------------------------ */

typedef struct {
    const char *name;
    bool allow_missing_crl;
} set_t;

static const set_t SETS[] = {
    {"P1-phala-sgx-v3", false},
    {"R1-dcaprs-sgx-v3-tcbv2", false},
    {"F1-fortanix-sgx-v3-2020-tcbv2", true},
    {"O1-oasis-sgx-v3-nocrl", true},
    {"X-solana-sgx+phala", false},
    {"P2-phala-tdx-v4", false},
    {"O2-oasis-tdx-v4-nocrl", true},
};

static avow_time set_at(const char *set)
{
    json_t *e = read_json(set, "expected.json");
    avow_time at = (avow_time)json_integer_value(json_object_get(e, "at"));
    json_decref(e);
    assert_true(at > 0);
    return at;
}

typedef struct {
    uint8_t *quote;
    size_t qlen;
    avow_collateral coll;
} loaded;

static void load(const char *set, loaded *l)
{
    char rel[256], *path;
    snprintf(rel, sizeof(rel), "dcap/%s/quote.bin", set);
    l->quote = tu_read_vector(rel, &l->qlen);
    snprintf(rel, sizeof(rel), "dcap/%s/collateral.json", set);
    path = tu_vector_path(rel);
    avow_collateral_init(&l->coll);
    avow_error e;
    avow_error_clear(&e);
    if (avow_collateral_load(path, &l->coll, &e) != AVOW_OK) fail_msg("%s: %s", set, e.msg);
    free(path);
}

static void unload(loaded *l)
{
    free(l->quote);
    avow_collateral_free(&l->coll);
}

static void verify(avow_verifier *v, const loaded *l, avow_time at, bool allow,
                   avow_verify_result *r)
{
    avow_verify_opts o = {.at = at, .allow_missing_crl = allow};
    assert_int_equal(avow_verify_quote(v, l->quote, l->qlen, &l->coll, &o, r), AVOW_OK);
}

/* `set` verified by a fresh verifier (Intel root) at `at`. */
static void verify_set(const char *set, avow_time at, bool allow, avow_verify_result *r)
{
    loaded l;
    load(set, &l);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    avow_verify_result_init(r);
    verify(v, &l, at, allow, r);
    avow_verifier_free(v);
    unload(&l);
}

static avow_pck_flag want_flag(int f)
{
    return f < 0 ? AVOW_PCK_FLAG_UNDEFINED : f ? AVOW_PCK_FLAG_TRUE : AVOW_PCK_FLAG_FALSE;
}

static time_t min_nz(time_t a, time_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static void check_fields(const char *set, const avow_supplemental *s, const ref *r, avow_time at)
{
    if (!s->valid) fail_msg("%s: no supplemental data", set);
    assert_int_equal(s->major_version, 3);
    assert_int_equal(s->minor_version, 3);
    /* Intel qve_get_collateral_dates: min / max over the eight sources */
    assert_int_equal(s->earliest_issue_date, r->all.first);
    assert_int_equal(s->latest_issue_date, r->all.last);
    assert_int_equal(s->earliest_expiration_date, r->all.expiry);
    /* Intel qve_get_collateral_dates takes qe_iden_* from the QE Identity
     * issuer chain alone (its source 5); Avow adds the QE Identity's own
     * issueDate / nextUpdate (docs/verification.md A10) */
    assert_int_equal(s->qe_iden_earliest_issue_date, r->qe.first);
    assert_int_equal(s->qe_iden_latest_issue_date, r->qe.last);
    assert_int_equal(s->qe_iden_earliest_expiration_date, r->qe.expiry);
    /* Intel qve_set_quote_supplemental_data (DCAP 1.21 on) reports the TCB
     * Info level's tcbDate alone as tcb_level_date_tag (1.20: the lower of it
     * and the QE level's); Avow the lowest of the TCB, QE and module levels' */
    assert_int_equal(s->platform_tcb_level_date_tag, r->tcb_date);
    assert_int_equal(s->qe_iden_tcb_level_date_tag, r->qe_date);
    assert_int_equal(s->tcb_level_date_tag,
                     min_nz(min_nz(r->tcb_date, r->qe_date), r->module_date));
    assert_int_equal(s->has_pck_crl_num, r->has_pck_crl_num);
    assert_int_equal(s->has_root_ca_crl_num, r->has_root_crl_num);
    if (r->has_pck_crl_num) assert_int_equal(s->pck_crl_num, r->pck_crl_num);
    if (r->has_root_crl_num) assert_int_equal(s->root_ca_crl_num, r->root_crl_num);
    assert_int_equal(s->tcb_eval_ref_num, r->tcb_eval < r->qe_eval ? r->tcb_eval : r->qe_eval);
    /* the QE Identity's own number (brief: some Intel releases leave it 0) */
    assert_int_equal(s->qe_iden_tcb_eval_ref_num, r->qe_eval);
    /* Intel qve_set_quote_supplemental_data copies EnclaveIdentityV2::getStatus()
     * (the parse status: OK once parsed); Avow the matched QE level's status */
    assert_int_equal(s->qe_iden_status, r->qe_status);
    assert_memory_equal(s->root_key_id, r->root_key_id, 48);
    assert_memory_equal(s->pck_ppid, r->ppid, 16);
    assert_memory_equal(s->tcb_cpusvn, r->cpusvn, 16);
    assert_int_equal(s->tcb_pce_isvsvn, r->pcesvn);
    /* Intel qve_set_quote_supplemental_data: pce_id = *getPceId().data(), the
     * first byte only; Avow keeps both bytes of the certificate's PCE-ID */
    assert_memory_equal(s->pce_id, r->pce_id, 2);
    /* Intel qve_set_quote_supplemental_data never sets tee_type (it stays 0,
     * "SGX", for TD quotes too); Avow copies the quote header's */
    assert_int_equal(s->tee_type, r->tee_type);
    assert_int_equal(s->sgx_type, r->sgx_type);
    bool scalable = r->sgx_type == 1 || r->sgx_type == 2;
    assert_int_equal(s->has_platform_instance_id, scalable && r->has_instance_id);
    if (s->has_platform_instance_id)
        assert_memory_equal(s->platform_instance_id, r->instance_id, 16);
    /* Intel qve_set_quote_supplemental_data leaves dynamic_platform and
     * cached_keys UNDEFINED when the certificate says false; Avow says FALSE */
    assert_int_equal(s->dynamic_platform,
                     scalable ? want_flag(r->flags[0]) : AVOW_PCK_FLAG_UNDEFINED);
    assert_int_equal(s->cached_keys, scalable ? want_flag(r->flags[1]) : AVOW_PCK_FLAG_UNDEFINED);
    assert_int_equal(s->smt_enabled, scalable ? want_flag(r->flags[2]) : AVOW_PCK_FLAG_UNDEFINED);
    /* Intel qve_set_quote_supplemental_data joins the TCB level's advisory
     * IDs alone, in JSON order; Avow the sorted union with the QE (and TD
     * module) level's */
    assert_non_null(s->sa_list);
    assert_string_equal(s->sa_list, r->sa_list);
    assert_int_equal(s->collateral_expiration_status, r->all.expiry <= at ? 1 : 0);
    if (r->tee_type == 0x81) {
        assert_int_equal(s->tdx_module_major_ver, r->tee_tcb_svn[1]);
        assert_int_equal(s->tdx_module_svn, r->module_svn);
        assert_int_equal(s->tdx_module_tcb_level_date_tag, r->module_date);
    }
}

static void test_vectors_field_by_field(void **state)
{
    (void)state;
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    for (size_t i = 0; i < sizeof(SETS) / sizeof(SETS[0]); i++) {
        const set_t *st = &SETS[i];
        loaded l;
        load(st->name, &l);
        ref r;
        ref_compute(st->name, l.quote, l.qlen, &r);
        avow_time at = set_at(st->name);
        avow_verify_result res;
        avow_verify_result_init(&res);
        verify(v, &l, at, st->allow_missing_crl, &res);
        if (!res.ok) fail_msg("%s: %s", st->name, res.reason);
        check_fields(st->name, &res.supplemental, &r, at);
        avow_verify_result_free(&res);
        ref_free(&r);
        unload(&l);
    }
    avow_verifier_free(v);
}

/* Known values of P1 (Intel's Processor-CA Xeon), from the files by hand. */
static void test_p1_values(void **state)
{
    (void)state;
    avow_verify_result r;
    verify_set("P1-phala-sgx-v3", set_at("P1-phala-sgx-v3"), false, &r);
    json_t *j = avow_supplemental_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "sa_list")),
                        "INTEL-SA-00289,INTEL-SA-00615");
    assert_string_equal(json_string_value(json_object_get(j, "pce_id")), "0000");
    assert_string_equal(json_string_value(json_object_get(j, "tcb_level_date_tag")),
                        "2024-03-13T00:00:00Z");
    /* the Intel SGX Root CA's key */
    assert_string_equal(json_string_value(json_object_get(j, "root_key_id")),
                        "46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5"
                        "dcf58eef31463613de1570d516200993");
    assert_true(json_is_null(json_object_get(j, "smt_enabled"))); /* Standard type */
    assert_int_equal(json_integer_value(json_object_get(j, "tee_type")), 0);
    json_decref(j);
    avow_verify_result_free(&r);
}

/* I1 stops at the PCK CRL, G1 at the TCB level: no status, no supplemental
 * data (Intel fills it only for non-terminal results); `null` in JSON. */
static void test_no_status_no_supplemental(void **state)
{
    (void)state;
    const char *sets[] = {"I1-integritee-sgx-v3", "G1-gotdx-tdx-v4-spr-e4"};
    for (int i = 0; i < 2; i++) {
        avow_verify_result r;
        verify_set(sets[i], set_at(sets[i]), false, &r);
        assert_false(r.ok);
        assert_false(r.supplemental.valid);
        assert_null(r.supplemental.sa_list);
        json_t *j = avow_verify_result_json(&r);
        assert_true(json_is_null(json_object_get(j, "supplemental")));
        json_decref(j);
        avow_verify_result_free(&r);
    }
}

/* Intel's rule (sgx_qve_verify_quote): collateral_expiration_status = 1 when
 * earliest_expiration_date <= the verification time. At that very second
 * every validity window still holds (Avow's windows end after nextUpdate /
 * notAfter), yet the status is 1; one second before it is 0. */
static void test_expiration_status_rule(void **state)
{
    (void)state;
    loaded l;
    load("P1-phala-sgx-v3", &l);
    ref rf;
    ref_compute("P1-phala-sgx-v3", l.quote, l.qlen, &rf);
    avow_verifier *v;
    assert_int_equal(avow_verifier_new(&v, NULL), AVOW_OK);
    const struct {
        avow_time at;
        bool expired;
        uint32_t status;
    } cases[] = {
        {rf.all.expiry - 1, false, 0},
        {rf.all.expiry, false, 1},
        {rf.all.expiry + 1, true, 1},
    };
    for (int i = 0; i < 3; i++) {
        avow_verify_result r;
        avow_verify_result_init(&r);
        verify(v, &l, cases[i].at, false, &r);
        assert_int_equal(r.collateral_expired, cases[i].expired);
        assert_true(r.supplemental.valid); /* expiry is not terminal */
        assert_int_equal(r.supplemental.collateral_expiration_status, cases[i].status);
        avow_verify_result_free(&r);
    }
    ref_free(&rf);
    avow_verifier_free(v);
    unload(&l);
}

static char *supp_text(const avow_verify_result *r)
{
    json_t *j = avow_supplemental_json(r);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_non_null(s);
    return s;
}

/* Cold (a fresh verifier), warm (the same again), caches off and checked
 * collateral give the same supplemental data; a warm call at a later time
 * judges collateral_expiration_status at that time, like a cold one. */
static void test_warm_equals_cold(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(SETS) / sizeof(SETS[0]); i++) {
        const set_t *st = &SETS[i];
        loaded l;
        load(st->name, &l);
        avow_time at = set_at(st->name);
        avow_verifier *warm, *off;
        assert_int_equal(avow_verifier_new(&warm, NULL), AVOW_OK);
        assert_int_equal(avow_verifier_new(&off, NULL), AVOW_OK);
        avow_verifier_set_cache(off, false);
        avow_verify_result r[4];
        for (int k = 0; k < 4; k++)
            avow_verify_result_init(&r[k]);
        verify(warm, &l, at, st->allow_missing_crl, &r[0]); /* cold */
        verify(warm, &l, at, st->allow_missing_crl, &r[1]); /* warm */
        verify(off, &l, at, st->allow_missing_crl, &r[2]);
        avow_verified_collateral *vc = NULL;
        avow_error e;
        avow_error_clear(&e);
        assert_int_equal(avow_collateral_check(warm, &l.coll, &vc, &e), AVOW_OK);
        avow_quote q;
        assert_int_equal(avow_quote_parse(l.quote, l.qlen, &q, &e), AVOW_OK);
        avow_verify_opts o = {.at = at, .allow_missing_crl = st->allow_missing_crl};
        assert_int_equal(avow_verify_quote_checked(warm, &q, vc, &o, &r[3]), AVOW_OK);
        char *cold = supp_text(&r[0]);
        assert_true(r[0].supplemental.valid);
        for (int k = 1; k < 4; k++) {
            char *other = supp_text(&r[k]);
            if (strcmp(cold, other))
                fail_msg("%s: call %d differs:\n%s\n%s", st->name, k, cold, other);
            free(other);
        }
        free(cold);
        /* later: warm (cached platform part) and cold agree, status judged anew */
        avow_time later = r[0].supplemental.earliest_expiration_date + 86400;
        avow_verify_result w, c;
        avow_verify_result_init(&w);
        avow_verify_result_init(&c);
        verify(warm, &l, later, st->allow_missing_crl, &w);
        verify(off, &l, later, st->allow_missing_crl, &c);
        assert_int_equal(w.supplemental.collateral_expiration_status, 1);
        char *ws = supp_text(&w), *cs = supp_text(&c);
        assert_string_equal(ws, cs);
        free(ws);
        free(cs);
        avow_verify_result_free(&w);
        avow_verify_result_free(&c);
        for (int k = 0; k < 4; k++)
            avow_verify_result_free(&r[k]);
        avow_verified_collateral_unref(vc);
        avow_verifier_free(warm);
        avow_verifier_free(off);
        unload(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_field_by_field),
        cmocka_unit_test(test_p1_values),
        cmocka_unit_test(test_no_status_no_supplemental),
        cmocka_unit_test(test_expiration_status_rule),
        cmocka_unit_test(test_warm_equals_cold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
