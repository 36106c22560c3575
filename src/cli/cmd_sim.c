/* `avow sim`: drive the software SGX platform (sim.h).
 *   avow sim init DIR [--ca processor|platform] [--fmspc HEX] [--comp-svn HEX]
 *                     [--pce-svn N] [--qe-svn N] [--now TIME] [--force]
 *                     [--sgx-type 0|1|2] [--pck-config D,C,S] [--pki FROM_DIR]
 *   avow sim quote --platform DIR --out OUT [--report-data HEX]
 *                  [--enclave SIGSTRUCT | --mrenclave HEX --mrsigner HEX]
 *                  [--isv-prod-id N] [--isv-svn N] [--debug] [--tcb-status S]
 *                  [--qe-status S] [--revoke-pck] [--revoke-pck-ca] [--version 3|4]
 *                  [--advisory-ids ID,ID] [--now TIME] [--next-update TIME]
 *                  [--tee tdx [--version 4|5] [--td15] [--module-status S]
 *                   [--module-mismatch] [--tee-tcb-svn HEX] [--mrtd HEX]]
 *   avow sim report --platform DIR (--enclave SS | --mrenclave HEX --mrsigner HEX)
 *                   (--target SS | --target-mrenclave HEX --target-mrsigner HEX)
 *                   [--report-data HEX] --out REPORT
 *   avow sim report --platform DIR --check REPORT (--enclave SS | --mrenclave ...)
 *   avow sim info --platform DIR
 * Exit 0 ok, 1 a check failed, 2 unusable input or arguments.
 * Thread-safe: n/a (CLI). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avow/encode.h"
#include "avow/quote.h"
#include "sim/sim.h"
#include "cli/cli.h"
#include "cli/cmd_sim_tdx.h"
#include "cli/cmd_sim_evalnums.h"
#include "core/sha256.h"

enum {
    O_PLATFORM = 1,
    O_OUT,
    O_REPORT_DATA,
    O_DEBUG,
    O_NOW,
    /* init */
    O_CA,
    O_FMSPC,
    O_COMP_SVN,
    O_PCE_SVN,
    O_QE_SVN,
    O_FORCE,
    O_SGX_TYPE,
    O_PCK_CONFIG,
    O_PKI,
    /* the enclave (quote, report) */
    O_ENCLAVE,
    O_MRENCLAVE,
    O_MRSIGNER,
    O_ISV_PROD_ID,
    O_ISV_SVN,
    O_CONFIG_ID,
    /* quote */
    O_TCB_STATUS,
    O_QE_STATUS,
    O_REVOKE_PCK,
    O_REVOKE_PCK_CA,
    O_VERSION,
    O_ADVISORY_IDS,
    O_NEXT_UPDATE,
    O_TEE,
    O_TD15,
    O_MODULE_STATUS,
    O_MODULE_MISMATCH,
    O_TEE_TCB_SVN,
    O_MRTD,
    O_EVAL_NUM,
    /* report; the --target* ids last (enclave_opt) */
    O_CHECK,
    O_TARGET,
    O_TARGET_MRENCLAVE,
    O_TARGET_MRSIGNER,
    O_TARGET_DEBUG,
};

static const cli_option init_opts[] = {
    {O_CA, "ca", "processor|platform", "the PCK certificate's issuing CA (default processor)"},
    {O_FMSPC, "fmspc", "HEX", "the platform's FMSPC, 6 bytes"},
    {O_COMP_SVN, "comp-svn", "HEX", "the 16 TCB component SVNs (CPUSVN), 16 bytes"},
    {O_PCE_SVN, "pce-svn", "N", "the PCE's SVN"},
    {O_QE_SVN, "qe-svn", "N", "the quoting enclave's SVN"},
    {O_NOW, "now", "TIME", "the time the simulated PKI is issued at (default: now)"},
    {O_SGX_TYPE, "sgx-type", "0|1|2",
     "the PCK certificate's SGX type: Standard, Scalable, ScalableWithIntegrity"},
    {O_PCK_CONFIG, "pck-config", "D,C,S",
     "a Platform-CA PCK certificate's dynamic platform, cached keys and SMT flags, each 1, 0 or "
     "- (left out)"},
    {O_PKI, "pki", "FROM_DIR",
     "issue the PCK certificate from FROM_DIR's simulated PKI (same root and --ca): many "
     "platforms under one root"},
    {O_FORCE, "force", NULL, "replace a platform already in DIR"},
    {0},
};

static const cli_positional init_args[] = {
    {"DIR", "where to keep the platform (created if need be)"},
    {0},
};

static const cli_command init_cmd = {
    .path = "avow sim init",
    .usage = "DIR [options]",
    .about =
        "Makes a simulated SGX platform: its secret, CPUSVN, owner epoch, PCK key and "
        "certificate, QE attestation key, and a simulated PKI whose root is NOT Intel's.",
    .args = init_args,
    .opts = {init_opts},
};

static const cli_option platform_opt[] = {
    {O_PLATFORM, "platform", "DIR", "the platform made by `avow sim init DIR` (required)"},
    {0},
};

static const cli_option enclave_opts[] = {
    {O_ENCLAVE, "enclave", "SIGSTRUCT", "the enclave: its identity from a SIGSTRUCT"},
    {O_MRENCLAVE, "mrenclave", "HEX", "the enclave: its MRENCLAVE, 32 bytes (with --mrsigner)"},
    {O_MRSIGNER, "mrsigner", "HEX", "the enclave: its MRSIGNER, 32 bytes (with --mrenclave)"},
    {O_DEBUG, "debug", NULL, "a debug enclave (for a TD: the TD's DEBUG attribute)"},
    {O_REPORT_DATA, "report-data", "HEX", "REPORTDATA, up to 64 bytes, zero-padded"},
    {0},
};

static const cli_option quote_opts[] = {
    {O_OUT, "out", "OUT", "the folder for quote.bin, collateral.json, root.pem (required)"},
    {O_ISV_PROD_ID, "isv-prod-id", "N", "the enclave's ISVPRODID (with --mrenclave)"},
    {O_ISV_SVN, "isv-svn", "N", "the enclave's ISVSVN (with --mrenclave)"},
    {O_CONFIG_ID, "config-id", "HEX", "CONFIGID, up to 64 bytes: a KSS enclave"},
    {O_TCB_STATUS, "tcb-status", "S", "the platform's TCB status in the collateral (UpToDate)"},
    {O_QE_STATUS, "qe-status", "S", "the QE's status: UpToDate, OutOfDate or Revoked"},
    {O_REVOKE_PCK, "revoke-pck", NULL, "list the PCK certificate in the PCK CRL"},
    {O_REVOKE_PCK_CA, "revoke-pck-ca", NULL, "list the PCK CA in the root CA CRL"},
    {O_VERSION, "version", "3|4|5",
     "the quote version (SGX 3 or 4, default 3; TDX 4 or 5, default 4)"},
    {O_ADVISORY_IDS, "advisory-ids", "ID,...", "the TCB level's advisories (\"\": none)"},
    {O_NOW, "now", "TIME", "the collateral's issue date (default: now)"},
    {O_NEXT_UPDATE, "next-update", "TIME", "the collateral's nextUpdate (default: 30 days on)"},
    {O_TEE, "tee", "sgx|tdx", "an SGX enclave quote (default) or a TD quote"},
    {O_EVAL_NUM, "eval-num", "N",
     "the TCB evaluation data number the TCB Info and QE Identity carry (default 17)"},
    {0},
};

static const cli_option tdx_opts[] = {
    {O_TD15, "td15", NULL, "TDX: a TD report 1.5 (needs --version 5)"},
    {O_MODULE_STATUS, "module-status", "S", "TDX: the TDX module's TCB status"},
    {O_MODULE_MISMATCH, "module-mismatch", NULL,
     "TDX: a module identity the collateral does not match"},
    {O_TEE_TCB_SVN, "tee-tcb-svn", "HEX", "TDX: TEE_TCB_SVN, 16 bytes"},
    {O_MRTD, "mrtd", "HEX", "TDX: MRTD, 48 bytes"},
    {0},
};

static const cli_command quote_cmd = {
    .path = "avow sim quote",
    .usage =
        "--platform DIR --out OUT [options]\n"
        "--platform DIR --out OUT --tee tdx [--version 4|5] [--td15] [options]",
    .about =
        "Quotes an enclave (or, with --tee tdx, a TD on a modelled TDX module) on the "
        "simulated platform and writes OUT/quote.bin, OUT/collateral.json (at the TCB "
        "status asked for) and OUT/root.pem. Without --enclave or --mrenclave/--mrsigner "
        "the enclave is a fixed simulated one.",
    .opts = {platform_opt, quote_opts, enclave_opts, tdx_opts},
    .notes =
        "statuses (S):\n"
        "  UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded "
        "OutOfDate OutOfDateConfigurationNeeded Revoked; for TDX with --version 5 --td15 also "
        "TDRelaunchAdvised TDRelaunchAdvisedConfigurationNeeded\n"
        "The simulated root is NOT Intel's: verify with `avow quote verify --root OUT/root.pem`.",
};

static const cli_option report_opts[] = {
    {O_OUT, "out", "REPORT", "make a REPORT for the target and write it here"},
    {O_CHECK, "check", "REPORT", "check that REPORT was made for this enclave on this platform"},
    {O_TARGET, "target", "SIGSTRUCT", "the target enclave: its identity from a SIGSTRUCT"},
    {O_TARGET_MRENCLAVE, "target-mrenclave", "HEX", "the target enclave's MRENCLAVE"},
    {O_TARGET_MRSIGNER, "target-mrsigner", "HEX", "the target enclave's MRSIGNER"},
    {O_TARGET_DEBUG, "target-debug", NULL, "the target enclave is a debug one"},
    {0},
};

static const cli_command report_cmd = {
    .path = "avow sim report",
    .usage =
        "--platform DIR ENCLAVE TARGET --out REPORT [options]\n"
        "--platform DIR ENCLAVE --check REPORT [options]",
    .about =
        "Local attestation: makes an enclave's REPORT for a target enclave (EREPORT, "
        "AES-128-CMAC with the target's report key), or checks one as the target (exit 1 "
        "if it was not made for it).",
    .opts = {platform_opt, report_opts, enclave_opts},
    .notes =
        "ENCLAVE is --enclave SIGSTRUCT or --mrenclave HEX --mrsigner HEX; TARGET is "
        "--target SIGSTRUCT or --target-mrenclave HEX --target-mrsigner HEX.",
};

static const cli_command info_cmd = {
    .path = "avow sim info",
    .usage = "--platform DIR",
    .about = "Prints the platform's FMSPC, PPID, CPUSVN, PCESVN, QE identity and CA as JSON.",
    .opts = {platform_opt},
};

avow_sim_platform *cli_sim_load_platform(const char *dir)
{
    if (!dir) {
        fprintf(stderr, "avow: --platform DIR is required\n");
        return NULL;
    }
    avow_sim_platform *p = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_platform_load(dir, &p, &e) != AVOW_OK) {
        cli_error(&e, "cannot load the simulated platform (run `avow sim init %s` first?)", dir);
        return NULL;
    }
    return p;
}

/* ---- enclave selection shared by quote and report ---- */
typedef struct {
    const char *sigstruct, *mrenclave, *mrsigner;
    bool debug, have_prod, have_svn, have_config;
    uint64_t prod, svn;
    uint8_t config_id[64]; /* --config-id: needs ATTRIBUTES.KSS, which it sets */
} enclave_args;

static const char DEFAULT_ENCLAVE[] = "Avow simulated enclave";
static const char DEFAULT_SIGNER[] = "Avow simulated enclave signer";

static bool make_enclave(const avow_sim_platform *p, const enclave_args *a, avow_sim_enclave *out)
{
    avow_error e;
    avow_error_clear(&e);
    if (a->sigstruct) {
        if (a->mrenclave || a->mrsigner || a->have_prod || a->have_svn) {
            fprintf(stderr,
                    "avow: --enclave takes the identity from the SIGSTRUCT; do not combine "
                    "it with --mrenclave/--mrsigner/--isv-prod-id/--isv-svn\n");
            return false;
        }
        uint8_t *raw;
        size_t len;
        if (!cli_read_file(a->sigstruct, &raw, &len)) return false;
        avow_sigstruct ss;
        avow_err rc = avow_sigstruct_parse(raw, len, &ss, &e);
        free(raw);
        if (rc) {
            cli_error(&e, "%s: not a SIGSTRUCT", a->sigstruct);
            return false;
        }
        /* No image here: the measurement is the SIGSTRUCT's ENCLAVEHASH; EINIT
         * still checks the signature and the attribute masks. */
        avow_sim_create c;
        memset(&c, 0, sizeof c);
        c.attr_flags = (ss.attr_flags & ~AVOW_ATTR_INIT) | (a->debug ? AVOW_ATTR_DEBUG : 0);
        c.attr_xfrm = ss.attr_xfrm;
        c.misc_select = ss.misc_select;
        c.cet_attributes = ss.cet_attributes;
        if (a->have_config) {
            c.attr_flags |= AVOW_ATTR_KSS;
            memcpy(c.config_id, a->config_id, 64);
        }
        uint32_t st;
        if (avow_sim_einit(p, &c, ss.enclave_hash, &ss, out, &st, &e) != AVOW_OK) {
            cli_error(&e, "%s: EINIT failed (SGX status %u)", a->sigstruct, st);
            return false;
        }
        return true;
    }
    if (!!a->mrenclave != !!a->mrsigner) {
        fprintf(stderr, "avow: give both --mrenclave and --mrsigner (or --enclave SIGSTRUCT)\n");
        return false;
    }
    avow_sim_secs s;
    memset(&s, 0, sizeof s);
    if (a->mrenclave) {
        if (!cli_parse_hex("--mrenclave", a->mrenclave, s.mr_enclave, 32) ||
            !cli_parse_hex("--mrsigner", a->mrsigner, s.mr_signer, 32))
            return false;
    } else {
        avow_sha256(DEFAULT_ENCLAVE, sizeof DEFAULT_ENCLAVE - 1, s.mr_enclave);
        avow_sha256(DEFAULT_SIGNER, sizeof DEFAULT_SIGNER - 1, s.mr_signer);
    }
    s.attr_flags = AVOW_ATTR_INIT | AVOW_ATTR_MODE64BIT | (a->debug ? AVOW_ATTR_DEBUG : 0);
    s.attr_xfrm = 0x3;
    s.isv_prod_id = (uint16_t)a->prod;
    s.isv_svn = (uint16_t)a->svn;
    if (a->have_config) {
        s.attr_flags |= AVOW_ATTR_KSS;
        memcpy(s.config_id, a->config_id, 64);
    }
    avow_sim_enclave_from_identity(p, &s, out);
    return true;
}

/* Takes the enclave options (enclave_opts but --report-data) into *self and
 * their --target* twins (report_opts) into *target; false if `id` is none of
 * them. */
static bool enclave_opt(int id, const char *v, enclave_args *self, enclave_args *target)
{
    enclave_args *e = id >= O_TARGET ? target : self; /* the --target* ids come last */
    switch (id) {
        case O_ENCLAVE:
        case O_TARGET:
            e->sigstruct = v;
            return true;
        case O_MRENCLAVE:
        case O_TARGET_MRENCLAVE:
            e->mrenclave = v;
            return true;
        case O_MRSIGNER:
        case O_TARGET_MRSIGNER:
            e->mrsigner = v;
            return true;
        case O_DEBUG:
        case O_TARGET_DEBUG:
            e->debug = true;
            return true;
        default:
            return false;
    }
}

/* "D,C,S": the Configuration flags, each '1', '0' or '-' (left out). */
static bool parse_pck_config(const char *v, avow_sim_platform_opts *o)
{
    int *dst[3] = {&o->dynamic_platform, &o->cached_keys, &o->smt_enabled};
    for (int i = 0; i < 3; i++) {
        char c = v[2 * i];
        if ((c != '0' && c != '1' && c != '-') || v[2 * i + 1] != (i < 2 ? ',' : '\0')) {
            fprintf(stderr, "avow: --pck-config: three flags D,C,S of 1, 0 or -, not '%s'\n", v);
            return false;
        }
        *dst[i] = c == '-' ? -1 : c - '0';
    }
    return true;
}

/* ---- init ---- */
static int cmd_init(int argc, char **argv)
{
    const char *dir = NULL, *v, *pki = NULL;
    bool force = false;
    avow_sim_platform_opts o;
    avow_sim_platform_opts_default(&o, avow_time_now());
    cli_args a;
    cli_args_init(&a, &init_cmd, argc, argv);
    for (int id; (id = cli_next(&a, &v)) != CLI_END;) {
        uint64_t n;
        switch (id) {
            case O_FORCE:
                force = true;
                break;
            case O_CA:
                if (!strcmp(v, "processor"))
                    o.ca = AVOW_PCK_CA_PROCESSOR;
                else if (!strcmp(v, "platform"))
                    o.ca = AVOW_PCK_CA_PLATFORM;
                else {
                    fprintf(stderr, "avow: --ca: processor or platform, not '%s'\n", v);
                    return CLI_USAGE;
                }
                break;
            case O_FMSPC:
                if (!cli_parse_hex("--fmspc", v, o.fmspc, 6)) return CLI_USAGE;
                break;
            case O_COMP_SVN:
                if (!cli_parse_hex("--comp-svn", v, o.comp_svn, 16)) return CLI_USAGE;
                break;
            case O_PCE_SVN:
                if (!cli_parse_uint("--pce-svn", v, 0xfffe, &n)) return CLI_USAGE;
                o.pce_svn = (uint16_t)n;
                break;
            case O_QE_SVN:
                if (!cli_parse_uint("--qe-svn", v, 0xfffe, &n)) return CLI_USAGE;
                o.qe_svn = (uint16_t)n;
                break;
            case O_NOW:
                if (!cli_parse_time("--now", v, &o.now)) return CLI_USAGE;
                break;
            case O_SGX_TYPE:
                if (!cli_parse_uint("--sgx-type", v, 2, &n)) return CLI_USAGE;
                o.sgx_type = (int)n;
                break;
            case O_PCK_CONFIG:
                if (!parse_pck_config(v, &o)) return CLI_USAGE;
                break;
            case O_PKI:
                pki = v;
                break;
            case CLI_ARG:
                dir = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!dir) return cli_usage_error(&init_cmd, "DIR is missing");
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/cpu.secrets", dir);
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "avow: %s already holds a platform (use --force to replace it)\n", dir);
        return CLI_USAGE;
    }
    avow_sim_platform *p = NULL, *from = NULL;
    avow_error e;
    avow_error_clear(&e);
    if (pki && !(from = cli_sim_load_platform(pki))) return CLI_USAGE;
    o.pki_from = from;
    avow_err rc = avow_sim_platform_new(&o, &p, &e);
    avow_sim_platform_free(from);
    if (rc || avow_sim_platform_save(p, dir, &e)) {
        cli_error(&e, "sim init %s", dir);
        avow_sim_platform_free(p);
        return CLI_USAGE;
    }
    avow_sim_platform_info info;
    avow_sim_platform_get_info(p, &info);
    char fm[13], ppid[33];
    avow_hex_encode(info.fmspc, 6, fm);
    avow_hex_encode(info.ppid, 16, ppid);
    printf("simulated SGX platform in %s: FMSPC %s, PPID %s, %s CA (root \"%s\", not Intel's)\n",
           dir, fm, ppid, avow_pck_ca_name(info.ca), AVOW_SIM_ROOT_CN);
    avow_sim_platform_free(p);
    return CLI_OK;
}

/* ---- quote ---- */
static bool write_out(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return cli_write_file(path, buf, len);
}

static bool parse_status(const char *opt, const char *v, avow_tcb_status *st)
{
    avow_error e;
    avow_error_clear(&e);
    if (avow_sim_status_parse(v, st, &e) != AVOW_OK) {
        cli_error(&e, "%s", opt);
        return false;
    }
    return true;
}

static int cmd_quote(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *rd_hex = NULL, *v, *adv = NULL;
    enclave_args ea = {0};
    avow_sim_collateral_opts co;
    avow_time now = avow_time_now(), next = 0;
    avow_sim_collateral_opts_default(&co, now);
    bool now_set = false, version_set = false, tdx_opts = false, eval_set = false;
    uint64_t version = 3;
    cli_sim_tdx td = {0};
    cli_args a;
    cli_args_init(&a, &quote_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (enclave_opt(o, v, &ea, NULL)) continue;
        switch (o) {
            case O_REVOKE_PCK:
                co.revoke_pck = true;
                break;
            case O_REVOKE_PCK_CA:
                co.revoke_pck_ca = true;
                break;
            case O_PLATFORM:
                dir = v;
                break;
            case O_OUT:
                out = v;
                break;
            case O_REPORT_DATA:
                rd_hex = v;
                break;
            case O_ISV_PROD_ID:
                if (!cli_parse_uint("--isv-prod-id", v, 0xffff, &ea.prod)) return CLI_USAGE;
                ea.have_prod = true;
                break;
            case O_ISV_SVN:
                if (!cli_parse_uint("--isv-svn", v, 0xffff, &ea.svn)) return CLI_USAGE;
                ea.have_svn = true;
                break;
            case O_CONFIG_ID:
                if (!cli_parse_hex_upto("--config-id", v, ea.config_id, 64)) return CLI_USAGE;
                ea.have_config = true;
                break;
            case O_TCB_STATUS:
                if (!parse_status("--tcb-status", v, &co.tcb_status)) return CLI_USAGE;
                break;
            case O_QE_STATUS:
                if (!parse_status("--qe-status", v, &co.qe_status)) return CLI_USAGE;
                if (co.qe_status != AVOW_TCB_UP_TO_DATE && co.qe_status != AVOW_TCB_OUT_OF_DATE &&
                    co.qe_status != AVOW_TCB_REVOKED) {
                    fprintf(stderr, "avow: --qe-status: UpToDate, OutOfDate or Revoked\n");
                    return CLI_USAGE;
                }
                break;
            case O_VERSION:
                if (!cli_parse_uint("--version", v, 5, &version) || version < 3) {
                    if (version < 3) fprintf(stderr, "avow: --version: 3, 4 or 5\n");
                    return CLI_USAGE;
                }
                version_set = true;
                break;
            case O_TEE:
                if (strcmp(v, "sgx") && strcmp(v, "tdx")) {
                    fprintf(stderr, "avow: --tee: sgx or tdx\n");
                    return CLI_USAGE;
                }
                td.tdx = !strcmp(v, "tdx");
                break;
            case O_TD15:
                td.td15 = tdx_opts = true;
                break;
            case O_MODULE_MISMATCH:
                td.module_mismatch = tdx_opts = true;
                break;
            case O_MODULE_STATUS:
                if (!parse_status("--module-status", v, &td.module_status)) return CLI_USAGE;
                tdx_opts = true;
                break;
            case O_TEE_TCB_SVN:
                if (!cli_parse_hex("--tee-tcb-svn", v, td.tee_tcb_svn, 16)) return CLI_USAGE;
                td.have_svn = tdx_opts = true;
                break;
            case O_MRTD:
                if (!cli_parse_hex("--mrtd", v, td.mr_td, 48)) return CLI_USAGE;
                td.have_mrtd = tdx_opts = true;
                break;
            case O_ADVISORY_IDS:
                adv = v;
                break;
            case O_NOW:
                if (!cli_parse_time("--now", v, &now)) return CLI_USAGE;
                now_set = true;
                break;
            case O_NEXT_UPDATE:
                if (!cli_parse_time("--next-update", v, &next)) return CLI_USAGE;
                break;
            case O_EVAL_NUM: {
                uint64_t n;
                if (!cli_parse_uint("--eval-num", v, 1000000, &n) || n == 0) {
                    if (n == 0) fprintf(stderr, "avow: --eval-num: a number from 1\n");
                    return CLI_USAGE;
                }
                co.tcb_eval_num = (int)n;
                eval_set = true;
                break;
            }
            default:
                return a.rc;
        }
    }
    if (!out) {
        fprintf(stderr, "avow: --out OUT is required\n");
        return CLI_USAGE;
    }
    if (!version_set && td.tdx) version = 4;
    if (td.tdx ? version < 4 : version > 4) {
        fprintf(stderr, "avow: --version: %s\n", td.tdx ? "4 or 5 for TD quotes" : "3 or 4");
        return CLI_USAGE;
    }
    if (tdx_opts && !td.tdx) {
        fprintf(stderr, "avow: --td15, --module-*, --tee-tcb-svn and --mrtd need --tee tdx\n");
        return CLI_USAGE;
    }
    if (td.tdx && (ea.sigstruct || ea.mrenclave || ea.mrsigner || ea.have_prod || ea.have_svn ||
                   ea.have_config)) {
        fprintf(stderr, "avow: the enclave options do not apply to a TD (--tee tdx)\n");
        return CLI_USAGE;
    }
    uint8_t rd[64] = {0};
    if (rd_hex && !cli_parse_hex_upto("--report-data", rd_hex, rd, 64)) return CLI_USAGE;
    if (now_set) co.issue_date = now;
    co.next_update = next ? next : co.issue_date + 30 * 86400;
    /* --advisory-ids A,B,C (empty string: none) */
    char *adv_copy = NULL;
    const char *ids[32];
    if (adv) {
        adv_copy = strdup(adv);
        size_t n = 0;
        for (char *save = NULL, *t = adv_copy ? strtok_r(adv_copy, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save)) {
            if (n == 32) break;
            ids[n++] = t;
        }
        co.advisory_ids = ids;
        co.n_advisory_ids = n;
    }
    int rc = CLI_USAGE;
    avow_sim_platform *p = cli_sim_load_platform(dir);
    uint8_t *quote = NULL;
    size_t qlen = 0;
    char *bundle = NULL, *root = NULL;
    avow_collateral coll;
    avow_collateral_init(&coll);
    avow_sim_enclave app;
    avow_sim_tdx_module module;
    avow_error e;
    avow_error_clear(&e);
    if (!p) goto done;
    if (td.tdx) {
        if (!cli_sim_tdx_quote(p, &td, (int)version, ea.debug, rd, &co, &module, &quote, &qlen))
            goto done;
    } else if (!make_enclave(p, &ea, &app) ||
               avow_sim_quote_enclave(&app, rd, (int)version, &quote, &qlen, &e)) {
        if (e.msg[0]) cli_error(&e, "sim quote");
        goto done;
    }
    if (avow_sim_collateral(p, &co, &coll, &e) || avow_collateral_to_bundle(&coll, &bundle, &e) ||
        avow_sim_root_pem(p, &root, &e)) {
        cli_error(&e, "sim quote");
        goto done;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "avow: %s: %s\n", out, strerror(errno));
        goto done;
    }
    if (!write_out(out, "quote.bin", quote, qlen) ||
        !write_out(out, "collateral.json", bundle, strlen(bundle)) ||
        !write_out(out, "root.pem", root, strlen(root)))
        goto done;
    char module_desc[64] = "", eval_desc[40] = "";
    if (eval_set) snprintf(eval_desc, sizeof eval_desc, ", evaluation number %d", co.tcb_eval_num);
    if (td.tdx)
        snprintf(module_desc, sizeof module_desc, ", module %s%s",
                 avow_sim_status_name(td.module_status ? td.module_status : AVOW_TCB_UP_TO_DATE),
                 td.module_mismatch ? " (identity mismatch)" : "");
    printf(
        "%s/quote.bin: %zu bytes, quote v%lu%s; %s/collateral.json: TCB %s%s, QE %s%s%s; "
        "%s/root.pem: simulated root (pass it with --root)\n",
        out, qlen, version,
        !td.tdx   ? ""
        : td.td15 ? " (TDX, TD report 1.5)"
                  : " (TDX, TD report 1.0)",
        out, avow_sim_status_name(co.tcb_status), module_desc, avow_sim_status_name(co.qe_status),
        co.revoke_pck ? ", PCK revoked" : "", eval_desc, out);
    rc = CLI_OK;
done:
    free(adv_copy);
    free(quote);
    free(bundle);
    free(root);
    avow_collateral_free(&coll);
    avow_sim_platform_free(p);
    return rc;
}

/* ---- report ---- */
static int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *check = NULL, *rd_hex = NULL, *v;
    enclave_args self = {0}, target = {0};
    cli_args a;
    cli_args_init(&a, &report_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (enclave_opt(o, v, &self, &target)) continue;
        switch (o) {
            case O_PLATFORM:
                dir = v;
                break;
            case O_OUT:
                out = v;
                break;
            case O_CHECK:
                check = v;
                break;
            case O_REPORT_DATA:
                rd_hex = v;
                break;
            default:
                return a.rc;
        }
    }
    if (!!out == !!check) {
        fprintf(stderr, "avow: give either --out REPORT (make a report) or --check REPORT\n");
        return CLI_USAGE;
    }
    uint8_t rd[64] = {0};
    if (rd_hex && !cli_parse_hex_upto("--report-data", rd_hex, rd, 64)) return CLI_USAGE;
    int rc = CLI_USAGE;
    avow_sim_platform *p = cli_sim_load_platform(dir);
    avow_sim_enclave me, tg;
    avow_error e;
    avow_error_clear(&e);
    if (!p || !make_enclave(p, &self, &me)) goto done;
    if (check) {
        uint8_t *rep;
        size_t len;
        if (!cli_read_file(check, &rep, &len)) goto done;
        if (len != AVOW_REPORT_SIZE) {
            fprintf(stderr, "avow: %s: %zu bytes, a REPORT is %d\n", check, len, AVOW_REPORT_SIZE);
            free(rep);
            goto done;
        }
        avow_err vr = avow_sim_verify_report(&me, rep, &e);
        free(rep);
        if (vr == AVOW_OK) {
            printf("ok: the report was made for this enclave on this platform\n");
            rc = CLI_OK;
        } else if (vr == AVOW_ERR_SIGNATURE) {
            printf("fail: %s\n", e.msg);
            rc = CLI_FAIL;
        } else {
            cli_error(&e, "sim report --check");
        }
        goto done;
    }
    if (!target.sigstruct && !target.mrenclave) {
        fprintf(
            stderr,
            "avow: name the target: --target SIGSTRUCT or --target-mrenclave/--target-mrsigner\n");
        goto done;
    }
    if (!make_enclave(p, &target, &tg)) goto done;
    uint8_t ti[AVOW_TARGETINFO_SIZE], rep[AVOW_REPORT_SIZE];
    avow_sim_targetinfo(&tg, ti);
    if (avow_sim_ereport(&me, ti, rd, rep, &e)) {
        cli_error(&e, "sim report");
        goto done;
    }
    if (cli_write_file(out, rep, sizeof rep)) rc = CLI_OK;
done:
    avow_sim_platform_free(p);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    const char *dir = NULL, *v;
    cli_args a;
    cli_args_init(&a, &info_cmd, argc, argv);
    for (int o; (o = cli_next(&a, &v)) != CLI_END;) {
        if (o != O_PLATFORM) return a.rc;
        dir = v;
    }
    avow_sim_platform *p = cli_sim_load_platform(dir);
    if (!p) return CLI_USAGE;
    avow_sim_platform_info in;
    avow_sim_platform_get_info(p, &in);
    char b[65];
    avow_hex_encode(in.fmspc, 6, b);
    printf("{\"fmspc\":\"%s\",", b);
    avow_hex_encode(in.ppid, 16, b);
    printf("\"ppid\":\"%s\",", b);
    avow_hex_encode(in.cpu_svn, 16, b);
    printf("\"cpusvn\":\"%s\",\"pcesvn\":%u,\"qe_svn\":%u,", b, in.pce_svn, in.qe_svn);
    avow_hex_encode(in.qe_id, 16, b);
    printf("\"qe_id\":\"%s\",", b);
    avow_hex_encode(in.qe_mr_signer, 32, b);
    printf("\"qe_mrsigner\":\"%s\",\"ca\":\"%s\",\"root\":\"%s\"}\n", b, avow_pck_ca_name(in.ca),
           AVOW_SIM_ROOT_CN);
    avow_sim_platform_free(p);
    return CLI_OK;
}

int cli_sim(int argc, char **argv)
{
    static const cli_subcommand subs[] = {
        {"init", cmd_init, "make a simulated SGX platform and its PKI"},
        {"quote", cmd_quote, "quote an enclave or a TD, with collateral at any TCB status"},
        {"report", cmd_report, "make or check a local-attestation REPORT"},
        {"info", cmd_info, "print a platform's identity as JSON"},
        {"evalnums", cli_sim_evalnums, "sign a TCB evaluation data numbers document"},
        {0},
    };
    static const cli_group g = {
        "avow sim",
        "The software SGX platform: quoting and local attestation without SGX hardware. "
        "Its PKI's root is \"Avow Simulated SGX Root CA\", NOT Intel's: pass OUT/root.pem "
        "with --root to trust it.",
        subs};
    return cli_dispatch(&g, argc, argv);
}
