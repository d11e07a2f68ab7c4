/* examples/walkthrough/walkthrough.h - what the two chapter walkthroughs
 * share: the program around them (options, the Boston rows prepared as the
 * chapter prepares them, the output directory), training and scoring through
 * the dlfs_model handle, and the figures both models get (predicted against
 * actual, the most important feature with the model's curve along it, the
 * loss per iteration).
 *
 * Functions returning int give 0, or CLI_EXIT_FAILURE after printing why.
 */
#ifndef DLFS_EXAMPLES_WALKTHROUGH_H
#define DLFS_EXAMPLES_WALKTHROUGH_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/dlfs.h>

#include "chapter.h"
#include "cli.h"
#include "plot.h"

/* The prediction curve of Figures 2-8 and 2-14: the feature swept over
 * [-1.5, 3.5] standard deviations in 40 points. */
#define WT_CURVE_POINTS 40
#define WT_CURVE_FROM (-1.5)
#define WT_CURVE_TO 3.5

/* Every Boston price is at most 50 ($1000s): both axes of Figures 2-6 and
 * 2-13 run from 0 to 51. */
#define WT_PRICE_AXIS_MAX 51.0

/* ---- The program ---------------------------------------------------------- */

/* The command line of a walkthrough. */
typedef struct wt_args {
    size_t iterations;
    double lr;
    uint64_t seed;
    const char *out, *data;
    int quiet, no_sweep, version;
    int book;                /* the chapter's code exactly: its split and scaling, NumPy's
                                generator, the summed loss, lr in its units (0.001) */
} wt_args;

/* The Boston rows both walkthroughs fit and score (chapter_prepare()). */
typedef struct wt_boston {
    chapter_source src;     /* src.path: the file read */
    chapter_data d;         /* 354 training and 152 test rows, standardised */
} wt_boston;

/* One walkthrough program. */
typedef struct wt_program {
    const char *name;        /* "dlfs-linreg-boston" */
    const char *usage;
    const char *model;       /* "linear regression": "NAME: MODEL, step by step, ..." */
    dlfs_model_kind kind;    /* its defaults: the chapter's row of this kind */
    const char *out;         /* the default --out */
    int sweep;               /* has a learning-rate sweep (and --no-sweep) */
    int (*walkthrough)(const wt_args *a, const wt_boston *b, plot_dir *dir);
} wt_program;

/* Parses the options, prints the headline and the data, prepares the rows
 * and the output directory, runs prog->walkthrough and lists the files it
 * wrote; an exit status. */
int wt_main(int argc, char **argv, const wt_program *prog);

/* ---- Training and scoring ------------------------------------------------ */

/* A training run's loss history and what it reported. */
typedef struct wt_training {
    double *loss;         /* loss of each iteration; owned */
    double seconds;
    dlfs_train_result result;
} wt_training;

/* The model along feature j: every column at its test-set mean except j,
 * which runs over xs (WT_CURVE_POINTS values from WT_CURVE_FROM to
 * WT_CURVE_TO). */
typedef struct wt_curve {
    size_t feature;
    double xs[WT_CURVE_POINTS];
    dlfs_matrix X;        /* WT_CURVE_POINTS x k; owned */
    dlfs_matrix P;        /* WT_CURVE_POINTS x 1; owned */
} wt_curve;

/* A model of the walkthrough, trained and scored, beside least squares in
 * closed form on the same rows; all owned. */
typedef struct wt_fitted {
    dlfs_model model;     /* model.linreg or model.nn: the step-by-step model */
    dlfs_model ols;       /* ols.linreg: its coefficients */
    wt_training t;
    dlfs_matrix P;        /* the model's test predictions */
    dlfs_metrics m;       /* and their scores */
    size_t *order;        /* room for a ranking: k features, or h hidden units */
    wt_curve curve;       /* filled by wt_predict_curve() */
} wt_fitted;

/* Allocates a model of `kind` (the network with the chapter's 13 hidden
 * units), trains it with a->lr (wt_train, labelled with the chapter's name of
 * the kind; a divergence is an error), scores it on the test rows and fits
 * least squares. Free *f with wt_fitted_free either way. */
int wt_fit(const wt_args *a, const wt_boston *b, dlfs_model_kind kind, wt_fitted *f);
void wt_fitted_free(wt_fitted *f);

/* Trains *model (allocated) on the training rows with the chapter's batch,
 * a->iterations, lr and a->seed, keeping every iteration's loss, with a
 * progress line labelled `label` unless a->quiet. *diverged_at is the
 * 1-based iteration whose loss or gradient was not finite, else 0. Free *t
 * with wt_training_free either way. */
int wt_train(const wt_args *a, const wt_boston *b, double lr, const char *label,
             dlfs_model *model, wt_training *t, size_t *diverged_at);
void wt_training_free(wt_training *t);

/* "training  N iterations of 23 rows, lr X (the book's Y), seed S: T ms,
 * last batch loss L" and a blank line. */
void wt_print_training(const wt_args *a, const wt_training *t, double book_lr);

/* Where the test rows come from, after the scores. */
void wt_print_split_note(const wt_args *a);

/* P (allocated here, n_test x 1) = the model's predictions for the test
 * rows, and m their test metrics. */
int wt_predict_test(const wt_boston *b, const dlfs_model *model, dlfs_matrix *P,
                    dlfs_metrics *m);

/* A table of test scores: the header, a row per model, a row of the book's
 * figures (NaN where it printed none). */
void wt_print_score_header(size_t n_test);
void wt_print_score(const char *model, const dlfs_metrics *m);
void wt_print_book_score(const char *model, const chapter_model *book);

/* Index of the largest |v[i * stride]|, i < n. */
size_t wt_argmax_abs(const double *v, size_t n, size_t stride);

/* order[0..n) = 0..n-1 by decreasing |v[i * stride]|, ties in index order. */
void wt_rank_abs(const double *v, size_t n, size_t stride, size_t *order);

/* The model along feature j (the curve's inputs allocated here). */
int wt_predict_curve(const wt_boston *b, const dlfs_model *model, size_t j, wt_curve *c);

/* ---- The figures ---------------------------------------------------------- */

/* predicted_vs_actual.csv and .png: P against the test targets, 0..51, with
 * the 45-degree line. */
int wt_figure_predictions(plot_dir *dir, const wt_boston *b, const dlfs_matrix *P,
                          const char *title);

/* feature_vs_target.csv (the curve's test column against the target) and
 * feature_curve.csv (xs against the curve); the PNGs feature_vs_target.png
 * (when scatter_title is not NULL) and feature_curve.png. */
int wt_figure_feature(plot_dir *dir, const wt_boston *b, const wt_curve *c,
                      const char *scatter_title, const char *curve_title,
                      const char *curve_label);

/* The titles of the figures both walkthroughs draw. */
typedef struct wt_titles {
    const char *predictions;  /* predicted against actual */
    const char *scatter;      /* the most important feature against the target; NULL: not drawn */
    const char *curve;        /* the same with the model's prediction along it */
    const char *curve_label;  /* the legend of that prediction */
    const char *loss;         /* the training loss */
} wt_titles;

/* The three figures above for the fitted model (its curve predicted). */
int wt_figures(plot_dir *dir, const wt_boston *b, const wt_fitted *f, const wt_titles *titles);

/* loss.csv and loss.png: the training loss of each iteration, log scale, and
 * its mean over the last pass over the training rows (the batch losses alone
 * are too noisy to read a trend). */
int wt_figure_loss(plot_dir *dir, const wt_boston *b, const wt_training *t, const char *title);

#endif
