/* MAA's attest request (include/avow/attest.h, docs/maa.md §1.3): parses the
 * JSON body (keys matched case-insensitively, PascalCase legacy names,
 * base64url with or without padding, standard base64 too) and unwraps the
 * Open Enclave evidence header (01000000 02000000 <u64 size> || quote).
 * Thread-safety: no state; one request object per request. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "avow/attest.h"
#include "avow/encode.h"
#include "core/cursor.h"
#include "core/sha256.h"

void avow_attest_request_init(avow_attest_request *r)
{
    memset(r, 0, sizeof(*r));
}

void avow_attest_request_free(avow_attest_request *r)
{
    if (!r) return;
    free(r->evidence);
    free(r->runtime.data);
    free(r->runtime.json);
    free(r->init_time.data);
    free(r->init_time.json);
    free(r->draft_policy);
    free(r->nonce);
    memset(r, 0, sizeof(*r));
}

const char *avow_attest_type_name(avow_attest_type t)
{
    return t == AVOW_ATTEST_OPEN_ENCLAVE ? "OpenEnclave"
           : t == AVOW_ATTEST_TDX_VM     ? "TdxVm"
                                         : "SgxEnclave";
}

avow_attest_type avow_attest_type_parse(const char *name)
{
    static const avow_attest_type all[] = {AVOW_ATTEST_SGX_ENCLAVE, AVOW_ATTEST_OPEN_ENCLAVE,
                                           AVOW_ATTEST_TDX_VM};
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcasecmp(name, avow_attest_type_name(all[i]))) return all[i];
    return 0;
}

uint32_t avow_attest_type_tee(avow_attest_type t)
{
    return t == AVOW_ATTEST_TDX_VM ? AVOW_TEE_TDX : AVOW_TEE_SGX;
}

/* Decodes base64url (padding optional) or, when the text uses '+' or '/',
 * standard base64. */
static avow_err decode_b64(const char *field, const char *s, size_t len, uint8_t **out,
                           size_t *out_len, avow_error *err)
{
    bool std = memchr(s, '+', len) || memchr(s, '/', len);
    bool url = memchr(s, '-', len) || memchr(s, '_', len);
    if (std && url)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s: mixes the base64 and base64url alphabets", field);
    avow_err e = std ? avow_base64_decode_alloc(s, len, true, out, out_len, err)
                     : avow_base64url_decode_alloc(s, len, true, out, out_len, err);
    if (e != AVOW_OK) avow_error_prefix(err, field);
    return e;
}

/* {"data": b64url, "dataType": "Binary"|"JSON"} */
static avow_err parse_data(const char *field, json_t *v, avow_attest_data *d, avow_error *err)
{
    if (!json_is_object(v))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s must be an object {\"data\": base64url, \"dataType\": "
                              "\"Binary\"|\"JSON\"}",
                              field);
    json_t *data = NULL, *type = NULL;
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m)
    {
        json_t **slot = !strcasecmp(k, "data") ? &data : !strcasecmp(k, "dataType") ? &type : NULL;
        if (!slot) continue;
        if (*slot)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s: member '%s' given twice (keys are case-insensitive)", field,
                                  k);
        *slot = m;
    }
    if (!data || !json_is_string(data))
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "%s.data is missing or not a string", field);
    d->is_json = false;
    if (type && !json_is_null(type)) {
        if (!json_is_string(type))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s.dataType must be \"Binary\" or \"JSON\"", field);
        const char *t = json_string_value(type);
        if (!strcasecmp(t, "JSON"))
            d->is_json = true;
        else if (strcasecmp(t, "Binary"))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s.dataType '%s' is neither \"Binary\" nor \"JSON\"", field, t);
    }
    char name[64];
    snprintf(name, sizeof(name), "%s.data", field);
    avow_err e =
        decode_b64(name, json_string_value(data), json_string_length(data), &d->data, &d->len, err);
    if (e != AVOW_OK) return e;
    d->present = true;
    if (d->is_json) {
        json_error_t je;
        json_t *doc = json_loadb((const char *)d->data, d->len, JSON_REJECT_DUPLICATES, &je);
        if (!doc || !json_is_object(doc)) {
            json_decref(doc);
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "%s has dataType JSON but its data is not a JSON object%s%s",
                                  field, doc ? "" : ": ", doc ? "" : je.text);
        }
        d->json = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!d->json) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    }
    return AVOW_OK;
}

/* Hot-path helper (hand-written on purpose: jansson lexes strings at ~18 ns a
 * byte, and the base64url evidence is ~98 % of a 6 KB body, i.e. 14 % of a
 * whole attestation's CPU). Finds, at nesting depth 1, the first member named
 * `name` (ASCII case-insensitive, no escapes in the key) whose string value
 * consists only of base64/base64url characters and '=', and returns that
 * value's span. The caller then lets jansson parse the body with the value
 * emptied, so jansson still validates everything else. Any doubt (escapes,
 * other characters, odd structure) returns false and the caller parses the
 * body as it is. Reads only within [0, len). */
static bool find_b64_member(const uint8_t *b, size_t len, const char *name, size_t *vstart,
                            size_t *vend)
{
    size_t nl = strlen(name), i = 0;
    int depth = 0;
    while (i < len) {
        uint8_t c = b[i];
        if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            depth--;
            i++;
        } else if (c == '"') {
            size_t ks = ++i;
            while (i < len && b[i] != '"')
                i += b[i] == '\\' ? 2 : 1;
            if (i >= len) return false;
            size_t ke = i++;
            if (depth != 1 || ke - ks != nl || strncasecmp((const char *)b + ks, name, nl))
                continue;
            size_t j = i;
            while (j < len && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'))
                j++;
            if (j >= len || b[j] != ':') continue; /* a string value, not a key */
            j++;
            while (j < len && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'))
                j++;
            if (j >= len || b[j] != '"') return false;
            size_t vs = ++j;
            while (j < len && (isalnum(b[j]) || b[j] == '-' || b[j] == '_' || b[j] == '+' ||
                               b[j] == '/' || b[j] == '='))
                j++;
            if (j >= len || b[j] != '"') return false;
            *vstart = vs;
            *vend = j;
            return true;
        } else {
            i++;
        }
    }
    return false;
}

avow_err avow_attest_request_parse(const uint8_t *body, size_t len, avow_attest_type type,
                                   avow_attest_request *ev, avow_error *err)
{
    bool open_enclave = type == AVOW_ATTEST_OPEN_ENCLAVE;
    ev->type = type;
    if (len == 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "empty request body: expected a JSON object with \"%s\"",
                              open_enclave ? "report" : "quote");
    json_error_t je;
    json_t *doc = NULL;
    const char *ev_member = open_enclave ? "report" : "quote";
    size_t vs = 0, ve = 0;
    bool fast = len > 1024 && find_b64_member(body, len, ev_member, &vs, &ve);
    if (fast) { /* jansson parses the body with the evidence string emptied */
        char *small = malloc(len - (ve - vs) + 1);
        if (!small) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
        memcpy(small, body, vs);
        memcpy(small + vs, body + ve, len - ve);
        doc = json_loadb(small, len - (ve - vs), JSON_REJECT_DUPLICATES, &je);
        free(small);
    }
    if (!doc) { /* the normal path, and exact error positions */
        fast = false;
        doc = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
    }
    if (!doc)
        return avow_error_set(err, AVOW_ERR_FORMAT, je.position,
                              "request body is not valid JSON: %s at line %d column %d", je.text,
                              je.line, je.column);
    avow_err e = AVOW_OK;
    if (!json_is_object(doc)) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "request body must be a JSON object");
        goto done;
    }
    enum { F_EVIDENCE, F_RUNTIME, F_INITTIME, F_DRAFT, F_NONCE, F_EHD, F_N };
    json_t *f[F_N] = {0};
    const char *names[F_N] = {0};
    const char *k;
    json_t *m;
    json_object_foreach(doc, k, m)
    {
        int i = -1;
        if (!strcasecmp(k, open_enclave ? "report" : "quote"))
            i = F_EVIDENCE;
        else if (!strcasecmp(k, "runtimeData"))
            i = F_RUNTIME;
        else if (!strcasecmp(k, "initTimeData"))
            i = F_INITTIME;
        else if (!strcasecmp(k, "draftPolicyForAttestation"))
            i = F_DRAFT;
        else if (!strcasecmp(k, "nonce"))
            i = F_NONCE;
        else if (!strcasecmp(k, "EnclaveHeldData"))
            i = F_EHD; /* 2018-preview bodies */
        else if (!strcasecmp(k, open_enclave ? "quote" : "report")) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "\"%s\" does not belong in a /attest/%s request: send the "
                               "evidence as \"%s\"",
                               k, avow_attest_type_name(type), open_enclave ? "report" : "quote");
            goto done;
        }
        if (i < 0) continue; /* unknown members are ignored, as MAA does */
        if (f[i]) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "members '%s' and '%s' are the same (keys are case-insensitive)",
                               names[i], k);
            goto done;
        }
        f[i] = m;
        names[i] = k;
    }
    const char *ev_name = ev_member;
    /* fast path: the emptied member must be the one found, still a string */
    bool use_span = fast && f[F_EVIDENCE] && json_is_string(f[F_EVIDENCE]) &&
                    json_string_length(f[F_EVIDENCE]) == 0 && ve > vs;
    if (use_span) {
        e = decode_b64(ev_name, (const char *)body + vs, ve - vs, &ev->evidence, &ev->evidence_len,
                       err);
        if (e != AVOW_OK) goto done;
    } else if (!f[F_EVIDENCE] || !json_is_string(f[F_EVIDENCE]) ||
               !json_string_length(f[F_EVIDENCE])) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "\"%s\" is missing, empty or not a string (base64url of the %s)",
                           ev_name,
                           open_enclave                 ? "Open Enclave report"
                           : type == AVOW_ATTEST_TDX_VM ? "TD quote"
                                                        : "SGX quote");
        goto done;
    } else {
        e = decode_b64(ev_name, json_string_value(f[F_EVIDENCE]), json_string_length(f[F_EVIDENCE]),
                       &ev->evidence, &ev->evidence_len, err);
        if (e != AVOW_OK) goto done;
    }
    if (f[F_RUNTIME] && f[F_EHD]) {
        e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                           "give either runtimeData or EnclaveHeldData, not both");
        goto done;
    }
    if (f[F_RUNTIME] && !json_is_null(f[F_RUNTIME])) {
        e = parse_data("runtimeData", f[F_RUNTIME], &ev->runtime, err);
        if (e != AVOW_OK) goto done;
    }
    if (f[F_EHD] && !json_is_null(f[F_EHD])) {
        if (!json_is_string(f[F_EHD])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "EnclaveHeldData must be a base64url string");
            goto done;
        }
        e = decode_b64("EnclaveHeldData", json_string_value(f[F_EHD]), json_string_length(f[F_EHD]),
                       &ev->runtime.data, &ev->runtime.len, err);
        if (e != AVOW_OK) goto done;
        ev->runtime.present = true;
    }
    if (f[F_INITTIME] && !json_is_null(f[F_INITTIME])) {
        e = parse_data("initTimeData", f[F_INITTIME], &ev->init_time, err);
        if (e != AVOW_OK) goto done;
    }
    if (f[F_DRAFT] && !json_is_null(f[F_DRAFT])) {
        if (!json_is_string(f[F_DRAFT]) || !json_string_length(f[F_DRAFT])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "draftPolicyForAttestation must be a non-empty string (policy "
                               "text)");
            goto done;
        }
        ev->draft_policy = strndup(json_string_value(f[F_DRAFT]), json_string_length(f[F_DRAFT]));
        ev->draft_len = json_string_length(f[F_DRAFT]);
        if (!ev->draft_policy || strlen(ev->draft_policy) != ev->draft_len) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "draftPolicyForAttestation contains a NUL character");
            goto done;
        }
    }
    if (f[F_NONCE] && !json_is_null(f[F_NONCE])) {
        if (!json_is_string(f[F_NONCE])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "nonce must be a string");
            goto done;
        }
        if (json_string_length(f[F_NONCE]) > 1024) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "nonce is %zu bytes; at most 1024 are accepted",
                               json_string_length(f[F_NONCE]));
            goto done;
        }
        ev->nonce = strdup(json_string_value(f[F_NONCE]));
        if (!ev->nonce || strlen(ev->nonce) != json_string_length(f[F_NONCE])) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "nonce contains a NUL character");
            goto done;
        }
    }

    /* the quote inside the evidence */
    if (open_enclave) {
        avow_cursor c;
        avow_cursor_init(&c, ev->evidence, ev->evidence_len, "report (Open Enclave header)", err);
        uint32_t version, type;
        uint64_t size;
        if ((e = avow_cursor_u32(&c, "version", &version)) != AVOW_OK ||
            (e = avow_cursor_u32(&c, "type", &type)) != AVOW_OK ||
            (e = avow_cursor_u64(&c, "report_size", &size)) != AVOW_OK)
            goto done;
        if (version != 1) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, 0,
                               "report (Open Enclave header) version at offset 0: %u, expected 1",
                               version);
            goto done;
        }
        if (type != 2) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, 4,
                               "report (Open Enclave header) type at offset 4: %u, expected 2 "
                               "(SGX remote/ECDSA report)",
                               type);
            goto done;
        }
        if (size != avow_cursor_left(&c)) {
            e = avow_error_set(err, AVOW_ERR_FORMAT, 8,
                               "report (Open Enclave header) report_size at offset 8: %llu, but "
                               "%zu bytes follow the 16-byte header",
                               (unsigned long long)size, avow_cursor_left(&c));
            goto done;
        }
        ev->quote = ev->evidence + 16;
        ev->quote_len = ev->evidence_len - 16;
    } else {
        ev->quote = ev->evidence;
        ev->quote_len = ev->evidence_len;
    }
done:
    json_decref(doc);
    return e;
}
