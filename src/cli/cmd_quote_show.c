/* `avow quote show QUOTE [--json] [--encoding raw|hex|base64|base64url]`: prints every field of a
 * DCAP quote (header, SGX report body or TD report, auth data, QE report, certification data and,
 * for a PCK chain, the certificates' subjects and the PCK SGX extension). The quote is described
 * once as a JSON object (jansson); --json prints it, otherwise it is rendered as indented text.
 * Byte fields are lowercase hex. OpenSSL is used here only to read certificate names. Not
 * thread-safe (a command-line program). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "avow/encode.h"
#include "avow/pck.h"
#include "avow/quote.h"
#include "cli/cli.h"
#include "core/pem.h"
#include "pki/cert.h"

int cli_quote_show(int argc, char **argv);

static json_t *json_hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return json_null();
    avow_hex_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *hex64(uint64_t v)
{
    char s[19];
    snprintf(s, sizeof(s), "0x%016llx", (unsigned long long)v);
    return json_string(s);
}

static json_t *flag_names(uint64_t flags)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {{AVOW_ATTR_INIT, "INIT"},
                 {AVOW_ATTR_DEBUG, "DEBUG"},
                 {AVOW_ATTR_MODE64BIT, "MODE64BIT"},
                 {AVOW_ATTR_PROVISIONKEY, "PROVISIONKEY"},
                 {AVOW_ATTR_EINITTOKEN, "EINITTOKEN_KEY"},
                 {0x040, "CET"},
                 {AVOW_ATTR_KSS, "KSS"},
                 {0x400, "AEXNOTIFY"}};
    json_t *a = json_array();
    uint64_t known = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        known |= names[i].bit;
        if (flags & names[i].bit) json_array_append_new(a, json_string(names[i].name));
    }
    if (flags & ~known) {
        char s[40];
        snprintf(s, sizeof(s), "reserved:0x%llx", (unsigned long long)(flags & ~known));
        json_array_append_new(a, json_string(s));
    }
    return a;
}

static json_t *report_json(const avow_report_body *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "cpu_svn", json_hex(r->cpu_svn, 16));
    json_object_set_new(o, "misc_select", json_integer(r->misc_select));
    json_object_set_new(o, "isv_ext_prod_id", json_hex(r->isv_ext_prod_id, 16));
    json_object_set_new(o, "attributes", json_hex(r->attributes, 16));
    json_object_set_new(o, "flags", hex64(r->flags));
    json_object_set_new(o, "flag_names", flag_names(r->flags));
    json_object_set_new(o, "xfrm", hex64(r->xfrm));
    json_object_set_new(o, "debug", json_boolean(avow_report_body_is_debug(r)));
    json_object_set_new(o, "mrenclave", json_hex(r->mr_enclave, 32));
    json_object_set_new(o, "mrsigner", json_hex(r->mr_signer, 32));
    json_object_set_new(o, "config_id", json_hex(r->config_id, 64));
    json_object_set_new(o, "isv_prod_id", json_integer(r->isv_prod_id));
    json_object_set_new(o, "isv_svn", json_integer(r->isv_svn));
    json_object_set_new(o, "config_svn", json_integer(r->config_svn));
    json_object_set_new(o, "isv_family_id", json_hex(r->isv_family_id, 16));
    json_object_set_new(o, "report_data", json_hex(r->report_data, 64));
    return o;
}

static json_t *td_report_json(const uint8_t *b, size_t len)
{
    static const struct {
        const char *name;
        size_t off, size;
    } f[] = {{"tee_tcb_svn", AVOW_TD_TEE_TCB_SVN, 16},
             {"mr_seam", AVOW_TD_MR_SEAM, 48},
             {"mr_signer_seam", AVOW_TD_MR_SIGNER_SEAM, 48},
             {"seam_attributes", AVOW_TD_SEAM_ATTRIBUTES, 8},
             {"td_attributes", AVOW_TD_TD_ATTRIBUTES, 8},
             {"xfam", AVOW_TD_XFAM, 8},
             {"mr_td", AVOW_TD_MR_TD, 48},
             {"mr_config_id", AVOW_TD_MR_CONFIG_ID, 48},
             {"mr_owner", AVOW_TD_MR_OWNER, 48},
             {"mr_owner_config", AVOW_TD_MR_OWNER_CONFIG, 48},
             {"rtmr0", AVOW_TD_RTMR0, 48},
             {"rtmr1", AVOW_TD_RTMR0 + 48, 48},
             {"rtmr2", AVOW_TD_RTMR0 + 96, 48},
             {"rtmr3", AVOW_TD_RTMR0 + 144, 48},
             {"report_data", AVOW_TD_REPORT_DATA, 64},
             {"tee_tcb_svn2", AVOW_TD_TEE_TCB_SVN2, 16},
             {"mr_service_td", AVOW_TD_MR_SERVICE_TD, 48}};
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (f[i].off + f[i].size <= len)
            json_object_set_new(o, f[i].name, json_hex(b + f[i].off, f[i].size));
    /* TUD byte bit 0 of td_attributes = DEBUG */
    json_object_set_new(o, "debug", json_boolean(b[AVOW_TD_TD_ATTRIBUTES] & AVOW_TD_ATTR_DEBUG));
    return o;
}

static json_t *pck_json(const avow_pck_ext *x, avow_pck_ca ca)
{
    json_t *o = json_object();
    json_object_set_new(o, "fmspc", json_hex(x->fmspc, 6));
    json_object_set_new(o, "pce_id", json_hex(x->pce_id, 2));
    json_object_set_new(o, "pcesvn", json_integer(x->pcesvn));
    json_t *c = json_array();
    for (int i = 0; i < 16; i++)
        json_array_append_new(c, json_integer(x->comp_svn[i]));
    json_object_set_new(o, "comp_svn", c);
    json_object_set_new(o, "cpusvn", json_hex(x->cpusvn, 16));
    json_object_set_new(o, "sgx_type", json_integer(x->sgx_type));
    const char *type = avow_pck_sgx_type_name(x->sgx_type);
    json_object_set_new(o, "sgx_type_name", json_string(type ? type : "unknown"));
    json_object_set_new(o, "ppid", json_hex(x->ppid, 16));
    json_object_set_new(o, "ca", json_string(avow_pck_ca_name(ca)));
    if (x->has_platform_instance_id)
        json_object_set_new(o, "platform_instance_id", json_hex(x->platform_instance_id, 16));
    if (x->has_configuration) {
        json_t *cfg = json_object();
        json_object_set_new(cfg, "dynamic_platform", json_boolean(x->dynamic_platform));
        json_object_set_new(cfg, "cached_keys", json_boolean(x->cached_keys));
        json_object_set_new(cfg, "smt_enabled", json_boolean(x->smt_enabled));
        json_object_set_new(o, "configuration", cfg);
    }
    return o;
}

/* The certificates of a type 4/5 PEM payload; problems are reported in the
 * object (the quote itself parsed, so `show` still shows it). */
static void add_certs(json_t *cd, const avow_quote *q)
{
    avow_der_blob *blobs = NULL;
    size_t n = 0;
    avow_error e;
    avow_error_clear(&e);
    if (avow_pem_split((const char *)q->cert_data, q->cert_data_len, "CERTIFICATE", &blobs, &n,
                       &e)) {
        json_object_set_new(cd, "chain_error", json_string(e.msg));
        return;
    }
    json_t *arr = json_array();
    avow_pck_ca ca = AVOW_PCK_CA_UNKNOWN;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "der_size", json_integer((json_int_t)blobs[i].len));
        avow_cert x;
        if (avow_cert_parse(blobs[i].der, blobs[i].len, &x, NULL) != AVOW_OK) {
            json_object_set_new(c, "error", json_string("not an X.509 certificate"));
        } else {
            char *s = avow_name_rfc2253(x.subject);
            char *is = avow_name_rfc2253(x.issuer);
            json_object_set_new(c, "subject", s ? json_string(s) : json_null());
            json_object_set_new(c, "issuer", is ? json_string(is) : json_null());
            if (i == 0) {
                char cn[256];
                avow_cert_text(x.issuer_cn, cn, sizeof(cn));
                ca = strstr(cn, "Processor CA")  ? AVOW_PCK_CA_PROCESSOR
                     : strstr(cn, "Platform CA") ? AVOW_PCK_CA_PLATFORM
                                                 : AVOW_PCK_CA_UNKNOWN;
            }
            free(s);
            free(is);
        }
        json_array_append_new(arr, c);
    }
    json_object_set_new(cd, "certificates", arr);
    avow_pck_ext ext;
    avow_error_clear(&e);
    if (avow_pck_ext_from_cert_der(blobs[0].der, blobs[0].len, &ext, &e) == AVOW_OK)
        json_object_set_new(cd, "pck", pck_json(&ext, ca));
    else
        json_object_set_new(cd, "pck_error", json_string(e.msg));
    avow_der_blobs_free(blobs, n);
}

static json_t *quote_json(const avow_quote *q)
{
    json_t *root = json_object();
    json_object_set_new(root, "size", json_integer((json_int_t)q->raw_len));

    json_t *h = json_object();
    json_object_set_new(h, "version", json_integer(q->version));
    json_object_set_new(h, "att_key_type", json_integer(q->att_key_type));
    json_object_set_new(h, "tee_type", json_integer(q->tee_type));
    json_object_set_new(h, "tee", json_string(avow_tee_name(q->tee_type)));
    json_object_set_new(h, "qe_svn", json_integer(q->qe_svn));
    json_object_set_new(h, "pce_svn", json_integer(q->pce_svn));
    json_object_set_new(h, "qe_vendor_id", json_hex(q->qe_vendor_id, 16));
    json_object_set_new(h, "user_data", json_hex(q->user_data, 20));
    json_object_set_new(h, "qe_id", json_hex(q->user_data, 16));
    json_object_set_new(root, "header", h);

    json_t *b = json_object();
    static const char *const body_names[] = {"", "sgx_report", "td_report_1.0", "td_report_1.5"};
    json_object_set_new(b, "type", json_integer(q->body_type));
    json_object_set_new(b, "type_name", json_string(body_names[q->body_type & 3]));
    json_object_set_new(b, "offset", json_integer((json_int_t)(q->body - q->raw)));
    json_object_set_new(b, "size", json_integer((json_int_t)q->body_len));
    json_object_set_new(root, "body", b);
    if (q->body_type == AVOW_BODY_SGX)
        json_object_set_new(root, "report", report_json(&q->report));
    else
        json_object_set_new(root, "td_report", td_report_json(q->body, q->body_len));
    json_object_set_new(root, "signed_size", json_integer((json_int_t)q->signed_len));

    json_t *a = json_object();
    json_object_set_new(a, "offset", json_integer((json_int_t)(q->signed_len + 4)));
    json_object_set_new(a, "size", json_integer(q->auth_data_size));
    json_object_set_new(a, "signature", json_hex(q->signature, 64));
    json_object_set_new(a, "attest_key", json_hex(q->attest_key, 64));
    json_object_set_new(a, "qe_report", report_json(&q->qe));
    json_object_set_new(a, "qe_report_signature", json_hex(q->qe_report_sig, 64));
    json_object_set_new(a, "qe_auth_data_size", json_integer(q->qe_auth_data_len));
    json_object_set_new(a, "qe_auth_data", json_hex(q->qe_auth_data, q->qe_auth_data_len));
    json_object_set_new(root, "auth_data", a);

    json_t *cd = json_object();
    json_object_set_new(cd, "outer_type", json_integer(q->outer_cert_type));
    json_object_set_new(cd, "outer_size", json_integer(q->outer_cert_size));
    json_object_set_new(cd, "type", json_integer(q->cert_type));
    json_object_set_new(cd, "type_name", json_string(avow_cert_type_name(q->cert_type)));
    json_object_set_new(cd, "offset", json_integer((json_int_t)(q->cert_data - q->raw)));
    json_object_set_new(cd, "size", json_integer(q->cert_data_len));
    avow_quote_pck_id id;
    if (q->cert_type == AVOW_CERT_PCK_LEAF || q->cert_type == AVOW_CERT_PCK_CHAIN) {
        add_certs(cd, q);
    } else if (avow_quote_get_pck_id(q, &id, NULL) == AVOW_OK) {
        json_t *p = json_object();
        json_object_set_new(p, id.ppid_len == 16 ? "ppid" : "encrypted_ppid",
                            json_hex(id.ppid, id.ppid_len));
        json_object_set_new(p, "cpusvn", json_hex(id.cpu_svn, 16));
        json_object_set_new(p, "pcesvn", json_integer(id.pce_svn));
        json_object_set_new(p, "pce_id", json_hex(id.pce_id, 2));
        json_object_set_new(cd, "pck_id", p);
    }
    json_object_set_new(root, "cert_data", cd);

    json_object_set_new(root, "end", json_integer((json_int_t)q->end));
    json_object_set_new(root, "trailing_len", json_integer((json_int_t)q->trailing_len));
    bool zero = true;
    for (size_t i = q->end; i < q->raw_len; i++)
        zero = zero && q->raw[i] == 0;
    json_object_set_new(root, "trailing_zero", json_boolean(zero));
    return root;
}

/* ---- text rendering of the JSON description ---------------------------- */

static void print_scalar(FILE *f, const json_t *v)
{
    switch (json_typeof(v)) {
        case JSON_STRING:
            fputs(json_string_value(v), f);
            break;
        case JSON_INTEGER:
            fprintf(f, "%lld", (long long)json_integer_value(v));
            break;
        case JSON_TRUE:
            fputs("true", f);
            break;
        case JSON_FALSE:
            fputs("false", f);
            break;
        case JSON_NULL:
            fputs("-", f);
            break;
        default:
            break;
    }
}

static void print_text(FILE *f, const json_t *o, int indent)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        if (json_is_object(v)) {
            fprintf(f, "%*s%s:\n", indent, "", key);
            print_text(f, v, indent + 2);
        } else if (json_is_array(v)) {
            size_t i;
            const json_t *it;
            if (json_array_size(v) && json_is_object(json_array_get(v, 0))) {
                fprintf(f, "%*s%s:\n", indent, "", key);
                json_array_foreach(v, i, it)
                {
                    fprintf(f, "%*s[%zu]\n", indent + 2, "", i);
                    print_text(f, it, indent + 4);
                }
            } else {
                fprintf(f, "%*s%-*s ", indent, "", 24 - indent, key);
                json_array_foreach(v, i, it)
                {
                    if (i) fputs(", ", f);
                    print_scalar(f, it);
                }
                fputc('\n', f);
            }
        } else {
            fprintf(f, "%*s%-*s ", indent, "", 24 - indent, key);
            print_scalar(f, v);
            fputc('\n', f);
        }
    }
}

enum { O_JSON = 1, O_ENCODING, O_ALLOW_TRAILING };

static const cli_option show_opts[] = {
    {O_JSON, "json", NULL, "print the quote as one JSON object"},
    {O_ENCODING, "encoding", "ENC", "auto|raw|hex|base64|base64url (default: auto, sniffed)"},
    {O_ALLOW_TRAILING, "allow-trailing", NULL,
     "accepted for old scripts; trailing bytes are always accepted and shown"},
    {0},
};

static const cli_positional show_args[] = {
    {"QUOTE", "the quote file, raw, hex or base64 (\"-\": standard input)"},
    {0},
};

static const cli_command show_cmd = {
    .path = "avow quote show",
    .usage = "QUOTE [options]",
    .about =
        "Prints every field of a DCAP quote: header, report body or TD report, auth data, "
        "QE report, certification data and the PCK certificate's SGX extension. Bad input "
        "names the field and byte offset (exit 2).",
    .args = show_args,
    .opts = {show_opts},
};

int cli_quote_show(int argc, char **argv)
{
    const char *path = NULL, *encoding = NULL, *v;
    bool as_json = false;
    cli_args a;
    cli_args_init(&a, &show_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_JSON:
                as_json = true;
                break;
            case O_ALLOW_TRAILING: /* no effect: trailing bytes are always accepted */
                break;
            case O_ENCODING:
                encoding = v;
                break;
            case CLI_ARG:
                path = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!path) return cli_usage_error(&show_cmd, "QUOTE is missing");

    uint8_t *buf;
    size_t len;
    if (!cli_read_binary(path, encoding, &buf, &len)) return CLI_USAGE;
    avow_quote q;
    avow_error e;
    avow_error_clear(&e);
    if (avow_quote_parse(buf, len, &q, &e)) {
        fprintf(stderr, "avow: %s: %s\n", path, e.msg);
        free(buf);
        return CLI_USAGE;
    }
    json_t *j = quote_json(&q);
    if (as_json) {
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        printf("quote %s: %zu bytes, version %u, %s\n", path, len, q.version,
               avow_tee_name(q.tee_type));
        print_text(stdout, j, 0);
    }
    json_decref(j);
    free(buf);
    return CLI_OK;
}
