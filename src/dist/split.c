/* src/dist/split.c - dlfs_dist_split_in_place: the train/test split of
 * dlfs_split() over the whole file, applied to each rank's rows.
 *
 * Every rank draws the same permutation of the n global rows that
 * dlfs_split() draws (same generator, same Fisher-Yates), so every rank knows
 * every test row without a message; it keeps the marks of its own rows and
 * reorders them in place.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include <dlfs/rng.h>
#include "block.h"
#include "internal.h"
#include "split_impl.h"
#include "dist/dist_impl.h"


/* This rank's rows: none, or valid X and y of the same rows, apart. */
static dlfs_status local_check(const dlfs_dist_dataset *ds, const char *fn)
{
    dlfs_status st;
    const dlfs_matrix *X = &ds->local.X, *y = &ds->local.y;
    if (y->rows != X->rows)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu rows but y has %zu", fn, X->rows, y->rows);
    if (X->rows == 0)
        return DLFS_OK;
    if ((st = dlfs_matrix_check(X, "dlfs_dist_split_in_place: X")) ||
        (st = dlfs_matrix_check(y, "dlfs_dist_split_in_place: y")))
        return st;
    const double *x_end = X->data + (X->rows - 1) * X->ld + X->cols;
    const double *y_end = y->data + (y->rows - 1) * y->ld + y->cols;
    if (X->data < y_end && y->data < x_end)
        return dlfs__fail(DLFS_EINVAL, "%s: X and y share memory", fn);
    return DLFS_OK;
}



/* The scratch: the drawn permutation (then the local reorder), the marks
 * (then the cycle walk's flags), one row. */
struct scratch {
    size_t *idx;
    unsigned char *in_test;
    double *row;
};

static void scratch_free(struct scratch *s)
{
    free(s->row);
    free(s->in_test);
    free(s->idx);
}

static dlfs_status scratch_alloc(struct scratch *s, const dlfs_dist_dataset *ds, size_t n,
                                 const char *fn)
{
    size_t bytes;
    if (!dlfs__mul(n, sizeof(size_t), &bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu row indices overflow", fn, n);
    if (!(s->idx = malloc(bytes)) || !(s->in_test = malloc(n)))
        return dlfs__fail(DLFS_ENOMEM, "%s: out of memory for %zu row indices", fn, n);
    if (ds->local.X.rows)
        return dlfs__alloc_doubles(ds->local.X.cols + ds->local.y.cols, &s->row, fn);
    return DLFS_OK;
}

/* The draw and the local reorder; returns this rank's training rows. */
static size_t split_local(dlfs_dist_dataset *ds, const struct scratch *s, size_t n,
                          size_t n_test, uint64_t seed, size_t first)
{
    const size_t n_local = ds->local.X.rows;
    dlfs__split_mark(n, n_test, seed, s->idx, s->in_test);
    /* idx becomes src: this rank's training rows in order, then its test
     * rows; the marks (no longer needed) become the cycle walk's flags. */
    const unsigned char *mine = s->in_test + first;
    size_t a = 0, n_train = 0;
    for (size_t i = 0; i < n_local; i++)
        n_train += !mine[i];
    for (size_t i = 0, b = n_train; i < n_local; i++)
        s->idx[mine[i] ? b++ : a++] = i;
    if (n_local) {
        memset(s->in_test, 0, n_local);
        dlfs__permute_rows(&ds->local.X, &ds->local.y, s->idx, s->in_test, s->row);
    }
    return n_train;
}

dlfs_status dlfs_dist_split_in_place(MPI_Comm comm, dlfs_dist_dataset *ds, double test_fraction,
                                     uint64_t seed, dlfs_dist_split *out)
{
    static const char fn[] = "dlfs_dist_split_in_place";
    if (comm == MPI_COMM_NULL)
        return dlfs__fail(DLFS_ENULL, "%s: comm is MPI_COMM_NULL", fn);
    dlfs_status st = DLFS_OK;
    if (!ds || !out)
        st = dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, ds ? "out" : "ds");
    else
        st = local_check(ds, fn);
    if ((st = dlfs__dist_agree(comm, st)))
        return st;
    memset(out, 0, sizeof *out);
    size_t n, first;
    dlfs__dist_counts(comm, ds->local.X.rows, &n, &first);
    /* The dataset's own numbering must be the ranks' concatenation. */
    const int mismatch = n != ds->n_global || first != ds->first_row;
    if ((st = dlfs__dist_agree(comm, mismatch ? dlfs__fail(DLFS_EINVAL, "%s: the shard says "
                               "rows %zu.. of %zu, the ranks hold rows %zu.. of %zu", fn,
                               ds->first_row, ds->n_global, first, n) : DLFS_OK)))
        return st;
    if (!(test_fraction > 0.0 && test_fraction < 1.0))
        return dlfs__fail(DLFS_EINVAL, "%s: test_fraction %g is not in (0, 1)", fn, test_fraction);
    const size_t n_test = dlfs__split_test_rows(n, test_fraction);
    if (n_test == 0 || n_test >= n)
        return dlfs__fail(DLFS_EINVAL, "%s: a test fraction of %g of %zu rows leaves %zu test and "
                          "%zu training rows", fn, test_fraction, n, n_test,
                          n - (n_test < n ? n_test : n));
    size_t n_train_global, first_train;
    struct scratch sc = {0};
    /* Agreed before any rank moves a row: on failure every rank's rows are as they were. */
    if ((st = dlfs__dist_agree(comm, scratch_alloc(&sc, ds, n, fn)))) {
        scratch_free(&sc);
        return st;
    }
    const size_t n_train = split_local(ds, &sc, n, n_test, seed, first);
    scratch_free(&sc);
    dlfs__dist_counts(comm, n_train, &n_train_global, &first_train);
    *out = (dlfs_dist_split){.n_train = n_train, .n_test = ds->local.X.rows - n_train,
                             .n_train_global = n_train_global, .n_test_global = n_test,
                             .first_train = first_train};
    return DLFS_OK;
}
