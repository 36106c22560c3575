/* The simulated CPU's enclave instructions: EGETKEY (with the hardware's
 * checks and the §3.1 dependency table), EREPORT (MAC keyed with the target's
 * REPORT key) and the local-attestation check inside a target.
 * Thread-safe: reads the platform only. */
#include <string.h>

#include "avow/encode.h"
#include "core/cursor.h"
#include "sim/sim_internal.h"

/* The model orders CPUSVNs component-wise: a request is "not newer" than the
 * platform when no byte exceeds the platform's (all-zero is the oldest). */
static bool cpusvn_le(const uint8_t a[16], const uint8_t b[16])
{
    for (int i = 0; i < 16; i++)
        if (a[i] > b[i]) return false;
    return true;
}

static avow_err fail(uint32_t *st, uint32_t code, avow_error *err, avow_err rc, const char *msg)
{
    if (st) *st = code;
    return avow_error_set(err, rc, AVOW_NO_OFFSET, "EGETKEY: %s", msg);
}

avow_err sim_getkey(const avow_sim_enclave *e, const avow_keyrequest *req, uint8_t key[16],
                    uint32_t *sgx_status, avow_error *err)
{
    const avow_sim_platform *p = e->platform;
    const avow_sim_secs *s = &e->secs;
    bool kss = (s->attr_flags & AVOW_ATTR_KSS) != 0;
    if (sgx_status) *sgx_status = AVOW_SGX_SUCCESS;
    if (req->key_policy & ~0x3fu)
        return fail(sgx_status, AVOW_SGX_SUCCESS, err, AVOW_ERR_ARG,
                    "reserved KEYPOLICY bits set (#GP)");
    if (!kss && ((req->key_policy & ~0x3u) || req->config_svn))
        return fail(sgx_status, AVOW_SGX_SUCCESS, err, AVOW_ERR_ARG,
                    "KSS policy bits or CONFIGSVN without ATTRIBUTES.KSS (#GP)");
    if (req->key_name > AVOW_KEYNAME_SEAL)
        return fail(sgx_status, AVOW_SGX_INVALID_KEYNAME, err, AVOW_ERR_ARG, "invalid KEYNAME");
    if ((req->key_name == AVOW_KEYNAME_PROVISION || req->key_name == AVOW_KEYNAME_PROVISION_SEAL) &&
        !(s->attr_flags & AVOW_ATTR_PROVISIONKEY))
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_ARG,
                    "provisioning keys need ATTRIBUTES.PROVISIONKEY");
    if (req->key_name == AVOW_KEYNAME_EINITTOKEN && !(s->attr_flags & AVOW_ATTR_EINITTOKEN))
        return fail(sgx_status, AVOW_SGX_INVALID_ATTRIBUTE, err, AVOW_ERR_ARG,
                    "the EINITTOKEN key needs ATTRIBUTES.EINITTOKEN_KEY");

    sim_keydeps d;
    memset(&d, 0, sizeof d);
    d.key_name = req->key_name;
    const uint8_t *root = p->seal_root;
    if (req->key_name == AVOW_KEYNAME_REPORT) {
        /* Everything from the enclave's own SECS; the request gives only KEYID. */
        memcpy(d.owner_epoch, p->owner_epoch, 16);
        d.attr_flags = s->attr_flags;
        d.attr_xfrm = s->attr_xfrm;
        d.misc_select = s->misc_select;
        d.cet_attr = s->cet_attributes;
        memcpy(d.mr_enclave, s->mr_enclave, 32);
        memcpy(d.config_id, s->config_id, 64);
        d.config_svn = s->config_svn;
        memcpy(d.key_id, req->key_id, 32);
        memcpy(d.cpu_svn, p->cpu_svn, 16);
        avow_err rc = sim_kdf(root, &d, key);
        avow_wipe(&d, sizeof d);
        return rc ? avow_error_set(err, rc, AVOW_NO_OFFSET, "EGETKEY: CMAC failed") : AVOW_OK;
    }
    if (req->isv_svn > s->isv_svn)
        return fail(sgx_status, AVOW_SGX_INVALID_ISVSVN, err, AVOW_ERR_ARG,
                    "requested ISVSVN is above the enclave's");
    if (req->config_svn > s->config_svn)
        return fail(sgx_status, AVOW_SGX_INVALID_ISVSVN, err, AVOW_ERR_ARG,
                    "requested CONFIGSVN is above the enclave's");
    if (!cpusvn_le(req->cpu_svn, p->cpu_svn))
        return fail(sgx_status, AVOW_SGX_INVALID_CPUSVN, err, AVOW_ERR_ARG,
                    "requested CPUSVN is newer than the platform's");

    bool seal_like =
        req->key_name == AVOW_KEYNAME_SEAL || req->key_name == AVOW_KEYNAME_PROVISION_SEAL;
    bool prov =
        req->key_name == AVOW_KEYNAME_PROVISION || req->key_name == AVOW_KEYNAME_PROVISION_SEAL;
    uint16_t pol = req->key_policy;
    d.key_policy = seal_like ? pol : 0;
    d.isv_prod_id = (seal_like && (pol & AVOW_KEYPOLICY_NOISVPRODID)) ? 0 : s->isv_prod_id;
    d.isv_svn = req->isv_svn;
    if (seal_like) {
        if (pol & AVOW_KEYPOLICY_ISVEXTPRODID) memcpy(d.isv_ext_prod_id, s->isv_ext_prod_id, 16);
        if (pol & AVOW_KEYPOLICY_ISVFAMILYID) memcpy(d.isv_family_id, s->isv_family_id, 16);
        if (pol & AVOW_KEYPOLICY_CONFIGID) {
            memcpy(d.config_id, s->config_id, 64);
            d.config_svn = req->config_svn;
        }
        if (pol & AVOW_KEYPOLICY_MRENCLAVE) memcpy(d.mr_enclave, s->mr_enclave, 32);
        if (pol & AVOW_KEYPOLICY_MRSIGNER) memcpy(d.mr_signer, s->mr_signer, 32);
        d.cet_attr = s->cet_attributes & req->cet_attributes_mask;
        d.cet_mask = req->cet_attributes_mask;
    } else {
        memcpy(d.mr_signer, s->mr_signer, 32); /* EINITTOKEN, PROVISION */
    }
    if (!prov) memcpy(d.owner_epoch, p->owner_epoch, 16);
    d.attr_flags = (req->attr_mask_flags | AVOW_ATTR_INIT | AVOW_ATTR_DEBUG) & s->attr_flags;
    d.attr_xfrm = req->attr_mask_xfrm & s->attr_xfrm;
    d.misc_select = req->misc_mask & s->misc_select;
    if (req->key_name != AVOW_KEYNAME_EINITTOKEN) {
        d.attr_mask_flags = req->attr_mask_flags;
        d.attr_mask_xfrm = req->attr_mask_xfrm;
        d.misc_mask = ~req->misc_mask;
    }
    if (req->key_name != AVOW_KEYNAME_PROVISION && req->key_name != AVOW_KEYNAME_PROVISION_SEAL)
        memcpy(d.key_id, req->key_id, 32);
    memcpy(d.cpu_svn, req->cpu_svn, 16);
    if (prov) root = p->prov_root;
    avow_err rc = sim_kdf(root, &d, key);
    avow_wipe(&d, sizeof d);
    return rc ? avow_error_set(err, rc, AVOW_NO_OFFSET, "EGETKEY: CMAC failed") : AVOW_OK;
}

avow_err avow_sim_egetkey(const avow_sim_enclave *e, const uint8_t keyrequest[AVOW_KEYREQUEST_SIZE],
                          uint8_t key[AVOW_KEY_SIZE], uint32_t *sgx_status, avow_error *err)
{
    if (sgx_status) *sgx_status = AVOW_SGX_SUCCESS;
    if (!e || !e->platform || !keyrequest || !key)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "EGETKEY: NULL argument");
    if (!(e->secs.attr_flags & AVOW_ATTR_INIT))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET,
                              "EGETKEY: enclave not initialised");
    avow_keyrequest req;
    avow_err rc = avow_keyrequest_decode(keyrequest, &req, err);
    if (rc) return rc;
    return sim_getkey(e, &req, key, sgx_status, err);
}

avow_err avow_sim_ereport(const avow_sim_enclave *e, const uint8_t targetinfo[AVOW_TARGETINFO_SIZE],
                          const uint8_t *report_data, uint8_t report[AVOW_REPORT_SIZE],
                          avow_error *err)
{
    if (!e || !e->platform || !targetinfo || !report)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "EREPORT: NULL argument");
    avow_targetinfo ti;
    avow_err rc = avow_targetinfo_decode(targetinfo, &ti, err);
    if (rc) return rc;
    const avow_sim_platform *p = e->platform;
    const avow_sim_secs *s = &e->secs;
    memset(report, 0, AVOW_REPORT_SIZE);
    memcpy(report + AVOW_RB_CPUSVN, p->cpu_svn, 16);
    avow_put_le32(report + AVOW_RB_MISCSELECT, s->misc_select);
    report[AVOW_RB_CET_ATTRIBUTES] = s->cet_attributes;
    memcpy(report + AVOW_RB_ISVEXTPRODID, s->isv_ext_prod_id, 16);
    avow_put_le64(report + AVOW_RB_ATTRIBUTES, s->attr_flags);
    avow_put_le64(report + AVOW_RB_ATTRIBUTES + 8, s->attr_xfrm);
    memcpy(report + AVOW_RB_MRENCLAVE, s->mr_enclave, 32);
    memcpy(report + AVOW_RB_MRSIGNER, s->mr_signer, 32);
    memcpy(report + AVOW_RB_CONFIGID, s->config_id, 64);
    avow_put_le16(report + AVOW_RB_ISVPRODID, s->isv_prod_id);
    avow_put_le16(report + AVOW_RB_ISVSVN, s->isv_svn);
    avow_put_le16(report + AVOW_RB_CONFIGSVN, s->config_svn);
    memcpy(report + AVOW_RB_ISVFAMILYID, s->isv_family_id, 16);
    if (report_data) memcpy(report + AVOW_RB_REPORTDATA, report_data, 64);
    memcpy(report + AVOW_REPORT_KEYID, p->report_keyid, 32);

    /* The target's REPORT key, from TARGETINFO plus this platform. */
    sim_keydeps d;
    memset(&d, 0, sizeof d);
    d.key_name = AVOW_KEYNAME_REPORT;
    memcpy(d.owner_epoch, p->owner_epoch, 16);
    d.attr_flags = ti.attr_flags;
    d.attr_xfrm = ti.attr_xfrm;
    d.misc_select = ti.misc_select;
    d.cet_attr = ti.cet_attributes;
    memcpy(d.mr_enclave, ti.measurement, 32);
    memcpy(d.config_id, ti.config_id, 64);
    d.config_svn = ti.config_svn;
    memcpy(d.key_id, p->report_keyid, 32);
    memcpy(d.cpu_svn, p->cpu_svn, 16);
    uint8_t key[16];
    rc = sim_kdf(p->seal_root, &d, key);
    if (!rc) rc = avow_cmac_aes128(key, report, AVOW_REPORT_BODY_SIZE, report + AVOW_REPORT_MAC);
    avow_wipe(key, sizeof key);
    avow_wipe(&d, sizeof d);
    return rc ? avow_error_set(err, rc, AVOW_NO_OFFSET, "EREPORT: CMAC failed") : AVOW_OK;
}

void avow_sim_targetinfo(const avow_sim_enclave *e, uint8_t targetinfo[AVOW_TARGETINFO_SIZE])
{
    avow_targetinfo t;
    memset(&t, 0, sizeof t);
    memcpy(t.measurement, e->secs.mr_enclave, 32);
    t.attr_flags = e->secs.attr_flags;
    t.attr_xfrm = e->secs.attr_xfrm;
    t.cet_attributes = e->secs.cet_attributes;
    t.config_svn = e->secs.config_svn;
    t.misc_select = e->secs.misc_select;
    memcpy(t.config_id, e->secs.config_id, 64);
    avow_targetinfo_encode(&t, targetinfo);
}

avow_err avow_sim_verify_report(const avow_sim_enclave *target,
                                const uint8_t report[AVOW_REPORT_SIZE], avow_error *err)
{
    if (!target || !target->platform || !report)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "report: NULL argument");
    /* What sgx_verify_report does: a zeroed KEYREQUEST naming REPORT_KEY and
     * the report's KEYID. */
    avow_keyrequest req;
    memset(&req, 0, sizeof req);
    req.key_name = AVOW_KEYNAME_REPORT;
    memcpy(req.key_id, report + AVOW_REPORT_KEYID, 32);
    uint8_t kr[AVOW_KEYREQUEST_SIZE], key[AVOW_KEY_SIZE];
    avow_keyrequest_encode(&req, kr);
    avow_err rc = avow_sim_egetkey(target, kr, key, NULL, err);
    if (!rc) rc = avow_report_verify(report, key, err);
    avow_wipe(key, sizeof key);
    return rc;
}
