/* dlfs/ols.h - ordinary least squares in closed form, the reference the
 * step-by-step regression must approach (the chapter compared against
 * scikit-learn's LinearRegression).
 */
#ifndef DLFS_OLS_H
#define DLFS_OLS_H

#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fits W and B of `model` (already allocated with X's k columns and y's m
 * columns) to minimise sum (y - X.W - B)^2, with LAPACK dgels on [X 1].
 * Needs n >= k + 1 rows. Errors: DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE,
 * DLFS_EINVAL (fewer rows than unknowns), DLFS_ENONFINITE, DLFS_ENOMEM,
 * DLFS_ELAPACK (rank-deficient design). The model is unchanged on failure. */
dlfs_status dlfs_ols_fit(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y);

#ifdef __cplusplus
}
#endif
#endif
