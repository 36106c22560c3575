/* Unit tests of the simulated PCE/QE, quotes v3/v4, the TD QE and TD quotes
 * v4/v5 (TD report 1.0 and 1.5), the PCK certificate's SGX extension, the
 * simulated PKI and collateral (SGX and TDX), and platform persistence,
 * checked with the project's own parsers and verifier (quote.h, pck.h,
 * verify.h, tcb.h) through the C API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "avow/encode.h"
#include "avow/pck.h"
#include "avow/quote.h"
#include "sim/sim.h"
#include "avow/verify.h"
#include "testutil.h"

#define NOW ((avow_time)1751624924)

static avow_sim_platform *new_platform(avow_pck_ca ca)
{
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, NOW);
    o.ca = ca;
    avow_sim_platform *p = NULL;
    avow_error e;
    assert_int_equal(avow_sim_platform_new(&o, &p, &e), AVOW_OK);
    return p;
}

static void app_enclave(const avow_sim_platform *p, avow_sim_enclave *out)
{
    avow_sim_secs s;
    memset(&s, 0, sizeof s);
    memset(s.mr_enclave, 0x42, 32);
    memset(s.mr_signer, 0x43, 32);
    s.attr_flags = AVOW_ATTR_MODE64BIT;
    s.attr_xfrm = 3;
    s.isv_prod_id = 9;
    s.isv_svn = 2;
    avow_sim_enclave_from_identity(p, &s, out);
}

static uint8_t *make_quote(const avow_sim_platform *p, int version, size_t *len)
{
    avow_sim_enclave app;
    app_enclave(p, &app);
    uint8_t rd[64] = "hello";
    uint8_t *q = NULL;
    avow_error e;
    assert_int_equal(avow_sim_quote_enclave(&app, rd, version, &q, len, &e), AVOW_OK);
    return q;
}

/* Verifies with the simulated root trusted; returns the result (caller frees). */
static void verify(const avow_sim_platform *p, const uint8_t *q, size_t len,
                   const avow_collateral *c, avow_time at, bool add_root, avow_verify_result *r)
{
    avow_verifier *v;
    avow_error e;
    assert_int_equal(avow_verifier_new(&v, &e), AVOW_OK);
    if (add_root) {
        char *root;
        assert_int_equal(avow_sim_root_pem(p, &root, &e), AVOW_OK);
        assert_int_equal(avow_verifier_add_root_pem(v, root, strlen(root), &e), AVOW_OK);
        free(root);
    }
    avow_verify_opts o = {.at = at};
    avow_verify_result_init(r);
    assert_int_equal(avow_verify_quote(v, q, len, c, &o, r), AVOW_OK);
    avow_verifier_free(v);
}

static void test_quote_layout(void **state)
{
    (void)state;
    avow_sim_platform *p = new_platform(AVOW_PCK_CA_PROCESSOR);
    avow_sim_platform_info info;
    avow_sim_platform_get_info(p, &info);
    for (int version = 3; version <= 4; version++) {
        size_t len;
        uint8_t *q = make_quote(p, version, &len);
        avow_quote pq;
        avow_error e;
        assert_int_equal(avow_quote_parse(q, len, &pq, &e), AVOW_OK);
        assert_int_equal(pq.version, version);
        assert_int_equal(pq.att_key_type, 2);
        assert_int_equal(pq.tee_type, AVOW_TEE_SGX);
        assert_int_equal(pq.qe_svn, info.qe_svn);
        assert_int_equal(pq.pce_svn, info.pce_svn);
        assert_memory_equal(pq.user_data, info.qe_id, 16);
        assert_int_equal(pq.outer_cert_type, version == 3 ? 5 : 6);
        assert_int_equal(pq.cert_type, 5);
        assert_int_equal(pq.qe_auth_data_len, 32);
        assert_int_equal(pq.trailing_len, 0);
        assert_int_equal(pq.report.isv_prod_id, 9);
        assert_int_equal(pq.report.isv_svn, 2);
        assert_memory_equal(pq.report.report_data, "hello", 5);
        /* QE report data binds the attestation key and auth data */
        uint8_t buf[96], h[32];
        memcpy(buf, pq.attest_key, 64);
        memcpy(buf + 64, pq.qe_auth_data, 32);
        EVP_Digest(buf, sizeof buf, h, NULL, EVP_sha256(), NULL);
        assert_memory_equal(pq.qe.report_data, h, 32);
        uint8_t zero[32] = {0};
        assert_memory_equal(pq.qe.report_data + 32, zero, 32);
        assert_memory_equal(pq.qe.mr_signer, info.qe_mr_signer, 32);
        assert_int_equal(pq.qe.isv_prod_id, 1);
        assert_true(pq.qe.flags & AVOW_ATTR_PROVISIONKEY);
        free(q);
    }
    /* the QE refuses a report not targeted at it */
    avow_sim_enclave app;
    app_enclave(p, &app);
    uint8_t ti[AVOW_TARGETINFO_SIZE], rep[AVOW_REPORT_SIZE];
    avow_sim_targetinfo(&app, ti);
    assert_int_equal(avow_sim_ereport(&app, ti, NULL, rep, NULL), AVOW_OK);
    uint8_t *q;
    size_t len;
    avow_error e;
    assert_int_equal(avow_sim_quote(p, rep, 3, &q, &len, &e), AVOW_ERR_SIGNATURE);
    avow_sim_qe_targetinfo(p, ti);
    assert_int_equal(avow_sim_ereport(&app, ti, NULL, rep, NULL), AVOW_OK);
    assert_int_equal(avow_sim_quote(p, rep, 5, &q, &len, &e), AVOW_ERR_ARG);
    avow_sim_platform_free(p);
}

static void test_td_quote_layout(void **state)
{
    (void)state;
    avow_sim_platform *p = new_platform(AVOW_PCK_CA_PLATFORM);
    avow_sim_platform_info info;
    avow_sim_platform_get_info(p, &info);
    static const struct {
        int version;
        uint16_t body;
        size_t signed_len;
    } kinds[] = {{4, AVOW_BODY_TD10, 632}, {5, AVOW_BODY_TD10, 638}, {5, AVOW_BODY_TD15, 702}};
    uint8_t att0[64];
    for (size_t k = 0; k < 3; k++) {
        avow_sim_td_opts o;
        avow_sim_td_opts_default(&o);
        o.version = kinds[k].version;
        o.body_type = kinds[k].body;
        memcpy(o.report_data, "td data", 7);
        memset(o.rtmr[2], 0x22, 48);
        memset(o.mr_service_td, 0x5e, 48);
        o.module.tee_tcb_svn2[0] = 9;
        uint8_t *q;
        size_t len;
        avow_error e;
        assert_int_equal(avow_sim_td_quote(p, &o, &q, &len, &e), AVOW_OK);
        avow_quote pq;
        assert_int_equal(avow_quote_parse(q, len, &pq, &e), AVOW_OK);
        assert_int_equal(pq.version, kinds[k].version);
        assert_int_equal(pq.tee_type, AVOW_TEE_TDX);
        assert_int_equal(pq.body_type, kinds[k].body);
        assert_int_equal(pq.signed_len, kinds[k].signed_len);
        assert_int_equal(pq.outer_cert_type, 6);
        assert_int_equal(pq.cert_type, 5);
        assert_int_equal(pq.pce_svn, info.pce_svn);
        /* the TD report as given */
        assert_memory_equal(pq.td.tee_tcb_svn, o.module.tee_tcb_svn, 16);
        assert_memory_equal(pq.td.mr_signer_seam, o.module.mr_signer_seam, 48);
        assert_memory_equal(pq.td.mr_td, o.mr_td, 48);
        assert_memory_equal(pq.td.rtmr[2], o.rtmr[2], 48);
        assert_memory_equal(pq.td.report_data, "td data", 7);
        assert_true(pq.td.td_attr & AVOW_TD_ATTR_SEPT_VE_DISABLE);
        assert_false(avow_td_report_is_debug(&pq.td));
        if (kinds[k].body == AVOW_BODY_TD15) {
            assert_int_equal(pq.td.tee_tcb_svn2[0], 9);
            assert_memory_equal(pq.td.mr_service_td, o.mr_service_td, 48);
        } else {
            assert_null(pq.td.tee_tcb_svn2);
        }
        /* the TD QE: Intel's ISVPRODID 2, another signer than the QE3's, its
         * own attestation key, bound by its report data */
        assert_int_equal(pq.qe.isv_prod_id, 2);
        assert_memory_not_equal(pq.qe.mr_signer, info.qe_mr_signer, 32);
        assert_int_equal(pq.qe_svn, pq.qe.isv_svn);
        uint8_t buf[96], h[32];
        memcpy(buf, pq.attest_key, 64);
        memcpy(buf + 64, pq.qe_auth_data, 32);
        EVP_Digest(buf, sizeof buf, h, NULL, EVP_sha256(), NULL);
        assert_memory_equal(pq.qe.report_data, h, 32);
        if (k == 0) memcpy(att0, pq.attest_key, 64);
        assert_memory_equal(pq.attest_key, att0, 64);
        free(q);
    }
    /* the SGX QE's attestation key is another */
    size_t len;
    uint8_t *sq = make_quote(p, 4, &len);
    avow_quote sp;
    assert_int_equal(avow_quote_parse(sq, len, &sp, NULL), AVOW_OK);
    assert_memory_not_equal(sp.attest_key, att0, 64);
    free(sq);
    /* what a TD quote cannot be */
    avow_sim_td_opts o;
    avow_sim_td_opts_default(&o);
    uint8_t *q;
    o.body_type = AVOW_BODY_TD15; /* version 4 */
    assert_int_equal(avow_sim_td_quote(p, &o, &q, &len, NULL), AVOW_ERR_ARG);
    o.body_type = AVOW_BODY_TD10;
    o.version = 3;
    assert_int_equal(avow_sim_td_quote(p, &o, &q, &len, NULL), AVOW_ERR_ARG);
    avow_sim_platform_free(p);
}

/* TDX collateral: TCB Info v3 id TDX with the module's identity, TD_QE */
static void test_tdx_collateral(void **state)
{
    (void)state;
    avow_sim_platform *p = new_platform(AVOW_PCK_CA_PROCESSOR);
    avow_sim_tdx_module m;
    avow_sim_tdx_module_default(&m);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW);
    co.tee = AVOW_TEE_TDX;
    avow_collateral c;
    avow_error e;
    /* the module is required */
    assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_ERR_ARG);
    co.module = &m;
    co.module_status = AVOW_TCB_OUT_OF_DATE;
    co.tcb_status = AVOW_TCB_CONFIGURATION_NEEDED;
    assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_OK);
    assert_int_equal(c.tee_type, AVOW_TEE_TDX);
    avow_tcb_info t;
    assert_int_equal(avow_tcb_info_parse(c.tcb_info, c.tcb_info_len, &t, &e), AVOW_OK);
    assert_true(t.is_tdx);
    assert_int_equal(t.version, 3);
    assert_memory_equal(t.tdx_module.mrsigner, m.mr_signer_seam, 48);
    assert_int_equal(t.n_tdx_module_identities, 2); /* TDX_01 and a decoy TDX_03 */
    assert_string_equal(t.tdx_module_identities[0].id, "TDX_01");
    assert_string_equal(t.tdx_module_identities[1].id, "TDX_03");
    const avow_tdx_module_identity *id = &t.tdx_module_identities[0];
    assert_int_equal(id->levels[0].isvsvn, m.tee_tcb_svn[0] + 1);
    assert_int_equal(id->levels[1].isvsvn, m.tee_tcb_svn[0]);
    assert_int_equal(id->levels[1].status, AVOW_TCB_OUT_OF_DATE);
    assert_true(t.levels[0].has_tdx);
    assert_memory_equal(t.levels[1].tdx_comp, m.tee_tcb_svn, 16);
    assert_int_equal(t.levels[1].status, AVOW_TCB_CONFIGURATION_NEEDED);
    avow_tcb_info_free(&t);
    avow_qe_identity qi;
    assert_int_equal(avow_qe_identity_parse(c.qe_identity, c.qe_identity_len, &qi, &e), AVOW_OK);
    assert_string_equal(qi.id, "TD_QE");
    assert_int_equal(qi.isvprodid, 2);
    avow_qe_identity_free(&qi);
    avow_collateral_free(&c);
    /* what cannot be issued */
    co.tcb_status = AVOW_TCB_TD_RELAUNCH_ADVISED; /* TEE_TCB_SVN_2 == TEE_TCB_SVN */
    assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_ERR_ARG);
    assert_non_null(strstr(e.msg, "TEE_TCB_SVN_2"));
    co.tcb_status = AVOW_TCB_UP_TO_DATE;
    m.tee_tcb_svn[1] = 0; /* major version 0 has no module levels */
    assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_ERR_ARG);
    co.tee = AVOW_TEE_SGX; /* relaunch is a TDX status */
    co.tcb_status = AVOW_TCB_TD_RELAUNCH_ADVISED;
    assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_ERR_ARG);
    avow_sim_platform_free(p);
}

static void check_pck_ext(avow_pck_ca ca)
{
    avow_sim_platform *p = new_platform(ca);
    avow_sim_platform_info info;
    avow_sim_platform_get_info(p, &info);
    char *pem;
    avow_error e;
    assert_int_equal(avow_sim_pck_chain_pem(p, &pem, &e), AVOW_OK);
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
    assert_non_null(leaf);
    uint8_t *der = NULL;
    int n = i2d_X509(leaf, &der);
    assert_true(n > 0);
    avow_pck_ext ext;
    assert_int_equal(avow_pck_ext_from_cert_der(der, (size_t)n, &ext, &e), AVOW_OK);
    assert_memory_equal(ext.ppid, info.ppid, 16);
    assert_memory_equal(ext.comp_svn, info.comp_svn, 16);
    assert_memory_equal(ext.cpusvn, info.cpu_svn, 16);
    assert_int_equal(ext.pcesvn, info.pce_svn);
    assert_memory_equal(ext.fmspc, info.fmspc, 6);
    assert_int_equal(ext.pce_id[0] | ext.pce_id[1], 0);
    assert_int_equal(ext.has_platform_instance_id, ca == AVOW_PCK_CA_PLATFORM);
    assert_int_equal(ext.has_configuration, ca == AVOW_PCK_CA_PLATFORM);
    /* component 5 is 255: DER needs the 0x00 pad; the parser got it back */
    assert_int_equal(ext.comp_svn[4], 255);
    OPENSSL_free(der);
    X509_free(leaf);
    BIO_free(b);
    free(pem);
    avow_sim_platform_free(p);
}

static void test_pck_extension(void **state)
{
    (void)state;
    check_pck_ext(AVOW_PCK_CA_PROCESSOR);
    check_pck_ext(AVOW_PCK_CA_PLATFORM);
}

static void test_statuses_c_api(void **state)
{
    (void)state;
    avow_sim_platform *p = new_platform(AVOW_PCK_CA_PLATFORM);
    size_t len;
    uint8_t *q = make_quote(p, 3, &len);
    const avow_tcb_status all[] = {AVOW_TCB_UP_TO_DATE,
                                   AVOW_TCB_SW_HARDENING_NEEDED,
                                   AVOW_TCB_CONFIGURATION_NEEDED,
                                   AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
                                   AVOW_TCB_OUT_OF_DATE,
                                   AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
                                   AVOW_TCB_REVOKED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        avow_sim_collateral_opts co;
        avow_sim_collateral_opts_default(&co, NOW);
        co.tcb_status = all[i];
        avow_collateral c;
        avow_error e;
        assert_int_equal(avow_sim_collateral(p, &co, &c, &e), AVOW_OK);
        avow_verify_result r;
        verify(p, q, len, &c, NOW + 60, true, &r);
        assert_int_equal(r.platform_status, all[i]);
        assert_int_equal(r.status, all[i]);
        assert_int_equal(r.ok, all[i] != AVOW_TCB_REVOKED);
        assert_true(r.simulated_root);
        assert_int_equal(r.pck_ca, AVOW_PCK_CA_PLATFORM);
        if (all[i] != AVOW_TCB_UP_TO_DATE) assert_true(r.n_advisory_ids > 0);
        avow_verify_result_free(&r);
        avow_collateral_free(&c);
    }
    /* chosen advisory IDs reach the verdict */
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW);
    const char *ids[] = {"INTEL-SA-99999"};
    co.tcb_status = AVOW_TCB_SW_HARDENING_NEEDED;
    co.advisory_ids = ids;
    co.n_advisory_ids = 1;
    avow_collateral c;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    avow_verify_result r;
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_true(r.ok);
    assert_int_equal(r.n_advisory_ids, 1);
    assert_string_equal(r.advisory_ids[0], "INTEL-SA-99999");
    avow_verify_result_free(&r);
    /* not trusted by default */
    verify(p, q, len, &c, NOW + 60, false, &r);
    assert_false(r.ok);
    avow_verify_result_free(&r);
    /* past nextUpdate: flagged as expired */
    verify(p, q, len, &c, NOW + 31 * 86400, true, &r);
    assert_true(r.collateral_expired);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    /* QE OutOfDate + ConfigurationNeeded -> OutOfDateConfigurationNeeded (Intel A7) */
    avow_sim_collateral_opts_default(&co, NOW);
    co.tcb_status = AVOW_TCB_CONFIGURATION_NEEDED;
    co.qe_status = AVOW_TCB_OUT_OF_DATE;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_int_equal(r.status, AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
    assert_int_equal(r.qe_status, AVOW_TCB_OUT_OF_DATE);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    /* revoked PCK, revoked PCK CA */
    avow_sim_collateral_opts_default(&co, NOW);
    co.revoke_pck = true;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_false(r.ok);
    assert_int_equal(r.err, AVOW_ERR_REVOKED);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    avow_sim_collateral_opts_default(&co, NOW);
    co.revoke_pck_ca = true;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_false(r.ok);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    /* bad options */
    avow_sim_collateral_opts_default(&co, NOW);
    co.qe_status = AVOW_TCB_SW_HARDENING_NEEDED;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_ERR_ARG);
    free(q);
    avow_sim_platform_free(p);
}

static void test_expired_certificates(void **state)
{
    (void)state;
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, NOW);
    o.cert_not_after = NOW + 3600;
    avow_sim_platform *p;
    assert_int_equal(avow_sim_platform_new(&o, &p, NULL), AVOW_OK);
    size_t len;
    uint8_t *q = make_quote(p, 4, &len);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW);
    avow_collateral c;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    avow_verify_result r;
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_true(r.ok);
    assert_false(r.collateral_expired);
    avow_verify_result_free(&r);
    verify(p, q, len, &c, NOW + 7200, true, &r);
    assert_true(r.collateral_expired);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    free(q);
    avow_sim_platform_free(p);
}

static void test_persistence(void **state)
{
    (void)state;
    char dir[] = "/tmp/avow-sim-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/p", dir);
    avow_sim_platform *p = new_platform(AVOW_PCK_CA_PROCESSOR), *back = NULL;
    avow_error e;
    assert_int_equal(avow_sim_platform_save(p, sub, &e), AVOW_OK);
    const char *secret[] = {"cpu.secrets", "attestation.key", "root.key", "pckca.key",
                            "tcbsign.key"};
    char path[128];
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", sub, secret[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    assert_int_equal(avow_sim_platform_load(sub, &back, &e), AVOW_OK);
    avow_sim_platform_info a, b;
    avow_sim_platform_get_info(p, &a);
    avow_sim_platform_get_info(back, &b);
    assert_memory_equal(&a, &b, sizeof a);
    /* a report made on the original verifies on the reloaded platform */
    avow_sim_enclave x, y;
    app_enclave(p, &x);
    app_enclave(back, &y);
    uint8_t ti[AVOW_TARGETINFO_SIZE], rep[AVOW_REPORT_SIZE];
    avow_sim_targetinfo(&x, ti);
    assert_int_equal(avow_sim_ereport(&x, ti, NULL, rep, NULL), AVOW_OK);
    assert_int_equal(avow_sim_verify_report(&y, rep, &e), AVOW_OK);
    /* the TD QE's attestation key is derived again, the same */
    avow_sim_td_opts to;
    avow_sim_td_opts_default(&to);
    uint8_t *tq1, *tq2;
    size_t l1, l2;
    assert_int_equal(avow_sim_td_quote(p, &to, &tq1, &l1, &e), AVOW_OK);
    assert_int_equal(avow_sim_td_quote(back, &to, &tq2, &l2, &e), AVOW_OK);
    avow_quote a1, a2;
    assert_int_equal(avow_quote_parse(tq1, l1, &a1, NULL), AVOW_OK);
    assert_int_equal(avow_quote_parse(tq2, l2, &a2, NULL), AVOW_OK);
    assert_memory_equal(a1.attest_key, a2.attest_key, 64);
    free(tq1);
    free(tq2);
    /* and a quote of the reloaded platform verifies with collateral of the original */
    size_t len;
    uint8_t *q = make_quote(back, 3, &len);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW);
    avow_collateral c;
    assert_int_equal(avow_sim_collateral(p, &co, &c, NULL), AVOW_OK);
    avow_verify_result r;
    verify(p, q, len, &c, NOW + 60, true, &r);
    assert_true(r.ok);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    free(q);
    /* a damaged folder: clear errors */
    snprintf(path, sizeof path, "%s/cpu.secrets", sub);
    FILE *f = fopen(path, "wb");
    fputs("short", f);
    fclose(f);
    avow_sim_platform *bad = NULL;
    assert_int_equal(avow_sim_platform_load(sub, &bad, &e), AVOW_ERR_FORMAT);
    assert_null(bad);
    assert_int_equal(avow_sim_platform_load("/nonexistent/avow", &bad, &e), AVOW_ERR_IO);
    avow_sim_platform_free(p);
    avow_sim_platform_free(back);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Many platforms under one root: a platform made with pki_from shares the
 * other's root, PCK CA and TCB Signing certificate (and outlives it), has its
 * own PCK certificate with its own FMSPC, and its quotes verify against the
 * shared root; a CA kind other than the shared PKI's is refused. */
static void test_shared_pki(void **state)
{
    (void)state;
    avow_sim_platform *a = new_platform(AVOW_PCK_CA_PROCESSOR), *b = NULL;
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, NOW);
    static const uint8_t fmspc[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
    memcpy(o.fmspc, fmspc, 6);
    o.pki_from = a;
    o.ca = AVOW_PCK_CA_PLATFORM;
    avow_error e;
    assert_int_equal(avow_sim_platform_new(&o, &b, &e), AVOW_ERR_ARG);
    assert_null(b);
    assert_non_null(strstr(e.msg, "the shared PKI has a processor CA"));
    o.ca = AVOW_PCK_CA_PROCESSOR;
    assert_int_equal(avow_sim_platform_new(&o, &b, &e), AVOW_OK);
    char *root_a, *root_b, *chain_a, *chain_b;
    assert_int_equal(avow_sim_root_pem(a, &root_a, &e), AVOW_OK);
    assert_int_equal(avow_sim_pck_chain_pem(a, &chain_a, &e), AVOW_OK);
    avow_sim_platform_info ia, ib;
    avow_sim_platform_get_info(a, &ia);
    avow_sim_platform_free(a); /* b holds its own references */
    assert_int_equal(avow_sim_root_pem(b, &root_b, &e), AVOW_OK);
    assert_int_equal(avow_sim_pck_chain_pem(b, &chain_b, &e), AVOW_OK);
    assert_string_equal(root_a, root_b);
    assert_string_not_equal(chain_a, chain_b); /* its own PCK certificate */
    avow_sim_platform_get_info(b, &ib);
    assert_memory_equal(ib.fmspc, fmspc, 6);
    assert_memory_not_equal(ia.ppid, ib.ppid, 16);
    size_t len;
    uint8_t *q = make_quote(b, 3, &len);
    uint8_t got[6];
    avow_pck_ca ca;
    assert_int_equal(avow_quote_platform_id(q, len, got, &ca, NULL, &e), AVOW_OK);
    assert_memory_equal(got, fmspc, 6);
    avow_sim_collateral_opts co;
    avow_sim_collateral_opts_default(&co, NOW);
    avow_collateral c;
    assert_int_equal(avow_sim_collateral(b, &co, &c, &e), AVOW_OK);
    avow_verify_result r;
    verify(b, q, len, &c, NOW + 60, true, &r); /* trusting root_b, which is root_a */
    assert_true(r.ok);
    assert_true(r.simulated_root);
    avow_verify_result_free(&r);
    avow_collateral_free(&c);
    free(q);
    free(root_a);
    free(root_b);
    free(chain_a);
    free(chain_b);
    avow_sim_platform_free(b);
}

static void test_status_names(void **state)
{
    (void)state;
    avow_tcb_status s;
    assert_int_equal(avow_sim_status_parse("OutOfDateConfigurationNeeded", &s, NULL), AVOW_OK);
    assert_int_equal(s, AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
    assert_int_equal(avow_sim_status_parse("sw-hardening-needed", &s, NULL), AVOW_OK);
    assert_int_equal(s, AVOW_TCB_SW_HARDENING_NEEDED);
    assert_int_equal(avow_sim_status_parse("td-relaunch-advised", &s, NULL), AVOW_OK);
    assert_int_equal(s, AVOW_TCB_TD_RELAUNCH_ADVISED);
    assert_int_equal(avow_sim_status_parse("TDRelaunchAdvisedConfigurationNeeded", &s, NULL),
                     AVOW_OK);
    assert_int_equal(s, AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED);
    avow_error e;
    assert_int_equal(avow_sim_status_parse("Great", &s, &e), AVOW_ERR_ARG);
    assert_non_null(strstr(e.msg, "unknown status"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_layout),    cmocka_unit_test(test_pck_extension),
        cmocka_unit_test(test_statuses_c_api),  cmocka_unit_test(test_expired_certificates),
        cmocka_unit_test(test_persistence),     cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_td_quote_layout), cmocka_unit_test(test_tdx_collateral),
        cmocka_unit_test(test_shared_pki),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
