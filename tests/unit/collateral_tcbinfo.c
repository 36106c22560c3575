/* Unit tests of the TCB Info / QE Identity parsers and the status tables:
 * every vector's collateral parses with the expected values, Intel's level
 * order is restored from shuffled input, and every negative case in
 * tests/data/tcbinfo and tests/data/qeidentity fails with AVOW_ERR_FORMAT and
 * a message naming the field (tests/data/gen_collateral_cases.py). */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "avow/collateral.h"
#include "avow/encode.h"
#include "avow/quote.h"
#include "avow/tcb.h"
#include "testutil.h"

typedef struct {
    const char *set;
    int version;
    bool tdx;
    const char *fmspc;
    int eval;
    size_t n_levels;
    uint8_t first_sgx[16];
    uint16_t first_pcesvn;
    uint8_t first_tdx0;
    avow_tcb_status first_status;
    const char *first_date;
    size_t first_advisories;
    avow_tcb_status last_status;
    size_t n_module_ids;
    /* QE identity */
    const char *qe_id;
    size_t qe_levels;
    uint16_t qe_first_isvsvn, qe_last_isvsvn;
    uint16_t isvprodid;
    uint8_t mrsigner0;
} vec;

static const vec vectors[] = {
    {"F1-fortanix-sgx-v3-2020-tcbv2",
     2,
     false,
     "00906ea10000",
     8,
     12,
     {14, 14, 2, 4, 1, 128, 7},
     10,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2019-12-11T00:00:00Z",
     0,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     4,
     5,
     1,
     1,
     0x8C},
    {"G1-gotdx-tdx-v4-spr-e4",
     3,
     true,
     "50806f000000",
     15,
     2,
     {5, 5, 2, 2, 3, 1, 0, 3},
     11,
     3,
     AVOW_TCB_UP_TO_DATE,
     "2023-02-15T00:00:00Z",
     0,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "TD_QE",
     1,
     4,
     4,
     2,
     0xDC},
    {"I1-integritee-sgx-v3",
     3,
     false,
     "00906EA10000",
     12,
     18,
     {17, 17, 2, 4, 1, 128, 7},
     11,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2021-11-10T00:00:00Z",
     1,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     5,
     6,
     1,
     1,
     0x8C},
    {"O1-oasis-sgx-v3-nocrl",
     3,
     false,
     "00606A000000",
     13,
     5,
     {7, 9, 3, 3, 255, 255, 1},
     13,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2022-08-10T00:00:00Z",
     2,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     5,
     6,
     1,
     1,
     0x8C},
    {"O2-oasis-tdx-v4-nocrl",
     3,
     true,
     "c0806f000000",
     17,
     4,
     {7, 7, 2, 2, 3, 1, 0, 3},
     11,
     5,
     AVOW_TCB_UP_TO_DATE,
     "2024-03-13T00:00:00Z",
     0,
     AVOW_TCB_OUT_OF_DATE,
     2,
     "TD_QE",
     1,
     4,
     4,
     2,
     0xDC},
    {"P1-phala-sgx-v3",
     3,
     false,
     "00A067110000",
     17,
     11,
     {11, 11, 2, 2, 255, 1, 12},
     13,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2024-03-13T00:00:00Z",
     1,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     6,
     8,
     1,
     1,
     0x8C},
    {"P2-phala-tdx-v4",
     3,
     true,
     "B0C06F000000",
     17,
     2,
     {2, 2, 2, 2, 3, 1, 0, 5},
     11,
     5,
     AVOW_TCB_UP_TO_DATE,
     "2024-03-13T00:00:00Z",
     0,
     AVOW_TCB_OUT_OF_DATE,
     2,
     "TD_QE",
     1,
     4,
     4,
     2,
     0xDC},
    {"R1-dcaprs-sgx-v3-tcbv2",
     2,
     false,
     "00606a000000",
     17,
     11,
     {14, 14, 3, 3, 255, 255, 1},
     13,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2024-03-13T00:00:00Z",
     0,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     6,
     8,
     1,
     1,
     0x8C},
    {"X-solana-sgx+phala",
     3,
     false,
     "00A067110000",
     17,
     11,
     {11, 11, 2, 2, 255, 1, 12},
     13,
     0,
     AVOW_TCB_SW_HARDENING_NEEDED,
     "2024-03-13T00:00:00Z",
     1,
     AVOW_TCB_OUT_OF_DATE,
     0,
     "QE",
     6,
     8,
     1,
     1,
     0x8C},
};

static void load_vector(const char *set, avow_collateral *c)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "dcap/%s/collateral.json", set);
    char *path = tu_vector_path(rel);
    avow_error e;
    avow_err r = avow_collateral_load(path, c, &e);
    if (r) fail_msg("%s: %s", path, e.msg);
    free(path);
}

static void test_vectors_parse(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
        const vec *x = &vectors[v];
        avow_collateral c;
        load_vector(x->set, &c);
        avow_tcb_info ti;
        avow_error e;
        if (avow_tcb_info_parse(c.tcb_info, c.tcb_info_len, &ti, &e))
            fail_msg("%s tcbInfo: %s", x->set, e.msg);
        assert_int_equal(ti.version, x->version);
        assert_int_equal(ti.is_tdx, x->tdx);
        assert_int_equal(c.tee_type, x->tdx ? AVOW_TEE_TDX : AVOW_TEE_SGX);
        uint8_t fmspc[6];
        assert_int_equal(avow_hex_decode_fixed(x->fmspc, 12, fmspc, 6, NULL), AVOW_OK);
        assert_memory_equal(ti.fmspc, fmspc, 6);
        assert_int_equal(ti.pce_id[0] | ti.pce_id[1], 0);
        assert_int_equal(ti.tcb_type, 0);
        assert_int_equal(ti.tcb_eval_num, x->eval);
        assert_true(ti.next_update > ti.issue_date);
        assert_int_equal(ti.n_levels, x->n_levels);
        assert_memory_equal(ti.levels[0].sgx_comp, x->first_sgx, 16);
        assert_int_equal(ti.levels[0].pcesvn, x->first_pcesvn);
        assert_int_equal(ti.levels[0].has_tdx, x->tdx);
        assert_int_equal(ti.levels[0].tdx_comp[0], x->first_tdx0);
        assert_int_equal(ti.levels[0].status, x->first_status);
        avow_time d;
        assert_int_equal(avow_time_parse_rfc3339(x->first_date, 20, &d, NULL), AVOW_OK);
        assert_int_equal(ti.levels[0].tcb_date, d);
        assert_int_equal(ti.levels[0].n_advisory_ids, x->first_advisories);
        for (size_t i = 0; i < ti.levels[0].n_advisory_ids; i++)
            assert_int_equal(strncmp(ti.levels[0].advisory_ids[i], "INTEL-SA-", 9), 0);
        assert_int_equal(ti.levels[ti.n_levels - 1].status, x->last_status);
        assert_int_equal(ti.has_tdx_module, x->tdx);
        assert_int_equal(ti.n_tdx_module_identities, x->n_module_ids);
        if (x->tdx) assert_int_equal(ti.tdx_module.mrsigner[0], 0);
        if (x->n_module_ids) {
            /* O2 and P2 list TDX_03 then TDX_01 (levels 4 then 2). */
            assert_string_equal(ti.tdx_module_identities[0].id, "TDX_03");
            assert_string_equal(ti.tdx_module_identities[1].id, "TDX_01");
            assert_int_equal(ti.tdx_module_identities[1].n_levels, 2);
            assert_int_equal(ti.tdx_module_identities[1].levels[0].isvsvn, 4);
            assert_int_equal(ti.tdx_module_identities[1].levels[1].isvsvn, 2);
            assert_int_equal(ti.tdx_module_identities[1].levels[1].status, AVOW_TCB_OUT_OF_DATE);
            uint8_t ff[8];
            memset(ff, 0xff, 8);
            assert_memory_equal(ti.tdx_module_identities[0].attributes_mask, ff, 8);
        }
        /* levels come out in Intel's order: strictly descending */
        for (size_t i = 1; i < ti.n_levels; i++) {
            int cmp = memcmp(ti.levels[i - 1].sgx_comp, ti.levels[i].sgx_comp, 16);
            assert_true(
                cmp > 0 ||
                (cmp == 0 && (ti.levels[i - 1].pcesvn > ti.levels[i].pcesvn ||
                              (ti.levels[i - 1].pcesvn == ti.levels[i].pcesvn &&
                               memcmp(ti.levels[i - 1].tdx_comp, ti.levels[i].tdx_comp, 16) > 0))));
        }
        avow_tcb_info_free(&ti);
        assert_null(ti.levels);

        avow_qe_identity q;
        if (avow_qe_identity_parse(c.qe_identity, c.qe_identity_len, &q, &e))
            fail_msg("%s enclaveIdentity: %s", x->set, e.msg);
        assert_string_equal(q.id, x->qe_id);
        assert_int_equal(q.version, 2);
        assert_int_equal(q.n_levels, x->qe_levels);
        assert_int_equal(q.levels[0].isvsvn, x->qe_first_isvsvn);
        assert_int_equal(q.levels[0].status, AVOW_TCB_UP_TO_DATE);
        assert_int_equal(q.levels[q.n_levels - 1].isvsvn, x->qe_last_isvsvn);
        assert_int_equal(q.isvprodid, x->isvprodid);
        assert_int_equal(q.mrsigner[0], x->mrsigner0);
        static const uint8_t attrs[16] = {0x11},
                             mask[16] = {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        assert_memory_equal(q.attributes, attrs, 16);
        assert_memory_equal(q.attributes_mask, mask, 16);
        static const uint8_t ms[4] = {0}, msm[4] = {0xff, 0xff, 0xff, 0xff};
        assert_memory_equal(q.miscselect, ms, 4);
        assert_memory_equal(q.miscselect_mask, msm, 4);
        for (size_t i = 1; i < q.n_levels; i++)
            assert_true(q.levels[i - 1].isvsvn > q.levels[i].isvsvn);
        avow_qe_identity_free(&q);
        avow_collateral_free(&c);
    }
}

/* Parses `json` after reordering its (top-level or identity) tcbLevels. */
static char *shuffled(const char *json, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    assert_non_null(root);
    json_t *levels = json_object_get(root, "tcbLevels");
    size_t n = json_array_size(levels);
    assert_true(n >= 2);
    /* reverse, then swap the first two: neither sorted nor reverse-sorted */
    json_t *out = json_array();
    for (size_t i = n; i-- > 0;)
        json_array_append(out, json_array_get(levels, i));
    json_t *a = json_incref(json_array_get(out, 0)), *b = json_incref(json_array_get(out, 1));
    json_array_set_new(out, 0, b);
    json_array_set_new(out, 1, a);
    json_object_set_new(root, "tcbLevels", out);
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return s;
}

static void test_sorting(void **state)
{
    (void)state;
    const char *sets[] = {"P1-phala-sgx-v3", "F1-fortanix-sgx-v3-2020-tcbv2",
                          "O2-oasis-tdx-v4-nocrl", "I1-integritee-sgx-v3"};
    for (size_t s = 0; s < 4; s++) {
        avow_collateral c;
        load_vector(sets[s], &c);
        avow_tcb_info a, b;
        avow_error e;
        assert_int_equal(avow_tcb_info_parse(c.tcb_info, c.tcb_info_len, &a, &e), AVOW_OK);
        char *sh = shuffled(c.tcb_info, c.tcb_info_len);
        assert_int_not_equal(strcmp(sh, c.tcb_info), 0);
        if (avow_tcb_info_parse(sh, strlen(sh), &b, &e)) fail_msg("%s: %s", sets[s], e.msg);
        assert_int_equal(a.n_levels, b.n_levels);
        for (size_t i = 0; i < a.n_levels; i++) {
            assert_memory_equal(a.levels[i].sgx_comp, b.levels[i].sgx_comp, 16);
            assert_int_equal(a.levels[i].pcesvn, b.levels[i].pcesvn);
            assert_memory_equal(a.levels[i].tdx_comp, b.levels[i].tdx_comp, 16);
            assert_int_equal(a.levels[i].status, b.levels[i].status);
            assert_int_equal(a.levels[i].tcb_date, b.levels[i].tcb_date);
            assert_int_equal(a.levels[i].n_advisory_ids, b.levels[i].n_advisory_ids);
        }
        free(sh);
        avow_tcb_info_free(&a);
        avow_tcb_info_free(&b);

        /* QE identity levels too */
        avow_qe_identity qa, qb;
        assert_int_equal(avow_qe_identity_parse(c.qe_identity, c.qe_identity_len, &qa, &e),
                         AVOW_OK);
        if (qa.n_levels >= 2) {
            sh = shuffled(c.qe_identity, c.qe_identity_len);
            assert_int_equal(avow_qe_identity_parse(sh, strlen(sh), &qb, &e), AVOW_OK);
            assert_int_equal(qa.n_levels, qb.n_levels);
            for (size_t i = 0; i < qa.n_levels; i++) {
                assert_int_equal(qa.levels[i].isvsvn, qb.levels[i].isvsvn);
                assert_int_equal(qa.levels[i].status, qb.levels[i].status);
            }
            avow_qe_identity_free(&qb);
            free(sh);
        }
        avow_qe_identity_free(&qa);
        avow_collateral_free(&c);
    }
}

/* A hand-built case: pcesvn and then TDX components break ties. */
static void test_sorting_ties(void **state)
{
    (void)state;
    size_t len;
    char *base = (char *)tu_read_source("tests/data/tcbinfo/valid_tdx_v3.ok", &len);
    avow_tcb_info t;
    avow_error e;
    if (avow_tcb_info_parse(base, len, &t, &e)) fail_msg("%s", e.msg);
    assert_int_equal(t.n_levels, 2);
    assert_int_equal(t.levels[0].pcesvn, 11);
    assert_int_equal(t.levels[1].pcesvn, 5);
    avow_tcb_info_free(&t);
    /* Same SGX components and pcesvn: the TDX components decide. */
    json_t *root = json_loadb(base, len, 0, NULL);
    json_t *lv = json_object_get(root, "tcbLevels");
    json_t *l1tcb = json_object_get(json_array_get(lv, 1), "tcb");
    json_object_set_new(l1tcb, "pcesvn", json_integer(11));
    json_t *tdx = json_object_get(l1tcb, "tdxtcbcomponents");
    json_object_set_new(json_array_get(tdx, 2), "svn", json_integer(3)); /* 5,0,3 > 5,0,2 */
    char *s = json_dumps(root, JSON_COMPACT);
    if (avow_tcb_info_parse(s, strlen(s), &t, &e)) fail_msg("%s", e.msg);
    assert_int_equal(t.levels[0].tdx_comp[2], 3);
    assert_int_equal(t.levels[0].status, AVOW_TCB_OUT_OF_DATE);
    assert_int_equal(t.levels[1].tdx_comp[2], 2);
    avow_tcb_info_free(&t);
    free(s);
    json_decref(root);
    free(base);
}

static void test_valid_controls(void **state)
{
    (void)state;
    const char *ok[] = {"tests/data/tcbinfo/valid_sgx_v3.ok", "tests/data/tcbinfo/valid_sgx_v2.ok",
                        "tests/data/tcbinfo/valid_tdx_v3.ok"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *s = (char *)tu_read_source(ok[i], &len);
        avow_tcb_info t;
        avow_error e;
        if (avow_tcb_info_parse(s, len, &t, &e)) fail_msg("%s: %s", ok[i], e.msg);
        assert_int_equal(t.n_levels, 2);
        avow_tcb_info_free(&t);
        free(s);
    }
    size_t len;
    char *s = (char *)tu_read_source("tests/data/qeidentity/valid_qe.ok", &len);
    avow_qe_identity q;
    avow_error e;
    if (avow_qe_identity_parse(s, len, &q, &e)) fail_msg("valid_qe: %s", e.msg);
    assert_int_equal(q.n_levels, 3);
    assert_int_equal(q.levels[1].n_advisory_ids, 1);
    assert_string_equal(q.levels[1].advisory_ids[0], "INTEL-SA-00586");
    avow_qe_identity_free(&q);
    free(s);
}

/* Runs every case listed in <dir>/expected.txt and checks that every .json
 * in the folder is listed. */
static void run_negative_dir(const char *dir, bool tcb)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "tests/data/%s/expected.txt", dir);
    size_t ilen;
    char *index = (char *)tu_read_source(rel, &ilen);
    size_t cases = 0;
    for (char *line = strtok(index, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !line[0]) continue;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        const char *file = line, *want = tab + 1;
        char frel[256];
        snprintf(frel, sizeof(frel), "tests/data/%s/%s", dir, file);
        size_t len;
        char *json = (char *)tu_read_source(frel, &len);
        avow_error e;
        avow_err r;
        if (tcb) {
            avow_tcb_info t;
            r = avow_tcb_info_parse(json, len, &t, &e);
            if (!r) avow_tcb_info_free(&t);
            /* a failed parse leaves nothing to free */
            if (r) assert_null(t.levels);
        } else {
            avow_qe_identity q;
            r = avow_qe_identity_parse(json, len, &q, &e);
            if (!r) avow_qe_identity_free(&q);
            if (r) assert_null(q.levels);
        }
        if (r != AVOW_ERR_FORMAT)
            fail_msg("%s: expected a format error, got %s", frel, avow_err_name(r));
        if (!strstr(e.msg, want)) fail_msg("%s: message '%s' lacks '%s'", frel, e.msg, want);
        free(json);
        cases++;
    }
    free(index);
    /* every data file is in the index */
    char *path = tu_source_path("tests/data");
    char full[512];
    snprintf(full, sizeof(full), "%s/%s", path, dir);
    free(path);
    DIR *d = opendir(full);
    assert_non_null(d);
    size_t files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0) files++;
    }
    closedir(d);
    assert_int_equal(files, cases);
    assert_true(cases >= 40);
}

static void test_negative_tcbinfo(void **state)
{
    (void)state;
    run_negative_dir("tcbinfo", true);
}

static void test_negative_qeidentity(void **state)
{
    (void)state;
    run_negative_dir("qeidentity", false);
}

static void test_status_tables(void **state)
{
    (void)state;
    static const struct {
        avow_tcb_status s;
        const char *name;
        uint32_t qv;
        const char *qv_name;
    } t[] = {
        {AVOW_TCB_UP_TO_DATE, "UpToDate", 0x0000, "SGX_QL_QV_RESULT_OK"},
        {AVOW_TCB_SW_HARDENING_NEEDED, "SWHardeningNeeded", 0xA007,
         "SGX_QL_QV_RESULT_SW_HARDENING_NEEDED"},
        {AVOW_TCB_CONFIGURATION_NEEDED, "ConfigurationNeeded", 0xA001,
         "SGX_QL_QV_RESULT_CONFIG_NEEDED"},
        {AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, "ConfigurationAndSWHardeningNeeded",
         0xA008, "SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED"},
        {AVOW_TCB_OUT_OF_DATE, "OutOfDate", 0xA002, "SGX_QL_QV_RESULT_OUT_OF_DATE"},
        {AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, "OutOfDateConfigurationNeeded", 0xA003,
         "SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED"},
        {AVOW_TCB_REVOKED, "Revoked", 0xA005, "SGX_QL_QV_RESULT_REVOKED"},
        {AVOW_TCB_TD_RELAUNCH_ADVISED, "TDRelaunchAdvised", 0xA009,
         "TEE_QV_RESULT_TD_RELAUNCH_ADVISED"},
        {AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED, "TDRelaunchAdvisedConfigurationNeeded",
         0xA00A, "TEE_QV_RESULT_TD_RELAUNCH_ADVISED_CONFIG_NEEDED"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_string_equal(avow_tcb_status_name(t[i].s), t[i].name);
        avow_tcb_status p = AVOW_TCB_NONE;
        assert_int_equal(avow_tcb_status_parse(t[i].name, strlen(t[i].name), &p), AVOW_OK);
        assert_int_equal(p, t[i].s);
        assert_int_equal(avow_qv_result_for_status(t[i].s), t[i].qv);
        assert_string_equal(avow_qv_result_name(t[i].qv), t[i].qv_name);
    }
    assert_null(avow_tcb_status_name(AVOW_TCB_NONE));
    assert_int_equal(avow_qv_result_for_status(AVOW_TCB_NONE), AVOW_QV_UNSPECIFIED);
    assert_string_equal(avow_qv_result_name(AVOW_QV_INVALID_SIGNATURE),
                        "SGX_QL_QV_RESULT_INVALID_SIGNATURE");
    assert_string_equal(avow_qv_result_name(AVOW_QV_UNSPECIFIED), "SGX_QL_QV_RESULT_UNSPECIFIED");
    assert_string_equal(avow_qv_result_name(0xBEEF), "SGX_QL_QV_RESULT_UNSPECIFIED");
    avow_tcb_status p;
    assert_int_equal(avow_tcb_status_parse("uptodate", 8, &p), AVOW_ERR_FORMAT);
    assert_int_equal(avow_tcb_status_parse("UpToDat", 7, &p), AVOW_ERR_FORMAT);
    assert_int_equal(avow_tcb_status_parse("UpToDate ", 9, &p), AVOW_ERR_FORMAT);
    /* exact length: a prefix of a longer name does not match */
    assert_int_equal(avow_tcb_status_parse("OutOfDateConfigurationNeeded", 9, &p), AVOW_OK);
    assert_int_equal(p, AVOW_TCB_OUT_OF_DATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_parse),    cmocka_unit_test(test_sorting),
        cmocka_unit_test(test_sorting_ties),     cmocka_unit_test(test_valid_controls),
        cmocka_unit_test(test_negative_tcbinfo), cmocka_unit_test(test_negative_qeidentity),
        cmocka_unit_test(test_status_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
