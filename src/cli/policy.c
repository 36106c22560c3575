/* `avow policy`: MAA appraisal policies.
 *   avow policy check FILE
 *   avow policy eval FILE --quote Q --collateral C [--at T] [--root PEM]...
 *                    [--type SgxEnclave|TdxVm]
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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: avow policy check FILE\n"
            "       avow policy eval FILE --quote Q --collateral FILE|DIR [--at UNIX|RFC3339]\n"
            "                        [--root PEM]... [--allow-missing-crl]\n"
            "                        [--type SgxEnclave|TdxVm] (default: the quote's TEE)\n"
            "                        [--runtime-data F | --runtime-json F]\n"
            "                        [--init-time-data F | --init-time-json F] [--nonce S]\n"
            "                        [--json]\n"
            "       avow policy sign FILE --key KEY.pem --cert CERT.pem | --unsigned\n"
            "                        [--iat UNIX|RFC3339 | --no-iat]\n"
            "       avow policy sign-cert-request add|remove CERT.pem --key KEY.pem\n"
            "                        --cert SIGNER.pem [--iat UNIX|RFC3339]\n"
            "       avow policy hash FILE\n"
            "\n"
            "sign prints a JWS for PUT /policies/{type}: {\"AttestationPolicy\", \"iat\"}, signed\n"
            "(RS256, x5c) by a policy signer's key (isolated mode needs that and the admin\n"
            "bearer token). \"iat\" (default: now) is the signing time: avowd refuses a policy\n"
            "whose iat is older than the newest it accepted for that type, so a captured\n"
            "older policy cannot be put back (rollback). --no-iat writes MAA's own form,\n"
            "which avowd cannot protect that way.\n"
            "sign-cert-request prints a JWS for POST /certificates:add or :remove naming\n"
            "its operation and iat: avowd refuses it at the other route, or when older than\n"
            "the last certificate change it accepted.\n");
}

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

static int cmd_check(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        usage(stderr);
        return argc == 2 && !strcmp(argv[1], "--help") ? CLI_OK : CLI_USAGE;
    }
    avow_policy *p = load_policy(argv[1]);
    if (!p) return CLI_USAGE;
    printf("ok\n");
    avow_policy_free(p);
    return CLI_OK;
}

static int cmd_hash(int argc, char **argv)
{
    if (argc != 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    uint8_t *text;
    size_t len;
    if (!cli_read_file(argv[1], &text, &len)) return CLI_USAGE;
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

/* The options sign and sign-cert-request share: --help, --iat, --key,
 * --cert. 1: handled (or --help: *rc = CLI_OK, stop), 0: not one of them,
 * -1: bad value (*rc = CLI_USAGE). */
typedef struct {
    const char *key_path, *cert_path;
    int64_t iat;
} sign_opts;

static int sign_opt(int argc, char **argv, int *i, sign_opts *o, int *rc)
{
    const char *v;
    if (!strcmp(argv[*i], "--help")) {
        usage(stdout);
        *rc = CLI_OK;
        return -1;
    }
    *rc = CLI_USAGE;
    if (cli_opt(argc, argv, i, "--iat", &v)) return v && parse_iat(v, &o->iat) ? 1 : -1;
    if (cli_opt(argc, argv, i, "--key", &v)) return (o->key_path = v) ? 1 : -1;
    if (cli_opt(argc, argv, i, "--cert", &v)) return (o->cert_path = v) ? 1 : -1;
    if (argv[*i][0] == '-' && argv[*i][1] && strcmp(argv[*i], "--unsigned") &&
        strcmp(argv[*i], "--no-iat")) {
        fprintf(stderr, "avow: unknown option '%s'\n", argv[*i]);
        return -1;
    }
    return 0;
}

static int cmd_sign(int argc, char **argv)
{
    const char *file = NULL;
    bool unsigned_ = false;
    sign_opts o = {NULL, NULL, avow_time_now()};
    for (int i = 1; i < argc; i++) {
        int rc, h = sign_opt(argc, argv, &i, &o, &rc);
        if (h < 0) return rc;
        if (h) continue;
        if (!strcmp(argv[i], "--unsigned")) {
            unsigned_ = true;
        } else if (!strcmp(argv[i], "--no-iat")) {
            o.iat = -1;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "avow: unexpected argument '%s'\n", argv[i]);
            return CLI_USAGE;
        }
    }
    const char *key_path = o.key_path, *cert_path = o.cert_path;
    int64_t iat = o.iat;
    if (!file || (!unsigned_ && (!key_path || !cert_path)) ||
        (unsigned_ && (key_path || cert_path))) {
        usage(stderr);
        return CLI_USAGE;
    }
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
    for (int i = 1; i < argc; i++) {
        int rc, h = sign_opt(argc, argv, &i, &o, &rc);
        if (h < 0) return rc;
        if (h) continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "avow: unknown option '%s'\n", argv[i]);
            return CLI_USAGE;
        } else if (!op_s) {
            op_s = argv[i];
        } else if (!target) {
            target = argv[i];
        } else {
            fprintf(stderr, "avow: unexpected argument '%s'\n", argv[i]);
            return CLI_USAGE;
        }
    }
    const char *key_path = o.key_path, *cert_path = o.cert_path;
    int64_t iat = o.iat;
    if (!op_s || (strcmp(op_s, "add") && strcmp(op_s, "remove")) || !target || !key_path ||
        !cert_path) {
        usage(stderr);
        return CLI_USAGE;
    }
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

static json_t *claims_json(const avow_claims *cs)
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
        json_object_set_new(o, "incoming", claims_json(at->incoming));
        json_object_set_new(o, "issued", claims_json(pr ? pr->issued : NULL));
        json_object_set_new(o, "properties", claims_json(pr ? pr->properties : NULL));
        json_t *v = vr ? avow_verify_result_json(vr) : NULL;
        json_object_set_new(o, "verdict", v ? v : json_null());
        json_object_set_new(o, "token_claims", permit ? claims_json(at->token) : json_null());
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json")) {
            a.json = true;
        } else if (!strcmp(argv[i], "--allow-missing-crl")) {
            a.allow_missing_crl = true;
        } else if (cli_opt(argc, argv, &i, "--quote", &v)) {
            if (!(a.quote_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--collateral", &v)) {
            if (!(a.coll_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--at", &v)) {
            if (!(a.at_s = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--runtime-data", &v)) {
            if (!(a.rd_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--runtime-json", &v)) {
            if (!(a.rj_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--init-time-data", &v)) {
            if (!(a.id_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--init-time-json", &v)) {
            if (!(a.ij_path = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--nonce", &v)) {
            if (!(a.nonce = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--type", &v)) {
            if (!(a.type = v)) return CLI_USAGE;
        } else if (cli_opt(argc, argv, &i, "--root", &v)) {
            if (!v) return CLI_USAGE;
            if (a.n_roots == sizeof(a.roots) / sizeof(a.roots[0])) {
                fprintf(stderr, "avow: too many --root\n");
                return CLI_USAGE;
            }
            a.roots[a.n_roots++] = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "avow: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (!a.policy_path) {
            a.policy_path = argv[i];
        } else {
            fprintf(stderr, "avow: unexpected argument '%s'\n", argv[i]);
            return CLI_USAGE;
        }
    }
    if (!a.policy_path || !a.quote_path || !a.coll_path || (a.rd_path && a.rj_path) ||
        (a.id_path && a.ij_path)) {
        usage(stderr);
        return CLI_USAGE;
    }
    avow_attest_type type = a.type ? avow_attest_type_parse(a.type) : 0;
    if (a.type && !type) {
        fprintf(stderr, "avow: --type must be SgxEnclave, OpenEnclave or TdxVm\n");
        return CLI_USAGE;
    }
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
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sign")) return cmd_sign(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sign-cert-request")) return cmd_sign_cert_request(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hash")) return cmd_hash(argc - 1, argv + 1);
    fprintf(stderr, "avow policy: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
