/* Digests of a collateral object (include/avow/collateral.h): the identity
 * hash the verifier keys its collateral cache by, and the per-piece hashes of
 * the x-ms-sgx-collateral claim, computed together for callers that reuse
 * one object (avowd) and separately by the verifier when given none.
 * Thread-safe: no state. */
#include <string.h>

#include "avow/collateral.h"
#include "core/sha256.h"

void avow_collateral_identity(const avow_collateral *c, uint8_t out[32])
{
    avow_sha256_ctx h;
    if (!avow_sha256_init(&h)) {
        memset(out, 0, 32);
        return;
    }
    uint8_t tee[4];
    for (int i = 0; i < 4; i++)
        tee[i] = (uint8_t)(c->tee_type >> (8 * i));
    avow_sha256_update(&h, tee, 4);
/* a presence byte, then the length-prefixed bytes (absent != empty) */
#define PIECE(p, n)                                            \
    do {                                                       \
        uint8_t present = (p) != NULL;                         \
        avow_sha256_update(&h, &present, 1);                   \
        avow_sha256_update_lp(&h, (p), (p) ? (size_t)(n) : 0); \
    } while (0)
#define LP_STR(s) PIECE(s, (s) ? strlen(s) : 0)
    LP_STR(c->pck_crl_issuer_chain);
    PIECE(c->root_ca_crl, c->root_ca_crl_len);
    PIECE(c->pck_crl, c->pck_crl_len);
    LP_STR(c->tcb_info_issuer_chain);
    PIECE(c->tcb_info, c->tcb_info_len);
    avow_sha256_update(&h, c->tcb_info_sig, 64);
    LP_STR(c->qe_identity_issuer_chain);
    PIECE(c->qe_identity, c->qe_identity_len);
    avow_sha256_update(&h, c->qe_identity_sig, 64);
#undef PIECE
#undef LP_STR
    avow_sha256_final(&h, out);
}

static void digest(const void *p, size_t n, uint8_t out[32])
{
    avow_sha256(p ? p : (const void *)"", p ? n : 0, out);
}

void avow_collateral_digests_compute(const avow_collateral *c, avow_collateral_digests *d)
{
    avow_collateral_identity(c, d->identity);
    const char *qc = c->qe_identity_issuer_chain, *tc = c->tcb_info_issuer_chain;
    digest(qc, qc ? strlen(qc) : 0, d->qe_identity_chain);
    digest(c->qe_identity, c->qe_identity_len, d->qe_identity);
    digest(tc, tc ? strlen(tc) : 0, d->tcb_info_chain);
    digest(c->tcb_info, c->tcb_info_len, d->tcb_info);
    digest(c->root_ca_crl, c->root_ca_crl_len, d->root_ca_crl);
}
