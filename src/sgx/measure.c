/* MRENCLAVE: the running SHA-256 over ECREATE / EADD / EEXTEND records
 * (docs/formats.md §4), with the checks hardware makes on each instruction,
 * plus measuring an SGXS stream. Layout descriptions live in layout.c.
 * Thread-safe: a context is used by one thread at a time; no globals. */
#include "avow/enclave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/cursor.h"
#include "core/sha256.h"

#define TAG_ECREATE  0x0045544145524345ULL /* "ECREATE\0" */
#define TAG_EADD     0x0000000044444145ULL /* "EADD\0\0\0\0" */
#define TAG_EEXTEND  0x00444E4554584545ULL /* "EEXTEND\0" */
#define TAG_UNSIZED  0x0044455a49534e55ULL /* "UNSIZED\0" (SGXS loader record) */
#define TAG_UNMEASRD 0x44525341454d4e55ULL /* "UNMEASRD" (SGXS loader record) */

struct avow_measure {
    EVP_MD_CTX *md;
    uint64_t size;
    uint64_t *pages; /* sorted offsets of EADDed pages */
    size_t n_pages, cap_pages;
};

static bool md_update(avow_measure *m, const uint8_t *p, size_t n)
{
    return EVP_DigestUpdate(m->md, p, n) == 1;
}

avow_err avow_measure_ecreate(avow_measure **out, uint64_t size, uint32_t ssa_frame_size,
                              avow_error *err)
{
    if (!out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "measure: NULL");
    *out = NULL;
    if (size < 2 * AVOW_PAGE_SIZE || (size & (size - 1)) != 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "ECREATE: SIZE 0x%llx is not a power of two of at least 0x2000",
                              (unsigned long long)size);
    if (ssa_frame_size == 0)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "ECREATE: SSAFRAMESIZE must be at least 1 page");
    avow_measure *m = calloc(1, sizeof *m);
    if (!m) return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "measure: out of memory");
    m->size = size;
    m->md = EVP_MD_CTX_new();
    uint8_t rec[64] = {0};
    avow_put_le64(rec, TAG_ECREATE);
    avow_put_le32(rec + 8, ssa_frame_size);
    avow_put_le64(rec + 12, size);
    if (!m->md || EVP_DigestInit_ex(m->md, avow_sha256_md(), NULL) != 1 || !md_update(m, rec, 64)) {
        avow_measure_free(m);
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "measure: SHA-256 failed");
    }
    *out = m;
    return AVOW_OK;
}

/* Index of the first page offset >= off. */
static size_t page_lower_bound(const avow_measure *m, uint64_t off)
{
    size_t lo = 0, hi = m->n_pages;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->pages[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static avow_err check_secinfo(uint64_t flags, avow_error *err)
{
    uint64_t type = flags & 0xff00, perm = flags & 0x7;
    if (flags & ~0xff07ULL)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EADD: SECINFO.FLAGS 0x%llx has reserved or state bits set",
                              (unsigned long long)flags);
    if (type == AVOW_SECINFO_PT_TCS) {
        if (perm)
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "EADD: a TCS page must have no R/W/X bits (flags 0x%llx)",
                                  (unsigned long long)flags);
    } else if (type == AVOW_SECINFO_PT_REG) {
        if ((perm & AVOW_SECINFO_W) && !(perm & AVOW_SECINFO_R))
            return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                  "EADD: a writable page must be readable (flags 0x%llx)",
                                  (unsigned long long)flags);
    } else {
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EADD: page type %llu is neither TCS (1) nor REG (2)",
                              (unsigned long long)(type >> 8));
    }
    return AVOW_OK;
}

avow_err avow_measure_eadd(avow_measure *m, uint64_t offset, uint64_t flags, avow_error *err)
{
    if (!m) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "measure: NULL");
    if (offset % AVOW_PAGE_SIZE)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EADD: offset 0x%llx is not page-aligned",
                              (unsigned long long)offset);
    if (offset >= m->size)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EADD: page at 0x%llx is outside the enclave SIZE 0x%llx",
                              (unsigned long long)offset, (unsigned long long)m->size);
    avow_err rc = check_secinfo(flags, err);
    if (rc) return rc;
    size_t at = page_lower_bound(m, offset);
    if (at < m->n_pages && m->pages[at] == offset)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EADD: page at 0x%llx was already added", (unsigned long long)offset);
    if (m->n_pages == m->cap_pages) {
        size_t cap = m->cap_pages ? m->cap_pages * 2 : 64;
        uint64_t *np = realloc(m->pages, cap * sizeof *np);
        if (!np)
            return avow_error_set(err, AVOW_ERR_NOMEM, AVOW_NO_OFFSET, "measure: out of memory");
        m->pages = np;
        m->cap_pages = cap;
    }
    memmove(m->pages + at + 1, m->pages + at, (m->n_pages - at) * sizeof *m->pages);
    m->pages[at] = offset;
    m->n_pages++;
    uint8_t rec[64] = {0};
    avow_put_le64(rec, TAG_EADD);
    avow_put_le64(rec + 8, offset);
    avow_put_le64(rec + 16, flags);
    if (!md_update(m, rec, 64))
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "measure: SHA-256 failed");
    return AVOW_OK;
}

avow_err avow_measure_eextend(avow_measure *m, uint64_t offset,
                              const uint8_t chunk[AVOW_EEXTEND_SIZE], avow_error *err)
{
    if (!m || !chunk) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "measure: NULL");
    if (offset % AVOW_EEXTEND_SIZE)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EEXTEND: offset 0x%llx is not 256-byte aligned",
                              (unsigned long long)offset);
    uint64_t page = offset & ~(uint64_t)(AVOW_PAGE_SIZE - 1);
    size_t at = page_lower_bound(m, page);
    if (offset >= m->size || at == m->n_pages || m->pages[at] != page)
        return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                              "EEXTEND: chunk at 0x%llx is not in a page added with EADD",
                              (unsigned long long)offset);
    uint8_t rec[64] = {0};
    avow_put_le64(rec, TAG_EEXTEND);
    avow_put_le64(rec + 8, offset);
    if (!md_update(m, rec, 64) || !md_update(m, chunk, AVOW_EEXTEND_SIZE))
        return avow_error_set(err, AVOW_ERR_INTERNAL, AVOW_NO_OFFSET, "measure: SHA-256 failed");
    return AVOW_OK;
}

avow_err avow_measure_add_page(avow_measure *m, uint64_t offset, uint64_t flags,
                               const uint8_t *page, bool measured, avow_error *err)
{
    static const uint8_t zeros[AVOW_PAGE_SIZE];
    avow_err rc = avow_measure_eadd(m, offset, flags, err);
    if (rc || !measured) return rc;
    const uint8_t *p = page ? page : zeros;
    for (uint64_t o = 0; o < AVOW_PAGE_SIZE; o += AVOW_EEXTEND_SIZE)
        if ((rc = avow_measure_eextend(m, offset + o, p + o, err))) return rc;
    return AVOW_OK;
}

void avow_measure_digest(const avow_measure *m, uint8_t mrenclave[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    if (!c || EVP_MD_CTX_copy_ex(c, m->md) != 1 || EVP_DigestFinal_ex(c, mrenclave, &n) != 1)
        memset(mrenclave, 0, 32);
    EVP_MD_CTX_free(c);
}

void avow_measure_free(avow_measure *m)
{
    if (!m) return;
    EVP_MD_CTX_free(m->md);
    free(m->pages);
    free(m);
}

avow_err avow_measure_sgxs(const uint8_t *buf, size_t len, uint8_t mrenclave[32], avow_error *err)
{
    if (!buf && len) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "sgxs: NULL");
    avow_measure *m = NULL;
    avow_err rc = AVOW_OK;
    size_t off = 0;
    while (off < len) {
        if (len - off < 64) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, off,
                                "sgxs record at offset %zu: needs 64 bytes, %zu left", off,
                                len - off);
            goto done;
        }
        const uint8_t *r = buf + off;
        uint64_t tag = avow_le64(r);
        if (!m && tag != TAG_ECREATE) {
            rc = avow_error_set(
                err, tag == TAG_UNSIZED ? AVOW_ERR_UNSUPPORTED : AVOW_ERR_FORMAT, off,
                tag == TAG_UNSIZED ? "sgxs at offset %zu: an UNSIZED stream has no SIZE to measure"
                                   : "sgxs at offset %zu: the first record must be ECREATE",
                off);
            goto done;
        }
        if (tag == TAG_ECREATE) {
            if (m) {
                rc = avow_error_set(err, AVOW_ERR_FORMAT, off,
                                    "sgxs at offset %zu: a second ECREATE", off);
                goto done;
            }
            if ((rc = avow_measure_ecreate(&m, avow_le64(r + 12), avow_le32(r + 8), err)))
                goto at_off;
            off += 64;
        } else if (tag == TAG_EADD) {
            const uint8_t *rsvd = r + 24;
            for (int i = 0; i < 40; i++)
                if (rsvd[i]) {
                    rc = avow_error_set(err, AVOW_ERR_FORMAT, off + 24,
                                        "sgxs EADD at offset %zu: SECINFO reserved bytes not zero",
                                        off);
                    goto done;
                }
            if ((rc = avow_measure_eadd(m, avow_le64(r + 8), avow_le64(r + 16), err))) goto at_off;
            off += 64;
        } else if (tag == TAG_EEXTEND || tag == TAG_UNMEASRD) {
            if (len - off < 64 + AVOW_EEXTEND_SIZE) {
                rc = avow_error_set(err, AVOW_ERR_FORMAT, off,
                                    "sgxs record at offset %zu: needs 320 bytes, %zu left", off,
                                    len - off);
                goto done;
            }
            if (tag == TAG_EEXTEND && (rc = avow_measure_eextend(m, avow_le64(r + 8), r + 64, err)))
                goto at_off;
            off += 64 + AVOW_EEXTEND_SIZE;
        } else {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, off,
                                "sgxs at offset %zu: unknown record tag 0x%016llx", off,
                                (unsigned long long)tag);
            goto done;
        }
    }
    if (!m) {
        rc = avow_error_set(err, AVOW_ERR_FORMAT, 0, "sgxs: empty stream (no ECREATE)");
        goto done;
    }
    avow_measure_digest(m, mrenclave);
    goto done;
at_off:
    if (err) {
        err->offset = off;
        char where[48];
        snprintf(where, sizeof where, "sgxs record at offset %zu", off);
        avow_error_prefix(err, where);
    }
done:
    avow_measure_free(m);
    return rc;
}
