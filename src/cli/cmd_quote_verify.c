/* `avow quote verify QUOTE --collateral FILE|DIR [--at UNIX|RFC3339]
 * [--root PEM]... [--allow-missing-crl] [--json] [--encoding ...]`:
 * verifies a DCAP quote offline (SGX or TDX). Human output: verdict, status,
 * advisories, a line of Intel's supplemental data, then the trace as a
 * checklist; --json: the object of docs/design.md (`report` for SGX quotes,
 * `td` for TD quotes, `supplemental`).
 * Exit 0 ok, 1 fail, 2 unusable input or arguments. Thread-safe: n/a (CLI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral.h"
#include "avow/quote.h"
#include "avow/verify.h"
#include "cli/cli.h"
#include "verify/result_json.h"

int cli_quote_verify(int argc, char **argv);

enum { O_COLLATERAL = 1, O_AT, O_ROOT, O_ALLOW_MISSING_CRL, O_JSON, O_ENCODING };

static const cli_option verify_opts[] = {
    {O_COLLATERAL, "collateral", "FILE|DIR",
     "Intel collateral: a dcap-qvl JSON bundle or a folder of PCS responses (required)"},
    {O_AT, "at", "UNIX|RFC3339", "the verification time (default: now)"},
    {O_ROOT, "root", "PEM", "trust this root CA too, besides Intel's (repeatable)"},
    {O_ALLOW_MISSING_CRL, "allow-missing-crl", NULL,
     "accept collateral without CRLs (revocation is then not checked)"},
    {O_JSON, "json", NULL, "print one JSON object (docs/design.md)"},
    {O_ENCODING, "encoding", "ENC", "auto|raw|hex|base64|base64url (default: auto, sniffed)"},
    {0},
};

static const cli_positional verify_args[] = {
    {"QUOTE", "the quote file (SGX v3/v4, TDX v4/v5), raw, hex or base64 (\"-\": stdin)"},
    {0},
};

static const cli_command verify_cmd = {
    .path = "avow quote verify",
    .usage = "QUOTE --collateral FILE|DIR [options]",
    .about =
        "Verifies a DCAP quote offline as Intel's QVL does and prints the verdict, the TCB "
        "status, the advisories and every check. Exit 0 verdict ok, 1 verdict fail, 2 "
        "unusable input or arguments.",
    .args = verify_args,
    .opts = {verify_opts},
};

static void print_human(const avow_verify_result *r)
{
    printf("verdict: %s\n", r->ok ? "ok" : "FAIL");
    const char *st = avow_tcb_status_name(r->status);
    printf("status: %s (%s)\n", st ? st : "none", avow_qv_result_name(r->result_code));
    printf("advisories:");
    if (!r->n_advisory_ids) printf(" none");
    for (size_t i = 0; i < r->n_advisory_ids; i++)
        printf(" %s", r->advisory_ids[i]);
    printf("\n");
    if (!r->ok) printf("reason: %s\n", r->reason);
    if (r->collateral_expired) printf("collateral: EXPIRED at the verification time\n");
    if (r->crl_missing) printf("CRLs: missing, revocation checks skipped (--allow-missing-crl)\n");
    if (r->simulated_root) printf("root: SIMULATED / not Intel's\n");
    if (r->debug) printf("%s: DEBUG\n", r->is_td ? "TD" : "enclave");
    const avow_supplemental *s = &r->supplemental;
    if (s->valid) { /* docs/verification.md A10; all of it with --json */
        char tag[21], exp[21];
        avow_time_format(s->tcb_level_date_tag, tag);
        avow_time_format(s->earliest_expiration_date, exp);
        printf(
            "supplemental: tcb_level_date_tag %s, tcb_eval_ref_num %u, "
            "earliest_expiration_date %s, collateral_expiration_status %u\n",
            tag, s->tcb_eval_ref_num, exp, s->collateral_expiration_status);
    }
    printf("checks:\n");
    for (size_t i = 0; i < r->trace.count; i++) {
        const avow_trace_entry *e = &r->trace.entries[i];
        printf("  [%s] %-24s %s\n", e->pass ? "ok" : "FAIL", e->step, e->detail);
    }
}

int cli_quote_verify(int argc, char **argv)
{
    const char *quote_path = NULL, *coll_path = NULL, *at_s = NULL, *encoding = NULL, *v;
    const char *roots[16];
    size_t n_roots = 0;
    bool json = false;
    avow_verify_opts opts = {0};
    cli_args a;
    cli_args_init(&a, &verify_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_JSON:
                json = true;
                break;
            case O_ALLOW_MISSING_CRL:
                opts.allow_missing_crl = true;
                break;
            case O_COLLATERAL:
                coll_path = v;
                break;
            case O_AT:
                at_s = v;
                break;
            case O_ENCODING:
                encoding = v;
                break;
            case O_ROOT:
                if (!cli_append(roots, &n_roots, sizeof roots / sizeof roots[0], "--root", v))
                    return CLI_USAGE;
                break;
            case CLI_ARG:
                quote_path = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!quote_path) return cli_usage_error(&verify_cmd, "QUOTE is missing");
    if (!coll_path) return cli_usage_error(&verify_cmd, "--collateral is missing");
    avow_error e;
    avow_error_clear(&e);
    opts.at = avow_time_now();
    if (at_s && avow_time_parse(at_s, &opts.at, &e) != AVOW_OK) {
        cli_error(&e, "--at '%s'", at_s);
        return CLI_USAGE;
    }

    int rc = CLI_USAGE;
    cli_evidence ev = {0};
    avow_verify_result r;
    avow_verify_result_init(&r);
    if (!cli_load_evidence(quote_path, encoding, coll_path, roots, n_roots, &ev)) goto done;
    uint8_t *quote = ev.quote;
    size_t qlen = ev.quote_len;
    avow_verifier *ver = ev.verifier;
    avow_err vrc = avow_verify_quote(ver, quote, qlen, &ev.coll, &opts, &r);
    if (vrc != AVOW_OK && r.err == AVOW_ERR_FORMAT) {
        /* the quote does not parse: unusable input */
        if (json) {
            json_t *o = avow_verify_result_json(&r);
            if (o) {
                json_dumpf(o, stdout, JSON_INDENT(2));
                printf("\n");
                json_decref(o);
            }
        }
        fprintf(stderr, "avow: %s: %s\n", quote_path, r.reason);
        goto done;
    }
    if (vrc != AVOW_OK) {
        fprintf(stderr, "avow: %s\n", r.reason);
        goto done;
    }
    if (json) {
        json_t *o = avow_verify_result_json(&r);
        if (!o) {
            fprintf(stderr, "avow: out of memory\n");
            goto done;
        }
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
    } else {
        print_human(&r);
    }
    rc = r.ok ? CLI_OK : CLI_FAIL;
done:
    avow_verify_result_free(&r);
    cli_evidence_free(&ev);
    return rc;
}
