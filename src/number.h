/* src/number.h - the decimal numbers of a CSV field; not installed.
 *
 * The grammar and the fast path are explained in number.c. The scan and the
 * fast path are defined here, inline: the CSV reader runs them on every
 * field, within its loop rather than through a call per field. */
#ifndef DLFS_NUMBER_H
#define DLFS_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* What dlfs__parse_number makes of a field. */
enum { DLFS__NUM_OK = 0, DLFS__NUM_BAD, DLFS__NUM_NONFINITE, DLFS__NUM_NOMEM };

/* The blanks allowed around a number (and around any CSV field). */
static inline int dlfs__is_blank(char c) { return c == ' ' || c == '\t'; }

/* A decimal number as scanned: its value is (-1)^neg * m * 10^exp10, exactly
 * unless `inexact` (a nonzero digit beyond the 19th was dropped). */
typedef struct dlfs__decimal {
    uint64_t m;
    int64_t exp10;
    int neg;
    int inexact;
} dlfs__decimal;

/* Scans [+-] digits [. digits] [(e|E) [+-] digits] at s, at least one digit
 * in the mantissa. Returns where the number stops (the caller decides
 * whether what follows may follow), or NULL if no number starts at s. */
static inline const char *dlfs__scan_decimal(const char *s, const char *end, dlfs__decimal *d)
{
    uint64_t m = 0;
    int64_t exp10 = 0;
    int ndig = 0, inexact = 0, digits = 0, neg = 0;
    if (s < end && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    for (; s < end && (unsigned)(*s - '0') < 10; s++, digits++) {
        unsigned dig = (unsigned)(*s - '0');
        if (ndig < 19) {
            m = m * 10 + dig;
            ndig += m != 0;   /* leading zeros are not significant */
        } else {
            exp10++;
            inexact |= dig != 0;
        }
    }
    if (s < end && *s == '.') {
        for (s++; s < end && (unsigned)(*s - '0') < 10; s++, digits++) {
            unsigned dig = (unsigned)(*s - '0');
            if (ndig < 19) {
                m = m * 10 + dig;
                ndig += m != 0;
                exp10--;
            } else {
                inexact |= dig != 0;
            }
        }
    }
    if (digits == 0)
        return NULL;
    if (s < end && (*s == 'e' || *s == 'E')) {
        int eneg = 0;
        int64_t e = 0;
        const char *first;
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        for (first = s; s < end && (unsigned)(*s - '0') < 10; s++)
            if (e < 100000000)  /* far beyond any double; keeps e from overflowing */
                e = e * 10 + (*s - '0');
        if (s == first)
            return NULL;
        exp10 += eneg ? -e : e;
    }
    d->m = m;
    d->exp10 = exp10;
    d->neg = neg;
    d->inexact = inexact;
    return s;
}

/* The exact value without strtod, when one IEEE operation gives it: m and
 * 10^|exp10| are exact doubles, so m * 10^e or m / 10^-e is correctly
 * rounded, as strtod is. Returns 0 when the number needs strtod. */
static inline int dlfs__decimal_fast(const dlfs__decimal *d, double *out)
{
#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ == 0
    static const double pow10[23] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (d->inexact || d->m > (UINT64_C(1) << 53))
        return 0;
    double v = (double)d->m;
    if (d->m == 0)
        v = 0.0;
    else if (d->exp10 >= 0 && d->exp10 <= 22)
        v *= pow10[d->exp10];
    else if (d->exp10 < 0 && d->exp10 >= -22)
        v /= pow10[-d->exp10];
    else
        return 0;
    *out = d->neg ? -v : v;
    return 1;
#else
    (void)d;
    (void)out;
    return 0;   /* extended-precision evaluation would round twice */
#endif
}

/* Scratch for the strtod path: a NUL-terminated copy of a field. One buffer
 * reused for the whole parse, grown only for unusually long fields; the
 * caller zeroes it first and frees `big` at the end. */
typedef struct dlfs__num_scratch {
    char small[128];
    char *big;
    size_t big_cap;
} dlfs__num_scratch;

/* Parses the field s[0..len) (blanks around it allowed) into *out. Returns
 * DLFS__NUM_OK, or DLFS__NUM_BAD (not a decimal number), DLFS__NUM_NONFINITE
 * (nan, inf, or out of range) or DLFS__NUM_NOMEM, leaving *out as it was. */
int dlfs__parse_number(const char *s, size_t len, dlfs__num_scratch *scratch, double *out);

#endif
