/* TDX level matching, module identity and TCB level, module convergence and
 * relaunch advice (tdx_match.h), each a transcription of the Intel QVL
 * function named in the header. Pure functions. Thread-safe: no state. */
#include "verify/tdx_match.h"

#include <string.h>
#include <strings.h>

#include "verify/tcb_match.h"

bool avow_tdx_tcb_higher_or_equal(const uint8_t tee_tcb_svn[16], const avow_tcb_level *lv,
                                  int *miss)
{
    if (miss) *miss = -1;
    for (int i = tee_tcb_svn[1] > 0 ? 2 : 0; i < 16; i++)
        if (tee_tcb_svn[i] < lv->tdx_comp[i]) {
            if (miss) *miss = i;
            return false;
        }
    return true;
}

static bool sgx_higher_or_equal(const avow_tcb_level *lv, const uint8_t comp[16], uint16_t pcesvn)
{
    for (int i = 0; i < 16; i++)
        if (comp[i] < lv->sgx_comp[i]) return false;
    return pcesvn >= lv->pcesvn;
}

void avow_tcb_match_tdx(const avow_tcb_level *levels, size_t n, const uint8_t comp[16],
                        uint16_t pcesvn, const uint8_t tee_tcb_svn[16], long *sgx, long *tdx)
{
    *sgx = *tdx = -1;
    for (size_t l = 0; l < n; l++) {
        if (!sgx_higher_or_equal(&levels[l], comp, pcesvn)) continue;
        if (*sgx < 0) *sgx = (long)l;
        if (avow_tdx_tcb_higher_or_equal(tee_tcb_svn, &levels[l], NULL)) {
            *tdx = (long)l;
            return;
        }
    }
}

const avow_tdx_module_identity *avow_tdx_module_find(const avow_tcb_info *t, uint8_t major)
{
    static const char H[] = "0123456789ABCDEF";
    char want[7] = {'T', 'D', 'X', '_', H[major >> 4], H[major & 15], '\0'};
    for (size_t i = 0; i < t->n_tdx_module_identities; i++)
        if (!strcasecmp(t->tdx_module_identities[i].id, want)) return &t->tdx_module_identities[i];
    return NULL;
}

avow_tdx_module_rc avow_tdx_module_tcb(const avow_tcb_info *t, const uint8_t tee_tcb_svn[16],
                                       const avow_tdx_module_identity **id, long *level,
                                       avow_tcb_status *status)
{
    if (id) *id = NULL;
    if (level) *level = -1;
    *status = AVOW_TCB_NONE;
    if (tee_tcb_svn[1] == 0) {
        *status = AVOW_TCB_UP_TO_DATE; /* Intel: STATUS_OK for major version 0 */
        return AVOW_TDX_MODULE_OK;
    }
    const avow_tdx_module_identity *m = avow_tdx_module_find(t, tee_tcb_svn[1]);
    if (id) *id = m;
    if (!m) return AVOW_TDX_MODULE_MISMATCH;
    for (size_t l = 0; l < m->n_levels; l++)
        if (tee_tcb_svn[0] >= m->levels[l].isvsvn) {
            if (level) *level = (long)l;
            *status = m->levels[l].status;
            return AVOW_TDX_MODULE_OK;
        }
    return AVOW_TDX_MODULE_NOT_SUPPORTED;
}

avow_tcb_status avow_tdx_converge_module(avow_tcb_status tdx_level, avow_tcb_status module)
{
    if (module == AVOW_TCB_REVOKED) return AVOW_TCB_REVOKED;
    /* a TDX level status is one of the seven of TCB Info, else TCB_UNRECOGNIZED_STATUS */
    if (tdx_level < AVOW_TCB_UP_TO_DATE || tdx_level > AVOW_TCB_REVOKED) return AVOW_TCB_NONE;
    return module == AVOW_TCB_OUT_OF_DATE ? avow_tcb_out_of_date(tdx_level) : tdx_level;
}

/* Intel isConfigurationNeeded */
static bool config_needed(avow_tcb_status s)
{
    return s == AVOW_TCB_CONFIGURATION_NEEDED || s == AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
           s == AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
           s == AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

avow_relaunch_rc avow_tdx_relaunch(const avow_tcb_info *t, const uint8_t svn2[16],
                                   avow_tcb_status sgx, avow_tcb_status tdx, avow_tcb_status module,
                                   avow_tcb_status qe, avow_tcb_status *out)
{
    *out = tdx;
    if (qe == AVOW_TCB_OUT_OF_DATE || qe == AVOW_TCB_REVOKED || qe == AVOW_TCB_NONE)
        return AVOW_RELAUNCH_DONE;
    if (sgx != AVOW_TCB_UP_TO_DATE && sgx != AVOW_TCB_SW_HARDENING_NEEDED &&
        sgx != AVOW_TCB_CONFIGURATION_NEEDED &&
        sgx != AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
        return AVOW_RELAUNCH_DONE;
    if (tdx != AVOW_TCB_OUT_OF_DATE && tdx != AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED)
        return AVOW_RELAUNCH_DONE;
    if (module != AVOW_TCB_OUT_OF_DATE) return AVOW_RELAUNCH_DONE;
    if (!t->n_levels) return AVOW_RELAUNCH_NOT_SUPPORTED;
    const avow_tcb_level *latest = &t->levels[0];
    unsigned need0 = latest->tdx_comp[0];
    if (svn2[1] != 0) {
        const avow_tdx_module_identity *m = avow_tdx_module_find(t, svn2[1]);
        if (!m) return AVOW_RELAUNCH_MISMATCH;
        if (!m->n_levels) return AVOW_RELAUNCH_NOT_SUPPORTED;
        need0 = m->levels[0].isvsvn;
    }
    if (svn2[0] >= need0 && svn2[2] >= latest->tdx_comp[2])
        *out = config_needed(sgx) || config_needed(tdx)
                   ? AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
                   : AVOW_TCB_TD_RELAUNCH_ADVISED;
    return AVOW_RELAUNCH_DONE;
}
