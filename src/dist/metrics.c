/* src/dist/metrics.c - dlfs_dist_metrics: MAE, RMSE, R^2 and the mean
 * target of every rank's predictions, as dlfs_metrics_compute() scores the
 * concatenation.
 *
 * R^2 needs each column's mean before its total sum of squares, so the sums
 * are combined over the ranks twice (in rank order: every rank gets the same
 * bits); a column's least and greatest target tell a constant column, whose
 * R^2 is NaN as in one process.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include "block.h"
#include "internal.h"
#include "dist/dist_impl.h"

static dlfs_status local_check(const dlfs_matrix *P, const dlfs_matrix *y, const dlfs_metrics *out,
                               const char *fn)
{
    dlfs_status st;
    if (!P || !y || !out)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, !P ? "P_local" : !y ? "y_local" : "out");
    if (P->rows != y->rows || P->cols != y->cols || y->cols == 0)
        return dlfs__fail(DLFS_ESHAPE, "%s: P is %zu x %zu but y is %zu x %zu", fn,
                          P->rows, P->cols, y->rows, y->cols);
    if (y->rows == 0)
        return DLFS_OK;
    if ((st = dlfs_matrix_check_finite(P, "dlfs_dist_metrics: P_local")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_dist_metrics: y_local")))
        return st;
    return DLFS_OK;
}

/* Pass 1, per column j of m: buf[5j..5j+5) = sum |e|, sum e^2, sum y, min y,
 * max y over this rank's rows; then over all ranks, in rank order. */
static void pass_sums(MPI_Comm comm, const dlfs_matrix *P, const dlfs_matrix *y, double *buf,
                      double *all, int nproc)
{
    const size_t m = y->cols, len = 5 * m;
    for (size_t j = 0; j < m; j++) {
        double *b = buf + 5 * j;
        b[0] = b[1] = b[2] = 0.0;
        b[3] = INFINITY;
        b[4] = -INFINITY;
        for (size_t i = 0; i < y->rows; i++) {
            const double yi = y->data[i * y->ld + j], e = P->data[i * P->ld + j] - yi;
            b[0] += fabs(e);
            b[1] += e * e;
            b[2] += yi;
            b[3] = fmin(b[3], yi);
            b[4] = fmax(b[4], yi);
        }
    }
    MPI_Allgather(buf, (int)len, MPI_DOUBLE, all, (int)len, MPI_DOUBLE, comm);
    memcpy(buf, all, len * sizeof(double));
    for (int p = 1; p < nproc; p++) {
        const double *a = all + (size_t)p * len;
        for (size_t i = 0; i < len; i += 5) {
            buf[i] += a[i];
            buf[i + 1] += a[i + 1];
            buf[i + 2] += a[i + 2];
            buf[i + 3] = fmin(buf[i + 3], a[i + 3]);
            buf[i + 4] = fmax(buf[i + 4], a[i + 4]);
        }
    }
}

/* Both passes and the metrics; buf holds 6 m doubles, all 5 m per rank. */
static void score(MPI_Comm comm, const dlfs_matrix *P, const dlfs_matrix *y, size_t n,
                  double *buf, double *all, int nproc, dlfs_metrics *out)
{
    const size_t m = y->cols;
    double *ss_tot = buf + 5 * m;
    pass_sums(comm, P, y, buf, all, nproc);
    for (size_t j = 0; j < m; j++) {
        const double col_mean = buf[5 * j + 2] / (double)n;
        ss_tot[j] = 0.0;
        for (size_t i = 0; i < y->rows; i++) {
            const double d = y->data[i * y->ld + j] - col_mean;
            ss_tot[j] += d * d;
        }
    }
    dlfs__dist_sum(comm, ss_tot, ss_tot, m, all);
    double abs_sum = 0.0, sq_sum = 0.0, y_sum = 0.0, r2_sum = 0.0;
    for (size_t j = 0; j < m; j++) {
        const double *b = buf + 5 * j;
        abs_sum += b[0];
        sq_sum += b[1];
        y_sum += b[2];
        r2_sum += b[3] == b[4] ? NAN : 1.0 - b[1] / ss_tot[j];
    }
    const double count = (double)n * (double)m;
    out->mae = abs_sum / count;
    out->rmse = sqrt(sq_sum / count);
    out->r2 = r2_sum / (double)m;
    out->mean_target = y_sum / count;
}

dlfs_status dlfs_dist_metrics(MPI_Comm comm, const dlfs_matrix *P_local,
                              const dlfs_matrix *y_local, dlfs_metrics *out)
{
    static const char fn[] = "dlfs_dist_metrics";
    if (comm == MPI_COMM_NULL)
        return dlfs__fail(DLFS_ENULL, "%s: comm is MPI_COMM_NULL", fn);
    if (out)
        memset(out, 0, sizeof *out);
    dlfs_status st = dlfs__dist_agree(comm, local_check(P_local, y_local, out, fn));
    if (st)
        return st;
    const size_t m = y_local->cols;
    const unsigned long long mm = m;
    if (!dlfs__dist_same(comm, &mm, 1))
        return dlfs__fail(DLFS_ESHAPE, "%s: the ranks' y_local have different columns", fn);
    size_t n, first, len, all_len;
    int nproc;
    MPI_Comm_size(comm, &nproc);
    dlfs__dist_counts(comm, y_local->rows, &n, &first);
    if (n == 0)
        return dlfs__fail(DLFS_EEMPTY, "%s: no rank has a row", fn);
    if (!dlfs__mul(m, 6, &len) || !dlfs__mul(len, (size_t)nproc, &all_len) || all_len > 2147483647u)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu columns on %d ranks overflow", fn, m, nproc);
    double *buf = NULL, *all = NULL;
    if (!(st = dlfs__alloc_doubles(len, &buf, fn)))
        st = dlfs__alloc_doubles(all_len, &all, fn);
    if (!(st = dlfs__dist_agree(comm, st)))
        score(comm, P_local, y_local, n, buf, all, nproc, out);
    free(buf);
    free(all);
    return st;
}
