/* avowd configuration: command-line flags and the equivalent config file
 * (--config FILE: `key = value` lines named like the flags without the
 * leading dashes, '#' comments). The file is read first; flags given on the
 * command line override it (trust roots accumulate).
 * Thread-safety: used once at startup by the main thread. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

void avowd_config_init(avowd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->max_body = AVOWD_DEFAULT_MAX_BODY;
    c->per_ip_connections = AVOWD_DEFAULT_PER_IP_CONNECTIONS;
    c->body_memory = AVOWD_DEFAULT_BODY_MEMORY;
    c->drain_seconds = AVOWD_DEFAULT_DRAIN_SECONDS;
}

void avowd_config_free(avowd_config *c)
{
    char **strs[] = {
        &c->listen,         &c->data,       &c->clock,     &c->issuer,      &c->tls_cert,
        &c->tls_key,        &c->pcs_url,    &c->pcs_key,   &c->admin_token, &c->policy_signer_cert,
        &c->policy_mode,    &c->access_log, &c->audit_log, &c->pcs_update,  &c->min_psw_linux,
        &c->min_psw_windows};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (*strs[i] && strs[i] == &c->admin_token) memset(*strs[i], 0, strlen(*strs[i]));
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (size_t i = 0; i < c->n_trust_roots; i++)
        free(c->trust_roots[i]);
    c->n_trust_roots = 0;
}

void avowd_config_usage(void)
{
    fputs(
        "usage: avowd --listen HOST:PORT --data DIR|postgresql://... [options]\n"
        "\n"
        "  --listen HOST:PORT        address to serve on (default 127.0.0.1:8443)\n"
        "  --data DIR|URI            store: SQLite in DIR (WAL) or a PostgreSQL URI\n"
        "  --issuer URL              public base URL (iss, jku); default http(s)://LISTEN\n"
        "  --tls-cert PEM --tls-key PEM   serve HTTPS (libmicrohttpd + GnuTLS)\n"
        "  --trust-root PEM          trust one more root CA (simulated PKI); repeatable\n"
        "  --clock TIME              judge evidence and collateral at TIME (unix or RFC 3339;\n"
        "                            tests and replays only; tokens keep the real clock)\n"
        "  --pcs-url URL             upstream PCS v4 / PCCS base, e.g.\n"
        "                            https://api.trustedservices.intel.com/sgx/certification/v4\n"
        "  --pcs-key KEY             Intel PCS subscription key (Ocp-Apim-Subscription-Key)\n"
        "  --pcs-timeout SECONDS     per upstream request, connect included (default 10)\n"
        "  --pcs-update standard|early  Intel's update channel for collateral (default standard)\n"
        "  --tcb-eval-num N          the TCB evaluation number that judges when the policy names\n"
        "                            none (default: the newest held in the channel)\n"
        "  --min-psw-linux VERSION   minimumPswLinuxVersion in /tcbbaselines (default: none)\n"
        "  --min-psw-windows VERSION minimumPswWindowsVersion in /tcbbaselines (default: none)\n"
        "  --collateral-fetchers N   upstream fetches at once (default 4)\n"
        "  --collateral-max-pending N  platforms queued for a fetch; beyond, 503 (default 64)\n"
        "  --collateral-failure-ttl SECONDS  an upstream failure is remembered (default 10)\n"
        "  --collateral-cache-entries N  platforms kept in memory, LRU (default 512)\n"
        "  --admin-token TOKEN       bearer token for policy management, both modes (none:\n"
        "                            management is off; isolated mode also needs signatures)\n"
        "  --policy-mode token|isolated   policy write authentication at store creation\n"
        "  --policy-signer-cert PEM  initial policy-signer certificate (\"isolated\" mode)\n"
        "  --access-log FILE|-|off   JSON-lines access log (default: stderr)\n"
        "  --audit-log FILE|-|off    JSON-lines audit log (default: stderr)\n"
        "  --max-body BYTES          request size limit (default 1048576)\n"
        "  --body-memory BYTES       request bodies held in memory at once, all clients\n"
        "                            together (default 67108864); a request that would pass\n"
        "                            it is answered 503 with Retry-After\n"
        "  --per-ip-connections N    open connections per client address (default 128;\n"
        "                            0: no limit, e.g. behind a proxy)\n"
        "  --drain-time SECONDS      at SIGTERM/SIGINT: stop accepting, let requests in\n"
        "                            progress finish for up to SECONDS (default 10), exit\n"
        "  --threads N               request threads, sharing the HTTP I/O (default: CPUs)\n"
        "  --allow-missing-crl       accept collateral without CRLs (verdict says so)\n"
        "  --config FILE             `key = value` lines named like the flags\n",
        stdout);
}

static bool set_str(char **dst, const char *v)
{
    char *n = strdup(v);
    if (!n) return false;
    free(*dst);
    *dst = n;
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

/* Applies one option by name (without dashes; '_' accepted for '-').
 * `value` is NULL for a flag given without one. Returns false with a message. */
static bool apply(avowd_config *c, const char *name_in, const char *value, const char *where)
{
    char name[64];
    size_t n = strlen(name_in);
    if (n >= sizeof(name)) goto unknown;
    for (size_t i = 0; i <= n; i++)
        name[i] = name_in[i] == '_' ? '-' : name_in[i];

    struct {
        const char *name;
        char **dst;
    } strs[] = {
        {"listen", &c->listen},
        {"data", &c->data},
        {"clock", &c->clock},
        {"issuer", &c->issuer},
        {"tls-cert", &c->tls_cert},
        {"tls-key", &c->tls_key},
        {"pcs-url", &c->pcs_url},
        {"pcs-key", &c->pcs_key},
        {"admin-token", &c->admin_token},
        {"policy-signer-cert", &c->policy_signer_cert},
        {"policy-mode", &c->policy_mode},
        {"access-log", &c->access_log},
        {"audit-log", &c->audit_log},
        {"pcs-update", &c->pcs_update},
        {"min-psw-linux", &c->min_psw_linux},
        {"min-psw-windows", &c->min_psw_windows},
    };
    if (!strcmp(name, "allow-missing-crl")) {
        if (!parse_bool(value ? value : "", &c->allow_missing_crl)) {
            fprintf(stderr, "avowd: %s: allow-missing-crl: '%s' is not a boolean\n", where, value);
            return false;
        }
        return true;
    }
    if (!value) {
        fprintf(stderr, "avowd: %s: %s needs a value\n", where, name);
        return false;
    }
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (!strcmp(name, strs[i].name)) {
            if (!set_str(strs[i].dst, value)) return false;
            if (!strcmp(name, "policy-mode") && strcmp(value, "token") &&
                strcmp(value, "isolated")) {
                fprintf(stderr, "avowd: %s: policy-mode must be token or isolated\n", where);
                return false;
            }
            if (!strcmp(name, "pcs-update") && strcmp(value, "standard") &&
                strcmp(value, "early")) {
                fprintf(stderr, "avowd: %s: pcs-update must be standard or early\n", where);
                return false;
            }
            return true;
        }
    if (!strcmp(name, "trust-root")) {
        if (c->n_trust_roots >= AVOWD_MAX_TRUST_ROOTS) {
            fprintf(stderr, "avowd: %s: at most %d trust roots\n", where, AVOWD_MAX_TRUST_ROOTS);
            return false;
        }
        c->trust_roots[c->n_trust_roots] = strdup(value);
        if (!c->trust_roots[c->n_trust_roots]) return false;
        c->n_trust_roots++;
        return true;
    }
    /* numeric options: name, range, where the value goes (one of the three) */
    struct {
        const char *name;
        unsigned long long min, max;
        size_t *z;
        int *i;
        unsigned *u;
    } nums[] = {
        {"max-body", 1, 1ull << 30, &c->max_body, NULL, NULL},
        {"threads", 1, 256, NULL, &c->threads, NULL},
        {"body-memory", 1, 1ull << 40, &c->body_memory, NULL, NULL},
        {"per-ip-connections", 0, 65535, NULL, NULL, &c->per_ip_connections},
        {"drain-time", 0, 3600, NULL, &c->drain_seconds, NULL},
        {"pcs-timeout", 1, 600, NULL, NULL, &c->pcs_timeout},
        {"tcb-eval-num", 1, 1000000, NULL, NULL, &c->tcb_eval_num},
        {"collateral-fetchers", 1, 64, NULL, NULL, &c->collateral_fetchers},
        {"collateral-max-pending", 1, 100000, NULL, NULL, &c->collateral_max_pending},
        {"collateral-failure-ttl", 1, 86400, NULL, NULL, &c->collateral_failure_ttl},
        {"collateral-cache-entries", 1, 1000000, &c->collateral_cache_entries, NULL, NULL},
    };
    for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
        if (strcmp(name, nums[k].name)) continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-' || v < nums[k].min ||
            v > nums[k].max) {
            fprintf(stderr, "avowd: %s: %s: '%s' is not a number in %llu..%llu\n", where, name,
                    value, nums[k].min, nums[k].max);
            return false;
        }
        if (nums[k].z) *nums[k].z = (size_t)v;
        if (nums[k].i) *nums[k].i = (int)v;
        if (nums[k].u) *nums[k].u = (unsigned)v;
        return true;
    }
unknown:
    fprintf(stderr, "avowd: %s: unknown option '%s' (see avowd --help)\n", where, name_in);
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool load_file(avowd_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "avowd: --config %s: %s\n", path, strerror(errno));
        return false;
    }
    char line[4096], where[600];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(stderr, "avowd: %s: line too long\n", where);
            ok = false;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            /* a bare boolean flag, e.g. "allow-missing-crl" */
            ok = apply(c, s, NULL, where);
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        if (!strcmp(key, "config")) {
            fprintf(stderr, "avowd: %s: config files do not nest\n", where);
            ok = false;
            break;
        }
        ok = apply(c, key, val, where);
    }
    fclose(f);
    return ok;
}

int avowd_config_parse(avowd_config *c, int argc, char **argv)
{
    /* pass 1: --help and --config */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            avowd_config_usage();
            return 1;
        }
        const char *v = NULL;
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "avowd: --config needs a value\n");
                return -1;
            }
            v = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            v = argv[i] + 9;
        }
        if (v && !load_file(c, v)) return -1;
    }
    /* pass 2: the other flags, overriding the file */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--config=", 9)) continue;
        if (strncmp(a, "--", 2) || !a[2]) {
            fprintf(stderr, "avowd: unexpected argument '%s' (see avowd --help)\n", a);
            return -1;
        }
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (nl >= sizeof(name)) {
            fprintf(stderr, "avowd: unknown option '%s'\n", a);
            return -1;
        }
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        const char *val = eq ? eq + 1 : NULL;
        if (!val && strcmp(name, "allow-missing-crl")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "avowd: --%s needs a value\n", name);
                return -1;
            }
            val = argv[++i];
        }
        if (!apply(c, name, val, "command line")) return -1;
    }
    if (!c->listen && !set_str(&c->listen, "127.0.0.1:8443")) return -1;
    if (!c->data) {
        fprintf(stderr, "avowd: --data DIR (or a postgresql:// URI) is required\n");
        return -1;
    }
    if (c->body_memory < c->max_body + 1) {
        fprintf(stderr,
                "avowd: body-memory (%zu) must be larger than max-body (%zu): a request of "
                "max-body bytes could never be read\n",
                c->body_memory, c->max_body);
        return -1;
    }
    if (!c->tls_cert != !c->tls_key) {
        fprintf(stderr, "avowd: --tls-cert and --tls-key go together\n");
        return -1;
    }
    return 0;
}
