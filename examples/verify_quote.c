/* A relying party's program against the installed libavow: verifies a DCAP
 * quote (SGX or TDX) against Intel collateral at a given time, with Intel's
 * root only (or an extra root PEM for the software platform's evidence), and
 * prints the verdict, the TCB status and each check of the trace.
 *
 *   cc verify_quote.c $(pkg-config --cflags --libs avow) -o verify_quote
 *   ./verify_quote QUOTE COLLATERAL UNIX-TIME [ROOT.pem]
 *
 * Exit status: 0 verdict ok, 1 verdict fail, 2 unusable input.
 * Uses only the public API (include/avow/verify.h, collateral.h, tcb.h). */
#include <stdio.h>
#include <stdlib.h>

#include <avow/collateral.h>
#include <avow/tcb.h>
#include <avow/verify.h>

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s QUOTE COLLATERAL UNIX-TIME [ROOT.pem]\n", argv[0]);
        return 2;
    }
    size_t qlen = 0;
    unsigned char *quote = read_all(argv[1], &qlen);
    if (!quote) {
        perror(argv[1]);
        return 2;
    }
    avow_error err;
    avow_collateral coll;
    if (avow_collateral_load(argv[2], &coll, &err) != AVOW_OK) {
        fprintf(stderr, "%s: %s\n", argv[2], err.msg);
        return 2;
    }
    avow_verifier *v;
    if (avow_verifier_new(&v, &err) != AVOW_OK) {
        fprintf(stderr, "verifier: %s\n", err.msg);
        return 2;
    }
    if (argc > 4) {
        size_t rl;
        unsigned char *root = read_all(argv[4], &rl);
        if (!root || avow_verifier_add_root_pem(v, (const char *)root, rl, &err) != AVOW_OK) {
            fprintf(stderr, "%s: %s\n", argv[4], root ? err.msg : "cannot read");
            return 2;
        }
        free(root);
    }
    avow_verify_opts opts = {.at = strtoll(argv[3], NULL, 10)};
    avow_verify_result r;
    avow_err rc = avow_verify_quote(v, quote, qlen, &coll, &opts, &r);
    const char *status = avow_tcb_status_name(r.status);
    printf("verdict: %s\nstatus: %s\n", r.ok ? "ok" : "fail", status ? status : "none");
    for (size_t i = 0; i < r.trace.count; i++)
        printf("  [%s] %s: %s\n", r.trace.entries[i].pass ? "ok" : "FAIL", r.trace.entries[i].step,
               r.trace.entries[i].detail);
    int exit_code = rc != AVOW_OK ? 2 : r.ok ? 0 : 1;
    avow_verify_result_free(&r);
    avow_verifier_free(v);
    avow_collateral_free(&coll);
    free(quote);
    return exit_code;
}
