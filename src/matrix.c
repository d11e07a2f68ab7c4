/* src/matrix.c - matrix descriptors: allocation, views, validation, copies. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/matrix.h>
#include "internal.h"

dlfs_status dlfs_matrix_alloc(dlfs_matrix *m, size_t rows, size_t cols)
{
    size_t n, bytes;
    if (!m)
        return dlfs__fail(DLFS_ENULL, "dlfs_matrix_alloc: m is NULL");
    *m = (dlfs_matrix){0};
    if (rows == 0 || cols == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_matrix_alloc: %zu x %zu matrix is empty", rows, cols);
    if (!dlfs__mul(rows, cols, &n) || !dlfs__mul(n, sizeof(double), &bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_matrix_alloc: %zu x %zu doubles overflow", rows, cols);
    double *data = calloc(n, sizeof(double));
    if (!data)
        return dlfs__fail(DLFS_ENOMEM, "dlfs_matrix_alloc: could not allocate %zu x %zu doubles", rows, cols);
    *m = (dlfs_matrix){.rows = rows, .cols = cols, .ld = cols, .data = data};
    return DLFS_OK;
}

void dlfs_matrix_free(dlfs_matrix *m)
{
    if (!m)
        return;
    free(m->data);
    *m = (dlfs_matrix){0};
}

dlfs_matrix dlfs_matrix_view(double *data, size_t rows, size_t cols, size_t ld)
{
    return (dlfs_matrix){.rows = rows, .cols = cols, .ld = ld, .data = data};
}

dlfs_matrix_const_view_s dlfs_matrix_view_const(const double *data, size_t rows, size_t cols,
                                                size_t ld)
{
    /* The one cast, here rather than in the caller's code: the view is const,
     * so nothing can write through it. */
    return (dlfs_matrix_const_view_s){
        .matrix = {.rows = rows, .cols = cols, .ld = ld, .data = (double *)(uintptr_t)data}};
}

dlfs_status dlfs_matrix_check(const dlfs_matrix *m, const char *name)
{
    size_t n;
    if (!name)
        name = "matrix";
    if (!m)
        return dlfs__fail(DLFS_ENULL, "%s is NULL", name);
    if (!m->data)
        return dlfs__fail(DLFS_ENULL, "%s has no data (NULL)", name);
    if (m->rows == 0 || m->cols == 0)
        return dlfs__fail(DLFS_EEMPTY, "%s is empty (%zu x %zu)", name, m->rows, m->cols);
    if (m->ld < m->cols)
        return dlfs__fail(DLFS_ESHAPE, "%s: leading dimension %zu is less than its %zu columns",
                          name, m->ld, m->cols);
    if (!dlfs__mul(m->rows, m->ld, &n) || !dlfs__mul(n, sizeof(double), &n))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows x leading dimension %zu overflow",
                          name, m->rows, m->ld);
    return DLFS_OK;
}

dlfs_status dlfs_matrix_block(const dlfs_matrix *m, size_t row, size_t col,
                              size_t nrows, size_t ncols, dlfs_matrix *block)
{
    dlfs_status st = dlfs_matrix_check(m, "dlfs_matrix_block: m");
    if (st)
        return st;
    if (!block)
        return dlfs__fail(DLFS_ENULL, "dlfs_matrix_block: block is NULL");
    if (nrows == 0 || ncols == 0 || row >= m->rows || col >= m->cols ||
        nrows > m->rows - row || ncols > m->cols - col)
        return dlfs__fail(DLFS_ESHAPE,
                          "dlfs_matrix_block: %zu x %zu block at (%zu, %zu) does not fit in %zu x %zu",
                          nrows, ncols, row, col, m->rows, m->cols);
    *block = dlfs_matrix_view(m->data + row * m->ld + col, nrows, ncols, m->ld);
    return DLFS_OK;
}

DLFS_MULTIVERSION
int dlfs__all_finite(const double *x, size_t n)
{
    /* A value is finite when its bits without the sign are below those of
     * infinity (NaNs are above): one unsigned maximum, which vectorises. */
    uint64_t most = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, x + i, sizeof u);
        u &= 0x7fffffffffffffffULL;
        most = u > most ? u : most;
    }
    return most < 0x7ff0000000000000ULL;
}

dlfs_status dlfs_matrix_check_finite(const dlfs_matrix *m, const char *name)
{
    dlfs_status st = dlfs_matrix_check(m, name);
    if (st)
        return st;
    for (size_t i = 0; i < m->rows; i++) {
        const double *row = m->data + i * m->ld;
        if (dlfs__all_finite(row, m->cols))
            continue;
        for (size_t j = 0; j < m->cols; j++)
            if (!isfinite(row[j]))
                return dlfs__fail(DLFS_ENONFINITE, "%s: row %zu, column %zu is %g",
                                  name ? name : "matrix", i, j, row[j]);
    }
    return DLFS_OK;
}

dlfs_status dlfs_matrix_copy(dlfs_matrix *dst, const dlfs_matrix *src)
{
    dlfs_status st;
    if ((st = dlfs_matrix_check(dst, "dlfs_matrix_copy: dst")) ||
        (st = dlfs_matrix_check(src, "dlfs_matrix_copy: src")))
        return st;
    if (dst->rows != src->rows || dst->cols != src->cols)
        return dlfs__fail(DLFS_ESHAPE, "dlfs_matrix_copy: dst is %zu x %zu, src is %zu x %zu",
                          dst->rows, dst->cols, src->rows, src->cols);
    for (size_t i = 0; i < src->rows; i++)
        memmove(dst->data + i * dst->ld, src->data + i * src->ld, src->cols * sizeof(double));
    return DLFS_OK;
}

dlfs_status dlfs__check_prediction(const char *fn, const dlfs_matrix *X, const dlfs_matrix *P,
                                   size_t k, size_t m)
{
    char xname[64], pname[64];
    dlfs_status st;
    snprintf(xname, sizeof xname, "%s: X", fn);
    snprintf(pname, sizeof pname, "%s: P", fn);
    if ((st = dlfs_matrix_check(X, xname)) || (st = dlfs_matrix_check(P, pname)))
        return st;
    if (X->cols != k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the model has k = %zu inputs",
                          fn, X->cols, k);
    if (P->rows != X->rows || P->cols != m)
        return dlfs__fail(DLFS_ESHAPE, "%s: P is %zu x %zu, expected %zu x %zu",
                          fn, P->rows, P->cols, X->rows, m);
    return dlfs_matrix_check_finite(X, xname);
}
