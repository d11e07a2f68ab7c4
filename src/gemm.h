/* src/gemm.h - the matrix product without argument checks; not installed. */
#ifndef DLFS_SRC_GEMM_H
#define DLFS_SRC_GEMM_H

#include <dlfs/gemm.h>
#include <dlfs/matrix.h>

/* dlfs_gemm for the hot path: arguments are trusted (callers validate once).
 * Shapes as in dlfs/gemm.h. */
void dlfs__gemm(dlfs_backend backend, dlfs_transpose ta, dlfs_transpose tb,
                double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                double beta, dlfs_matrix *C);

#endif
