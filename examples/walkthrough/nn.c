/* examples/walkthrough/nn.c - dlfs-nn-boston: the chapter's one-hidden-layer
 * network on the Boston housing data, from the training run to the figures.
 *
 * It trains the step-by-step network with the chapter's settings (13 inputs,
 * 13 sigmoid hidden units, one output; 10000 batches of 23 rows, lr 0.0115
 * for the mean gradient, i.e. the book's 0.001 at full batches, seed 180807;
 * with --book, the chapter's code exactly) and shows what
 * the chapter shows: the test errors; Figure 2-13 (predicted against actual);
 * Figure 2-14 (the model's prediction along the most important feature, now a
 * curve); the loss per iteration; the "learned features", hidden units read
 * as weighted combinations of the named inputs; and, as in the chapter's
 * notebook, test R^2 for learning rates spaced evenly on a log scale.
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

/* Hidden units shown as learned features. */
#define TOP_UNITS 3

/* The sweep: 10^-4 to 10^0 in half decades. The top rates diverge and the
 * bottom ones underfit in the chapter's 10000 iterations. */
#define SWEEP_RATES 9
#define SWEEP_LOG10_FROM (-4.0)
#define SWEEP_LOG10_STEP 0.5

static const char usage[] =
    "Usage: dlfs-nn-boston [options]\n"
    "\n"
    "Chapter 2's neural network (13 inputs, 13 sigmoid hidden units, 1 output),\n"
    "step by step, on the Boston housing data: trains it with the chapter's\n"
    "settings (30% test split, features standardised on the training rows,\n"
    "batch 23, 10000 iterations, lr 0.0115 = the book's 0.001 for the mean\n"
    "gradient at full batches, seed 180807; --book: the chapter's code exactly),\n"
    "prints its test errors and the hidden units that\n"
    "matter most as combinations of the named features, runs a learning-rate\n"
    "sweep, and writes Figures 2-13, 2-14, the loss curve and the sweep (PNG, and\n"
    "the series as CSV) to the --out directory.\n";

/* ---- Learned features ---------------------------------------------------- */

/* Prints "sigmoid(-4.44 x lstat - 2.77 x crim + ... + 0.31)", wrapped to
 * lines of about 78 columns under the opening parenthesis's indent. */
static void print_unit(const wt_boston *b, const dlfs_nn *model, size_t u, const size_t *order,
                       size_t indent)
{
    const dlfs_matrix *W1 = &model->W1;
    size_t col = indent;
    char term[96];

    printf("sigmoid(");
    col += 8;
    for (size_t r = 0; r <= model->k; r++) {
        double w = r < model->k ? W1->data[order[r] * W1->ld + u] : model->B1.data[u];
        const char *sign = w < 0 ? "-" : "+";
        int len;

        if (r == 0)
            len = snprintf(term, sizeof term, "%s%.2f x %s", w < 0 ? "-" : "", fabs(w),
                           b->d.file.feature_names[order[r]]);
        else if (r < model->k)
            len = snprintf(term, sizeof term, " %s %.2f x %s", sign, fabs(w),
                           b->d.file.feature_names[order[r]]);
        else
            len = snprintf(term, sizeof term, " %s %.2f)", sign, fabs(w));
        if (len < 0)
            continue;
        if (col + (size_t)len > 78 && r > 0) {
            printf("\n%*s", (int)(indent + 7), "");
            col = indent + 7;
        }
        fputs(term, stdout);
        col += (size_t)len;
    }
    printf("\n");
}

static int print_learned_features(const wt_boston *b, const dlfs_nn *model,
                                  const size_t *units)
{
    size_t *inputs = malloc(model->k * sizeof *inputs);
    size_t top = model->h < TOP_UNITS ? model->h : TOP_UNITS;

    if (!inputs)
        return cli_error(CLI_EXIT_FAILURE, "out of memory");
    printf("\nLearned features: the %zu hidden units with the largest |W2| (of %zu), each\n"
           "a sigmoid of a weighted sum of the standardised inputs (its column of W1,\n"
           "largest terms first, then its bias B1); the output is W2 . units + B2\n",
           top, model->h);
    for (size_t r = 0; r < top; r++) {
        size_t u = units[r];
        char head[64];
        int n = snprintf(head, sizeof head, "  unit %zu, W2 = %.2f: ", u + 1,
                         model->W2.data[u * model->W2.ld]);
        wt_rank_abs(model->W1.data + u, model->k, model->W1.ld, inputs);   /* unit u's terms, largest first */
        fputs(head, stdout);
        print_unit(b, model, u, inputs, n > 0 ? (size_t)n : 0);
    }
    printf("  B2 = %.2f\n", model->B2.data[0]);
    free(inputs);
    return 0;
}

/* learned_features.csv: every hidden unit, by decreasing |W2|, with its W1
 * column under the feature names and its bias. */
static int write_learned_features(plot_dir *dir, const wt_boston *b, const dlfs_nn *model,
                                  const size_t *units)
{
    const char *name = "learned_features.csv";
    FILE *f = plot_file_open(dir, name);

    if (!f)
        return CLI_EXIT_FAILURE;
    fprintf(f, "rank,unit,w2,b1");
    for (size_t i = 0; i < model->k; i++)
        fprintf(f, ",%s", b->d.file.feature_names[i]);
    fputc('\n', f);
    for (size_t r = 0; r < model->h; r++) {
        size_t u = units[r];
        fprintf(f, "%zu,%zu,%.10g,%.10g", r + 1, u + 1, model->W2.data[u * model->W2.ld],
                model->B1.data[u]);
        for (size_t i = 0; i < model->k; i++)
            fprintf(f, ",%.10g", model->W1.data[i * model->W1.ld + u]);
        fputc('\n', f);
    }
    return plot_file_close(dir, f, name);
}

/* ---- The learning-rate sweep --------------------------------------------- */

struct sweep_point {
    double lr;
    double r2, rmse;       /* NaN when diverged */
    size_t diverged_at;    /* 0: trained to the end */
};

/* A fresh network from the same seed for each rate; a rate that diverges is
 * reported in its row, not fatal. */
static int run_sweep(const wt_args *a, const wt_boston *b, struct sweep_point *pts)
{
    dlfs_model model;
    dlfs_status st = dlfs_model_alloc(&model, DLFS_MODEL_NN, b->d.X_train.cols,
                                      CHAPTER_HIDDEN, 1);
    int rc = st ? cli_fail(st, "allocating the sweep's network") : 0;

    for (int i = 0; i < SWEEP_RATES && !rc; i++) {
        struct sweep_point *p = &pts[i];
        dlfs_matrix P = { 0, 0, 0, NULL };
        char label[48];
        wt_training t;
        dlfs_metrics m;

        p->lr = pow(10.0, SWEEP_LOG10_FROM + SWEEP_LOG10_STEP * i);
        p->r2 = p->rmse = NAN;
        snprintf(label, sizeof label, "sweep %d/%d, lr %.3g", i + 1, SWEEP_RATES, p->lr);
        /* p->lr is the mean gradient's rate; the summed loss's is a batch's share of it */
        rc = wt_train(a, b, a->book ? p->lr / CHAPTER_BATCH : p->lr, label, &model, &t,
                      &p->diverged_at);
        wt_training_free(&t);
        if (!rc && !p->diverged_at)
            rc = wt_predict_test(b, &model, &P, &m);
        if (!rc && !p->diverged_at) {
            p->r2 = m.r2;
            p->rmse = m.rmse;
        }
        dlfs_matrix_free(&P);
    }
    dlfs_model_free(&model);
    return rc;
}

static void print_sweep(const wt_args *a, const struct sweep_point *pts)
{
    printf("\nLearning-rate sweep: %zu iterations each, seed %llu, batch %d; lr for the\n"
           "mean gradient (the book's rate at full batches is lr * 2 / %d%s)\n",
           a->iterations, (unsigned long long)a->seed, CHAPTER_BATCH, CHAPTER_BATCH,
           a->book ? "; book mode trains the summed loss at lr / 23" : "");
    printf("%10s %10s %10s %10s\n", "lr", "book lr", "test R^2", "test RMSE");
    for (int i = 0; i < SWEEP_RATES; i++) {
        const struct sweep_point *p = &pts[i];
        printf("%10.4g %10.3g ", p->lr, p->lr * 2 / CHAPTER_BATCH);
        if (p->diverged_at)
            printf("  diverged (iteration %zu: the loss or a gradient is not finite)\n",
                   p->diverged_at);
        else
            printf("%10.4f %10.4f\n", p->r2, p->rmse);
    }
}

static int figure_sweep(plot_dir *dir, const wt_args *a, const struct sweep_point *pts)
{
    const char *name = "lr_sweep.csv";
    double lr[SWEEP_RATES], r2[SWEEP_RATES], lowest = 0;
    char title[128], note[160] = "", *end = note;
    FILE *f = plot_file_open(dir, name);
    int rc;

    if (!f)
        return CLI_EXIT_FAILURE;
    fprintf(f, "lr,book_lr,test_r2,test_rmse,diverged_at_iteration\n");
    for (int i = 0; i < SWEEP_RATES; i++) {
        const struct sweep_point *p = &pts[i];
        fprintf(f, "%.10g,%.10g,", p->lr, p->lr * 2 / CHAPTER_BATCH);
        if (p->diverged_at)
            fprintf(f, ",,%zu\n", p->diverged_at);
        else
            fprintf(f, "%.10g,%.10g,\n", p->r2, p->rmse);
        lr[i] = p->lr;
        r2[i] = p->r2;  /* NaN for a diverged run: not drawn */
        if (isfinite(p->r2) && p->r2 < lowest)
            lowest = p->r2;
        if (p->diverged_at)
            end += snprintf(end, (size_t)(note + sizeof note - end), "%s%g",
                            end == note ? "diverged, not drawn: lr = " : ", ", p->lr);
    }
    rc = plot_file_close(dir, f, name);
    if (rc)
        return rc;

    snprintf(title, sizeof title, "Test R#u2#d against learning rate, neural network "
             "(%zu iterations each)", a->iterations);
    {
        plot_series s = { NULL, lr, r2, SWEEP_RATES, PLOT_LINE_POINTS };
        /* Half a step of margin beyond the end rates; R^2 below -1 is off the
         * chart (the model is far worse than the mean). */
        plot_figure fig = {
            "lr_sweep.png", title,
            { "Learning rate (exact gradient, log scale)",
              pow(10.0, SWEEP_LOG10_FROM - 0.25),
              pow(10.0, SWEEP_LOG10_FROM + SWEEP_LOG10_STEP * (SWEEP_RATES - 1) + 0.25), 1 },
            { "Test R#u2#d", lowest < -1 ? -1 : (lowest < 0 ? lowest - 0.05 : 0), 1, 0 },
            0, PLOT_LEGEND_NONE, note[0] ? note : NULL, &s, 1,
        };
        return plot_draw(dir, &fig);
    }
}

/* ---- The walkthrough ------------------------------------------------------ */

/* Everything one walkthrough computes; all owned. */
struct nn_run {
    wt_fitted f;             /* f.model.nn the network; f.ols least squares, for
                                the most important feature; f.order the hidden
                                units by decreasing |W2| */
    struct sweep_point sweep[SWEEP_RATES];
};

static void print_scores(const wt_args *a, const wt_boston *b, const struct nn_run *r)
{
    printf("network   %zu -> %d sigmoid units -> 1, weights from N(0, 1)\n",
           b->d.X_train.cols, CHAPTER_HIDDEN);
    wt_print_training(a, &r->f.t, a->book ? a->lr * 2 : a->lr * 2 / CHAPTER_BATCH);
    wt_print_score_header(b->d.X_test.rows);
    wt_print_score("neural network", &r->f.m);
    wt_print_book_score("book: neural network", chapter_model_of(DLFS_MODEL_NN));
    printf("Mean test target %.4f (book: %.4f).\n", r->f.m.mean_target,
           CHAPTER_BOOK_MEAN_TARGET);
    wt_print_split_note(a);
}

/* Figures 2-13 and 2-14 and the loss curve; Figure 2-7's scatter is the
 * regression's alone. */
static const wt_titles titles = {
    "Figure 2-13. Predicted value versus target, in neural network regression",
    NULL,
    "Figure 2-14. Most important feature versus target and predictions, neural network "
    "regression",
    "the network's prediction",
    "Training loss per iteration, neural network regression",
};

/* Trains, prints the scores and the learned features, sweeps, draws. */
static int walkthrough(const wt_args *a, const wt_boston *b, plot_dir *dir)
{
    struct nn_run run;
    const dlfs_nn *model = &run.f.model.nn;
    const dlfs_linreg *ols = &run.f.ols.linreg;
    size_t top;
    int rc;

    memset(&run, 0, sizeof run);
    rc = wt_fit(a, b, DLFS_MODEL_NN, &run.f);
    if (!rc) {
        print_scores(a, b, &run);
        wt_rank_abs(model->W2.data, model->h, model->W2.ld, run.f.order);
        rc = print_learned_features(b, model, run.f.order);
    }
    /* The most important feature is the regression's, as in the book:
     * the largest |w| of least squares on the same standardised rows. */
    if (!rc) {
        top = wt_argmax_abs(ols->W.data, ols->k, ols->W.ld);
        printf("\nMost important feature (largest |w| of least squares on the same rows, as in\n"
               "the book's Figure 2-14): %s\n", b->d.file.feature_names[top]);
        rc = wt_predict_curve(b, &run.f.model, top, &run.f.curve);
    }
    if (!rc && !a->no_sweep) {
        rc = run_sweep(a, b, run.sweep);
        if (!rc)
            print_sweep(a, run.sweep);
    }
    if (!rc)
        printf("\n");
    if (!rc)
        rc = wt_figures(dir, b, &run.f, &titles);
    if (!rc)
        rc = write_learned_features(dir, b, model, run.f.order);
    if (!rc && !a->no_sweep)
        rc = figure_sweep(dir, a, run.sweep);
    wt_fitted_free(&run.f);
    return rc;
}

int main(int argc, char **argv)
{
    static const wt_program program = {
        .name = "dlfs-nn-boston", .usage = usage, .model = "a one-hidden-layer network",
        .kind = DLFS_MODEL_NN, .out = "dlfs-figures/nn", .sweep = 1, .walkthrough = walkthrough,
    };
    return wt_main(argc, argv, &program);
}
