/* DCAP quote parser (quote.h): versions 3, 4 and 5, SGX and TDX bodies, the
 * v3 auth data and the v4/v5 nesting of the QE report certification data
 * (type 6). The result is a set of views into the caller's buffer: nothing is
 * copied or allocated. Every length field is checked against the container it
 * lives in (the buffer, the auth data, the type-6 payload) and the nested
 * sizes must fill their container exactly; errors name the field, its byte
 * offset and, for nested sizes, the container's size field. Bytes after the
 * auth data are accepted whatever they hold and never read (the one rule for
 * every caller: docs/security.md, "Trailing bytes in quotes").
 * Layouts: docs/verification.md A1, docs/formats.md §6.1.
 * Thread-safe: no state. */
#include "avow/quote.h"

#include <stdio.h>
#include <string.h>

#include "core/cursor.h"

/* 939A7233-F79C-4CA9-940A-0DB3957F0607 */
const uint8_t AVOW_INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                             0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

_Static_assert(AVOW_QUOTE_MIN_SIZE == AVOW_QUOTE_HEADER_SIZE + AVOW_REPORT_BODY_SIZE + 4 +
                                          2 * AVOW_ECDSA_SIG_SIZE + AVOW_ECDSA_PUBKEY_SIZE +
                                          AVOW_REPORT_BODY_SIZE + 2 + 2 + 4,
               "minimal quote = header + report + auth_data_size + minimal auth data");
_Static_assert(AVOW_TD_REPORT15_SIZE == AVOW_TD_REPORT10_SIZE + 16 + 48,
               "TD report 1.5 = 1.0 + tee_tcb_svn2 + mr_service_td");

#define BODY_DESCRIPTOR_SIZE 6

/* A container whose size was declared by a length field: nested reads must
 * stay inside it, and together fill it exactly. */
typedef struct {
    const char *size_field; /* e.g. "auth_data_size" */
    size_t size_off;        /* offset of that field */
    uint32_t size;
    size_t start, end; /* absolute */
} box;

/* Appends " (inside quote.<size_field> = N at offset M)" to a cursor error. */
static avow_err in_box(avow_err e, avow_error *err, const box *b)
{
    if (e && err && b) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " of quote.%s (%u at offset %zu)",
                 b->size_field, b->size, b->size_off);
    }
    return e;
}

static avow_err rd_bytes(avow_cursor *c, const box *b, const char *field, size_t n,
                         const uint8_t **p)
{
    return in_box(avow_cursor_bytes(c, field, n, p), c->err, b);
}

static avow_err rd_u16(avow_cursor *c, const box *b, const char *field, uint16_t *v)
{
    return in_box(avow_cursor_u16(c, field, v), c->err, b);
}

static avow_err rd_u32(avow_cursor *c, const box *b, const char *field, uint32_t *v)
{
    return in_box(avow_cursor_u32(c, field, v), c->err, b);
}

/* Reads a u32 size field and checks it fits in what is left of the cursor's
 * window; on success *inner describes the sized region (not yet consumed). */
static avow_err rd_size32(avow_cursor *c, const box *outer, const char *field, box *inner)
{
    size_t off = c->off;
    uint32_t v;
    avow_err e = rd_u32(c, outer, field, &v);
    if (e) return e;
    size_t left = avow_cursor_left(c);
    if (v > left) {
        if (outer)
            return avow_error_set(c->err, AVOW_ERR_FORMAT, off,
                                  "quote.%s at offset %zu: %u exceeds the %zu bytes left of "
                                  "quote.%s (%u at offset %zu)",
                                  field, off, v, left, outer->size_field, outer->size,
                                  outer->size_off);
        return avow_error_set(c->err, AVOW_ERR_FORMAT, off,
                              "quote.%s at offset %zu: %u exceeds the %zu bytes left", field, off,
                              v, left);
    }
    inner->size_field = field;
    inner->size_off = off;
    inner->size = v;
    inner->start = c->off;
    inner->end = c->off + v;
    return AVOW_OK;
}

/* The last item of `b` ended at `at`, declared by `last_field` at `last_off`
 * (or NULL when the content has fixed size); it must end exactly at b->end. */
static avow_err check_filled(avow_error *err, const box *b, size_t at, const char *last_field,
                             size_t last_off, uint32_t last_val)
{
    if (at == b->end) return AVOW_OK;
    size_t gap = b->end - at;
    if (last_field)
        return avow_error_set(err, AVOW_ERR_FORMAT, b->size_off,
                              "quote.%s at offset %zu: %u, but its contents end %zu byte(s) early "
                              "(quote.%s at offset %zu is %u): the sizes disagree",
                              b->size_field, b->size_off, b->size, gap, last_field, last_off,
                              last_val);
    return avow_error_set(err, AVOW_ERR_FORMAT, b->size_off,
                          "quote.%s at offset %zu: %u, but its contents end %zu byte(s) early",
                          b->size_field, b->size_off, b->size, gap);
}

const char *avow_tee_name(uint32_t tee_type)
{
    switch (tee_type) {
        case AVOW_TEE_SGX:
            return "SGX";
        case AVOW_TEE_TDX:
            return "TDX";
    }
    return "unknown";
}

const char *avow_cert_type_name(uint16_t cert_type)
{
    switch (cert_type) {
        case AVOW_CERT_PPID_CLEAR:
            return "ppid_cleartext";
        case AVOW_CERT_PPID_RSA2048:
            return "ppid_rsa2048_encrypted";
        case AVOW_CERT_PPID_RSA3072:
            return "ppid_rsa3072_encrypted";
        case AVOW_CERT_PCK_LEAF:
            return "pck_cert";
        case AVOW_CERT_PCK_CHAIN:
            return "pck_cert_chain";
        case AVOW_CERT_QE_REPORT:
            return "qe_report_cert_data";
        case AVOW_CERT_PLATFORM_MANIFEST:
            return "platform_manifest";
    }
    return "unknown";
}

/* Payload size of the PCK ID types 1..3, 0 for the others. */
static size_t pck_id_size(uint16_t type)
{
    switch (type) {
        case AVOW_CERT_PPID_CLEAR:
            return 16 + 16 + 2 + 2;
        case AVOW_CERT_PPID_RSA2048:
            return 256 + 16 + 2 + 2;
        case AVOW_CERT_PPID_RSA3072:
            return 384 + 16 + 2 + 2;
    }
    return 0;
}

/* QE report ‖ QE report signature ‖ qe_auth_data_size ‖ qe_auth_data ‖
 * cert type ‖ cert size ‖ cert data, all inside `b` (the v3 auth data after
 * the attestation key, or the v4/v5 type-6 payload). `pfx` is "" or "inner_"
 * for the certification data's field names. */
static avow_err parse_qe_and_cert(avow_cursor *c, const box *b, const char *pfx, avow_quote *q)
{
    avow_err e;
    if ((e = rd_bytes(c, b, "qe_report", AVOW_REPORT_BODY_SIZE, &q->qe_report))) return e;
    avow_report_body_view(q->qe_report, &q->qe);
    if ((e = rd_bytes(c, b, "qe_report_signature", AVOW_ECDSA_SIG_SIZE, &q->qe_report_sig)))
        return e;
    size_t qad_off = c->off;
    if ((e = rd_u16(c, b, "qe_auth_data_size", &q->qe_auth_data_len))) return e;
    if (q->qe_auth_data_len > avow_cursor_left(c))
        return avow_error_set(c->err, AVOW_ERR_FORMAT, qad_off,
                              "quote.qe_auth_data_size at offset %zu: %u exceeds the %zu bytes "
                              "left of quote.%s (%u at offset %zu)",
                              qad_off, q->qe_auth_data_len, avow_cursor_left(c), b->size_field,
                              b->size, b->size_off);
    if ((e = rd_bytes(c, b, "qe_auth_data", q->qe_auth_data_len, &q->qe_auth_data))) return e;

    char type_field[32], size_field[32], data_field[32];
    snprintf(type_field, sizeof(type_field), "%scert_data_type", pfx);
    snprintf(size_field, sizeof(size_field), "%scert_data_size", pfx);
    snprintf(data_field, sizeof(data_field), "%scert_data", pfx);
    size_t type_off = c->off;
    if ((e = rd_u16(c, b, type_field, &q->cert_type))) return e;
    bool known = q->cert_type >= AVOW_CERT_PPID_CLEAR &&
                 q->cert_type <= AVOW_CERT_PLATFORM_MANIFEST && q->cert_type != AVOW_CERT_QE_REPORT;
    if (!known)
        /* This field's position depends on qe_auth_data_size: say so, as a
         * wrong size there shows up here first. */
        return avow_error_set(c->err, AVOW_ERR_FORMAT, type_off,
                              "quote.%s at offset %zu: %u is not a certification data type "
                              "here (1..5 or 7); it follows quote.qe_auth_data_size (%u at "
                              "offset %zu)",
                              type_field, type_off, q->cert_type, q->qe_auth_data_len, qad_off);
    /* Boxes keep a pointer to their size field's name: use static strings. */
    static const char *const size_names[2] = {"cert_data_size", "inner_cert_data_size"};
    const char *size_name = size_names[pfx[0] != '\0'];
    box cb;
    if ((e = rd_size32(c, b, size_name, &cb))) return e;
    q->cert_data_len = cb.size;
    if ((e = rd_bytes(c, b, data_field, cb.size, &q->cert_data))) return e;
    size_t want = pck_id_size(q->cert_type);
    if (want && cb.size != want)
        return avow_error_set(c->err, AVOW_ERR_FORMAT, cb.size_off,
                              "quote.%s at offset %zu: %u, but type %u (%s) data is %zu bytes",
                              size_name, cb.size_off, cb.size, q->cert_type,
                              avow_cert_type_name(q->cert_type), want);
    return check_filled(c->err, b, c->off, size_name, cb.size_off, cb.size);
}

static avow_err parse_header(avow_cursor *c, avow_quote *q)
{
    avow_err e;
    avow_error *err = c->err;
    if ((e = avow_cursor_u16(c, "version", &q->version))) return e;
    if (q->version < 3 || q->version > 5)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, 0,
                              "quote.version at offset 0: %u is not supported (3, 4 or 5)",
                              q->version);
    if ((e = avow_cursor_u16(c, "att_key_type", &q->att_key_type))) return e;
    if (q->att_key_type == 3)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, 2,
                              "quote.att_key_type at offset 2: 3 (ECDSA-384 with P-384) is not "
                              "supported, only 2 (ECDSA-256 with P-256)");
    if (q->att_key_type != AVOW_ATT_KEY_ECDSA_P256)
        return avow_error_set(err, AVOW_ERR_FORMAT, 2,
                              "quote.att_key_type at offset 2: unknown attestation key type %u "
                              "(2 = ECDSA-256 with P-256)",
                              q->att_key_type);
    if ((e = avow_cursor_u32(c, "tee_type", &q->tee_type))) return e;
    if (q->tee_type != AVOW_TEE_SGX && q->tee_type != AVOW_TEE_TDX)
        return avow_error_set(err, AVOW_ERR_FORMAT, 4,
                              "quote.tee_type at offset 4: unknown TEE type 0x%08x (0x00000000 "
                              "SGX, 0x00000081 TDX)",
                              q->tee_type);
    if (q->version == 3 && q->tee_type != AVOW_TEE_SGX)
        return avow_error_set(err, AVOW_ERR_FORMAT, 4,
                              "quote.tee_type at offset 4: 0x%08x in a version 3 quote, which "
                              "is SGX only (0)",
                              q->tee_type);
    if ((e = avow_cursor_u16(c, "qe_svn", &q->qe_svn))) return e;
    if ((e = avow_cursor_u16(c, "pce_svn", &q->pce_svn))) return e;
    if ((e = avow_cursor_bytes(c, "qe_vendor_id", 16, &q->qe_vendor_id))) return e;
    if (memcmp(q->qe_vendor_id, AVOW_INTEL_QE_VENDOR_ID, 16) != 0) {
        char hex[33];
        for (int i = 0; i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", q->qe_vendor_id[i]);
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, 12,
                              "quote.qe_vendor_id at offset 12: %s is not Intel's QE vendor ID "
                              "939a7233f79c4ca9940a0db3957f0607",
                              hex);
    }
    return avow_cursor_bytes(c, "user_data", 20, &q->user_data);
}

static avow_err parse_body(avow_cursor *c, avow_quote *q)
{
    avow_err e;
    avow_error *err = c->err;
    size_t want;
    if (q->version == 5) {
        if ((e = avow_cursor_u16(c, "body_type", &q->body_type))) return e;
        switch (q->body_type) {
            case AVOW_BODY_SGX:
                want = AVOW_REPORT_BODY_SIZE;
                break;
            case AVOW_BODY_TD10:
                want = AVOW_TD_REPORT10_SIZE;
                break;
            case AVOW_BODY_TD15:
                want = AVOW_TD_REPORT15_SIZE;
                break;
            default:
                return avow_error_set(err, AVOW_ERR_FORMAT, 48,
                                      "quote.body_type at offset 48: unknown body type %u (1 SGX "
                                      "report, 2 TD report 1.0, 3 TD report 1.5)",
                                      q->body_type);
        }
        if ((q->tee_type == AVOW_TEE_SGX) != (q->body_type == AVOW_BODY_SGX))
            return avow_error_set(err, AVOW_ERR_FORMAT, 48,
                                  "quote.body_type at offset 48: %u does not match tee_type "
                                  "0x%08x (%s)",
                                  q->body_type, q->tee_type, avow_tee_name(q->tee_type));
        uint32_t size;
        if ((e = avow_cursor_u32(c, "body_size", &size))) return e;
        if (size != want)
            return avow_error_set(err, AVOW_ERR_FORMAT, 50,
                                  "quote.body_size at offset 50: %u, but body type %u is %zu "
                                  "bytes",
                                  size, q->body_type, want);
    } else {
        q->body_type = q->tee_type == AVOW_TEE_SGX ? AVOW_BODY_SGX : AVOW_BODY_TD10;
        want = q->body_type == AVOW_BODY_SGX ? AVOW_REPORT_BODY_SIZE : AVOW_TD_REPORT10_SIZE;
    }
    const char *name = q->body_type == AVOW_BODY_SGX ? "report_body" : "td_report";
    if ((e = avow_cursor_bytes(c, name, want, &q->body))) return e;
    q->body_len = want;
    if (q->body_type == AVOW_BODY_SGX)
        avow_report_body_view(q->body, &q->report);
    else
        avow_td_report_view(q->body, q->body_len, &q->td);
    q->signed_data = c->buf;
    q->signed_len = c->off;
    return AVOW_OK;
}

avow_err avow_quote_parse_ex(const uint8_t *buf, size_t len, unsigned flags, avow_quote *out,
                             avow_error *err)
{
    if (!out || (!buf && len))
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "quote: no buffer or output");
    memset(out, 0, sizeof(*out));
    out->raw = buf;
    out->raw_len = len;

    avow_cursor c;
    avow_cursor_init(&c, buf, len, "quote", err);
    avow_err e;
    if ((e = parse_header(&c, out))) return e;
    if ((e = parse_body(&c, out))) return e;

    /* auth data: a window [auth.start, auth.end) of the buffer */
    box auth;
    if ((e = rd_size32(&c, NULL, "auth_data_size", &auth))) return e;
    out->auth_data_size = auth.size;
    avow_cursor a = c;
    a.len = auth.end;
    if ((e = rd_bytes(&a, &auth, "signature", AVOW_ECDSA_SIG_SIZE, &out->signature))) return e;
    if ((e = rd_bytes(&a, &auth, "attest_key", AVOW_ECDSA_PUBKEY_SIZE, &out->attest_key))) return e;

    if (out->version == 3) {
        if ((e = parse_qe_and_cert(&a, &auth, "", out))) return e;
        out->outer_cert_type = out->cert_type;
        out->outer_cert_size = out->cert_data_len;
    } else {
        size_t type_off = a.off;
        if ((e = rd_u16(&a, &auth, "cert_data_type", &out->outer_cert_type))) return e;
        if (out->outer_cert_type != AVOW_CERT_QE_REPORT)
            return avow_error_set(err, AVOW_ERR_FORMAT, type_off,
                                  "quote.cert_data_type at offset %zu: %u, but a version %u "
                                  "quote needs type 6 (QE report certification data)",
                                  type_off, out->outer_cert_type, out->version);
        box outer;
        if ((e = rd_size32(&a, &auth, "cert_data_size", &outer))) return e;
        out->outer_cert_size = outer.size;
        avow_cursor b = a;
        b.len = outer.end;
        if ((e = parse_qe_and_cert(&b, &outer, "inner_", out))) return e;
        a.off = b.off;
        if ((e = check_filled(err, &auth, a.off, "cert_data_size", outer.size_off, outer.size)))
            return e;
    }

    /* The quote ends with its auth data. What follows is accepted, zero or
     * not, as Intel's QVL does (it requires only that the declared auth data
     * fits the buffer, docs/verification.md A1.3; real evidence carries zero
     * padding, vector P2, and ASCII, vector G1). Nothing signs those bytes
     * and nothing here or in any caller reads them: `end` is where the quote
     * stops, trailing_len says how much followed. */
    (void)flags;
    out->end = auth.end;
    out->trailing_len = len - auth.end;
    return AVOW_OK;
}

avow_err avow_quote_parse(const uint8_t *buf, size_t len, avow_quote *out, avow_error *err)
{
    return avow_quote_parse_ex(buf, len, 0, out, err);
}

avow_err avow_quote_get_pck_id(const avow_quote *q, avow_quote_pck_id *out, avow_error *err)
{
    size_t n = q ? pck_id_size(q->cert_type) : 0;
    if (!n || !q->cert_data || q->cert_data_len != n)
        return avow_error_set(err, AVOW_ERR_UNSUPPORTED, AVOW_NO_OFFSET,
                              "quote: certification data type %u carries no PCK ID (types 1..3)",
                              q ? q->cert_type : 0);
    size_t ppid_len = n - 20;
    out->ppid = q->cert_data;
    out->ppid_len = ppid_len;
    out->cpu_svn = q->cert_data + ppid_len;
    out->pce_svn = avow_le16(q->cert_data + ppid_len + 16);
    out->pce_id = q->cert_data + ppid_len + 18;
    return AVOW_OK;
}
