/* src/dist/standardize.c - dlfs_dist_standardizer_fit: the standardiser of
 * the rows of every rank, as dlfs_standardizer_fit() fits the concatenation.
 *
 * The same two passes: the column sums (and each column's least and greatest
 * value, which tell a constant column) summed over the ranks give the means;
 * the squared deviations from those means summed over the ranks give the sds.
 * Summing in rank order (dlfs__dist_sum) gives every rank the same bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include "block.h"
#include "internal.h"
#include "dist/dist_impl.h"

static dlfs_status local_check(const dlfs_standardizer *s, const dlfs_matrix *X, const char *fn)
{
    if (!s || !X)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, s ? "X_local" : "s");
    if (X->cols == 0)
        return dlfs__fail(DLFS_EEMPTY, "%s: X_local has no columns", fn);
    if (X->rows == 0)
        return DLFS_OK;
    return dlfs_matrix_check_finite(X, "dlfs_dist_standardizer_fit: X_local");
}

/* Pass 1: buf = this rank's column sums, minima, maxima (k each); then the
 * ranks' combined, in rank order. */
static void pass_sums(MPI_Comm comm, const dlfs_matrix *X, double *buf, double *all, int nproc)
{
    const size_t k = X->cols;
    for (size_t j = 0; j < k; j++) {
        buf[j] = 0.0;
        buf[k + j] = INFINITY;
        buf[2 * k + j] = -INFINITY;
    }
    for (size_t i = 0; i < X->rows; i++) {
        const double *row = X->data + i * X->ld;
        for (size_t j = 0; j < k; j++) {
            buf[j] += row[j];
            buf[k + j] = fmin(buf[k + j], row[j]);
            buf[2 * k + j] = fmax(buf[2 * k + j], row[j]);
        }
    }
    MPI_Allgather(buf, (int)(3 * k), MPI_DOUBLE, all, (int)(3 * k), MPI_DOUBLE, comm);
    memcpy(buf, all, 3 * k * sizeof(double));
    for (int p = 1; p < nproc; p++) {
        const double *b = all + (size_t)p * 3 * k;
        for (size_t j = 0; j < k; j++) {
            buf[j] += b[j];
            buf[k + j] = fmin(buf[k + j], b[k + j]);
            buf[2 * k + j] = fmax(buf[2 * k + j], b[2 * k + j]);
        }
    }
}

/* Both passes into mean and sd (k each); n rows over the ranks. */
static dlfs_status fit(MPI_Comm comm, const dlfs_matrix *X, size_t n, double *mean, double *sd,
                       double *buf, double *all, int nproc, const char *fn)
{
    const size_t k = X->cols;
    pass_sums(comm, X, buf, all, nproc);
    /* A constant column's mean is its value exactly, so that its deviations
     * are exactly 0 (not a rounding residue) and its sd becomes 1. */
    for (size_t j = 0; j < k; j++)
        mean[j] = buf[k + j] == buf[2 * k + j] ? buf[k + j] : buf[j] / (double)n;
    for (size_t j = 0; j < k; j++)
        buf[j] = 0.0;
    for (size_t i = 0; i < X->rows; i++) {
        const double *row = X->data + i * X->ld;
        for (size_t j = 0; j < k; j++) {
            const double d = row[j] - mean[j];
            buf[j] += d * d;
        }
    }
    dlfs__dist_sum(comm, buf, buf, k, all);
    for (size_t j = 0; j < k; j++) {
        sd[j] = sqrt(buf[j] / (double)n);
        if (sd[j] == 0.0)
            sd[j] = 1.0;
        if (!isfinite(mean[j]) || !isfinite(sd[j]))
            return dlfs__fail(DLFS_ENONFINITE, "%s: column %zu: its mean or sd overflows", fn, j);
    }
    return DLFS_OK;
}

dlfs_status dlfs_dist_standardizer_fit(MPI_Comm comm, dlfs_standardizer *s,
                                       const dlfs_matrix *X_local)
{
    static const char fn[] = "dlfs_dist_standardizer_fit";
    if (comm == MPI_COMM_NULL)
        return dlfs__fail(DLFS_ENULL, "%s: comm is MPI_COMM_NULL", fn);
    if (s)
        memset(s, 0, sizeof *s);
    dlfs_status st = dlfs__dist_agree(comm, local_check(s, X_local, fn));
    if (st)
        return st;
    const size_t k = X_local->cols;
    const unsigned long long kk = k;
    if (!dlfs__dist_same(comm, &kk, 1))
        return dlfs__fail(DLFS_ESHAPE, "%s: the ranks' X_local have different columns", fn);
    size_t n, first, k3, all_len;
    int nproc;
    MPI_Comm_size(comm, &nproc);
    dlfs__dist_counts(comm, X_local->rows, &n, &first);
    if (n == 0)
        return dlfs__fail(DLFS_EEMPTY, "%s: no rank has a row", fn);
    if (!dlfs__mul(k, 3, &k3) || !dlfs__mul(k3, (size_t)nproc, &all_len) || all_len > 2147483647u)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu columns on %d ranks overflow", fn, k, nproc);
    double *mean = NULL, *sd = NULL, *buf = NULL, *all = NULL;
    if (!(st = dlfs__alloc_doubles(k, &mean, fn)) && !(st = dlfs__alloc_doubles(k, &sd, fn)) &&
        !(st = dlfs__alloc_doubles(k3, &buf, fn)))
        st = dlfs__alloc_doubles(all_len, &all, fn);
    if (!(st = dlfs__dist_agree(comm, st)))
        st = fit(comm, X_local, n, mean, sd, buf, all, nproc, fn);
    free(buf);
    free(all);
    if (st) {
        free(mean);
        free(sd);
        return st;
    }
    *s = (dlfs_standardizer){.k = k, .mean = mean, .sd = sd};
    return DLFS_OK;
}
