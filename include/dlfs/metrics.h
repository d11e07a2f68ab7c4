/* dlfs/metrics.h - scoring predictions against targets.
 */
#ifndef DLFS_METRICS_H
#define DLFS_METRICS_H

#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlfs_metrics {
    double mae;   /* mean |P - y| */
    double rmse;  /* sqrt(mean (P - y)^2) */
    double r2;    /* 1 - sum (y - P)^2 / sum (y - mean y)^2, averaged over columns */
    double mean_target;  /* mean of y */
} dlfs_metrics;

/* Scores predictions P against targets y (same shape, n >= 1). A constant
 * target column gives r2 = NaN (undefined); other fields are still set. */
dlfs_status dlfs_metrics_compute(const dlfs_matrix *P, const dlfs_matrix *y, dlfs_metrics *out);

#ifdef __cplusplus
}
#endif
#endif
