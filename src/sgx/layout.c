/* Enclave layout descriptions (which image pages are added where, with which
 * SECINFO flags, measured or not) and measuring an image by a layout.
 * Thread-safe: no state. */
#include "avow/enclave.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_flags(const char *s, uint64_t *out)
{
    static const struct {
        const char *name;
        uint64_t flags;
    } names[] = {
        {"tcs", AVOW_SECINFO_TCS},   {"r", AVOW_SECINFO_REG_R},     {"rw", AVOW_SECINFO_REG_RW},
        {"rx", AVOW_SECINFO_REG_RX}, {"rwx", AVOW_SECINFO_REG_RWX}, {"reg", AVOW_SECINFO_REG_RWX},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(s, names[i].name)) {
            *out = names[i].flags;
            return true;
        }
    return parse_u64(s, out);
}

avow_err avow_layout_parse(const char *text, size_t len, avow_layout *out, avow_error *err)
{
    if (!text || !out) return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "layout: NULL");
    memset(out, 0, sizeof *out);
    out->ssa_frame_size = 1;
    size_t pos = 0;
    int line_no = 0;
    while (pos < len) {
        line_no++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        char line[256];
        size_t n = pos - start;
        if (pos < len) pos++;
        if (n >= sizeof line)
            return avow_error_set(err, AVOW_ERR_FORMAT, start, "layout line %d: too long", line_no);
        memcpy(line, text + start, n);
        line[n] = '\0';
        if (memchr(line, '\0', n))
            return avow_error_set(err, AVOW_ERR_FORMAT, start, "layout line %d: NUL byte", line_no);
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *tok[5];
        int nt = 0;
        for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t;
             t = strtok_r(NULL, " \t\r", &save)) {
            if (nt == 5)
                return avow_error_set(err, AVOW_ERR_FORMAT, start, "layout line %d: too many words",
                                      line_no);
            tok[nt++] = t;
        }
        if (nt == 0) continue;
        if (!strcmp(tok[0], "size") && nt == 2) {
            if (!parse_u64(tok[1], &out->size))
                return avow_error_set(err, AVOW_ERR_FORMAT, start, "layout line %d: bad size '%s'",
                                      line_no, tok[1]);
        } else if (!strcmp(tok[0], "ssaframesize") && nt == 2) {
            uint64_t v;
            if (!parse_u64(tok[1], &v) || v == 0 || v > UINT32_MAX)
                return avow_error_set(err, AVOW_ERR_FORMAT, start,
                                      "layout line %d: bad ssaframesize '%s'", line_no, tok[1]);
            out->ssa_frame_size = (uint32_t)v;
        } else if (!strcmp(tok[0], "pages") && (nt == 3 || nt == 4)) {
            if (out->n_ranges == AVOW_LAYOUT_MAX_RANGES)
                return avow_error_set(err, AVOW_ERR_FORMAT, start,
                                      "layout line %d: more than %d page ranges", line_no,
                                      AVOW_LAYOUT_MAX_RANGES);
            avow_layout_range *r = &out->ranges[out->n_ranges];
            uint64_t first, last;
            char *dash = strchr(tok[1], '-');
            if (dash) *dash = '\0';
            if (!parse_u64(tok[1], &first) ||
                (dash ? !parse_u64(dash + 1, &last) : !(last = first, true)) || last < first ||
                last >= (UINT64_MAX / AVOW_PAGE_SIZE))
                return avow_error_set(err, AVOW_ERR_FORMAT, start, "layout line %d: bad page range",
                                      line_no);
            r->first = first;
            r->count = last - first + 1;
            if (!parse_flags(tok[2], &r->flags))
                return avow_error_set(err, AVOW_ERR_FORMAT, start,
                                      "layout line %d: unknown page type '%s' (tcs, r, rw, rx, "
                                      "rwx or a SECINFO flags number)",
                                      line_no, tok[2]);
            r->measured = true;
            if (nt == 4) {
                if (!strcmp(tok[3], "unmeasured"))
                    r->measured = false;
                else if (strcmp(tok[3], "measured"))
                    return avow_error_set(err, AVOW_ERR_FORMAT, start,
                                          "layout line %d: '%s' is neither measured nor "
                                          "unmeasured",
                                          line_no, tok[3]);
            }
            out->n_ranges++;
        } else {
            return avow_error_set(err, AVOW_ERR_FORMAT, start,
                                  "layout line %d: unknown directive '%s' (size, ssaframesize, "
                                  "pages)",
                                  line_no, tok[0]);
        }
    }
    return AVOW_OK;
}

avow_err avow_measure_image(const uint8_t *image, size_t len, const avow_layout *layout,
                            uint8_t mrenclave[32], avow_error *err)
{
    if ((!image && len) || !layout)
        return avow_error_set(err, AVOW_ERR_ARG, AVOW_NO_OFFSET, "measure: NULL");
    uint64_t n_pages = (len + AVOW_PAGE_SIZE - 1) / AVOW_PAGE_SIZE;
    uint64_t size = layout->size;
    if (size == 0) {
        size = 2 * AVOW_PAGE_SIZE;
        while (size / AVOW_PAGE_SIZE < n_pages) {
            if (size > UINT64_MAX / 2)
                return avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                      "measure: image too large");
            size *= 2;
        }
    }
    avow_measure *m;
    avow_err rc =
        avow_measure_ecreate(&m, size, layout->ssa_frame_size ? layout->ssa_frame_size : 1, err);
    if (rc) return rc;
    uint8_t page[AVOW_PAGE_SIZE];
    for (size_t i = 0; i < layout->n_ranges && !rc; i++) {
        const avow_layout_range *r = &layout->ranges[i];
        if (r->count > n_pages || r->first > n_pages - r->count) {
            rc = avow_error_set(err, AVOW_ERR_FORMAT, AVOW_NO_OFFSET,
                                "layout range %zu: pages %llu..%llu are beyond the image's %llu "
                                "pages",
                                i + 1, (unsigned long long)r->first,
                                (unsigned long long)(r->first + r->count - 1),
                                (unsigned long long)n_pages);
            break;
        }
        for (uint64_t p = r->first; p < r->first + r->count && !rc; p++) {
            size_t off = (size_t)p * AVOW_PAGE_SIZE;
            size_t have = len - off < AVOW_PAGE_SIZE ? len - off : AVOW_PAGE_SIZE;
            memcpy(page, image + off, have);
            memset(page + have, 0, AVOW_PAGE_SIZE - have);
            rc = avow_measure_add_page(m, (uint64_t)off, r->flags, page, r->measured, err);
            if (rc) {
                char where[48];
                snprintf(where, sizeof where, "image page %llu", (unsigned long long)p);
                avow_error_prefix(err, where);
            }
        }
    }
    if (!rc) avow_measure_digest(m, mrenclave);
    avow_measure_free(m);
    return rc;
}
