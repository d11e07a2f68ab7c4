/* examples/walkthrough.h - what the two chapter walkthroughs share: the
 * Boston rows prepared as the chapter prepares them, scoring on the test
 * rows, and the figures both models get (predicted against actual, the most
 * important feature with the model's curve along it, the loss per iteration).
 *
 * Functions returning int give 0, or CLI_EXIT_FAILURE after printing why.
 */
#ifndef DLFS_WALKTHROUGH_H
#define DLFS_WALKTHROUGH_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/dlfs.h>

#include "cli_common.h"
#include "plot.h"

#define WT_BOSTON_FILE "boston_housing.csv"
#define WT_BOSTON_TARGET "medv"
#define WT_SPLIT_SEED 180708
#define WT_TEST_FRACTION 0.3
#define WT_BATCH 23

/* The prediction curve of Figures 2-8 and 2-14: the feature swept over
 * [-1.5, 3.5] standard deviations in 40 points. */
#define WT_CURVE_POINTS 40
#define WT_CURVE_FROM (-1.5)
#define WT_CURVE_TO 3.5

/* Every Boston price is at most 50 ($1000s): both axes of Figures 2-6 and
 * 2-13 run from 0 to 51. */
#define WT_PRICE_AXIS_MAX 51.0

/* The rows both walkthroughs fit and score, all owned. */
typedef struct wt_boston {
    char path[4096];
    dlfs_dataset file;             /* as read: feature names, target name */
    dlfs_matrix X_train, y_train;  /* 354 x 13, 354 x 1 */
    dlfs_matrix X_test, y_test;    /* 152 x 13, 152 x 1 */
    dlfs_standardizer scaler;      /* fitted on X_train, applied to both */
} wt_boston;

/* "PROG: context: the library's detail" on stderr; returns CLI_EXIT_FAILURE. */
int wt_fail(dlfs_status st, const char *context);

/* Reads path (NULL: the bundled Boston file), splits it 70/30 with seed
 * 180708 and standardises the features on the training rows. */
int wt_boston_load(wt_boston *b, const char *path);
void wt_boston_free(wt_boston *b);

/* "data / rows / features" lines. */
void wt_print_data(const wt_boston *b);

/* A training run's loss history and progress line. */
typedef struct wt_training {
    double *loss;         /* loss of each iteration; owned */
    size_t iterations;
    cli_progress progress;
    double seconds;
    dlfs_train_result result;
} wt_training;

/* Sets up opt (defaults, batch 23, the given iterations, lr and seed) with a
 * loss history and, when `progress` and stderr is a terminal, a progress line
 * labelled `label`. Call wt_training_done after training. */
int wt_training_begin(wt_training *t, dlfs_train_options *opt, const char *label,
                      size_t iterations, double lr, uint64_t seed, int progress);
void wt_training_done(wt_training *t);
void wt_training_free(wt_training *t);

/* Test metrics of predictions P (n_test x 1). */
int wt_score(const wt_boston *b, const dlfs_matrix *P, dlfs_metrics *m);

/* A table of test scores: the header, a row per model, a row of the book's
 * figures (NaN where it printed none). */
void wt_print_score_header(size_t n_test);
void wt_print_score(const char *model, const dlfs_metrics *m);
void wt_print_book_score(const char *model, double mae, double rmse, double mean_target);

/* Index of the largest |v[i * stride]|, i < n. */
size_t wt_argmax_abs(const double *v, size_t n, size_t stride);

/* order[0..n) = 0..n-1 by decreasing |v[i * stride]|, ties in index order. */
void wt_rank_abs(const double *v, size_t n, size_t stride, size_t *order);

/* X (allocated here, WT_CURVE_POINTS x k): every column at its test-set mean
 * except column j, which runs over xs (filled here, WT_CURVE_POINTS values
 * from WT_CURVE_FROM to WT_CURVE_TO). */
int wt_curve_inputs(const wt_boston *b, size_t j, dlfs_matrix *X, double *xs);

/* predicted_vs_actual.csv and .png: P against the test targets, 0..51, with
 * the 45-degree line. */
int wt_figure_predictions(plot_dir *dir, const wt_boston *b, const dlfs_matrix *P,
                          const char *title);

/* feature_vs_target.csv (test column j against the target) and
 * feature_curve.csv (xs against curve, WT_CURVE_POINTS rows); the PNGs
 * feature_vs_target.png (when scatter_title is not NULL) and feature_curve.png. */
int wt_figure_feature(plot_dir *dir, const wt_boston *b, size_t j, const double *xs,
                      const double *curve, const char *scatter_title,
                      const char *curve_title, const char *curve_label);

/* loss.csv and loss.png: the training loss of each of n iterations, log
 * scale, and its mean over the last `window` iterations (one pass over the
 * training rows: the batch losses alone are too noisy to read a trend). */
int wt_figure_loss(plot_dir *dir, const double *loss, size_t n, size_t window,
                   const char *title);

#endif
