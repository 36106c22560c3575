/* The model KDF (docs/formats.md §3.4, our choice, not Intel's):
 * K = AES-128-CMAC(root16, SER(deps)) where SER is a packed, fixed-order,
 * versioned serialisation of every §3.1 key dependency (300 bytes). Frozen:
 * changing it changes every simulated key.
 * Thread-safe: no state. */
#include <string.h>

#include "avow/encode.h"
#include "core/cursor.h"
#include "sim/sim_internal.h"

static const char KDF_DOMAIN[16] = "SGXMODEL-KDF-v1"; /* 15 chars + NUL = 16 bytes */

void sim_kdf_serialize(const sim_keydeps *d, uint8_t out[SIM_KDF_SER_SIZE])
{
    uint8_t *p = out;
    memset(out, 0, SIM_KDF_SER_SIZE);
    memcpy(p, KDF_DOMAIN, 16), p += 16;
    avow_put_le16(p, d->key_name), p += 2;
    avow_put_le16(p, d->key_policy), p += 2;
    avow_put_le16(p, d->isv_prod_id), p += 2;
    avow_put_le16(p, d->isv_svn), p += 2;
    avow_put_le16(p, d->config_svn), p += 2;
    p += 6; /* reserved */
    memcpy(p, d->owner_epoch, 16), p += 16;
    avow_put_le64(p, d->attr_flags), p += 8;
    avow_put_le64(p, d->attr_xfrm), p += 8;
    avow_put_le64(p, d->attr_mask_flags), p += 8;
    avow_put_le64(p, d->attr_mask_xfrm), p += 8;
    avow_put_le32(p, d->misc_select), p += 4;
    avow_put_le32(p, d->misc_mask), p += 4;
    *p++ = d->cet_attr;
    *p++ = d->cet_mask;
    p += 2; /* reserved */
    memcpy(p, d->cpu_svn, 16), p += 16;
    memcpy(p, d->mr_enclave, 32), p += 32;
    memcpy(p, d->mr_signer, 32), p += 32;
    memcpy(p, d->config_id, 64), p += 64;
    memcpy(p, d->isv_family_id, 16), p += 16;
    memcpy(p, d->isv_ext_prod_id, 16), p += 16;
    memcpy(p, d->key_id, 32), p += 32;
}

avow_err sim_kdf(const uint8_t root[16], const sim_keydeps *d, uint8_t key[16])
{
    uint8_t ser[SIM_KDF_SER_SIZE];
    sim_kdf_serialize(d, ser);
    avow_err rc = avow_cmac_aes128(root, ser, sizeof ser, key);
    avow_wipe(ser, sizeof ser);
    return rc;
}

_Static_assert(16 + 2 * 5 + 6 + 16 + 32 + 4 + 4 + 2 + 2 + 16 + 32 + 32 + 64 + 16 + 16 + 32 ==
                   SIM_KDF_SER_SIZE,
               "the serialisation is 300 bytes");
