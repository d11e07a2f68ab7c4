/* src/dist/dist_impl.h - what the MPI layer's files (split.c, standardize.c,
 * train.c, ols.c, metrics.c) share; not installed. The collectives are
 * defined in train.c, the least-squares fit in ols.c. */
#ifndef DLFS_SRC_DIST_IMPL_H
#define DLFS_SRC_DIST_IMPL_H

#include <stddef.h>
#include <mpi.h>
#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

/* Makes a status every rank's: st is this rank's; if any rank failed, every
 * rank returns the status of the lowest failing rank, with its detail
 * (broadcast, and on more than one rank prefixed "rank R: "). Collective; its first call is an allreduce, so it can be
 * the first collective of a function whose ranks may have failed locally. */
dlfs_status dlfs__dist_agree(MPI_Comm comm, dlfs_status st);

/* Every rank's n doubles at `in` summed in rank order 0, 1, ..., into out
 * (n doubles; may be in): the same bits on every rank and in every run on
 * the same ranks, which MPI_Allreduce does not promise. scratch holds
 * dlfs__dist_sum_scratch(n, ranks) doubles (at most n x ranks, and never
 * less than 2 n + 2 ranks). */
void dlfs__dist_sum(MPI_Comm comm, const double *in, double *out, size_t n, double *scratch);
size_t dlfs__dist_sum_scratch(size_t n, int nproc);

/* n_global = the sum of n_local over the ranks and *first = the sum over the
 * ranks before this one (an exclusive prefix sum). */
void dlfs__dist_counts(MPI_Comm comm, size_t n_local, size_t *n_global, size_t *first);

/* 1 if every rank passed the same n values (n <= 16; one allreduce), else 0. */
int dlfs__dist_same(MPI_Comm comm, const unsigned long long *v, size_t n);

/* The least-squares fit of dlfs_dist_train (ols.c) as TSQR; fn names the
 * public function. The ranks' models are known to have the same shape. */
dlfs_status dlfs__dist_ols_fit(MPI_Comm comm, dlfs_linreg *model, const dlfs_matrix *X_local,
                               const dlfs_matrix *y_local, const char *fn);

#endif
