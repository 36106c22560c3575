/* Platform folder persistence (the only file I/O of the model): public
 * parameters in platform.json, CPU secrets in cpu.secrets, private keys as
 * PKCS#8 PEM, certificates as PEM. Secret files are created 0600 in a 0700
 * folder and secrets are wiped from memory after use. Values derived from the
 * secrets (PPID, PCK key, QE_ID) are recomputed on load, and the PCK
 * certificate is checked against the re-derived key.
 * Thread-safe: no shared state; concurrent saves to one folder race. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "avow/encode.h"
#include "avow/file.h"
#include "sim/sim_internal.h"

#define SECRETS_SIZE (16 + 16 + 16 + 32)

static void path_of(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static avow_err write_file(const char *dir, const char *name, const void *buf, size_t len,
                           mode_t mode, avow_error *err)
{
    char path[4096];
    path_of(path, sizeof path, dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", path, strerror(errno));
    bool ok = fchmod(fd, mode) == 0;
    const uint8_t *p = buf;
    size_t left = len;
    while (ok && left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            ok = false;
        else
            p += w, left -= (size_t)w;
    }
    int saved = errno;
    if (close(fd) != 0) ok = false;
    return ok ? AVOW_OK
              : avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", path, strerror(saved));
}

static avow_err read_file(const char *dir, const char *name, char **buf, size_t *len,
                          avow_error *err)
{
    char path[4096];
    path_of(path, sizeof path, dir, name);
    /* platform files hold secrets: wipe every discarded buffer */
    return avow_file_read(path, 1u << 20, true, (uint8_t **)buf, len, err);
}

static void free_secret(char *b, size_t n)
{
    if (b) avow_wipe(b, n);
    free(b);
}

static avow_err save_key(const char *dir, const char *name, EVP_PKEY *k, avow_error *err)
{
    char *pem = sim_key_to_pem(k);
    if (!pem)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "%s: cannot encode", name);
    size_t n = strlen(pem);
    avow_err rc = write_file(dir, name, pem, n, 0600, err);
    free_secret(pem, n);
    return rc;
}

static avow_err save_cert(const char *dir, const char *name, const avow_cert_copy *c,
                          avow_error *err)
{
    const avow_cert_copy *one[] = {c, NULL};
    char *pem = sim_pem_chain(one);
    if (!pem)
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "%s: cannot encode", name);
    avow_err rc = write_file(dir, name, pem, strlen(pem), 0644, err);
    free(pem);
    return rc;
}

static const char *ca_name(avow_pck_ca ca)
{
    return ca == AVOW_PCK_CA_PLATFORM ? "platform" : "processor";
}

avow_err avow_sim_platform_save(const avow_sim_platform *p, const char *dir, avow_error *err)
{
    if (!p || !dir) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim save: NULL");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return avow_error_set(err, AVOW_ERR_IO, AVOW_NO_OFFSET, "%s: %s", dir, strerror(errno));
    chmod(dir, 0700);
    char comps[33], fmspc[13];
    avow_hex_encode(p->opts.comp_svn, 16, comps);
    avow_hex_encode(p->opts.fmspc, 6, fmspc);
    json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:s, s:i, s:i, s:s, s:s, s:i}", "version", 1,
                          "kind", "avow simulated SGX platform", "created", (json_int_t)p->opts.now,
                          "cert_not_before", (json_int_t)p->opts.cert_not_before, "cert_not_after",
                          (json_int_t)p->opts.cert_not_after, "comp_svn", comps, "pce_svn",
                          (int)p->opts.pce_svn, "qe_svn", (int)p->opts.qe_svn, "fmspc", fmspc, "ca",
                          ca_name(p->opts.ca), "sgx_type", p->opts.sgx_type);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!text)
        return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "sim save: out of memory");
    avow_err rc = write_file(dir, "platform.json", text, strlen(text), 0644, err);
    free(text);
    if (rc) return rc;
    uint8_t sec[SECRETS_SIZE];
    memcpy(sec, p->seal_root, 16);
    memcpy(sec + 16, p->prov_root, 16);
    memcpy(sec + 32, p->owner_epoch, 16);
    memcpy(sec + 48, p->report_keyid, 32);
    rc = write_file(dir, "cpu.secrets", sec, sizeof sec, 0600, err);
    avow_wipe(sec, sizeof sec);
    if (!rc) rc = save_key(dir, "attestation.key", p->att_key, err);
    if (!rc) rc = save_key(dir, "root.key", p->root_key, err);
    if (!rc) rc = save_key(dir, "pckca.key", p->ca_key, err);
    if (!rc) rc = save_key(dir, "tcbsign.key", p->tcb_key, err);
    if (!rc) rc = save_cert(dir, "root.pem", &p->root_cert, err);
    if (!rc) rc = save_cert(dir, "pckca.pem", &p->ca_cert, err);
    if (!rc) rc = save_cert(dir, "tcbsign.pem", &p->tcb_cert, err);
    if (!rc) rc = save_cert(dir, "pck.pem", &p->pck_cert, err);
    return rc;
}

static avow_err load_key(const char *dir, const char *name, EVP_PKEY **k, avow_error *err)
{
    char *b;
    size_t n;
    avow_err rc = read_file(dir, name, &b, &n, err);
    if (rc) return rc;
    *k = sim_key_from_pem(b, n);
    free_secret(b, n);
    return *k ? AVOW_OK
              : avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                               "%s/%s: not a P-256 private key PEM", dir, name);
}

static avow_err load_cert(const char *dir, const char *name, avow_cert_copy *c, avow_error *err)
{
    char *b;
    size_t n;
    avow_err rc = read_file(dir, name, &b, &n, err);
    if (rc) return rc;
    rc = avow_cert_copy_read((const uint8_t *)b, n, NULL, c, NULL);
    free(b);
    return rc ? avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s/%s: not a PEM certificate",
                               dir, name)
              : AVOW_OK;
}

static avow_err parse_params(const char *dir, avow_sim_platform_opts *o, avow_error *err)
{
    char *b;
    size_t n;
    avow_err rc = read_file(dir, "platform.json", &b, &n, err);
    if (rc) return rc;
    json_error_t je;
    json_t *j = json_loadb(b, n, 0, &je);
    free(b);
    json_int_t version = 0, created = 0, nb = 0, na = 0;
    int pce = -1, qe = -1, sgx_type = -1;
    const char *comps = NULL, *fmspc = NULL, *ca = NULL;
    if (!j || json_unpack_ex(j, &je, 0, "{s:I, s:I, s:I, s:I, s:s, s:i, s:i, s:s, s:s, s:i}",
                             "version", &version, "created", &created, "cert_not_before", &nb,
                             "cert_not_after", &na, "comp_svn", &comps, "pce_svn", &pce, "qe_svn",
                             &qe, "fmspc", &fmspc, "ca", &ca, "sgx_type", &sgx_type) != 0) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET, "%s/platform.json: %s", dir,
                            je.text);
        goto done;
    }
    memset(o, 0, sizeof *o);
    o->now = created;
    o->cert_not_before = nb;
    o->cert_not_after = na;
    o->sgx_type = sgx_type;
    o->ca = !strcmp(ca, "platform")    ? AVOW_PCK_CA_PLATFORM
            : !strcmp(ca, "processor") ? AVOW_PCK_CA_PROCESSOR
                                       : AVOW_PCK_CA_UNKNOWN;
    if (version != 1 || pce < 0 || pce > 0xffff || qe < 0 || qe > 0xffff ||
        avow_hex_decode_fixed(comps, strlen(comps), o->comp_svn, 16, NULL) ||
        avow_hex_decode_fixed(fmspc, strlen(fmspc), o->fmspc, 6, NULL)) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "%s/platform.json: a field is out of range", dir);
        goto done;
    }
    o->pce_svn = (uint16_t)pce;
    o->qe_svn = (uint16_t)qe;
done:
    json_decref(j);
    return rc;
}

avow_err avow_sim_platform_load(const char *dir, avow_sim_platform **out, avow_error *err)
{
    if (!dir || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sim load: NULL");
    avow_sim_platform *p = calloc(1, sizeof *p);
    if (!p) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "out of memory");
    avow_err rc = parse_params(dir, &p->opts, err);
    char *sec = NULL;
    size_t n = 0;
    if (!rc) rc = read_file(dir, "cpu.secrets", &sec, &n, err);
    if (!rc && n != SECRETS_SIZE)
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "%s/cpu.secrets: %zu bytes, expected %d", dir, n, SECRETS_SIZE);
    if (!rc) {
        memcpy(p->seal_root, sec, 16);
        memcpy(p->prov_root, sec + 16, 16);
        memcpy(p->owner_epoch, sec + 32, 16);
        memcpy(p->report_keyid, sec + 48, 32);
    }
    free_secret(sec, n);
    if (!rc) rc = load_key(dir, "attestation.key", &p->att_key, err);
    if (!rc) rc = load_key(dir, "root.key", &p->root_key, err);
    if (!rc) rc = load_key(dir, "pckca.key", &p->ca_key, err);
    if (!rc) rc = load_key(dir, "tcbsign.key", &p->tcb_key, err);
    if (!rc) rc = load_cert(dir, "root.pem", &p->root_cert, err);
    if (!rc) rc = load_cert(dir, "pckca.pem", &p->ca_cert, err);
    if (!rc) rc = load_cert(dir, "tcbsign.pem", &p->tcb_cert, err);
    if (!rc) rc = load_cert(dir, "pck.pem", &p->pck_cert, err);
    if (!rc) rc = sim_platform_derive(p, err);
    EVP_PKEY *certified = NULL;
    if (!rc && (avow_cert_pubkey(&p->pck_cert.c, &certified, NULL) != AVOW_OK ||
                EVP_PKEY_eq(certified, p->pck_key) != 1))
        rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                            "%s/pck.pem: does not certify the key derived from this CPU", dir);
    EVP_PKEY_free(certified);
    if (rc) {
        avow_sim_platform_free(p);
        return rc;
    }
    *out = p;
    return AVOW_OK;
}
