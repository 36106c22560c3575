/* The builder state of one platform part (vplat, internal.h) while the
 * pipeline's steps run, shared by the step files: steps.c (the DCAP steps
 * common to SGX and TD quotes, and the SGX-only TCB steps) and tdx_steps.c
 * (the TD-only steps). Internal to libavow. Thread-safety: one builder per
 * build, on the building thread. */
#pragma once

#include <stdbool.h>

#include "core/pem.h"
#include "verify/internal.h"

typedef struct {
    avow_verifier *v;
    const avow_quote *q;
    const avow_collateral *coll;
    const avow_verify_opts *opts;
    vplat *p;
    avow_der_blob *ders;
    size_t n_ders;
    vcert *leaf, *ca, *root;
    int root_idx;
    vcoll *c;
    char ca_cn[128], leaf_cn[128], root_cn[128];
    /* TD quotes: the module identity judged at step tdx_module (NULL:
     * tdxModule), the matched levels and the TDX status as it converges */
    const avow_tdx_module_identity *module;
    long sgx_level, tdx_level, module_level;
    long qe_level; /* the matched QE Identity level (step 17) */
    avow_tcb_status tdx_status;
} vb;

/* The TD steps (tdx_steps.c), in the order vplat_build runs them. The
 * TD-only ones return true at once, recording nothing, for SGX quotes; the
 * TD versions of steps 19 and 20 are called by steps.c's for TD quotes. */
bool vs_tdx_module(vb *b);     /* 14a after fmspc_pceid: module identity */
bool vs_tdx_tcb_level(vb *b);  /* 19 for TD quotes: SGX and TDX levels */
bool vs_tdx_module_tcb(vb *b); /* 19a: the module's TCB level, convergence */
bool vs_td_relaunch(vb *b);    /* 19b (TD report 1.5 only): relaunch advice */
bool vs_tdx_status(vb *b);     /* 20 for TD quotes: QE convergence */

/* Intel's supplemental data (supplemental.c) into b->p->supp, from the
 * builder once the status record is reached: all but what depends on `at`.
 * Leaves supp.valid false only when memory runs out. */
void vsupp_build(vb *b);
