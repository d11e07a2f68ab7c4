/* dlfs/standardize.h - standardising columns to mean 0 and sd 1.
 */
#ifndef DLFS_STANDARDIZE_H
#define DLFS_STANDARDIZE_H

#include <stddef.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Standardisation fitted on one set and applied to others: x' = (x - mean) / sd,
 * with the population sd (divisor n). A constant column gets sd = 1, so it maps to 0
 * rather than NaN. */
typedef struct dlfs_standardizer {
    size_t k;
    double *mean;  /* k, owned */
    double *sd;    /* k, owned */
} dlfs_standardizer;

/* Fits mean and sd of each column of X (n x k, n >= 1). Allocates. */
dlfs_status dlfs_standardizer_fit(dlfs_standardizer *s, const dlfs_matrix *X);
/* X = (X - mean) / sd in place. DLFS_ESHAPE unless X has k columns. */
dlfs_status dlfs_standardizer_apply(const dlfs_standardizer *s, dlfs_matrix *X);
/* X = X * sd + mean in place. */
dlfs_status dlfs_standardizer_invert(const dlfs_standardizer *s, dlfs_matrix *X);
void dlfs_standardizer_free(dlfs_standardizer *s);

#ifdef __cplusplus
}
#endif
#endif
