/* `avow collateral import|show`: loads Intel collateral (a bundle file or a
 * folder of PCS responses) into avowd's store, stopped or running (SQLite WAL
 * and PostgreSQL both allow concurrent access), and lists the cached entries.
 * `--data` is the data directory or a postgresql:// URI.
 * Thread-safe: a one-shot program. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avow/collateral_cache.h"
#include "avow/store.h"
#include "avow/time.h"
#include "cli/cli.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: avow collateral import --data DIR|URI BUNDLE|FOLDER...\n"
            "       avow collateral show --data DIR|URI [--json]\n");
    return CLI_USAGE;
}

static int import(int argc, char **argv)
{
    const char *data = NULL;
    const char *paths[64];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--data", &data)) {
            if (!data) return CLI_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "avow collateral import: unknown option %s\n", argv[i]);
            return usage();
        } else if (n < 64) {
            paths[n++] = argv[i];
        }
    }
    if (!data || !n) return usage();
    avow_store *s = cli_open_store(data);
    if (!s) return CLI_USAGE;
    int rc = CLI_OK;
    for (int i = 0; i < n; i++) {
        avow_collateral c;
        avow_error e;
        avow_error_clear(&e);
        if (avow_collateral_load(paths[i], &c, &e)) {
            cli_error(&e, "%s", paths[i]);
            rc = CLI_USAGE;
            continue;
        }
        char abs[PATH_MAX], source[PATH_MAX + 8];
        snprintf(source, sizeof(source), "import:%s", realpath(paths[i], abs) ? abs : paths[i]);
        avow_collateral_key k;
        if (avow_collateral_import(s, &c, source, avow_time_now(), &k, &e)) {
            cli_error(&e, "%s: cannot import", paths[i]);
            rc = CLI_USAGE;
        } else {
            char when[21];
            avow_time_format(k.next_update, when);
            printf("imported %s: fmspc %s ca %s tee %s next_update %s\n", paths[i], k.fmspc,
                   *k.ca ? k.ca : "-", k.tee, when);
        }
        avow_collateral_free(&c);
    }
    avow_store_close(s);
    return rc;
}

static int show(int argc, char **argv)
{
    const char *data = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--data", &data)) {
            if (!data) return CLI_USAGE;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            return usage();
        }
    }
    if (!data) return usage();
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
    if (argc >= 2 && !strcmp(argv[1], "import")) return import(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "show")) return show(argc - 1, argv + 1);
    return usage();
}
