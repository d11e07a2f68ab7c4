/* src/metrics.c - scoring predictions against targets: MAE, RMSE, R^2. */
#include <math.h>
#include <string.h>

#include <dlfs/metrics.h>
#include "internal.h"

dlfs_status dlfs_metrics_compute(const dlfs_matrix *P, const dlfs_matrix *y, dlfs_metrics *out)
{
    static const char fn[] = "dlfs_metrics_compute";
    dlfs_status st;
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    memset(out, 0, sizeof *out);
    if ((st = dlfs_matrix_check_finite(P, "dlfs_metrics_compute: P")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_metrics_compute: y")))
        return st;
    if (P->rows != y->rows || P->cols != y->cols)
        return dlfs__fail(DLFS_ESHAPE, "%s: P is %zu x %zu but y is %zu x %zu", fn,
                          P->rows, P->cols, y->rows, y->cols);
    size_t n = y->rows, m = y->cols;
    double abs_sum = 0.0, sq_sum = 0.0, y_sum = 0.0, r2_sum = 0.0;
    /* Column by column: R^2 needs each column's own mean. */
    for (size_t j = 0; j < m; j++) {
        double col_sum = 0.0, ss_res = 0.0, ss_tot = 0.0;
        int constant = 1;
        const double y0 = y->data[j];
        for (size_t i = 0; i < n; i++) {
            double yi = y->data[i * y->ld + j], e = P->data[i * P->ld + j] - yi;
            abs_sum += fabs(e);
            ss_res += e * e;
            col_sum += yi;
            constant &= yi == y0;
        }
        double col_mean = col_sum / (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = y->data[i * y->ld + j] - col_mean;
            ss_tot += d * d;
        }
        sq_sum += ss_res;
        y_sum += col_sum;
        r2_sum += constant ? NAN : 1.0 - ss_res / ss_tot;
    }
    double count = (double)n * (double)m;
    out->mae = abs_sum / count;
    out->rmse = sqrt(sq_sum / count);
    out->r2 = r2_sum / (double)m;
    out->mean_target = y_sum / count;
    return DLFS_OK;
}
