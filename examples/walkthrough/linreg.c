/* examples/walkthrough/linreg.c - dlfs-linreg-boston: the chapter's linear
 * regression on the Boston housing data, from the training run to the figures.
 *
 * It trains the step-by-step regression with the chapter's settings (1000
 * batches of 23 rows, lr 0.023 for the mean gradient, i.e. the book's 0.001 at
 * full batches, seed 180708; with --book, the chapter's code exactly), fits the same model in closed form to compare, and shows what
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

#include "chapter.h"
#include "cli.h"
#include "plot.h"
#include "walkthrough.h"

static const char usage[] =
    "Usage: dlfs-linreg-boston [options]\n"
    "\n"
    "Chapter 2's linear regression, step by step, on the Boston housing data:\n"
    "trains it with the chapter's settings (30% test split, features standardised\n"
    "on the training rows, batch 23, 1000 iterations, lr 0.023 = the book's 0.001\n"
    "for the mean gradient at full batches, seed 180708; --book: the chapter's\n"
    "code exactly), compares it with least squares in closed form, ranks the\n"
    "features by |coefficient|, and writes Figures 2-6, 2-7, 2-8 and the loss\n"
    "curve (PNG, and the series as CSV) to the --out directory.\n";

/* Everything one walkthrough computes; all owned. */
struct linreg_run {
    wt_fitted f;             /* f.model.linreg the regression, f.ols.linreg least
                                squares; f.order the features by decreasing
                                |learned coefficient| */
    dlfs_matrix P_ols;       /* least squares' test predictions */
    dlfs_metrics m_ols;
};

/* The chapter's train(), then the closed form the step-by-step model should
 * approach; both scored on the test rows. */
static int fit_and_score(const wt_args *a, const wt_boston *b, struct linreg_run *r)
{
    int rc = wt_fit(a, b, DLFS_MODEL_LINREG, &r->f);

    if (!rc)
        rc = wt_predict_test(b, &r->f.ols, &r->P_ols, &r->m_ols);
    return rc;
}

static void print_scores(const wt_args *a, const wt_boston *b, const struct linreg_run *r)
{
    wt_print_training(a, &r->f.t, a->book ? a->lr : a->lr / CHAPTER_BATCH);
    wt_print_score_header(b->d.X_test.rows);
    wt_print_score("step-by-step regression", &r->f.m);
    wt_print_score("least squares, closed form", &r->m_ols);
    wt_print_book_score("book: step-by-step", chapter_model_of(DLFS_MODEL_LINREG));
    wt_print_book_score("book: scikit-learn OLS", chapter_model_of(DLFS_MODEL_OLS));
    printf("Mean test target %.4f (book: %.4f); RMSE/mean is the chapter's \"off by\n"
           "22.9%% on average\".\n", r->f.m.mean_target, CHAPTER_BOOK_MEAN_TARGET);
    wt_print_split_note(a);
}

static void print_coefficients(const wt_boston *b, const struct linreg_run *r)
{
    const dlfs_linreg *model = &r->f.model.linreg, *ols = &r->f.ols.linreg;
    char *const *names = b->d.file.feature_names;
    size_t k = model->k, top = r->f.order[0];

    printf("\nCoefficients, feature by feature (features standardised, so comparable)\n");
    printf("%-12s %12s %14s\n", "feature", "learned", "least squares");
    for (size_t i = 0; i < k; i++)
        printf("%-12s %12.4f %14.4f\n", names[i], model->W.data[i * model->W.ld],
               ols->W.data[i * ols->W.ld]);
    printf("%-12s %12.4f %14.4f\n", "intercept", model->B.data[0], ols->B.data[0]);

    printf("\nFeatures ranked by |learned coefficient|\n");
    for (size_t rank = 0; rank < k; rank++) {
        size_t i = r->f.order[rank];
        printf("%3zu. %-10s %9.4f\n", rank + 1, names[i], model->W.data[i * model->W.ld]);
    }
    printf("\nMost important feature: %s (column %zu of %zu; in the book, lstat, the last)\n\n",
           names[top], top + 1, k);
}

static int write_coefficients(plot_dir *dir, const wt_boston *b, const struct linreg_run *r)
{
    const dlfs_linreg *model = &r->f.model.linreg, *ols = &r->f.ols.linreg;
    const char *name = "coefficients.csv";
    FILE *f = plot_file_open(dir, name);

    if (!f)
        return CLI_EXIT_FAILURE;
    fprintf(f, "feature,learned,least_squares\n");
    for (size_t i = 0; i < model->k; i++)
        fprintf(f, "%s,%.10g,%.10g\n", b->d.file.feature_names[i],
                model->W.data[i * model->W.ld], ols->W.data[i * ols->W.ld]);
    fprintf(f, "intercept,%.10g,%.10g\n", model->B.data[0], ols->B.data[0]);
    return plot_file_close(dir, f, name);
}

/* Figures 2-6, 2-7 and 2-8 and the loss curve. */
static const wt_titles titles = {
    "Figure 2-6. Predicted versus actual values for our custom linear regression model",
    "Figure 2-7. Most important feature versus target in custom linear regression",
    "Figure 2-8. Most important feature versus target and predictions in custom linear "
    "regression",
    "the regression's prediction",
    "Training loss per iteration, custom linear regression",
};

/* Trains, fits least squares, prints, draws. */
static int walkthrough(const wt_args *a, const wt_boston *b, plot_dir *dir)
{
    struct linreg_run run;
    const dlfs_linreg *model = &run.f.model.linreg;
    int rc;

    memset(&run, 0, sizeof run);
    rc = fit_and_score(a, b, &run);
    if (!rc) {
        print_scores(a, b, &run);
        /* Features by decreasing |w|; Figure 2-8's line is the model along
         * the first, every other feature held at its test-set mean. */
        wt_rank_abs(model->W.data, model->W.rows, model->W.ld, run.f.order);
        print_coefficients(b, &run);
        rc = wt_predict_curve(b, &run.f.model, run.f.order[0], &run.f.curve);
    }
    if (!rc)
        rc = wt_figures(dir, b, &run.f, &titles);
    if (!rc)
        rc = write_coefficients(dir, b, &run);
    wt_fitted_free(&run.f);
    dlfs_matrix_free(&run.P_ols);
    return rc;
}

int main(int argc, char **argv)
{
    static const wt_program program = {
        .name = "dlfs-linreg-boston", .usage = usage, .model = "linear regression",
        .kind = DLFS_MODEL_LINREG, .out = "dlfs-figures/linreg", .sweep = 0, .walkthrough = walkthrough,
    };
    return wt_main(argc, argv, &program);
}
