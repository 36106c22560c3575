/* TARGETINFO and KEYREQUEST encoders and decoders (docs/formats.md §2.1, §2.2).
 * Thread-safe: no state. */
#include "avow/enclave.h"

#include <string.h>

#include "core/cursor.h"

static bool zero_range(const uint8_t *p, size_t from, size_t to)
{
    uint8_t acc = 0;
    for (size_t i = from; i < to; i++)
        acc |= p[i];
    return acc == 0;
}

void avow_targetinfo_encode(const avow_targetinfo *t, uint8_t out[AVOW_TARGETINFO_SIZE])
{
    memset(out, 0, AVOW_TARGETINFO_SIZE);
    memcpy(out, t->measurement, 32);
    avow_put_le64(out + 32, t->attr_flags);
    avow_put_le64(out + 40, t->attr_xfrm);
    out[48] = t->cet_attributes;
    avow_put_le16(out + 50, t->config_svn);
    avow_put_le32(out + 52, t->misc_select);
    memcpy(out + 64, t->config_id, 64);
}

avow_err avow_targetinfo_decode(const uint8_t in[AVOW_TARGETINFO_SIZE], avow_targetinfo *t,
                                avow_error *err)
{
    if (in[49] || !zero_range(in, 56, 64) || !zero_range(in, 128, AVOW_TARGETINFO_SIZE))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "targetinfo: reserved bytes are not zero");
    memset(t, 0, sizeof *t);
    memcpy(t->measurement, in, 32);
    t->attr_flags = avow_le64(in + 32);
    t->attr_xfrm = avow_le64(in + 40);
    t->cet_attributes = in[48];
    t->config_svn = avow_le16(in + 50);
    t->misc_select = avow_le32(in + 52);
    memcpy(t->config_id, in + 64, 64);
    return AVOW_OK;
}

void avow_targetinfo_from_report_body(const uint8_t body[AVOW_REPORT_BODY_SIZE],
                                      uint8_t out[AVOW_TARGETINFO_SIZE])
{
    avow_targetinfo t;
    memset(&t, 0, sizeof t);
    memcpy(t.measurement, body + AVOW_RB_MRENCLAVE, 32);
    t.attr_flags = avow_le64(body + AVOW_RB_ATTRIBUTES);
    t.attr_xfrm = avow_le64(body + AVOW_RB_ATTRIBUTES + 8);
    t.cet_attributes = body[AVOW_RB_CET_ATTRIBUTES];
    t.config_svn = avow_le16(body + AVOW_RB_CONFIGSVN);
    t.misc_select = avow_le32(body + AVOW_RB_MISCSELECT);
    memcpy(t.config_id, body + AVOW_RB_CONFIGID, 64);
    avow_targetinfo_encode(&t, out);
}

void avow_keyrequest_encode(const avow_keyrequest *k, uint8_t out[AVOW_KEYREQUEST_SIZE])
{
    memset(out, 0, AVOW_KEYREQUEST_SIZE);
    avow_put_le16(out, k->key_name);
    avow_put_le16(out + 2, k->key_policy);
    avow_put_le16(out + 4, k->isv_svn);
    out[6] = k->cet_attributes_mask;
    memcpy(out + 8, k->cpu_svn, 16);
    avow_put_le64(out + 24, k->attr_mask_flags);
    avow_put_le64(out + 32, k->attr_mask_xfrm);
    memcpy(out + 40, k->key_id, 32);
    avow_put_le32(out + 72, k->misc_mask);
    avow_put_le16(out + 76, k->config_svn);
}

avow_err avow_keyrequest_decode(const uint8_t in[AVOW_KEYREQUEST_SIZE], avow_keyrequest *k,
                                avow_error *err)
{
    if (in[7] || !zero_range(in, 78, AVOW_KEYREQUEST_SIZE))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "keyrequest: reserved bytes are not zero");
    memset(k, 0, sizeof *k);
    k->key_name = avow_le16(in);
    k->key_policy = avow_le16(in + 2);
    k->isv_svn = avow_le16(in + 4);
    k->cet_attributes_mask = in[6];
    memcpy(k->cpu_svn, in + 8, 16);
    k->attr_mask_flags = avow_le64(in + 24);
    k->attr_mask_xfrm = avow_le64(in + 32);
    memcpy(k->key_id, in + 40, 32);
    k->misc_mask = avow_le32(in + 72);
    k->config_svn = avow_le16(in + 76);
    return AVOW_OK;
}
