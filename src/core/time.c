/* Time parsing and formatting (include/avow/time.h). Civil-date arithmetic is
 * done here (Howard Hinnant's days-from-civil algorithm) instead of timegm so
 * that results never depend on the process time zone. Thread-safe. */
#include "avow/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

avow_time avow_time_from_civil(int y, int m, int d, int hh, int mm, int ss)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hh * 3600 + mm * 60 + ss;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void avow_time_format(avow_time t, char out[21])
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y % 10000);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%04u-%02u-%02uT%02u:%02u:%02uZ", yy, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(rem / 3600) % 100u, (unsigned)(rem / 60 % 60),
             (unsigned)(rem % 60));
    memcpy(out, tmp, 20);
    out[20] = '\0';
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

avow_err avow_time_parse_rfc3339(const char *s, size_t len, avow_time *out, avow_error *err)
{
    int y, mo, d, h, mi, se;
    if (len < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return avow_error_set(err, AVOW_ERR_FORMAT, 0, "'%.*s' is not an RFC 3339 date-time",
                              (int)(len > 40 ? 40 : len), s);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return avow_error_set(err, AVOW_ERR_FORMAT, 0, "'%.*s' is out of range",
                              (int)(len > 40 ? 40 : len), s);
    size_t i = 19;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return avow_error_set(err, AVOW_ERR_FORMAT, i, "empty fraction of a second");
    }
    int64_t offset = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return avow_error_set(err, AVOW_ERR_FORMAT, i, "bad UTC offset");
        offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return avow_error_set(err, AVOW_ERR_FORMAT, i, "'%.*s' has no time zone (Z or +hh:mm)",
                              (int)(len > 40 ? 40 : len), s);
    }
    if (i != len) return avow_error_set(err, AVOW_ERR_FORMAT, i, "trailing characters after date-time");
    *out = avow_time_from_civil(y, mo, d, h, mi, se > 59 ? 59 : se) - offset;
    return AVOW_OK;
}

avow_err avow_time_parse(const char *s, avow_time *out, avow_error *err)
{
    size_t len = strlen(s);
    bool all_digits = len > 0 && len <= 18;
    for (size_t i = 0; i < len && all_digits; i++)
        if (s[i] < '0' || s[i] > '9') all_digits = false;
    if (all_digits) {
        avow_time v = 0;
        for (size_t i = 0; i < len; i++) v = v * 10 + (s[i] - '0');
        *out = v;
        return AVOW_OK;
    }
    avow_err e = avow_time_parse_rfc3339(s, len, out, err);
    if (e && err)
        avow_error_set(err, e, err->offset, "'%.40s' is neither unix seconds nor RFC 3339 (e.g. 2025-07-04T10:28:44Z)", s);
    return e;
}

avow_time avow_time_now(void)
{
    return (avow_time)time(NULL);
}
