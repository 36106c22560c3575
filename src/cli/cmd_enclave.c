/* `avow enclave`: SIGSTRUCT and MRENCLAVE.
 *   avow enclave show SIGSTRUCT [--json]
 *   avow enclave measure (IMAGE --layout FILE | IMAGE [--size N] [--ssaframesize N]
 *                         --pages "RANGE TYPE [unmeasured]"... | --sgxs FILE) [--json]
 *   avow enclave sign --key PEM --out SIGSTRUCT (--mrenclave HEX | IMAGE --layout FILE |
 *                     --sgxs FILE) [--isv-prod-id N] [--isv-svn N] [--attributes HEX]
 *                     [--xfrm HEX] [--attribute-mask HEX] [--xfrm-mask HEX]
 *                     [--misc-select N] [--misc-mask N] [--date YYYYMMDD] [--vendor N]
 *   avow enclave keygen --out PEM      (RSA-3072, e = 3)
 * Exit 0 ok, 1 a check failed (show: signature invalid), 2 unusable input.
 * Thread-safe: n/a (CLI). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avow/encode.h"
#include "avow/enclave.h"
#include "cli/cli.h"

enum {
    O_JSON = 1,
    /* what to measure (measure, sign) */
    O_LAYOUT,
    O_SGXS,
    O_SIZE,
    O_SSAFRAMESIZE,
    O_PAGES,
    /* sign, keygen */
    O_KEY,
    O_OUT,
    O_MRENCLAVE,
    O_ISV_PROD_ID,
    O_ISV_SVN,
    O_ATTRIBUTES,
    O_XFRM,
    O_ATTRIBUTE_MASK,
    O_XFRM_MASK,
    O_MISC_SELECT,
    O_MISC_MASK,
    O_DATE,
    O_VENDOR,
};

static const cli_option json_opt[] = {
    {O_JSON, "json", NULL, "print one JSON object"},
    {0},
};

static const cli_option measure_opts[] = {
    {O_LAYOUT, "layout", "FILE",
     "the page layout of IMAGE (lines as in --size, --ssaframesize, --pages, without the dashes)"},
    {O_SGXS, "sgxs", "FILE", "measure an SGXS stream instead of an image"},
    {O_SIZE, "size", "N", "SECS.SIZE, a power of two (default: the next one >= IMAGE)"},
    {O_SSAFRAMESIZE, "ssaframesize", "N", "SECS.SSAFRAMESIZE in pages (default 1)"},
    {O_PAGES, "pages", "SPEC",
     "\"FIRST[-LAST] TYPE [unmeasured]\": pages of IMAGE (numbered from 0) and their type, tcs, "
     "r, rw, rx, rwx or 0xFLAGS; unmeasured: EADD without EEXTEND (repeatable)"},
    {0},
};

static const cli_positional image_arg[] = {
    {"IMAGE", "the enclave image, its pages in order"},
    {0},
};

static const cli_positional sigstruct_arg[] = {
    {"SIGSTRUCT", "a SIGSTRUCT file (1808 bytes)"},
    {0},
};

static const cli_command show_cmd = {
    .path = "avow enclave show",
    .usage = "SIGSTRUCT [--json]",
    .about =
        "Prints every field of a SIGSTRUCT, its MRSIGNER and whether its signature is valid "
        "(exit 1 if not).",
    .args = sigstruct_arg,
    .opts = {json_opt},
};

static const cli_command measure_cmd = {
    .path = "avow enclave measure",
    .usage =
        "IMAGE --layout FILE [--json]\n"
        "IMAGE [--size N] [--ssaframesize N] --pages SPEC... [--json]\n"
        "--sgxs FILE [--json]",
    .about = "Computes MRENCLAVE from an image and its page layout, or from an SGXS stream.",
    .args = image_arg,
    .opts = {measure_opts, json_opt},
    .notes =
        "A layout file holds the same directives, one a line: 'size N', 'ssaframesize N', "
        "'pages FIRST[-LAST] TYPE [unmeasured]'.",
};

static const cli_option sign_opts[] = {
    {O_KEY, "key", "PEM", "the signer's RSA-3072 private key, e = 3 (required)"},
    {O_OUT, "out", "SIGSTRUCT", "where to write the SIGSTRUCT (required)"},
    {O_MRENCLAVE, "mrenclave", "HEX", "sign this measurement instead of measuring"},
    {O_ISV_PROD_ID, "isv-prod-id", "N", "ISVPRODID"},
    {O_ISV_SVN, "isv-svn", "N", "ISVSVN"},
    {O_ATTRIBUTES, "attributes", "HEX", "ATTRIBUTES.FLAGS (default 0x4, MODE64BIT)"},
    {O_XFRM, "xfrm", "HEX", "ATTRIBUTES.XFRM (default 0x3)"},
    {O_ATTRIBUTE_MASK, "attribute-mask", "HEX", "ATTRIBUTEMASK.FLAGS (default: debug allowed)"},
    {O_XFRM_MASK, "xfrm-mask", "HEX", "ATTRIBUTEMASK.XFRM (default 0)"},
    {O_MISC_SELECT, "misc-select", "N", "MISCSELECT"},
    {O_MISC_MASK, "misc-mask", "N", "MISCMASK"},
    {O_DATE, "date", "YYYYMMDD", "the DATE field"},
    {O_VENDOR, "vendor", "0|0x8086", "the VENDOR field"},
    {0},
};

static const cli_command sign_cmd = {
    .path = "avow enclave sign",
    .usage =
        "--key PEM --out SIGSTRUCT --mrenclave HEX [options]\n"
        "--key PEM --out SIGSTRUCT IMAGE --layout FILE [options]\n"
        "--key PEM --out SIGSTRUCT IMAGE [--size N] [--ssaframesize N] --pages SPEC... [options]\n"
        "--key PEM --out SIGSTRUCT --sgxs FILE [options]",
    .about =
        "Makes a SIGSTRUCT (RSA-3072 with Q1/Q2) for a measurement, given or measured as "
        "`avow enclave measure` does, and prints its MRENCLAVE and MRSIGNER.",
    .args = image_arg,
    .opts = {sign_opts, measure_opts},
};

static const cli_option keygen_opts[] = {
    {O_OUT, "out", "PEM", "where to write the key (never overwritten; mode 0600) (required)"},
    {0},
};

static const cli_command keygen_cmd = {
    .path = "avow enclave keygen",
    .usage = "--out PEM",
    .about = "Makes an enclave signing key: RSA-3072 with public exponent 3.",
    .opts = {keygen_opts},
};

static void hex_field(bool json, const char *name, const uint8_t *p, size_t n, bool last)
{
    char *h = malloc(2 * n + 1);
    if (!h) return;
    avow_hex_encode(p, n, h);
    if (json)
        printf("  \"%s\": \"%s\"%s\n", name, h, last ? "" : ",");
    else
        printf("%-20s %s\n", name, h);
    free(h);
}

static void num_field(bool json, const char *name, uint64_t v, bool hex)
{
    if (json)
        printf("  \"%s\": %" PRIu64 ",\n", name, v);
    else if (hex)
        printf("%-20s 0x%" PRIx64 "\n", name, v);
    else
        printf("%-20s %" PRIu64 "\n", name, v);
}

static int cmd_show(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    const char *v;
    cli_args args;
    cli_args_init(&args, &show_cmd, argc, argv);
    for (int o; (o = cli_next(&args, &v)) != CLI_END;) {
        if (o == O_JSON)
            json = true;
        else if (o == CLI_ARG)
            path = v;
        else
            return args.rc;
    }
    if (!path) return cli_usage_error(&show_cmd, "SIGSTRUCT is missing");
    uint8_t *raw;
    size_t len;
    if (!cli_read_file(path, &raw, &len)) return CLI_USAGE;
    avow_sigstruct ss;
    avow_error e;
    avow_error_clear(&e);
    avow_err rc = avow_sigstruct_parse(raw, len, &ss, &e);
    free(raw);
    if (rc) {
        cli_error(&e, "%s: not a valid SIGSTRUCT", path);
        return CLI_USAGE;
    }
    avow_error ve;
    avow_error_clear(&ve);
    bool valid = avow_sigstruct_verify(&ss, &ve) == AVOW_OK;
    uint8_t mrsigner[32];
    avow_sigstruct_mrsigner(&ss, mrsigner);
    if (json) printf("{\n");
    hex_field(json, "header", ss.header, 16, false);
    num_field(json, "vendor", ss.vendor, true);
    num_field(json, "date", ss.date, true);
    hex_field(json, "header2", ss.header2, 16, false);
    num_field(json, "swdefined", ss.swdefined, true);
    hex_field(json, "modulus", ss.modulus, sizeof ss.modulus, false);
    num_field(json, "exponent", ss.exponent, false);
    hex_field(json, "signature", ss.signature, sizeof ss.signature, false);
    num_field(json, "misc_select", ss.misc_select, true);
    num_field(json, "misc_mask", ss.misc_mask, true);
    num_field(json, "cet_attributes", ss.cet_attributes, true);
    num_field(json, "cet_attributes_mask", ss.cet_attributes_mask, true);
    hex_field(json, "isv_family_id", ss.isv_family_id, 16, false);
    uint8_t a[16];
    for (int i = 0; i < 8; i++)
        a[i] = (uint8_t)(ss.attr_flags >> (8 * i)), a[8 + i] = (uint8_t)(ss.attr_xfrm >> (8 * i));
    hex_field(json, "attributes", a, 16, false);
    num_field(json, "attributes_flags", ss.attr_flags, true);
    num_field(json, "attributes_xfrm", ss.attr_xfrm, true);
    for (int i = 0; i < 8; i++)
        a[i] = (uint8_t)(ss.attr_mask_flags >> (8 * i)),
        a[8 + i] = (uint8_t)(ss.attr_mask_xfrm >> (8 * i));
    hex_field(json, "attribute_mask", a, 16, false);
    hex_field(json, "enclave_hash", ss.enclave_hash, 32, false);
    hex_field(json, "isv_ext_prod_id", ss.isv_ext_prod_id, 16, false);
    num_field(json, "isv_prod_id", ss.isv_prod_id, false);
    num_field(json, "isv_svn", ss.isv_svn, false);
    hex_field(json, "q1", ss.q1, sizeof ss.q1, false);
    hex_field(json, "q2", ss.q2, sizeof ss.q2, false);
    hex_field(json, "mrenclave", ss.enclave_hash, 32, false);
    hex_field(json, "mrsigner", mrsigner, 32, false);
    bool debug_signed = (ss.header[15] & 0x80) != 0;
    if (json) {
        printf("  \"debug_signed\": %s,\n", debug_signed ? "true" : "false");
        printf("  \"signature_valid\": %s", valid ? "true" : "false");
        if (!valid) {
            printf(",\n  \"signature_error\": \"");
            for (const char *c = ve.msg; *c; c++)
                if (*c == '"' || *c == '\\')
                    printf("\\%c", *c);
                else if ((unsigned char)*c >= 0x20)
                    putchar(*c);
            printf("\"");
        }
        printf("\n}\n");
    } else {
        printf("%-20s %s\n", "debug_signed", debug_signed ? "yes" : "no");
        printf("%-20s %s%s%s\n", "signature_valid", valid ? "yes" : "NO", valid ? "" : ": ",
               valid ? "" : ve.msg);
    }
    return valid ? CLI_OK : CLI_FAIL;
}

/* Measurement input shared by measure and sign. */
typedef struct {
    const char *image, *layout_file, *sgxs, *size, *ssa;
    const char *pages[64];
    size_t n_pages;
} measure_args;

/* Takes option `id` (one of measure_opts) or the IMAGE argument: 1 taken, 0 not
 * one of them, -1 refused (message printed). */
static int measure_opt(int id, const char *v, measure_args *m)
{
    switch (id) {
        case O_LAYOUT:
            m->layout_file = v;
            return 1;
        case O_SGXS:
            m->sgxs = v;
            return 1;
        case O_SIZE:
            m->size = v;
            return 1;
        case O_SSAFRAMESIZE:
            m->ssa = v;
            return 1;
        case O_PAGES:
            return cli_append(m->pages, &m->n_pages, sizeof m->pages / sizeof m->pages[0],
                              "--pages", v)
                       ? 1
                       : -1;
        case CLI_ARG:
            m->image = v;
            return 1;
        default:
            return 0;
    }
}

static bool do_measure(const measure_args *m, uint8_t mr[32])
{
    avow_error e;
    avow_error_clear(&e);
    if (m->sgxs) {
        if (m->image || m->layout_file || m->n_pages) {
            fprintf(stderr, "avow: --sgxs measures a stream; no IMAGE, --layout or --pages\n");
            return false;
        }
        uint8_t *b;
        size_t n;
        if (!cli_read_file(m->sgxs, &b, &n)) return false;
        avow_err rc = avow_measure_sgxs(b, n, mr, &e);
        free(b);
        if (rc) cli_error(&e, "%s", m->sgxs);
        return rc == AVOW_OK;
    }
    if (!m->image || (!m->layout_file && !m->n_pages)) {
        fprintf(stderr, "avow: give IMAGE with --layout FILE or --pages, or --sgxs FILE\n");
        return false;
    }
    /* Build the layout text: the file, then the inline directives. */
    size_t cap = 64 * 1024, at = 0;
    char *text = malloc(cap);
    if (!text) return false;
    text[0] = '\0';
    if (m->layout_file) {
        uint8_t *b;
        size_t n;
        if (!cli_read_file(m->layout_file, &b, &n)) {
            free(text);
            return false;
        }
        if (n >= cap - 4096) {
            fprintf(stderr, "avow: %s: layout too large\n", m->layout_file);
            free(b);
            free(text);
            return false;
        }
        memcpy(text, b, n);
        at = n;
        text[at++] = '\n';
        free(b);
    }
    if (m->size) at += (size_t)snprintf(text + at, cap - at, "size %s\n", m->size);
    if (m->ssa) at += (size_t)snprintf(text + at, cap - at, "ssaframesize %s\n", m->ssa);
    for (size_t i = 0; i < m->n_pages && at < cap; i++)
        at += (size_t)snprintf(text + at, cap - at, "pages %s\n", m->pages[i]);
    if (at >= cap) {
        fprintf(stderr, "avow: layout too large\n");
        free(text);
        return false;
    }
    avow_layout *l = malloc(sizeof *l);
    uint8_t *img = NULL;
    size_t n = 0;
    bool ok = l && avow_layout_parse(text, at, l, &e) == AVOW_OK;
    if (l && !ok) cli_error(&e, "layout");
    if (ok) ok = cli_read_file(m->image, &img, &n);
    if (ok && avow_measure_image(img, n, l, mr, &e) != AVOW_OK) {
        cli_error(&e, "%s", m->image);
        ok = false;
    }
    free(img);
    free(l);
    free(text);
    return ok;
}

static int cmd_measure(int argc, char **argv)
{
    measure_args m = {0};
    bool json = false;
    const char *v;
    cli_args a;
    cli_args_init(&a, &measure_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        int r = measure_opt(o, v, &m);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        if (o != O_JSON) return a.rc;
        json = true;
    }
    uint8_t mr[32];
    if (!do_measure(&m, mr)) return CLI_USAGE;
    char h[65];
    avow_hex_encode(mr, 32, h);
    if (json)
        printf("{\"mrenclave\": \"%s\"}\n", h);
    else
        printf("%s\n", h);
    return CLI_OK;
}

static int cmd_sign(int argc, char **argv)
{
    measure_args m = {0};
    const char *key = NULL, *out = NULL, *mre = NULL, *v;
    avow_sigstruct ss;
    avow_sigstruct_init(&ss);
    ss.attr_flags = 0x4; /* MODE64BIT */
    ss.attr_xfrm = 0x3;
    ss.attr_mask_flags = ~(0x2ULL | 0x00FF000000000000ULL); /* SDK default: debug allowed */
    ss.attr_mask_xfrm = 0;
    cli_args a;
    cli_args_init(&a, &sign_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        uint64_t n;
        int r = measure_opt(o, v, &m);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        switch (o) {
            case O_KEY:
                key = v;
                break;
            case O_OUT:
                out = v;
                break;
            case O_MRENCLAVE:
                mre = v;
                break;
            case O_ISV_PROD_ID:
                if (!cli_parse_uint("--isv-prod-id", v, 0xffff, &n)) return CLI_USAGE;
                ss.isv_prod_id = (uint16_t)n;
                break;
            case O_ISV_SVN:
                if (!cli_parse_uint("--isv-svn", v, 0xffff, &n)) return CLI_USAGE;
                ss.isv_svn = (uint16_t)n;
                break;
            case O_ATTRIBUTES:
                if (!cli_parse_uint("--attributes", v, UINT64_MAX, &ss.attr_flags))
                    return CLI_USAGE;
                break;
            case O_XFRM:
                if (!cli_parse_uint("--xfrm", v, UINT64_MAX, &ss.attr_xfrm)) return CLI_USAGE;
                break;
            case O_ATTRIBUTE_MASK:
                if (!cli_parse_uint("--attribute-mask", v, UINT64_MAX, &ss.attr_mask_flags))
                    return CLI_USAGE;
                break;
            case O_XFRM_MASK:
                if (!cli_parse_uint("--xfrm-mask", v, UINT64_MAX, &ss.attr_mask_xfrm))
                    return CLI_USAGE;
                break;
            case O_MISC_SELECT:
                if (!cli_parse_uint("--misc-select", v, UINT32_MAX, &n)) return CLI_USAGE;
                ss.misc_select = (uint32_t)n;
                break;
            case O_MISC_MASK:
                if (!cli_parse_uint("--misc-mask", v, UINT32_MAX, &n)) return CLI_USAGE;
                ss.misc_mask = (uint32_t)n;
                break;
            case O_DATE:
                /* YYYYMMDD written as hex digits: 20230414 -> 0x20230414 */
                if (strlen(v) != 8 || strspn(v, "0123456789") != 8) {
                    fprintf(stderr, "avow: --date: YYYYMMDD\n");
                    return CLI_USAGE;
                }
                ss.date = (uint32_t)strtoul(v, NULL, 16);
                break;
            case O_VENDOR:
                if (!cli_parse_uint("--vendor", v, UINT32_MAX, &n)) return CLI_USAGE;
                if (n != 0 && n != 0x8086) {
                    fprintf(stderr, "avow: --vendor: 0 or 0x8086\n");
                    return CLI_USAGE;
                }
                ss.vendor = (uint32_t)n;
                break;
            default:
                return a.rc;
        }
    }
    if (!key || !out) {
        fprintf(stderr, "avow: --key PEM and --out SIGSTRUCT are required\n");
        return CLI_USAGE;
    }
    avow_error e;
    avow_error_clear(&e);
    if (mre) {
        if (m.image || m.sgxs || m.layout_file) {
            fprintf(stderr, "avow: --mrenclave excludes an image or stream to measure\n");
            return CLI_USAGE;
        }
        if (avow_hex_decode_fixed(mre, strlen(mre), ss.enclave_hash, 32, &e) != AVOW_OK) {
            cli_error(&e, "--mrenclave: 32 bytes of hex");
            return CLI_USAGE;
        }
    } else if (!do_measure(&m, ss.enclave_hash)) {
        return CLI_USAGE;
    }
    uint8_t *pem;
    size_t pem_len;
    if (!cli_read_file(key, &pem, &pem_len)) return CLI_USAGE;
    avow_err rc = avow_sigstruct_sign(&ss, (const char *)pem, pem_len, &e);
    avow_wipe(pem, pem_len);
    free(pem);
    if (rc) {
        cli_error(&e, "%s", key);
        return CLI_USAGE;
    }
    uint8_t raw[AVOW_SIGSTRUCT_SIZE];
    avow_sigstruct_serialize(&ss, raw);
    if (!cli_write_file(out, raw, sizeof raw)) return CLI_USAGE;
    uint8_t mrs[32];
    char h1[65], h2[65];
    avow_sigstruct_mrsigner(&ss, mrs);
    avow_hex_encode(ss.enclave_hash, 32, h1);
    avow_hex_encode(mrs, 32, h2);
    printf("%s: mrenclave %s mrsigner %s\n", out, h1, h2);
    return CLI_OK;
}

static int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL, *v;
    cli_args a;
    cli_args_init(&a, &keygen_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (o != O_OUT) return a.rc;
        out = v;
    }
    if (!out) {
        fprintf(stderr, "avow: --out PEM is required\n");
        return CLI_USAGE;
    }
    char *pem;
    size_t n;
    avow_error e;
    avow_error_clear(&e);
    if (avow_rsa3072_generate_pem(&pem, &n, &e)) {
        cli_error(&e, "keygen");
        return CLI_USAGE;
    }
    FILE *f = fopen(out, "wx"); /* never overwrite a key */
    bool ok = f && fchmod(fileno(f), 0600) == 0 && fwrite(pem, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) fprintf(stderr, "avow: %s: %s\n", out, strerror(errno));
    avow_wipe(pem, n);
    free(pem);
    return ok ? CLI_OK : CLI_USAGE;
}

int cli_enclave(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"show", cmd_show, "print a SIGSTRUCT's fields, MRSIGNER and signature validity"},
        {"measure", cmd_measure, "compute MRENCLAVE from an image and layout, or an SGXS stream"},
        {"sign", cmd_sign, "make a SIGSTRUCT (RSA-3072, e = 3)"},
        {"keygen", cmd_keygen, "make an enclave signing key (RSA-3072, e = 3)"},
        {0},
    };
    static const cli_group g = {"avow enclave", "SIGSTRUCTs and MRENCLAVE.", subs};
    return cli_dispatch(&g, argc, argv);
}
