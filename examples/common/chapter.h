/* examples/common/chapter.h - the chapter's settings, in one table, and the
 * one way the programs turn a CSV file into the rows a model is fitted and
 * scored on: read (errors with line and column), split into training and test
 * rows (or a separate test file), standardise on the training rows.
 *
 * Functions returning int give 0, or CLI_EXIT_FAILURE after printing why.
 */
#ifndef DLFS_EXAMPLES_CHAPTER_H
#define DLFS_EXAMPLES_CHAPTER_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/dlfs.h>

/* ---- The chapter's settings --------------------------------------------- */

#define CHAPTER_BATCH 23
#define CHAPTER_HIDDEN 13
#define CHAPTER_TEST_FRACTION 0.3
/* One split for every model, so they are scored on the same test rows. */
#define CHAPTER_SPLIT_SEED 180708
#define CHAPTER_BOSTON_FILE "boston_housing.csv"
#define CHAPTER_BOSTON_TARGET "medv"
/* The mean target of the book's test rows (its split is not dlfs's). */
#define CHAPTER_BOOK_MEAN_TARGET 22.0776
/* Book mode: the chapter's code's own split (scikit-learn's train_test_split
 * with this random_state, on NumPy's legacy generator). */
#define CHAPTER_BOOK_SPLIT_SEED 80718

/* One model as the chapter runs it, and the test figures the book printed. */
typedef struct chapter_model {
    dlfs_model_kind kind;
    const char *name;        /* as given to --model */
    const char *title;       /* in tables */
    size_t iterations;       /* 0 for least squares, fitted in closed form */
    double lr;               /* the book's 0.001 mapped to the mean gradient (at full
                                batches; see chapter.c) */
    double book_lr;          /* book mode: the rate of the summed loss's gradient that
                                is the chapter's code's step (0.001; the network's
                                dL/dP drops the factor 2: 0.0005) */
    uint64_t seed;
    double book_mae;         /* the chapter's test figures; NaN: not published */
    double book_rmse;
} chapter_model;

enum { CHAPTER_MODELS = 3 };

/* Least squares, the regression, the network: the rows of `dlfs run`. */
extern const chapter_model chapter_models[CHAPTER_MODELS];

/* The row of `kind`; NULL for a kind the chapter does not run. */
const chapter_model *chapter_model_of(dlfs_model_kind kind);

/* "PROG: training diverged at iteration I of TOTAL (...); try a smaller
 * --lr" (without "of TOTAL" when total is 0); returns CLI_EXIT_FAILURE. */
int chapter_diverged(size_t iteration, size_t total);

/* ---- The rows ------------------------------------------------------------ */

/* Where the rows come from. */
typedef struct chapter_source {
    const char *path;        /* training data (or all of it, when split); NULL: the bundled Boston file */
    const char *target;      /* column name; NULL: the last column */
    const char *test_path;   /* separate test rows; NULL: split path */
    double test_fraction;
    uint64_t split_seed;
    int standardize;
    int book;                /* the chapter's code's pipeline: standardise all rows, then
                                scikit-learn's split on NumPy's generator (split_seed its
                                random_state); not with test_path */
    const char *split_context; /* a failed split's error says "CONTEXT: why";
                                  NULL: "splitting the rows into training and test sets" */
    char found[4096];        /* the bundled file's path, once looked up */
} chapter_source;

/* The chapter's: the bundled Boston file, target medv, 30% test rows drawn
 * with seed 180708, features standardised. */
void chapter_source_boston(chapter_source *src);

/* With path NULL, finds the bundled Boston file (cli_find_data) and, unless a
 * target was given, takes medv as the target. */
int chapter_source_find(chapter_source *src);

/* The rows a model is fitted and scored on. The four matrices are views,
 * never copies: with a split, of file's rows, reordered in place so that the
 * training rows come first; with a test file, of file's and test_file's
 * rows. The datasets own the memory; the views are not freed. */
typedef struct chapter_data {
    dlfs_dataset file;                  /* as read (rows reordered by the split) */
    dlfs_dataset test_file;             /* the test file's rows; empty without one */
    dlfs_matrix X_train, y_train;       /* n_train x k, n_train x 1 */
    dlfs_matrix X_test, y_test;         /* n_test x k, n_test x 1 */
    dlfs_standardizer scaler;           /* fitted on X_train; k == 0 when off */
} chapter_data;

/* Reads, splits and standardises the rows src names (its path set); in book
 * mode standardises all rows, then splits as the chapter's code does: the
 * training rows first, then the test rows, each in the order of the split's
 * permutation. On failure *d holds what was read so far: free it either way. */
int chapter_prepare(const chapter_source *src, chapter_data *d);
void chapter_data_free(chapter_data *d);

/* Reads a CSV file, the target being the column named `target`, else the
 * column at target_index ((size_t)-1: the last; DLFS_CSV_NO_TARGET: none); on
 * failure prints "PROG: FILE: line L, column C: what". */
int chapter_read_csv(const char *path, const char *target, size_t target_index,
                     dlfs_dataset *ds);

/* What chapter_read_csv prints for a failed read of path (st, err as the
 * reader left them); 0 for DLFS_OK. */
int chapter_csv_error(const char *path, dlfs_status st, const dlfs_csv_error *err);

#endif
