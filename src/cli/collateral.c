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
#include "avow/time.h"
#include "avow/verify.h"
#include "cli/cli.h"
#include "pccs/pccs.h"

enum { O_DATA = 1, O_ROOT, O_JSON };

static const cli_option data_opt[] = {
    {O_DATA, "data", "DIR|URI",
     "avowd's store: its data directory or a postgresql:// URI (required)"},
    {0},
};

static const cli_option import_opts[] = {
    {O_ROOT, "root", "PEM", "trust this root CA too, besides Intel's (repeatable)"},
    {0},
};

static const cli_positional import_args[] = {
    {"BUNDLE|FOLDER...", "a dcap-qvl JSON bundle or a folder of Intel PCS responses"},
    {0},
};

static const cli_command import_cmd = {
    .path = "avow collateral import",
    .usage = "--data DIR|URI [--root PEM]... BUNDLE|FOLDER...",
    .about =
        "Checks each collateral set before storing it (signing chains, CRLs, signatures) "
        "and stores only what passes, whether avowd is running or not.",
    .args = import_args,
    .opts = {data_opt, import_opts},
    .notes =
        "A set whose chain ends at neither Intel's root nor a --root PEM is checked against "
        "its own root and stored with a warning: avowd accepts it only when started with "
        "--trust-root for that root.",
};

static const cli_option show_opts[] = {
    {O_JSON, "json", NULL, "print a JSON array"},
    {0},
};

static const cli_command show_cmd = {
    .path = "avow collateral show",
    .usage = "--data DIR|URI [--json]",
    .about = "Lists the cached collateral: FMSPC, CA, TEE, next update, when and where from.",
    .opts = {data_opt, show_opts},
};

#define MAX_PATHS 64
#define MAX_ROOTS 16

/* A verifier trusting only the last certificate of the set's TCB Info issuer
 * chain (its own root); NULL when there is none or it does not parse. */
static avow_verifier *own_root_verifier(const avow_collateral *c)
{
    const char *last = NULL;
    for (const char *p = c->tcb_info_issuer_chain;
         p && (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
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
    avow_verifier *own = own_root_verifier(c);
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

static int import_one(avow_store *s, avow_verifier *trusted, const char *path)
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
    } else if (avow_pccs_row_put(s, vc, NULL, source, avow_time_now(), NULL, &e) != AVOW_OK) {
        cli_error(&e, "%s: cannot import", path);
        rc = CLI_USAGE;
    } else {
        const avow_collateral_info *i = avow_verified_collateral_info(vc);
        avow_pccs_row_key k;
        avow_pccs_row_key_of(&i->platform, &k);
        char when[21];
        avow_time_format(i->next_update, when);
        printf("imported %s: fmspc %s ca %s tee %s next_update %s\n", path, k.fmspc,
               *k.ca ? k.ca : "-", k.tee, when);
    }
    avow_verified_collateral_unref(vc);
    avow_collateral_free(&c);
    return rc;
}

static int import(int argc, char **argv)
{
    const char *data = NULL, *v;
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
    if (!n) return cli_usage_error(&import_cmd, "no BUNDLE or FOLDER to import");
    avow_verifier *ver = cli_make_verifier(roots, n_roots);
    if (!ver) return CLI_USAGE;
    avow_store *s = cli_open_store(data);
    int rc = s ? CLI_OK : CLI_USAGE;
    for (size_t i = 0; s && i < n; i++)
        if (import_one(s, ver, paths[i]) != CLI_OK) rc = CLI_USAGE;
    if (s) avow_store_close(s);
    avow_verifier_free(ver);
    return rc;
}

static int show(int argc, char **argv)
{
    const char *data = NULL, *v;
    bool json = false;
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
            default:
                return a.rc;
        }
    }
    if (!data) return cli_usage_error(&show_cmd, "--data is missing");
    avow_store *s = cli_open_store(data);
    if (!s) return CLI_USAGE;
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
                "\"next_update_unix\":%lld,\"fetched_at\":\"%s\"}",
                i ? "," : "", rows[i].fmspc, rows[i].ca, rows[i].tee, nu,
                (long long)rows[i].next_update, fa);
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
        {"show", show, "list the collateral in avowd's store"},
        {0},
    };
    static const cli_group g = {"avow collateral", "Intel collateral in avowd's store.", subs};
    return cli_dispatch(&g, argc, argv);
}
