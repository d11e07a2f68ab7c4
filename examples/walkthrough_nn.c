/* examples/walkthrough_nn.c - dlfs-nn-boston: the chapter's one-hidden-layer
 * network on the Boston housing data, from the training run to the figures.
 *
 * It trains the step-by-step network with the chapter's settings (13 inputs,
 * 13 sigmoid hidden units, one output; 10000 batches of 23 rows, lr 0.0115
 * for the exact gradient, i.e. the book's 0.001, seed 180807) and shows what
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

#include "cli_common.h"
#include "plot.h"
#include "walkthrough.h"

#define PROGRAM "dlfs-nn-boston"

/* The chapter's run and its reported test figures (SPEC.md). */
#define CHAPTER_ITERATIONS 10000
#define CHAPTER_LR 0.0115
#define CHAPTER_SEED 180807
#define CHAPTER_HIDDEN 13
#define BOOK_MAE 2.5289
#define BOOK_RMSE 3.6775
#define BOOK_MEAN_TARGET 22.0776

/* Hidden units shown as learned features. */
#define TOP_UNITS 3

/* The sweep: 10^-4 to 10^0 in half decades. The top rates diverge and the
 * bottom ones underfit in the chapter's 10000 iterations. */
#define SWEEP_RATES 9
#define SWEEP_LOG10_FROM (-4.0)
#define SWEEP_LOG10_STEP 0.5

static const char usage[] =
    "Usage: " PROGRAM " [options]\n"
    "\n"
    "Chapter 2's neural network (13 inputs, 13 sigmoid hidden units, 1 output),\n"
    "step by step, on the Boston housing data: trains it with the chapter's\n"
    "settings (30% test split, features standardised on the training rows,\n"
    "batch 23, 10000 iterations, lr 0.0115 = the book's 0.001 for the exact\n"
    "gradient, seed 180807), prints its test errors and the hidden units that\n"
    "matter most as combinations of the named features, runs a learning-rate\n"
    "sweep, and writes Figures 2-13, 2-14, the loss curve and the sweep (PNG, and\n"
    "the series as CSV) to the --out directory.\n";

struct args {
    size_t iterations;
    double lr;
    uint64_t seed;
    const char *out, *data;
    int quiet, no_sweep, version;
};

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
                           b->file.feature_names[order[r]]);
        else if (r < model->k)
            len = snprintf(term, sizeof term, " %s %.2f x %s", sign, fabs(w),
                           b->file.feature_names[order[r]]);
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
        fprintf(f, ",%s", b->file.feature_names[i]);
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

/* ---- Training ----------------------------------------------------------- */

/* Trains a fresh network from `seed`. *diverged_at is the 1-based iteration
 * whose loss or gradient was not finite (DLFS_EDIVERGED), else 0. */
static int train(const struct args *a, const wt_boston *b, double lr, const char *label,
                 dlfs_nn *model, wt_training *t, size_t *diverged_at)
{
    dlfs_train_options opt;
    dlfs_status st;
    int rc = wt_training_begin(t, &opt, label, a->iterations, lr, a->seed, !a->quiet);

    *diverged_at = 0;
    if (rc)
        return rc;
    st = dlfs_nn_train(model, &b->X_train, &b->y_train, &opt, &t->result);
    wt_training_done(t);
    if (st == DLFS_EDIVERGED)
        *diverged_at = t->result.failed_iteration + 1;
    else if (st)
        return wt_fail(st, "training");
    return 0;
}

/* ---- The learning-rate sweep --------------------------------------------- */

struct sweep_point {
    double lr;
    double r2, rmse;       /* NaN when diverged */
    size_t diverged_at;    /* 0: trained to the end */
};

static int run_sweep(const struct args *a, const wt_boston *b, struct sweep_point *pts)
{
    dlfs_matrix P = { 0, 0, 0, NULL };
    dlfs_nn model;
    dlfs_status st;
    int rc;

    memset(&model, 0, sizeof model);
    st = dlfs_nn_alloc(&model, b->X_train.cols, CHAPTER_HIDDEN, 1);
    if (!st) st = dlfs_matrix_alloc(&P, b->X_test.rows, 1);
    rc = st ? wt_fail(st, "allocating the sweep's network") : 0;

    for (int i = 0; i < SWEEP_RATES && !rc; i++) {
        struct sweep_point *p = &pts[i];
        char label[48];
        wt_training t;
        dlfs_metrics m;

        p->lr = pow(10.0, SWEEP_LOG10_FROM + SWEEP_LOG10_STEP * i);
        p->r2 = p->rmse = NAN;
        snprintf(label, sizeof label, "sweep %d/%d, lr %.3g", i + 1, SWEEP_RATES, p->lr);
        rc = train(a, b, p->lr, label, &model, &t, &p->diverged_at);
        wt_training_free(&t);
        if (rc || p->diverged_at)
            continue;
        st = dlfs_nn_predict(&model, &b->X_test, &P);
        if (st)
            rc = wt_fail(st, "predicting the test rows");
        if (!rc)
            rc = wt_score(b, &P, &m);
        if (!rc) {
            p->r2 = m.r2;
            p->rmse = m.rmse;
        }
    }
    dlfs_matrix_free(&P);
    dlfs_nn_free(&model);
    return rc;
}

static void print_sweep(const struct args *a, const struct sweep_point *pts)
{
    printf("\nLearning-rate sweep: %zu iterations each, seed %llu, batch %d; lr for the\n"
           "exact gradient (the book's rate is lr * 2 / %d)\n", a->iterations,
           (unsigned long long)a->seed, WT_BATCH, WT_BATCH);
    printf("%10s %10s %10s %10s\n", "lr", "book lr", "test R^2", "test RMSE");
    for (int i = 0; i < SWEEP_RATES; i++) {
        const struct sweep_point *p = &pts[i];
        printf("%10.4g %10.3g ", p->lr, p->lr * 2 / WT_BATCH);
        if (p->diverged_at)
            printf("  diverged (iteration %zu: the loss or a gradient is not finite)\n",
                   p->diverged_at);
        else
            printf("%10.4f %10.4f\n", p->r2, p->rmse);
    }
}

static int figure_sweep(plot_dir *dir, const struct args *a, const struct sweep_point *pts)
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
        fprintf(f, "%.10g,%.10g,", p->lr, p->lr * 2 / WT_BATCH);
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

/* ---- The walkthrough ---------------------------------------------------- */

static int walkthrough(const struct args *a, const wt_boston *b, plot_dir *dir)
{
    size_t k = b->X_train.cols, n_test = b->X_test.rows, diverged_at = 0, top;
    dlfs_nn model;
    dlfs_linreg ols;
    dlfs_matrix P = { 0, 0, 0, NULL };
    dlfs_matrix X_curve = { 0, 0, 0, NULL }, P_curve = { 0, 0, 0, NULL };
    double xs[WT_CURVE_POINTS];
    struct sweep_point sweep[SWEEP_RATES];
    dlfs_metrics m;
    wt_training t;
    size_t *units = NULL;
    dlfs_status st;
    int rc;

    memset(&model, 0, sizeof model);
    memset(&ols, 0, sizeof ols);
    memset(&t, 0, sizeof t);
    st = dlfs_nn_alloc(&model, k, CHAPTER_HIDDEN, 1);
    if (!st) st = dlfs_linreg_alloc(&ols, k, 1);
    if (!st) st = dlfs_matrix_alloc(&P, n_test, 1);
    if (!st) st = dlfs_matrix_alloc(&P_curve, WT_CURVE_POINTS, 1);
    rc = st ? wt_fail(st, "allocating the model") : 0;
    if (!rc && !(units = malloc(CHAPTER_HIDDEN * sizeof *units)))
        rc = cli_error(CLI_EXIT_FAILURE, "out of memory");

    if (!rc)
        rc = train(a, b, a->lr, "nn", &model, &t, &diverged_at);
    if (!rc && diverged_at)
        rc = cli_error(CLI_EXIT_FAILURE, "training diverged at iteration %zu (the loss or a "
                       "gradient is not finite); try a smaller --lr", diverged_at);
    if (!rc && (st = dlfs_nn_predict(&model, &b->X_test, &P)) != DLFS_OK)
        rc = wt_fail(st, "predicting the test rows");
    if (!rc)
        rc = wt_score(b, &P, &m);
    /* The most important feature is the regression's, as in the book:
     * the largest |w| of least squares on the same standardised rows. */
    if (!rc && (st = dlfs_ols_fit(&ols, &b->X_train, &b->y_train)) != DLFS_OK)
        rc = wt_fail(st, "fitting least squares");
    if (rc)
        goto done;

    printf("network   %zu -> %d sigmoid units -> 1, weights from N(0, 1)\n", k, CHAPTER_HIDDEN);
    printf("training  %zu iterations of %d rows, lr %g (the book's %g), seed %llu: "
           "%.1f ms, last batch loss %.4g\n\n", t.result.iterations, WT_BATCH, a->lr,
           a->lr * 2 / WT_BATCH, (unsigned long long)a->seed, 1000 * t.seconds,
           t.result.final_loss);
    wt_print_score_header(n_test);
    wt_print_score("neural network", &m);
    wt_print_book_score("book: neural network", BOOK_MAE, BOOK_RMSE, BOOK_MEAN_TARGET);
    printf("Mean test target %.4f (book: %.4f). The split comes from dlfs's own\n"
           "generator, not scikit-learn's, so the test rows differ from the book's.\n",
           m.mean_target, BOOK_MEAN_TARGET);

    wt_rank_abs(model.W2.data, model.h, model.W2.ld, units);   /* hidden units by decreasing |W2| */
    rc = print_learned_features(b, &model, units);

    top = wt_argmax_abs(ols.W.data, k, ols.W.ld);
    if (!rc) {
        printf("\nMost important feature (largest |w| of least squares on the same rows, as in\n"
               "the book's Figure 2-14): %s\n", b->file.feature_names[top]);
        rc = wt_curve_inputs(b, top, &X_curve, xs);
    }
    if (!rc && (st = dlfs_nn_predict(&model, &X_curve, &P_curve)) != DLFS_OK)
        rc = wt_fail(st, "predicting along the feature");

    if (!rc && !a->no_sweep) {
        rc = run_sweep(a, b, sweep);
        if (!rc)
            print_sweep(a, sweep);
    }
    if (!rc)
        printf("\n");

    if (!rc)
        rc = wt_figure_predictions(dir, b, &P, "Figure 2-13. Predicted value versus target, "
                                   "in neural network regression");
    if (!rc)
        rc = wt_figure_feature(dir, b, top, xs, P_curve.data, NULL,
                               "Figure 2-14. Most important feature versus target and "
                               "predictions, neural network regression",
                               "the network's prediction");
    if (!rc)
        rc = wt_figure_loss(dir, t.loss, t.result.iterations,
                            (b->X_train.rows + WT_BATCH - 1) / WT_BATCH,
                            "Training loss per iteration, neural network regression");
    if (!rc)
        rc = write_learned_features(dir, b, &model, units);
    if (!rc && !a->no_sweep)
        rc = figure_sweep(dir, a, sweep);
    if (!rc)
        plot_dir_report(dir, stdout);

done:
    free(units);
    wt_training_free(&t);
    dlfs_matrix_free(&P);
    dlfs_matrix_free(&X_curve);
    dlfs_matrix_free(&P_curve);
    dlfs_nn_free(&model);
    dlfs_linreg_free(&ols);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = { CHAPTER_ITERATIONS, CHAPTER_LR, CHAPTER_SEED,
                      "dlfs-figures/nn", NULL, 0, 0, 0 };
    cli_option opts[] = {
        { "--iterations", "N", CLI_COUNT, &a.iterations, "batches to train on, also for each "
          "rate of the sweep (10000)", 0 },
        { "--lr", "X", CLI_POSITIVE, &a.lr, "learning rate for the exact gradient (0.0115)", 0 },
        { "--seed", "S", CLI_U64, &a.seed, "seed of the weights and batches (180807)", 0 },
        { "--out", "DIR", CLI_STRING, &a.out, "where figures and CSV series go, created if "
          "needed (dlfs-figures/nn)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "the Boston data with a medv column "
          "(default: the bundled copy)", 0 },
        { "--no-sweep", NULL, CLI_FLAG, &a.no_sweep, "skip the learning-rate sweep", 0 },
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

    printf("%s: a one-hidden-layer network, step by step, on the Boston housing data\n",
           PROGRAM);
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
