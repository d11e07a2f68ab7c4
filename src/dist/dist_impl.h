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

/* The training step's reduction: every rank's n doubles summed in rank order
 * 0, 1, ..., P-1 (one running sum per element), giving the same bits on
 * every rank, in every run on the same P, and by either path (reduce.c):
 * shared memory when every rank of comm is on one node, messages (an
 * all-to-all and an all-gather) otherwise. MPI_Allreduce promises none of
 * that. Everything is allocated by init (collective; the status agreed);
 * a reduction allocates nothing. */
typedef enum dlfs__dist_path {
    DLFS__DIST_AUTO,       /* shared memory when it can, else messages */
    DLFS__DIST_MESSAGES,   /* messages always (what ranks on several nodes take) */
} dlfs__dist_path;

typedef struct dlfs__dist_reducer {
    MPI_Comm comm;          /* the caller's */
    MPI_Comm node;          /* shared path (slots not NULL): comm's ranks, all on this node */
    MPI_Win win;            /* shared path: the window of slots and result */
    int rank, nproc;
    size_t n, chunk;        /* values; each rank's share of them, padded */
    double *in;             /* where this rank writes its n values before a reduction */
    double *out;            /* the n sums, after it (valid until the next) */
    double *slots;          /* shared path: every rank's `in`, chunk x P apart */
    double *recv;           /* message path: what the all-to-all brings */
    double *block;          /* message path: in, recv and out, malloc'd */
} dlfs__dist_reducer;

dlfs_status dlfs__dist_reducer_init(dlfs__dist_reducer *r, MPI_Comm comm, size_t n,
                                    dlfs__dist_path path, const char *fn);
/* Sums every rank's r->in; returns r->out (r->in itself on one rank).
 * Collective. r->in may be written again once this returns. */
const double *dlfs__dist_reduce(dlfs__dist_reducer *r);
/* "shared memory", "messages" or "one rank". */
const char *dlfs__dist_reducer_path(const dlfs__dist_reducer *r);
/* Collective; safe on a zeroed or freed reducer. */
void dlfs__dist_reducer_free(dlfs__dist_reducer *r);

/* A one-off sum, as dlfs__dist_reduce by messages, on the caller's memory:
 * every rank's n doubles at `in` summed in rank order into out (n doubles;
 * may be in). scratch holds dlfs__dist_sum_scratch(n, ranks) doubles (at
 * most n x ranks, and never less than 2 n + 2 ranks). */
void dlfs__dist_sum(MPI_Comm comm, const double *in, double *out, size_t n, double *scratch);
size_t dlfs__dist_sum_scratch(size_t n, int nproc);

/* n_global = the sum of n_local over the ranks and *first = the sum over the
 * ranks before this one (an exclusive prefix sum). */
void dlfs__dist_counts(MPI_Comm comm, size_t n_local, size_t *n_global, size_t *first);

/* 1 if every rank passed the same n values (n <= DLFS__DIST_SAME_MAX; one
 * allreduce), else 0. */
#define DLFS__DIST_SAME_MAX 24
int dlfs__dist_same(MPI_Comm comm, const unsigned long long *v, size_t n);

/* The least-squares fit of dlfs_dist_train (ols.c) as TSQR; fn names the
 * public function. The ranks' models are known to have the same shape. */
dlfs_status dlfs__dist_ols_fit(MPI_Comm comm, dlfs_linreg *model, const dlfs_matrix *X_local,
                               const dlfs_matrix *y_local, const char *fn);

#endif
