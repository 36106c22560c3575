/* TCB level matching, QE level matching, Intel status convergence and the
 * advisory union (tcb_match.h). Pure functions. Thread-safe: no state. */
#include "verify/tcb_match.h"

#include <stdlib.h>
#include <string.h>

long avow_tcb_match_sgx(const avow_tcb_level *levels, size_t n, const uint8_t comp[16],
                        uint16_t pcesvn, avow_tcb_shortfall *top)
{
    if (top) top->comp = -1;
    for (size_t l = 0; l < n; l++) {
        const avow_tcb_level *lv = &levels[l];
        int miss = -1;
        unsigned have = 0, need = 0;
        for (int i = 0; i < 16 && miss < 0; i++)
            if (comp[i] < lv->sgx_comp[i]) {
                miss = i;
                have = comp[i];
                need = lv->sgx_comp[i];
            }
        if (miss < 0 && pcesvn < lv->pcesvn) {
            miss = 16;
            have = pcesvn;
            need = lv->pcesvn;
        }
        if (l == 0 && top) {
            top->comp = miss;
            top->have = have;
            top->need = need;
        }
        if (miss < 0) return (long)l;
    }
    return -1;
}

long avow_qe_match(const avow_qe_level *levels, size_t n, uint16_t isvsvn)
{
    long best = -1;
    for (size_t i = 0; i < n; i++)
        if (levels[i].isvsvn <= isvsvn && (best < 0 || levels[i].isvsvn > levels[best].isvsvn))
            best = (long)i;
    return best;
}

avow_tcb_status avow_tcb_out_of_date(avow_tcb_status s)
{
    switch (s) {
        case AVOW_TCB_UP_TO_DATE:
        case AVOW_TCB_SW_HARDENING_NEEDED:
            return AVOW_TCB_OUT_OF_DATE;
        case AVOW_TCB_CONFIGURATION_NEEDED:
        case AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
            return AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
        default:
            return s;
    }
}

avow_tcb_status avow_tcb_converge(avow_tcb_status platform, avow_tcb_status qe)
{
    switch (qe) {
        case AVOW_TCB_NONE:
            return AVOW_TCB_NONE; /* ISVSVN_NOT_SUPPORTED -> TCB_NOT_SUPPORTED */
        case AVOW_TCB_REVOKED:
            return AVOW_TCB_REVOKED;
        case AVOW_TCB_UP_TO_DATE:
            return platform;
        default: /* ISVSVN_OUT_OF_DATE */
            return avow_tcb_out_of_date(platform);
    }
}

bool avow_tcb_status_acceptable(avow_tcb_status s)
{
    switch (s) {
        case AVOW_TCB_UP_TO_DATE:
        case AVOW_TCB_SW_HARDENING_NEEDED:
        case AVOW_TCB_CONFIGURATION_NEEDED:
        case AVOW_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
        case AVOW_TCB_OUT_OF_DATE:
        case AVOW_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED:
        case AVOW_TCB_TD_RELAUNCH_ADVISED:
        case AVOW_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED:
            return true;
        default:
            return false;
    }
}

void avow_advisory_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static bool has(char *const *ids, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ids[i], s)) return true;
    return false;
}

bool avow_advisory_union(char *const *a, size_t na, char *const *b, size_t nb, char ***out,
                         size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (na + nb == 0) return true;
    char **ids = calloc(na + nb, sizeof(*ids));
    if (!ids) return false;
    size_t n = 0;
    for (size_t k = 0; k < na + nb; k++) {
        const char *s = k < na ? a[k] : b[k - na];
        if (!s || has(ids, n, s)) continue;
        if (!(ids[n] = strdup(s))) {
            avow_advisory_free(ids, n);
            return false;
        }
        n++;
    }
    *out = ids;
    *n_out = n;
    return true;
}
