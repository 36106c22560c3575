/* Evidence for attestation tests (attest_evidence.c): simulated platforms
 * trusted by a verifier, enclave and TD quotes with their collateral at
 * chosen statuses, evaluation numbers and dates, real vector sets with the
 * time they verify at, and one attestation as avowd performs it
 * (avow_attest). Failures end the current cmocka test.
 * Thread-safety: no state; a te_evidence belongs to one test. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avow/attest.h"
#include "sim/sim.h"

#define TE_DAY 86400LL

/* The dates the simulator gives the matched TCB, QE and TDX module levels of
 * collateral issued at the midnight `issue` (src/sim/tcb_levels.c, issue.c,
 * issue_tdx.c): 30 days before it when UpToDate, 400 days before it
 * otherwise. */
#define TE_LEVEL_NEW(issue) ((issue)-30 * TE_DAY)
#define TE_LEVEL_OLD(issue) ((issue)-400 * TE_DAY)

typedef struct {
    uint8_t *quote;
    size_t len;
    avow_collateral coll;
    bool td;          /* a TD quote: attested at /attest/TdxVm */
    bool missing_crl; /* a real set without CRLs: attested with allow_missing_crl */
} te_evidence;

/* A simulated platform created at `now` with this CA, SGX type and
 * Configuration flags (Platform CA; each 1, 0 or -1 for left out), its root
 * added to `v` unless `v` is NULL. */
avow_sim_platform *te_platform(avow_verifier *v, avow_time now, avow_pck_ca ca, int sgx_type,
                               int dynamic_platform, int cached_keys, int smt_enabled);

/* Collateral options issued at `issue`, valid until `next_update`. */
void te_copts(avow_sim_collateral_opts *o, avow_time issue, avow_time next_update);

/* An enclave quote (tu_sim_quote, sim_fixture.h) of `p` and collateral
 * issued with `o`. */
void te_sim_sgx(te_evidence *e, const avow_sim_platform *p, const avow_sim_collateral_opts *o);

/* A TD quote (v4, default TD) of `p` and TDX collateral issued with `o`
 * (its tee and module set here; module_status as the caller chose). */
void te_sim_td(te_evidence *e, const avow_sim_platform *p, const avow_sim_collateral_opts *o);

/* Real evidence tests/vectors/data/dcap/<set>; returns its expected.json "at". */
avow_time te_real(te_evidence *e, const char *set);

void te_free(te_evidence *e);

/* The attestation of `e` (SgxEnclave, or TdxVm for a TD) with `policy` at
 * `at`; `a` is initialised here and freed by the caller. */
avow_attest_outcome te_attest(avow_attestation *a, avow_verifier *v, const te_evidence *e,
                              const avow_policy *policy, avow_time at);

/* "permit", "deny (policy)", "refused (evidence)", "other". */
const char *te_outcome_name(avow_attest_outcome o);

/* The permit-all policy (version 1.0), compiled; free with avow_policy_free. */
avow_policy *te_permit_all(void);
