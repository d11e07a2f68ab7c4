/* examples/walkthrough_linreg.c - dlfs-linreg-boston: the chapter's linear
 * regression on the Boston housing data, from the training run to the figures.
 *
 * It trains the step-by-step regression with the chapter's settings (1000
 * batches of 23 rows, lr 0.023 for the exact gradient, i.e. the book's 0.001,
 * seed 180708), fits the same model in closed form to compare, and shows what
 * the chapter shows: the test errors; the coefficients, which rank the
 * features because the features are standardised; Figure 2-6 (predicted
 * against actual), 2-7 (the most important feature against the target), 2-8
 * (the model's prediction along that feature) and the loss per iteration.
 */
#include <dlfs/dlfs.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "plot.h"
#include "walkthrough.h"

#define PROGRAM "dlfs-linreg-boston"

/* The chapter's run and its reported test figures (SPEC.md). */
#define CHAPTER_ITERATIONS 1000
#define CHAPTER_LR 0.023
#define CHAPTER_SEED 180708
#define BOOK_RMSE 5.0508
#define BOOK_OLS_MAE 3.5666
#define BOOK_OLS_RMSE 5.0482
#define BOOK_MEAN_TARGET 22.0776

static const char usage[] =
    "Usage: " PROGRAM " [options]\n"
    "\n"
    "Chapter 2's linear regression, step by step, on the Boston housing data:\n"
    "trains it with the chapter's settings (30% test split, features standardised\n"
    "on the training rows, batch 23, 1000 iterations, lr 0.023 = the book's 0.001\n"
    "for the exact gradient, seed 180708), compares it with least squares in\n"
    "closed form, ranks the features by |coefficient|, and writes Figures 2-6,\n"
    "2-7, 2-8 and the loss curve (PNG, and the series as CSV) to the --out\n"
    "directory.\n";

struct args {
    size_t iterations;
    double lr;
    uint64_t seed;
    const char *out, *data;
    int quiet, version;
};

static void print_coefficients(const wt_boston *b, const dlfs_linreg *model,
                               const dlfs_linreg *ols, const size_t *order)
{
    char *const *names = b->file.feature_names;
    size_t k = model->k;

    printf("\nCoefficients, feature by feature (features standardised, so comparable)\n");
    printf("%-12s %12s %14s\n", "feature", "learned", "least squares");
    for (size_t i = 0; i < k; i++)
        printf("%-12s %12.4f %14.4f\n", names[i], model->W.data[i * model->W.ld],
               ols->W.data[i * ols->W.ld]);
    printf("%-12s %12.4f %14.4f\n", "intercept", model->B.data[0], ols->B.data[0]);

    printf("\nFeatures ranked by |learned coefficient|\n");
    for (size_t r = 0; r < k; r++) {
        size_t i = order[r];
        printf("%3zu. %-10s %9.4f\n", r + 1, names[i], model->W.data[i * model->W.ld]);
    }
}

static int write_coefficients(plot_dir *dir, const wt_boston *b, const dlfs_linreg *model,
                              const dlfs_linreg *ols)
{
    const char *name = "coefficients.csv";
    FILE *f = plot_file_open(dir, name);

    if (!f)
        return CLI_EXIT_FAILURE;
    fprintf(f, "feature,learned,least_squares\n");
    for (size_t i = 0; i < model->k; i++)
        fprintf(f, "%s,%.10g,%.10g\n", b->file.feature_names[i],
                model->W.data[i * model->W.ld], ols->W.data[i * ols->W.ld]);
    fprintf(f, "intercept,%.10g,%.10g\n", model->B.data[0], ols->B.data[0]);
    return plot_file_close(dir, f, name);
}

/* Trains, fits least squares, prints, draws. */
static int walkthrough(const struct args *a, const wt_boston *b, plot_dir *dir)
{
    size_t k = b->X_train.cols, n_test = b->X_test.rows;
    dlfs_linreg model, ols;
    dlfs_matrix P = { 0, 0, 0, NULL }, P_ols = { 0, 0, 0, NULL };
    dlfs_matrix X_curve = { 0, 0, 0, NULL }, P_curve = { 0, 0, 0, NULL };
    double xs[WT_CURVE_POINTS];
    dlfs_train_options opt;
    dlfs_metrics m, m_ols;
    wt_training t;
    size_t *order = NULL, top;
    dlfs_status st;
    int rc;

    memset(&model, 0, sizeof model);
    memset(&ols, 0, sizeof ols);
    memset(&t, 0, sizeof t);
    st = dlfs_linreg_alloc(&model, k, 1);
    if (!st) st = dlfs_linreg_alloc(&ols, k, 1);
    if (!st) st = dlfs_matrix_alloc(&P, n_test, 1);
    if (!st) st = dlfs_matrix_alloc(&P_ols, n_test, 1);
    if (!st) st = dlfs_matrix_alloc(&P_curve, WT_CURVE_POINTS, 1);
    rc = st ? wt_fail(st, "allocating the model") : 0;
    if (!rc && !(order = malloc(k * sizeof *order)))
        rc = cli_error(CLI_EXIT_FAILURE, "out of memory");

    /* The chapter's train(): N(0,1) weights, shuffled batches of 23. */
    if (!rc)
        rc = wt_training_begin(&t, &opt, "linreg", a->iterations, a->lr, a->seed, !a->quiet);
    if (!rc) {
        st = dlfs_linreg_train(&model, &b->X_train, &b->y_train, &opt, &t.result);
        wt_training_done(&t);
        if (st == DLFS_EDIVERGED)
            rc = cli_error(CLI_EXIT_FAILURE, "training diverged at iteration %zu (the loss or "
                           "a gradient is not finite); try a smaller --lr",
                           t.result.failed_iteration + 1);
        else if (st)
            rc = wt_fail(st, "training");
    }
    /* The closed form the step-by-step model should approach. */
    if (!rc && (st = dlfs_ols_fit(&ols, &b->X_train, &b->y_train)) != DLFS_OK)
        rc = wt_fail(st, "fitting least squares");
    if (!rc && (st = dlfs_linreg_predict(&model, &b->X_test, &P)) != DLFS_OK)
        rc = wt_fail(st, "predicting the test rows");
    if (!rc && (st = dlfs_linreg_predict(&ols, &b->X_test, &P_ols)) != DLFS_OK)
        rc = wt_fail(st, "predicting the test rows");
    if (!rc) rc = wt_score(b, &P, &m);
    if (!rc) rc = wt_score(b, &P_ols, &m_ols);
    if (rc)
        goto done;

    printf("training  %zu iterations of %d rows, lr %g (the book's %g), seed %llu: "
           "%.1f ms, last batch loss %.4g\n\n", t.result.iterations, WT_BATCH, a->lr,
           a->lr / WT_BATCH, (unsigned long long)a->seed, 1000 * t.seconds,
           t.result.final_loss);
    wt_print_score_header(n_test);
    wt_print_score("step-by-step regression", &m);
    wt_print_score("least squares, closed form", &m_ols);
    wt_print_book_score("book: step-by-step", NAN, BOOK_RMSE, BOOK_MEAN_TARGET);
    wt_print_book_score("book: scikit-learn OLS", BOOK_OLS_MAE, BOOK_OLS_RMSE,
                        BOOK_MEAN_TARGET);
    printf("Mean test target %.4f (book: %.4f); RMSE/mean is the chapter's \"off by\n"
           "22.9%% on average\". The split comes from dlfs's own generator, not\n"
           "scikit-learn's, so the test rows differ from the book's.\n",
           m.mean_target, BOOK_MEAN_TARGET);

    wt_rank_abs(model.W.data, model.W.rows, model.W.ld, order);   /* features by decreasing |w| */
    top = order[0];
    print_coefficients(b, &model, &ols, order);
    printf("\nMost important feature: %s (column %zu of %zu; in the book, lstat, the last)\n\n",
           b->file.feature_names[top], top + 1, k);

    /* Figure 2-8's line: the model along the most important feature, every
     * other feature held at its test-set mean. */
    rc = wt_curve_inputs(b, top, &X_curve, xs);
    if (!rc && (st = dlfs_linreg_predict(&model, &X_curve, &P_curve)) != DLFS_OK)
        rc = wt_fail(st, "predicting along the feature");

    if (!rc)
        rc = wt_figure_predictions(dir, b, &P, "Figure 2-6. Predicted versus actual values "
                                   "for our custom linear regression model");
    if (!rc)
        rc = wt_figure_feature(dir, b, top, xs, P_curve.data,
                               "Figure 2-7. Most important feature versus target in custom "
                               "linear regression",
                               "Figure 2-8. Most important feature versus target and "
                               "predictions in custom linear regression",
                               "the regression's prediction");
    if (!rc)
        rc = wt_figure_loss(dir, t.loss, t.result.iterations,
                            (b->X_train.rows + WT_BATCH - 1) / WT_BATCH,
                            "Training loss per iteration, custom linear regression");
    if (!rc)
        rc = write_coefficients(dir, b, &model, &ols);
    if (!rc)
        plot_dir_report(dir, stdout);

done:
    free(order);
    wt_training_free(&t);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&P_ols);
    dlfs_matrix_free(&X_curve);
    dlfs_matrix_free(&P_curve);
    dlfs_linreg_free(&model);
    dlfs_linreg_free(&ols);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = { CHAPTER_ITERATIONS, CHAPTER_LR, CHAPTER_SEED,
                      "dlfs-figures/linreg", NULL, 0, 0 };
    cli_option opts[] = {
        { "--iterations", "N", CLI_COUNT, &a.iterations, "batches to train on (1000)", 0 },
        { "--lr", "X", CLI_POSITIVE, &a.lr, "learning rate for the exact gradient (0.023)", 0 },
        { "--seed", "S", CLI_U64, &a.seed, "seed of the weights and batches (180708)", 0 },
        { "--out", "DIR", CLI_STRING, &a.out, "where figures and CSV series go, created if "
          "needed (dlfs-figures/linreg)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "the Boston data with a medv column "
          "(default: the bundled copy)", 0 },
        { "--quiet", NULL, CLI_FLAG, &a.quiet, "no progress line", 0 },
        { "--version", NULL, CLI_FLAG, &a.version, "print the version and whether figures "
          "are drawn", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    plot_dir dir;
    wt_boston b;
    int rc;

    cli_set_program(PROGRAM);
    rc = cli_parse(argc - 1, argv + 1, opts, usage);
    if (rc != CLI_PARSED)
        return rc;
    if (a.version) {
        printf("%s %s\nfigures: %s\n", PROGRAM, DLFS_VERSION_STRING, plot_status());
        return CLI_EXIT_OK;
    }

    printf("%s: linear regression, step by step, on the Boston housing data\n", PROGRAM);
    rc = wt_boston_load(&b, a.data);
    if (!rc) {
        wt_print_data(&b);
        rc = plot_dir_open(&dir, a.out);
        if (!rc)
            rc = walkthrough(&a, &b, &dir);
        plot_dir_close(&dir);
    }
    wt_boston_free(&b);
    return rc;
}
