/* `avow key rotate|show`: avowd's token signing keys in its store. rotate
 * generates an RSA-2048 key and self-signed certificate (subject CN from
 * --cn, else the active key's, else the default name) and makes it the
 * active key (older keys stay published in /certs); show lists the keys
 * (never the private keys). `--data` is the data directory or a
 * postgresql:// URI. Thread-safe: a one-shot program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "avow/time.h"
#include "avow/token.h"
#include "cli/cli.h"

enum { O_DATA = 1, O_CN, O_DAYS };

static const cli_option data_opt[] = {
    {O_DATA, "data", "DIR|URI", "avowd's store: its data directory or a postgresql:// URI"},
    {0},
};

static const cli_option rotate_opts[] = {
    {O_CN, "cn", "NAME",
     "the certificate's subject CN (default: the active key's, which avowd made with its issuer "
     "URL)"},
    {O_DAYS, "days", "N", "the certificate's validity in days (default 365)"},
    {0},
};

static const cli_command rotate_cmd = {
    .path = "avow key rotate",
    .usage = "--data DIR|URI [options]",
    .about =
        "Makes a new RSA-2048 token signing key and self-signed certificate the active key "
        "(older keys stay published in /certs) and prints its kid.",
    .opts = {data_opt, rotate_opts},
};

static const cli_command show_cmd = {
    .path = "avow key show",
    .usage = "--data DIR|URI",
    .about = "Lists the token signing keys: kid, creation time, state (never the private keys).",
    .opts = {data_opt},
};

static int rotate(int argc, char **argv)
{
    const char *data = NULL, *cn = NULL, *days = NULL, *v;
    cli_args a;
    cli_args_init(&a, &rotate_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        switch (o) {
            case O_DATA:
                data = v;
                break;
            case O_CN:
                cn = v;
                break;
            case O_DAYS:
                days = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!data) return cli_usage_error(&rotate_cmd, "--data is missing");
    int ndays = days ? atoi(days) : 0;
    if (days && ndays <= 0) {
        fprintf(stderr, "avow: --days must be a positive number\n");
        return CLI_USAGE;
    }
    avow_store *s = cli_open_store(data);
    if (!s) return CLI_USAGE;
    avow_time now = avow_time_now();
    avow_signing_material m;
    avow_error e;
    avow_error_clear(&e);
    int rc = CLI_OK;
    /* Rotation keeps the subject: avowd made the first key with CN=<iss>,
     * which MAA clients compare with the token's issuer. */
    char active_cn[AVOW_SIGNING_MAX_CN + 1] = "";
    avow_store_key active;
    avow_err ak = cn ? AVOW_ERR_NOT_FOUND : avow_store_key_active(s, &active, &e);
    if (ak == AVOW_OK) {
        if (avow_cert_subject_cn((const uint8_t *)active.cert_pem, strlen(active.cert_pem),
                                 active_cn, sizeof(active_cn), NULL) == AVOW_OK &&
            *active_cn)
            cn = active_cn;
        avow_store_key_free(&active);
    } else if (ak != AVOW_ERR_NOT_FOUND) { /* none yet: the default name */
        cli_error(&e, "cannot read the active signing key");
        avow_store_close(s);
        return CLI_USAGE;
    }
    if (avow_signing_key_generate(cn, now, ndays, &m, &e)) {
        cli_error(&e, "cannot generate a signing key");
        avow_store_close(s);
        return CLI_USAGE;
    }
    avow_store_key k = {.kid = m.kid,
                        .key_pem = m.key_pem,
                        .cert_pem = m.cert_pem,
                        .created_at = now,
                        .active = true};
    char created[24];
    snprintf(created, sizeof(created), "%lld", (long long)now);
    if (avow_store_key_add(s, &k, &e) ||
        avow_store_setting_set_default(s, AVOW_SETTING_CREATED_AT, created, NULL, &e)) {
        cli_error(&e, "cannot store the signing key");
        rc = CLI_USAGE;
    } else {
        printf("%s\n", m.kid);
    }
    avow_signing_material_free(&m);
    avow_store_close(s);
    return rc;
}

static int key_show(int argc, char **argv)
{
    const char *data = NULL, *v;
    cli_args a;
    cli_args_init(&a, &show_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (o != O_DATA) return a.rc;
        data = v;
    }
    if (!data) return cli_usage_error(&show_cmd, "--data is missing");
    avow_store *s = cli_open_store(data);
    if (!s) return CLI_USAGE;
    avow_store_key *keys;
    size_t n;
    avow_error e;
    avow_error_clear(&e);
    if (avow_store_key_list(s, true, &keys, &n, &e)) {
        cli_error(&e, "cannot list signing keys");
        avow_store_close(s);
        return CLI_USAGE;
    }
    printf("%-43s  %-20s  %s\n", "KID", "CREATED_AT", "STATE");
    for (size_t i = 0; i < n; i++) {
        char when[21];
        avow_time_format(keys[i].created_at, when);
        printf("%-43s  %-20s  %s\n", keys[i].kid, when,
               keys[i].active       ? "active"
               : keys[i].retired_at ? "retired"
                                    : "published");
    }
    avow_store_key_list_free(keys, n);
    avow_store_close(s);
    return CLI_OK;
}

int cli_key(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"rotate", rotate, "make a new active signing key; prints its kid"},
        {"show", key_show, "list the signing keys"},
        {0},
    };
    static const cli_group g = {"avow key", "avowd's token signing keys, in its store.", subs};
    return cli_dispatch(&g, argc, argv);
}
