/* dlfs/dist.h - data-parallel training across the ranks of an MPI
 * communicator (library dlfs_mpi, pkg-config dlfs_mpi; the core library does
 * not link MPI).
 *
 * Every rank holds a replica of the model and a shard of the rows: a
 * contiguous range of the file's rows, read by that rank alone
 * (dlfs_dist_csv_read). The experiment is the one-process experiment, row for
 * row: the same global train/test split as dlfs_split(), the standardisation
 * fitted on the global training rows, the same sequence of global
 * mini-batches (every rank draws the same permutations; for each batch a rank
 * computes the gradient of the rows of the batch it owns, scaled by the
 * global batch length), one reduction of the whole gradient block (and the
 * batch loss) per step, summed in rank order so that a run on P ranks is
 * bit-identical to another run on P ranks, and the same update on every rank.
 * For the same seeds a run on P ranks gives the model one process gives, to
 * rounding.
 *
 * Every function here is collective: all ranks of comm call it with the same
 * arguments (apart from their own rows), and all return the same status; on
 * a failure of any rank every rank returns it, with the same detail (a CSV
 * error names the global line and column), and none is left waiting.
 */
#ifndef DLFS_DIST_H
#define DLFS_DIST_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include <dlfs/dlfs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This rank's shard of a table spread over the ranks of a communicator. */
typedef struct dlfs_dist_dataset {
    dlfs_dataset local;   /* this rank's rows, in file order (X n_local x k, y n_local x 1;
                             X.rows may be 0, then X.data and y.data are NULL), and
                             the names, which every rank holds */
    size_t n_global;      /* rows over all ranks */
    size_t first_row;     /* global (0-based) index of local row 0 */
} dlfs_dist_dataset;

/* Reads the CSV file at path (as dlfs_csv_read(): the same rules, target and
 * errors), each rank parsing only its byte range of the file, cut at line
 * boundaries (a newline inside a quoted field is not a boundary); every rank
 * reads the header. Ranks own consecutive runs of rows, rank 0 the first. No
 * rank holds more than its shard and the header. Errors: those of
 * dlfs_csv_read(), with err->line the file's line; DLFS_EEMPTY when the file
 * has no data row. path must name a regular file (each rank maps its part of
 * it), not a pipe. */
dlfs_status dlfs_dist_csv_read(MPI_Comm comm, const char *path, const char *target,
                               size_t target_index, dlfs_dist_dataset *out,
                               dlfs_csv_error *err);

void dlfs_dist_dataset_free(dlfs_dist_dataset *ds);

/* Where the split left a rank's rows. */
typedef struct dlfs_dist_split {
    size_t n_train;           /* this rank's training rows (first in ds->local) */
    size_t n_test;            /* this rank's test rows (after them) */
    size_t n_train_global;
    size_t n_test_global;
    size_t first_train;       /* index, among all training rows in global order,
                                 of this rank's first training row */
} dlfs_dist_split;

/* dlfs_split_in_place() over the ranks: the test rows are those dlfs_split()
 * picks from the whole file for the same n, fraction and seed; each rank's
 * rows are reordered in place, its training rows first, then its test rows,
 * each in file order. Scratch on every rank: the permutation the one-process
 * split draws (one size_t per global row) and one byte per global row. */
dlfs_status dlfs_dist_split_in_place(MPI_Comm comm, dlfs_dist_dataset *ds, double test_fraction,
                                     uint64_t seed, dlfs_dist_split *out);

/* dlfs_standardizer_fit() of the rows of X_local over all ranks (each rank's
 * X_local may have 0 rows); every rank gets the same s. */
dlfs_status dlfs_dist_standardizer_fit(MPI_Comm comm, dlfs_standardizer *s,
                                       const dlfs_matrix *X_local);

/* dlfs_model_train() over the ranks: the global training set is the
 * concatenation, in rank order, of every rank's X_local / y_local (n_local
 * rows each, possibly 0; first_row their global index). Least squares
 * (DLFS_MODEL_OLS) is fitted as TSQR: each rank factors its own rows, the
 * small R factors are combined, every rank solves the same triangular
 * system. Every rank ends with the same parameters. */
dlfs_status dlfs_dist_train(MPI_Comm comm, dlfs_model *model, const dlfs_matrix *X_local,
                            const dlfs_matrix *y_local, const dlfs_train_options *opt,
                            dlfs_train_result *result);

/* dlfs_metrics_compute() of the predictions P_local against y_local over all
 * ranks (n_local x 1 each, possibly 0 rows); every rank gets the same. */
dlfs_status dlfs_dist_metrics(MPI_Comm comm, const dlfs_matrix *P_local,
                              const dlfs_matrix *y_local, dlfs_metrics *out);

#ifdef __cplusplus
}
#endif
#endif
