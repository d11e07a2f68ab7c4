/* src/standardize.c - standardisation fitted on one set and applied to others. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/standardize.h>
#include "block.h"
#include "internal.h"
#include "standardize_impl.h"

dlfs_status dlfs_standardizer_fit(dlfs_standardizer *s, const dlfs_matrix *X)
{
    static const char fn[] = "dlfs_standardizer_fit";
    dlfs_status st;
    if (!s)
        return dlfs__fail(DLFS_ENULL, "%s: s is NULL", fn);
    memset(s, 0, sizeof *s);
    if ((st = dlfs_matrix_check_finite(X, "dlfs_standardizer_fit: X")))
        return st;
    size_t n = X->rows, k = X->cols;
    double *mean, *sd;
    if ((st = dlfs__alloc_doubles(k, &mean, fn)))
        return st;
    if ((st = dlfs__alloc_doubles(k, &sd, fn))) {
        free(mean);
        return st;
    }
    /* Row by row, for memory order. Pass 1: sums in mean, "constant so far"
     * flags in sd. A constant column's mean is its value exactly, so pass 2
     * gives it a sum of squares of exactly 0 (not a rounding residue). */
    const double *x0 = X->data;
    for (size_t j = 0; j < k; j++) {
        mean[j] = 0.0;
        sd[j] = 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = X->data + i * X->ld;
        for (size_t j = 0; j < k; j++) {
            mean[j] += row[j];
            if (row[j] != x0[j])
                sd[j] = 0.0;
        }
    }
    for (size_t j = 0; j < k; j++) {
        mean[j] = sd[j] != 0.0 ? x0[j] : mean[j] / (double)n;
        sd[j] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = X->data + i * X->ld;
        for (size_t j = 0; j < k; j++) {
            double d = row[j] - mean[j];
            sd[j] += d * d;
        }
    }
    for (size_t j = 0; j < k; j++) {
        sd[j] = sqrt(sd[j] / (double)n);
        if (sd[j] == 0.0)
            sd[j] = 1.0;
        if (!isfinite(mean[j]) || !isfinite(sd[j])) {
            free(mean);
            free(sd);
            return dlfs__fail(DLFS_ENONFINITE, "%s: column %zu: its mean or sd overflows", fn, j);
        }
    }
    s->k = k;
    s->mean = mean;
    s->sd = sd;
    return DLFS_OK;
}

static dlfs_status standardizer_check(const char *fn, const char *xname,
                                      const dlfs_standardizer *s, const dlfs_matrix *X)
{
    if (!s)
        return dlfs__fail(DLFS_ENULL, "%s: s is NULL", fn);
    if (!s->mean || !s->sd)
        return dlfs__fail(DLFS_ENULL, "%s: s has not been fitted (mean or sd is NULL)", fn);
    if (!X)
        return dlfs__fail(DLFS_ENULL, "%s: X is NULL", fn);
    dlfs_status st = dlfs_matrix_check(X, xname);
    if (st)
        return st;
    if (X->cols != s->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the standardizer was fitted on %zu",
                          fn, X->cols, s->k);
    return DLFS_OK;
}

void dlfs__standardize_rows(const dlfs_standardizer *s, dlfs_matrix *dst, const dlfs_matrix *src)
{
    for (size_t i = 0; i < src->rows; i++) {
        const double *in = src->data + i * src->ld;
        double *out = dst->data + i * dst->ld;
        for (size_t j = 0; j < src->cols; j++)
            out[j] = (in[j] - s->mean[j]) / s->sd[j];
    }
}

/* X = (X - mean) / sd, or with `invert` X = X * sd + mean, in place, once
 * standardizer_check has passed (fn and xname as there). */
static dlfs_status standardizer_map(const char *fn, const char *xname,
                                    const dlfs_standardizer *s, dlfs_matrix *X, int invert)
{
    dlfs_status st = standardizer_check(fn, xname, s, X);
    if (st)
        return st;
    if (!invert) {
        dlfs__standardize_rows(s, X, X);
        return DLFS_OK;
    }
    for (size_t i = 0; i < X->rows; i++) {
        double *row = X->data + i * X->ld;
        for (size_t j = 0; j < X->cols; j++)
            row[j] = row[j] * s->sd[j] + s->mean[j];
    }
    return DLFS_OK;
}

dlfs_status dlfs_standardizer_apply(const dlfs_standardizer *s, dlfs_matrix *X)
{
    return standardizer_map("dlfs_standardizer_apply", "dlfs_standardizer_apply: X", s, X, 0);
}

dlfs_status dlfs_standardizer_invert(const dlfs_standardizer *s, dlfs_matrix *X)
{
    return standardizer_map("dlfs_standardizer_invert", "dlfs_standardizer_invert: X", s, X, 1);
}

void dlfs_standardizer_free(dlfs_standardizer *s)
{
    if (!s)
        return;
    free(s->mean);
    free(s->sd);
    memset(s, 0, sizeof *s);
}
