/* src/number.c - decimal number parsing for the CSV reader.
 *
 * Numbers are decimal, with '.' as the decimal point:
 *     [+-] digits [. digits] [(e|E) [+-] digits]     (or  [+-] . digits ...)
 * with spaces or tabs around. The grammar is checked here; the value is the
 * one strtod gives. Most fields (at most 19 significant digits, a power of
 * ten within 1e+-22) take an exact fast path: m * 10^e or m / 10^-e is a
 * single correctly rounded IEEE operation when m <= 2^53 and 10^|e| is exact
 * (Clinger, 1990), so it equals glibc's correctly rounded strtod. The rest go
 * to strtod, which follows LC_NUMERIC. The library never calls setlocale; in
 * a program that sets a locale whose decimal point is not '.', such a field
 * stops short of its end in strtod and is rejected (DLFS_EPARSE), never
 * misread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

static int ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

static int equals_nocase(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i]; i++)
        if (ascii_lower(s[i]) != word[i])
            return 0;
    return i == len && !word[i];
}

int dlfs__parse_number(const char *s, size_t len, dlfs__num_scratch *scratch, double *out)
{
    while (len && dlfs__is_blank(*s)) {
        s++;
        len--;
    }
    while (len && dlfs__is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return DLFS__NUM_BAD;
    dlfs__decimal d;
    const char *stop = dlfs__scan_decimal(s, s + len, &d);
    if (!stop) {
        const char *w = s + (*s == '+' || *s == '-');
        size_t wl = len - (size_t)(w - s);
        if (equals_nocase(w, wl, "nan") || equals_nocase(w, wl, "inf") ||
            equals_nocase(w, wl, "infinity") ||
            (wl >= 5 && equals_nocase(w, 4, "nan(") && w[wl - 1] == ')'))
            return DLFS__NUM_NONFINITE;
        return DLFS__NUM_BAD;
    }
    if (stop != s + len)
        return DLFS__NUM_BAD;
    if (dlfs__decimal_fast(&d, out))
        return DLFS__NUM_OK;

    char *buf = scratch->small;
    if (len >= sizeof scratch->small) {
        if (len >= scratch->big_cap) {
            size_t cap = len + 1 > 2 * scratch->big_cap ? len + 1 : 2 * scratch->big_cap;
            char *nb = realloc(scratch->big, cap);
            if (!nb)
                return DLFS__NUM_NOMEM;
            scratch->big = nb;
            scratch->big_cap = cap;
        }
        buf = scratch->big;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *endp;
    double v = strtod(buf, &endp);
    if (endp != buf + len)
        return DLFS__NUM_BAD;   /* a locale whose decimal point is not '.' */
    if (!isfinite(v))
        return DLFS__NUM_NONFINITE;
    *out = v;
    return DLFS__NUM_OK;
}
