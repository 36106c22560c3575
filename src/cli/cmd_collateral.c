/* `avow collateral import|show`: loads Intel collateral (a bundle file or a
 * folder of PCS responses) into avowd's store, stopped or running (SQLite WAL
 * and PostgreSQL both allow concurrent access), and lists the cached entries.
 * `--data` is the data directory or a postgresql:// URI. Import checks each
 * set (avow_collateral_check) and stores only what passes, as the rows the
 * collateral service reads (pccs.h); a set of a PKI
 * other than Intel's (or a --root) is checked against its own root and
 * stored with a warning, trust being avowd's --trust-root decision.
 * Thread-safe: a one-shot program. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "avow/evalnum.h"
#include "avow/file.h"
#include "avow/quote.h"
#include "avow/time.h"
#include "avow/verify.h"
#include "cli/cli.h"
#include "pccs/pccs.h"

enum { O_DATA = 1, O_ROOT, O_JSON, O_UPDATE, O_EVALNUMS, O_CHAIN, O_SETS };

static const cli_option data_opt[] = {
    {O_DATA, "data", "DIR|URI",
     "avowd's store: its data directory or a postgresql:// URI (required)"},
    {0},
};

static const cli_option import_opts[] = {
    {O_ROOT, "root", "PEM", "trust this root CA too, besides Intel's (repeatable)"},
    {O_UPDATE, "update", "standard|early",
     "the update channel the sets were fetched under (default standard)"},
    {O_EVALNUMS, "evalnums", "BODY",
     "also import Intel's TCB evaluation data numbers document (the body PCS serves)"},
    {O_CHAIN, "chain", "PEM", "its TCB-Evaluation-Data-Numbers-Issuer-Chain (with --evalnums)"},
    {0},
};

static const cli_positional import_args[] = {
    {"BUNDLE|FOLDER...", "a dcap-qvl JSON bundle or a folder of Intel PCS responses"},
    {0},
};

static const cli_command import_cmd = {
    .path = "avow collateral import",
    .usage =
        "--data DIR|URI [--root PEM]... [--update standard|early] BUNDLE|FOLDER...\n"
        "--data DIR|URI [--root PEM]... --evalnums BODY --chain PEM [BUNDLE|FOLDER...]",
    .about =
        "Checks each collateral set before storing it (signing chains, CRLs, signatures) "
        "and stores only what passes, whether avowd is running or not.",
    .args = import_args,
    .opts = {data_opt, import_opts},
    .notes =
        "A set whose chain ends at neither Intel's root nor a --root PEM is checked against "
        "its own root and stored with a warning: avowd accepts it only when started with "
        "--trust-root for that root. Each set is kept under its TCB evaluation number, older "
        "numbers beside newer ones; the newest number is the platform's current set.",
};

static const cli_option show_opts[] = {
    {O_JSON, "json", NULL, "print a JSON array"},
    {O_SETS, "sets", NULL, "list the sets kept per TCB evaluation number instead"},
    {0},
};

static const cli_command show_cmd = {
    .path = "avow collateral show",
    .usage = "--data DIR|URI [--json] [--sets]",
    .about = "Lists the cached collateral: FMSPC, CA, TEE, next update, when and where from.",
    .opts = {data_opt, show_opts},
};

#define MAX_PATHS 64
#define MAX_ROOTS 16

/* A verifier trusting only the last certificate of the set's TCB Info issuer
 * chain (its own root); NULL when there is none or it does not parse. */
static avow_verifier *own_root_verifier(const char *chain_pem)
{
    const char *last = NULL;
    for (const char *p = chain_pem; p && (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL;
         p++)
        last = p;
    avow_verifier *v = NULL;
    if (!last || avow_verifier_new_empty(&v, NULL) != AVOW_OK) return NULL;
    if (avow_verifier_add_root_pem(v, last, strlen(last), NULL) != AVOW_OK) {
        avow_verifier_free(v);
        return NULL;
    }
    return v;
}

/* Checks a set: against Intel's root and the --root PEMs; failing that for
 * its chain's end, against its own root (trust is then avowd's decision,
 * --trust-root, and a warning says so). On success *vc is the checked set. */
static avow_err check_set(avow_verifier *trusted, const avow_collateral *c, const char *path,
                          avow_verified_collateral **vc, avow_error *e)
{
    avow_err rc = avow_collateral_check(trusted, c, vc, e);
    if (rc != AVOW_ERR_CHAIN) return rc;
    avow_verifier *own = own_root_verifier(c->tcb_info_issuer_chain);
    avow_error e2;
    avow_error_clear(&e2);
    avow_err own_rc = own ? avow_collateral_check(own, c, vc, &e2) : AVOW_ERR_CHAIN;
    avow_verifier_free(own); /* the checked object keeps what it needs */
    if (own_rc != AVOW_OK) {
        if (own_rc == AVOW_ERR_CHAIN) return rc; /* the chain itself is broken */
        *e = e2; /* the chain holds to its own root; this is what is wrong */
        return own_rc;
    }
    fprintf(stderr,
            "avow: warning: %s: %s; its signatures verify against the chain's own root, so it "
            "is stored, but avowd accepts quotes under it only with --trust-root for that "
            "root (pass it here with --root to silence this)\n",
            path, e->msg);
    avow_error_clear(e);
    return AVOW_OK;
}

static int import_one(avow_store *s, avow_verifier *trusted, const char *path, const char *update)
{
    avow_collateral c;
    avow_error e;
    avow_error_clear(&e);
    if (avow_collateral_load(path, &c, &e)) {
        cli_error(&e, "%s", path);
        return CLI_USAGE;
    }
    char abs[PATH_MAX], source[PATH_MAX + 8];
    snprintf(source, sizeof(source), "import:%s", realpath(path, abs) ? abs : path);
    avow_verified_collateral *vc = NULL;
    int rc = CLI_OK;
    if (check_set(trusted, &c, path, &vc, &e) != AVOW_OK) {
        avow_error_prefix(&e, "collateral does not verify, not imported");
        cli_error(&e, "%s", path);
        rc = CLI_USAGE;
    } else if (avow_pccs_row_put(s, vc, NULL, source, avow_time_now(), update, true, NULL, &e) !=
               AVOW_OK) {
        cli_error(&e, "%s: cannot import", path);
        rc = CLI_USAGE;
    } else {
        const avow_collateral_info *i = avow_verified_collateral_info(vc);
        avow_pccs_row_key k;
        avow_pccs_row_key_of(&i->platform, &k);
        char when[21];
        avow_time_format(i->next_update, when);
        printf("imported %s: fmspc %s ca %s tee %s next_update %s eval_num %d\n", path, k.fmspc,
               *k.ca ? k.ca : "-", k.tee, when, i->tcb_eval_num);
    }
    avow_verified_collateral_unref(vc);
    avow_collateral_free(&c);
    return rc;
}

/* Checks and stores an evaluation numbers document (BODY as PCS serves it,
 * CHAIN its issuer chain): against Intel's root and the --root PEMs, else
 * its own chain's root with a warning, as collateral sets. */
static int import_evalnums(avow_store *s, avow_verifier *trusted, const char *body_path,
                           const char *chain_path)
{
    avow_error e;
    avow_error_clear(&e);
    uint8_t *body = NULL, *chain = NULL;
    size_t blen = 0, clen = 0;
    avow_evalnums_raw raw;
    memset(&raw, 0, sizeof(raw));
    avow_evalnums doc;
    memset(&doc, 0, sizeof(doc));
    int rc = CLI_USAGE;
    if (avow_file_read(body_path, 1u << 20, false, &body, &blen, &e) ||
        avow_file_read(chain_path, 1u << 20, false, &chain, &clen, &e)) {
        cli_error(&e, "--evalnums/--chain");
        goto done;
    }
    if (avow_evalnums_raw_from_body((const char *)body, blen, (const char *)chain, &raw, &e)) {
        cli_error(&e, "%s", body_path);
        goto done;
    }
    avow_err ck = avow_evalnums_check(trusted, &raw, &doc, &e);
    if (ck == AVOW_ERR_CHAIN) {
        avow_verifier *own = own_root_verifier(raw.issuer_chain);
        avow_error e2;
        avow_error_clear(&e2);
        if (own && avow_evalnums_check(own, &raw, &doc, &e2) == AVOW_OK) {
            fprintf(stderr,
                    "avow: warning: %s: %s; its signature verifies against the chain's own root, "
                    "so it is stored, but avowd uses it only with --trust-root for that root\n",
                    body_path, e.msg);
            ck = AVOW_OK;
        }
        avow_verifier_free(own);
    }
    if (ck != AVOW_OK) {
        avow_error_prefix(&e, "TCB evaluation data numbers do not verify, not imported");
        cli_error(&e, "%s", body_path);
        goto done;
    }
    char abs[PATH_MAX], source[PATH_MAX + 8];
    snprintf(source, sizeof(source), "import:%s", realpath(body_path, abs) ? abs : body_path);
    if (avow_pccs_evalnums_put(s, trusted, &raw, &doc, source, avow_time_now(), &e)) {
        cli_error(&e, "%s: cannot import", body_path);
        goto done;
    }
    printf("imported %s: TCB evaluation data numbers (%s) %d to %d\n", body_path,
           doc.tee_type == AVOW_TEE_TDX ? "tdx" : "sgx", doc.entries[0].number,
           avow_evalnums_newest(&doc));
    rc = CLI_OK;
done:
    free(body);
    free(chain);
    avow_evalnums_raw_free(&raw);
    avow_evalnums_free(&doc);
    return rc;
}

static int import(int argc, char **argv)
{
    const char *data = NULL, *v, *update = "standard", *evalnums = NULL, *chain = NULL;
    const char *paths[MAX_PATHS], *roots[MAX_ROOTS];
    size_t n = 0, n_roots = 0;
    cli_args a;
    cli_args_init(&a, &import_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_DATA:
                data = v;
                break;
            case O_ROOT:
                if (!cli_append(roots, &n_roots, MAX_ROOTS, "--root", v)) return CLI_USAGE;
                break;
            case O_UPDATE:
                if (strcmp(v, "standard") && strcmp(v, "early"))
                    return cli_usage_error(&import_cmd, "--update: standard or early");
                update = v;
                break;
            case O_EVALNUMS:
                evalnums = v;
                break;
            case O_CHAIN:
                chain = v;
                break;
            case CLI_ARG:
                if (n == MAX_PATHS) {
                    fprintf(stderr,
                            "avow collateral import: more than %d bundles or folders; import "
                            "them in several runs\n",
                            MAX_PATHS);
                    return CLI_USAGE;
                }
                paths[n++] = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!data) return cli_usage_error(&import_cmd, "--data is missing");
    if (!n && !evalnums) return cli_usage_error(&import_cmd, "no BUNDLE or FOLDER to import");
    if (!evalnums != !chain)
        return cli_usage_error(&import_cmd, "--evalnums and --chain go together");
    avow_verifier *ver = cli_make_verifier(roots, n_roots);
    if (!ver) return CLI_USAGE;
    avow_store *s = cli_open_store(data);
    int rc = s ? CLI_OK : CLI_USAGE;
    if (s && evalnums && import_evalnums(s, ver, evalnums, chain) != CLI_OK) rc = CLI_USAGE;
    for (size_t i = 0; s && i < n; i++)
        if (import_one(s, ver, paths[i], update) != CLI_OK) rc = CLI_USAGE;
    if (s) avow_store_close(s);
    avow_verifier_free(ver);
    return rc;
}

/* `show --sets`: the sets kept per evaluation number. */
static int show_sets(avow_store *s, bool json)
{
    avow_store_coll_set *rows;
    size_t n;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_coll_set_list(s, NULL, NULL, NULL, &rows, &n, &e)) {
        cli_error(&e, "cannot list collateral sets");
        return CLI_USAGE;
    }
    if (json)
        printf("[");
    else
        printf("%-12s  %-9s  %-3s  %-8s  %-8s  %-20s  %s\n", "FMSPC", "CA", "TEE", "EVAL_NUM",
               "UPDATE", "NEXT_UPDATE", "SOURCE");
    for (size_t i = 0; i < n; i++) {
        char nu[21];
        avow_time_format(rows[i].next_update, nu);
        if (json)
            printf(
                "%s{\"fmspc\":\"%s\",\"ca\":\"%s\",\"tee\":\"%s\",\"eval_num\":%d,"
                "\"update\":\"%s\",\"next_update\":\"%s\"}",
                i ? "," : "", rows[i].fmspc, rows[i].ca, rows[i].tee, rows[i].eval_num,
                rows[i].update, nu);
        else
            printf("%-12s  %-9s  %-3s  %-8d  %-8s  %-20s  %s\n", rows[i].fmspc,
                   *rows[i].ca ? rows[i].ca : "-", rows[i].tee, rows[i].eval_num, rows[i].update,
                   nu, rows[i].source);
    }
    if (json) printf("]\n");
    avow_store_coll_set_list_free(rows, n);
    return CLI_OK;
}

static int collateral_show(int argc, char **argv)
{
    const char *data = NULL, *v;
    bool json = false, sets = false;
    cli_args a;
    cli_args_init(&a, &show_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_DATA:
                data = v;
                break;
            case O_JSON:
                json = true;
                break;
            case O_SETS:
                sets = true;
                break;
            default:
                return a.rc;
        }
    }
    if (!data) return cli_usage_error(&show_cmd, "--data is missing");
    avow_store *s = cli_open_store(data);
    if (!s) return CLI_USAGE;
    if (sets) {
        int rc = show_sets(s, json);
        avow_store_close(s);
        return rc;
    }
    avow_store_collateral *rows;
    size_t n;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_collateral_list(s, &rows, &n, &e)) {
        cli_error(&e, "cannot list collateral");
        avow_store_close(s);
        return CLI_USAGE;
    }
    if (json)
        printf("[");
    else
        printf("%-12s  %-9s  %-3s  %-20s  %-20s  %s\n", "FMSPC", "CA", "TEE", "NEXT_UPDATE",
               "FETCHED_AT", "SOURCE");
    for (size_t i = 0; i < n; i++) {
        char nu[21], fa[21];
        avow_time_format(rows[i].next_update, nu);
        avow_time_format(rows[i].fetched_at, fa);
        if (json)
            printf(
                "%s{\"fmspc\":\"%s\",\"ca\":\"%s\",\"tee\":\"%s\",\"next_update\":\"%s\","
                "\"next_update_unix\":%lld,\"fetched_at\":\"%s\",\"eval_num\":%d}",
                i ? "," : "", rows[i].fmspc, rows[i].ca, rows[i].tee, nu,
                (long long)rows[i].next_update, fa, rows[i].eval_num);
        else
            printf("%-12s  %-9s  %-3s  %-20s  %-20s  %s\n", rows[i].fmspc,
                   *rows[i].ca ? rows[i].ca : "-", rows[i].tee, nu, fa, rows[i].source);
    }
    if (json) printf("]\n");
    avow_store_collateral_list_free(rows, n);
    avow_store_close(s);
    return CLI_OK;
}

int cli_collateral(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"import", import, "check collateral and load it into avowd's store"},
        {"show", collateral_show, "list the collateral in avowd's store"},
        {0},
    };
    static const cli_group g = {"avow collateral", "Intel collateral in avowd's store.", subs};
    return cli_dispatch(&g, argc, argv);
}
