/* `avow policy`: MAA appraisal policies.
 *   avow policy check FILE
 *   avow policy eval FILE --quote Q --collateral C [--at T] [--root PEM]...
 *                    [--type SgxEnclave|OpenEnclave|TdxVm]
 *                    [--allow-missing-crl] [--runtime-data F | --runtime-json F]
 *                    [--init-time-data F | --init-time-json F] [--nonce S] [--json]
 *   avow policy sign FILE --key K --cert C | --unsigned  [--iat T | --no-iat]
 *   avow policy sign-cert-request add|remove CERT --key K --cert C [--iat T]
 *   avow policy hash FILE
 * check: "ok" and exit 0, or "FILE:line:col: message" and exit 2.
 * eval: the attestation avowd performs for the same request (attest.h: the
 * data bound to the quote, verification, incoming claims, the decision, and
 * the token's claims less iss, iat, nbf, exp, jti); exit 0 on permit, 1 on
 * deny (including evidence that fails verification), 2 on unusable input. sign and
 * sign-cert-request write "iat" (now, or --iat) into the payload: avowd refuses a request older
 * than the newest one it accepted (docs/security.md "Policy management"). Thread-safe: n/a (CLI).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/attest.h"
#include "avow/claims.h"
#include "avow/collateral.h"
#include "avow/encode.h"
#include "avow/policy.h"
#include "avow/token.h"
#include "avow/verify.h"
#include "cli/cli.h"
#include "verify/result_json.h"

enum {
    O_QUOTE = 1,
    O_COLLATERAL,
    O_AT,
    O_ROOT,
    O_ALLOW_MISSING_CRL,
    O_RUNTIME_DATA,
    O_RUNTIME_JSON,
    O_INIT_TIME_DATA,
    O_INIT_TIME_JSON,
    O_NONCE,
    O_TYPE,
    O_JSON,
    O_KEY,
    O_CERT,
    O_IAT,
    O_UNSIGNED,
    O_NO_IAT,
};

static const cli_positional file_arg[] = {
    {"FILE", "the policy text (MAA policy language 1.0-1.2)"},
    {0},
};

static const cli_command check_cmd = {
    .path = "avow policy check",
    .usage = "FILE",
    .about = "Compiles a policy: prints \"ok\" (exit 0), or \"FILE:line:col: message\" (exit 2).",
    .args = file_arg,
};

static const cli_command hash_cmd = {
    .path = "avow policy hash",
    .usage = "FILE",
    .about = "Prints the policy's hash as the token's x-ms-policy-hash claim carries it.",
    .args = file_arg,
};

static const cli_option eval_opts[] = {
    {O_QUOTE, "quote", "Q", "the quote, raw, hex or base64 (required)"},
    {O_COLLATERAL, "collateral", "FILE|DIR", "its collateral (required)"},
    {O_AT, "at", "UNIX|RFC3339", "the verification time (default: now)"},
    {O_ROOT, "root", "PEM", "trust this root CA too, besides Intel's (repeatable)"},
    {O_ALLOW_MISSING_CRL, "allow-missing-crl", NULL, "accept collateral without CRLs"},
    {O_RUNTIME_DATA, "runtime-data", "F",
     "runtimeData, binary: SHA-256 of its bytes must be REPORTDATA[0..32]"},
    {O_RUNTIME_JSON, "runtime-json", "F",
     "runtimeData as a JSON object (bound the same way; claim x-ms-runtime)"},
    {O_INIT_TIME_DATA, "init-time-data", "F",
     "initTimeData, binary: SHA-256 of its bytes must be CONFIGID[0..32] (a TD's MRCONFIGID)"},
    {O_INIT_TIME_JSON, "init-time-json", "F",
     "initTimeData as a JSON object (bound the same way; claim x-ms-inittime)"},
    {O_NONCE, "nonce", "S", "the request's nonce (claim nonce)"},
    {O_TYPE, "type", "SgxEnclave|OpenEnclave|TdxVm",
     "the route /attest/{type} replayed (default: the quote's TEE, SgxEnclave or TdxVm)"},
    {O_JSON, "json", NULL, "print one JSON object (decision, rule, claims, verdict, token claims)"},
    {0},
};

static const cli_positional eval_arg[] = {
    {"FILE", "the policy: its text, or a policy JWS as `avow policy sign` makes it"},
    {0},
};

static const cli_command eval_cmd = {
    .path = "avow policy eval",
    .usage = "FILE --quote Q --collateral FILE|DIR [options]",
    .about =
        "Runs the attestation avowd performs for the same request: binds the data to the "
        "quote, verifies it, mints the incoming claims and evaluates the policy; prints the "
        "claims, the decision and the rule that made it, the issued claims and the token's "
        "claims (less iss, iat, nbf, exp, jti). Exit 0 permit, 1 deny (also for evidence that "
        "fails verification), 2 unusable input.",
    .args = eval_arg,
    .opts = {eval_opts},
};

static const cli_option signer_opts[] = {
    {O_KEY, "key", "KEY.pem", "the policy signer's private key"},
    {O_CERT, "cert", "CERT.pem", "the policy signer's certificate (sent as x5c)"},
    {O_IAT, "iat", "UNIX|RFC3339", "the signing time written as \"iat\" (default: now)"},
    {0},
};

static const cli_option sign_opts_table[] = {
    {O_UNSIGNED, "unsigned", NULL, "an unsigned JWS (alg none), for token mode"},
    {O_NO_IAT, "no-iat", NULL, "no \"iat\": MAA's own form, without rollback protection"},
    {0},
};

static const cli_command sign_cmd = {
    .path = "avow policy sign",
    .usage =
        "FILE --key KEY.pem --cert CERT.pem [--iat T | --no-iat]\n"
        "FILE --unsigned [--iat T | --no-iat]",
    .about =
        "Prints a JWS for PUT /policies/{type}: {\"AttestationPolicy\", \"iat\"}, signed "
        "(RS256, x5c) by a policy signer's key (isolated mode needs that and the admin "
        "bearer token). The policy must compile.",
    .args = file_arg,
    .opts = {signer_opts, sign_opts_table},
    .notes =
        "\"iat\" is the signing time: avowd refuses a policy whose iat is older than the "
        "newest it accepted for that type, so a captured older policy cannot be put back "
        "(rollback). --no-iat writes MAA's own form, which avowd cannot protect that way.",
};

static const cli_positional cert_request_args[] = {
    {"add|remove", "the operation"},
    {"CERT.pem", "the policy-signer certificate to add or remove"},
    {0},
};

static const cli_command cert_request_cmd = {
    .path = "avow policy sign-cert-request",
    .usage = "add|remove CERT.pem --key KEY.pem --cert SIGNER.pem [--iat T]",
    .about =
        "Prints a JWS for POST /certificates:add or :remove naming its operation and iat, "
        "signed by a current policy signer: avowd refuses it at the other route, or when "
        "older than the last certificate change it accepted.",
    .args = cert_request_args,
    .opts = {signer_opts},
};

/* Compiles a policy text read from `path`; on error prints path:line:col:
 * message. The policy is named as avowd names a stored one ("policy <hash>"),
 * so that reasons read the same in both. */
static avow_policy *compile_text(const char *path, const uint8_t *text, size_t len)
{
    avow_policy *p = NULL;
    avow_policy_diag d;
    if (avow_policy_compile((const char *)text, len, NULL, &p, &d) != AVOW_OK) {
        fprintf(stderr, d.line ? "%s:%s\n" : "%s: %s\n", path, d.msg);
        p = NULL;
    }
    return p;
}

/* Compiles FILE; on error prints FILE:line:col: message. */
static avow_policy *load_policy(const char *path)
{
    uint8_t *text;
    size_t len;
    if (!cli_read_file(path, &text, &len)) return NULL;
    avow_policy *p = compile_text(path, text, len);
    free(text);
    return p;
}

/* Reads the FILE of check and hash, which take no option; NULL after printing
 * the help or an error (*rc the exit code). */
static const char *file_only(const cli_command *cmd, int argc, char **argv, int *rc)
{
    const char *file = NULL, *v;
    cli_args a;
    cli_args_init(&a, cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (o != CLI_ARG) {
            *rc = a.rc;
            return NULL;
        }
        file = v;
    }
    if (!file) *rc = cli_usage_error(cmd, "FILE is missing");
    return file;
}

static int cmd_check(int argc, char **argv)
{
    int rc;
    const char *file = file_only(&check_cmd, argc, argv, &rc);
    if (!file) return rc;
    avow_policy *p = load_policy(file);
    if (!p) return CLI_USAGE;
    printf("ok\n");
    avow_policy_free(p);
    return CLI_OK;
}

static int cmd_hash(int argc, char **argv)
{
    int rc;
    const char *file = file_only(&hash_cmd, argc, argv, &rc);
    if (!file) return rc;
    uint8_t *text;
    size_t len;
    if (!cli_read_file(file, &text, &len)) return CLI_USAGE;
    char h[AVOW_POLICY_HASH_LEN];
    avow_err e = avow_policy_hash((const char *)text, len, h);
    free(text);
    if (e) return CLI_USAGE;
    printf("%s\n", h);
    return CLI_OK;
}

/* --iat T (unix seconds or RFC 3339) into *iat; false after printing why. */
static bool parse_iat(const char *s, int64_t *iat)
{
    avow_error e;
    avow_error_clear(&e);
    avow_time t;
    if (avow_time_parse(s, &t, &e) != AVOW_OK || t < 0) {
        cli_error(&e, "--iat '%s'", s);
        return false;
    }
    *iat = t;
    return true;
}

/* The options sign and sign-cert-request share (signer_opts): 1 taken, 0 not
 * one of them, -1 a bad value (message printed). */
typedef struct {
    const char *key_path, *cert_path;
    int64_t iat;
} sign_opts;

static int sign_opt(int id, const char *v, sign_opts *o)
{
    switch (id) {
        case O_IAT:
            return parse_iat(v, &o->iat) ? 1 : -1;
        case O_KEY:
            o->key_path = v;
            return 1;
        case O_CERT:
            o->cert_path = v;
            return 1;
        default:
            return 0;
    }
}

static int cmd_sign(int argc, char **argv)
{
    const char *file = NULL;
    bool unsigned_ = false;
    sign_opts o = {NULL, NULL, avow_time_now()};
    const char *v;
    cli_args a;
    cli_args_init(&a, &sign_cmd, argc, argv);
    for (int id; (id = cli_next(&a, &v)) != CLI_END;) {
        int h = sign_opt(id, v, &o);
        if (h < 0) return CLI_USAGE;
        if (h) continue;
        if (id == O_UNSIGNED)
            unsigned_ = true;
        else if (id == O_NO_IAT)
            o.iat = -1;
        else if (id == CLI_ARG)
            file = v;
        else
            return a.rc;
    }
    const char *key_path = o.key_path, *cert_path = o.cert_path;
    int64_t iat = o.iat;
    if (!file || (!unsigned_ && (!key_path || !cert_path)) ||
        (unsigned_ && (key_path || cert_path)))
        return cli_usage_error(&sign_cmd, !file       ? "FILE is missing"
                                          : unsigned_ ? "--unsigned takes no --key or --cert"
                                                      : "--key and --cert are required");
    int rc = CLI_USAGE;
    uint8_t *text = NULL, *key = NULL, *cert = NULL;
    size_t len, kl, cl;
    char *jws = NULL;
    avow_error e;
    avow_error_clear(&e);
    avow_policy *p = load_policy(file); /* never sign a policy that does not compile */
    if (!p) goto done;
    if (!cli_read_file(file, &text, &len)) goto done;
    if (!unsigned_ &&
        (!cli_read_file(key_path, &key, &kl) || !cli_read_file(cert_path, &cert, &cl)))
        goto done;
    if (avow_policy_jws_build((const char *)text, len, (const char *)key, (const char *)cert, iat,
                              &jws, &e) != AVOW_OK) {
        cli_error(&e, "policy sign");
        goto done;
    }
    printf("%s\n", jws);
    rc = CLI_OK;
done:
    avow_policy_free(p);
    if (key) avow_wipe(key, kl);
    free(text);
    free(key);
    free(cert);
    free(jws);
    return rc;
}

static int cmd_sign_cert_request(int argc, char **argv)
{
    const char *op_s = NULL, *target = NULL;
    sign_opts o = {NULL, NULL, avow_time_now()};
    const char *v;
    cli_args a;
    cli_args_init(&a, &cert_request_cmd, argc, argv);
    for (int id; (id = cli_next(&a, &v)) != CLI_END;) {
        int h = sign_opt(id, v, &o);
        if (h < 0) return CLI_USAGE;
        if (h) continue;
        if (id != CLI_ARG) return a.rc;
        if (!op_s)
            op_s = v;
        else
            target = v;
    }
    const char *key_path = o.key_path, *cert_path = o.cert_path;
    int64_t iat = o.iat;
    if (!op_s || (strcmp(op_s, "add") && strcmp(op_s, "remove")) || !target || !key_path ||
        !cert_path)
        return cli_usage_error(&cert_request_cmd,
                               op_s && strcmp(op_s, "add") && strcmp(op_s, "remove")
                                   ? "the operation is add or remove"
                                   : "add|remove, CERT.pem, --key and --cert are required");
    avow_cert_op op = !strcmp(op_s, "add") ? AVOW_CERT_OP_ADD : AVOW_CERT_OP_REMOVE;
    int rc = CLI_USAGE;
    uint8_t *tgt = NULL, *key = NULL, *cert = NULL;
    size_t tl, kl = 0, cl;
    char *jws = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (!cli_read_file(target, &tgt, &tl) || !cli_read_file(key_path, &key, &kl) ||
        !cli_read_file(cert_path, &cert, &cl))
        goto done;
    if (avow_cert_request_build((const char *)tgt, op, iat, (const char *)key, (const char *)cert,
                                &jws, &e) != AVOW_OK) {
        cli_error(&e, "policy sign-cert-request");
        goto done;
    }
    printf("%s\n", jws);
    rc = CLI_OK;
done:
    if (key) avow_wipe(key, kl);
    free(tgt);
    free(key);
    free(cert);
    free(jws);
    return rc;
}

/* ---- eval ---------------------------------------------------------------- */

static void print_claim(const avow_claim *c)
{
    printf("  %s = ", c->type);
    switch (c->value.kind) {
        case AVOW_CLAIM_STRING:
            printf("\"%s\"", c->value.str);
            break;
        case AVOW_CLAIM_INTEGER:
            printf("%lld", (long long)c->value.integer);
            break;
        case AVOW_CLAIM_BOOLEAN:
            printf("%s", c->value.boolean ? "true" : "false");
            break;
        case AVOW_CLAIM_JSON:
            printf("%s", c->value.str);
            break;
    }
    printf("  (%s)\n", avow_claim_issuer_name(c->issuer));
}

static void print_claims(const char *title, const avow_claims *cs)
{
    printf("%s:\n", title);
    if (!cs || !avow_claims_count(cs)) printf("  (none)\n");
    for (size_t i = 0; cs && i < avow_claims_count(cs); i++)
        print_claim(avow_claims_at(cs, i));
}

static json_t *claims_json_obj(const avow_claims *cs)
{
    if (!cs) return json_object();
    char *s = NULL;
    if (avow_claims_to_json(cs, &s, NULL) != AVOW_OK) return json_null();
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    return j ? j : json_null();
}

typedef struct {
    const char *policy_path, *quote_path, *coll_path, *at_s, *nonce, *type;
    const char *rd_path, *rj_path, *id_path,
        *ij_path; /* runtime / init-time data, binary or JSON */
    const char *roots[16];
    size_t n_roots;
    bool json, allow_missing_crl;
} eval_args;

/* Prints the attestation: the decision, the deciding rule, the reason, the
 * incoming, issued and property claims, the verification, and the claims
 * avowd would sign (all but iss, iat, nbf, exp, jti). */
static int emit(const eval_args *a, const avow_attestation *at)
{
    bool permit = at->outcome == AVOW_ATTEST_PERMITTED;
    const avow_policy_result *pr = at->policy_hash[0] ? &at->policy : NULL;
    const avow_verify_result *vr = at->verified ? &at->verify : NULL;
    if (a->json) {
        json_t *o = json_object();
        json_object_set_new(o, "decision", json_string(permit ? "permit" : "deny"));
        if (pr && pr->section != AVOW_SECTION_NONE)
            json_object_set_new(
                o, "rule",
                json_pack("{s:s,s:I,s:i,s:i}", "section", avow_policy_section_name(pr->section),
                          "index", (json_int_t)pr->rule_index, "line", pr->line, "column",
                          pr->col));
        else
            json_object_set_new(o, "rule", json_null());
        if (!permit) json_object_set_new(o, "reason", json_string(at->reason));
        json_object_set_new(o, "incoming", claims_json_obj(at->incoming));
        json_object_set_new(o, "issued", claims_json_obj(pr ? pr->issued : NULL));
        json_object_set_new(o, "properties", claims_json_obj(pr ? pr->properties : NULL));
        json_t *v = vr ? avow_verify_result_json(vr) : NULL;
        json_object_set_new(o, "verdict", v ? v : json_null());
        json_object_set_new(o, "token_claims", permit ? claims_json_obj(at->token) : json_null());
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
    } else {
        if (vr) {
            const char *st = avow_tcb_status_name(vr->status);
            printf("evidence: %s (status %s)\n", vr->ok ? "ok" : "FAIL", st ? st : "none");
        }
        print_claims("incoming claims", at->incoming);
        printf("decision: %s\n", permit ? "permit" : "deny");
        if (pr && pr->section != AVOW_SECTION_NONE)
            printf("rule: %s rule %zu at %d:%d\n", avow_policy_section_name(pr->section),
                   pr->rule_index + 1, pr->line, pr->col);
        if (!permit) printf("reason: %s\n", at->reason);
        if (pr) {
            print_claims("issued claims", pr->issued);
            print_claims("properties", pr->properties);
        }
        if (permit) print_claims("token claims (less iss, iat, nbf, exp, jti)", at->token);
    }
    /* deny for anything the evidence or the policy refused; unusable when the
     * quote could not even be read or the attestation could not be run */
    return permit                                                 ? CLI_OK
           : !at->have_quote || at->outcome == AVOW_ATTEST_FAILED ? CLI_USAGE
                                                                  : CLI_FAIL;
}

/* --runtime-data/--runtime-json FILE into MAA's runtimeData (or initTimeData). */
static bool load_data(const char *bin, const char *json_path, const char *what, avow_attest_data *d)
{
    const char *path = bin ? bin : json_path;
    if (!path) return true;
    if (!cli_read_file(path, &d->data, &d->len)) return false;
    d->present = true;
    if (!json_path) return true;
    json_error_t je;
    json_t *doc = json_loadb((const char *)d->data, d->len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        fprintf(stderr, "avow: %s %s: not a JSON object%s%s\n", what, path, doc ? "" : ": ",
                doc ? "" : je.text);
        json_decref(doc);
        return false;
    }
    d->is_json = true;
    d->json = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return d->json != NULL;
}

/* The policy to evaluate: a policy text, or a policy JWS as PUT to avowd
 * (`avow policy sign`; its signature is checked against its own x5c), whose
 * signer then appears as x-ms-policy-signer, as avowd puts it. */
static bool load_eval_policy(const char *path, avow_policy **p, char **signer_jwk)
{
    uint8_t *b;
    size_t len;
    if (!cli_read_file(path, &b, &len)) return false;
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == '"'))
        i++;
    if (len - i < 3 || memcmp(b + i, "eyJ", 3)) { /* not a JWS: the policy text */
        *p = compile_text(path, b, len);
        free(b);
        return *p != NULL;
    }
    avow_policy_upload u;
    memset(&u, 0, sizeof(u));
    avow_error e;
    avow_error_clear(&e);
    avow_err rc = avow_policy_upload_parse(b, len, AVOW_POLICY_MODE_AAD, NULL, &u, &e);
    free(b);
    if (rc == AVOW_OK && u.signer_pem)
        rc = avow_jwk_from_cert((const uint8_t *)u.signer_pem, strlen(u.signer_pem), true,
                                signer_jwk, &e);
    if (rc == AVOW_OK) {
        *p = u.policy;
        u.policy = NULL;
    } else {
        cli_error(&e, "%s", path);
    }
    avow_policy_upload_free(&u);
    return rc == AVOW_OK;
}

static int cmd_eval(int argc, char **argv)
{
    eval_args a = {0};
    const char *v;
    cli_args args;
    cli_args_init(&args, &eval_cmd, argc, argv);
    for (int o; (o = cli_next(&args, &v)) != CLI_END;) {
        switch (o) {
            case O_JSON:
                a.json = true;
                break;
            case O_ALLOW_MISSING_CRL:
                a.allow_missing_crl = true;
                break;
            case O_QUOTE:
                a.quote_path = v;
                break;
            case O_COLLATERAL:
                a.coll_path = v;
                break;
            case O_AT:
                a.at_s = v;
                break;
            case O_RUNTIME_DATA:
                a.rd_path = v;
                break;
            case O_RUNTIME_JSON:
                a.rj_path = v;
                break;
            case O_INIT_TIME_DATA:
                a.id_path = v;
                break;
            case O_INIT_TIME_JSON:
                a.ij_path = v;
                break;
            case O_NONCE:
                a.nonce = v;
                break;
            case O_TYPE:
                a.type = v;
                break;
            case O_ROOT:
                if (!cli_append(a.roots, &a.n_roots, sizeof a.roots / sizeof a.roots[0], "--root",
                                v))
                    return CLI_USAGE;
                break;
            case CLI_ARG:
                a.policy_path = v;
                break;
            default:
                return args.rc;
        }
    }
    if (!a.policy_path || !a.quote_path || !a.coll_path)
        return cli_usage_error(&eval_cmd, "FILE, --quote and --collateral are required");
    if ((a.rd_path && a.rj_path) || (a.id_path && a.ij_path))
        return cli_usage_error(&eval_cmd, "give runtime or init-time data once, binary or JSON");
    avow_attest_type type = a.type ? avow_attest_type_parse(a.type) : 0;
    if (a.type && !type)
        return cli_usage_error(&eval_cmd, "--type must be SgxEnclave, OpenEnclave or TdxVm");
    avow_error e;
    avow_error_clear(&e);
    avow_attest_opts opts = {.allow_missing_crl = a.allow_missing_crl, .at = avow_time_now()};
    if (a.at_s && avow_time_parse(a.at_s, &opts.at, &e) != AVOW_OK) {
        cli_error(&e, "--at '%s'", a.at_s);
        return CLI_USAGE;
    }
    int rc = CLI_USAGE;
    cli_evidence ev = {0};
    avow_attest_request req;
    avow_attest_request_init(&req);
    avow_attestation at;
    avow_attestation_init(&at);
    avow_policy *p = NULL;
    char *signer_jwk = NULL;
    if (!load_eval_policy(a.policy_path, &p, &signer_jwk)) goto done;
    opts.policy = p;
    opts.policy_signer_jwk = signer_jwk;
    if (!load_data(a.rd_path, a.rj_path, "--runtime", &req.runtime) ||
        !load_data(a.id_path, a.ij_path, "--init-time", &req.init_time))
        goto done;
    if (!cli_load_evidence(a.quote_path, NULL, a.coll_path, a.roots, a.n_roots, &ev)) goto done;
    /* the request avowd would get at /attest/{type}: the quote as evidence,
     * the data, the nonce; the type by default the one of the quote's TEE */
    if (!type) { /* a quote that does not parse is refused by avow_attest below */
        avow_quote q;
        avow_error qe;
        bool td = avow_quote_parse(ev.quote, ev.quote_len, &q, &qe) == AVOW_OK &&
                  q.tee_type == AVOW_TEE_TDX;
        type = td ? AVOW_ATTEST_TDX_VM : AVOW_ATTEST_SGX_ENCLAVE;
    }
    req.type = type;
    req.evidence = ev.quote;
    req.evidence_len = ev.quote_len;
    ev.quote = NULL;
    req.quote = req.evidence;
    req.quote_len = req.evidence_len;
    if (a.nonce && !(req.nonce = strdup(a.nonce))) goto done;
    avow_attest(&at, ev.verifier, &req, &ev.coll, &opts);
    rc = emit(&a, &at);
done:
    avow_attestation_free(&at);
    avow_attest_request_free(&req);
    avow_policy_free(p);
    free(signer_jwk);
    cli_evidence_free(&ev);
    return rc;
}

int cli_policy(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"check", cmd_check, "compile a policy; report the first error's line and column"},
        {"eval", cmd_eval, "evaluate a policy against a quote, offline"},
        {"sign", cmd_sign, "make the JWS that PUT /policies/{type} takes"},
        {"sign-cert-request", cmd_sign_cert_request,
         "make the JWS that POST /certificates:add|:remove takes"},
        {"hash", cmd_hash, "print a policy's x-ms-policy-hash"},
        {0},
    };
    static const cli_group g = {"avow policy", "MAA appraisal policies.", subs};
    return cli_dispatch(&g, argc, argv);
}
