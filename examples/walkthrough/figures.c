/* examples/walkthrough/figures.c - the figures both walkthroughs draw, and
 * the model's curve along a feature; see walkthrough.h. */
#include "walkthrough.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The curve along a feature -------------------------------------------- */

/* X (allocated here, WT_CURVE_POINTS x k): every column at its test-set mean
 * except column j, which runs over xs. */
static int curve_inputs(const wt_boston *b, size_t j, dlfs_matrix *X, double *xs)
{
    const dlfs_matrix *T = &b->d.X_test;
    size_t k = T->cols;
    dlfs_status st = dlfs_matrix_alloc(X, WT_CURVE_POINTS, k);

    if (st)
        return cli_fail(st, "allocating the curve's inputs");
    for (size_t c = 0; c < k; c++) {
        double mean = 0;
        for (size_t i = 0; i < T->rows; i++)
            mean += T->data[i * T->ld + c];
        mean /= (double)T->rows;
        for (size_t i = 0; i < WT_CURVE_POINTS; i++)
            X->data[i * X->ld + c] = mean;
    }
    for (size_t i = 0; i < WT_CURVE_POINTS; i++) {
        xs[i] = WT_CURVE_FROM + (WT_CURVE_TO - WT_CURVE_FROM) * (double)i / (WT_CURVE_POINTS - 1);
        X->data[i * X->ld + j] = xs[i];
    }
    return 0;
}

int wt_predict_curve(const wt_boston *b, const dlfs_model *model, size_t j, wt_curve *c)
{
    dlfs_status st;
    int rc;

    c->feature = j;
    rc = curve_inputs(b, j, &c->X, c->xs);
    if (rc)
        return rc;
    st = dlfs_matrix_alloc(&c->P, WT_CURVE_POINTS, 1);
    if (!st) st = dlfs_model_predict(model, &c->X, &c->P);
    return st ? cli_fail(st, "predicting along the feature") : 0;
}

/* ---- The shared figures ----------------------------------------------------- */

/* Column c of an n x 1 (or any) matrix as a contiguous array, which the CSV
 * and plot writers take. */
static double *column_copy(const dlfs_matrix *M, size_t c)
{
    double *v = malloc(M->rows * sizeof *v);
    if (!v) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < M->rows; i++)
        v[i] = M->data[i * M->ld + c];
    return v;
}

int wt_figure_predictions(plot_dir *dir, const wt_boston *b, const dlfs_matrix *P,
                          const char *title)
{
    double *pred = column_copy(P, 0), *actual = column_copy(&b->d.y_test, 0);
    char label[64];
    int rc = CLI_EXIT_FAILURE;

    if (pred && actual) {
        plot_column cols[] = { { "predicted", pred }, { "actual", actual } };
        plot_series pts = { label, pred, actual, P->rows, PLOT_POINTS };
        plot_figure fig = {
            "predicted_vs_actual.png", title,
            { "Predicted value ($1000s)", 0, WT_PRICE_AXIS_MAX, 0 },
            { "Actual value ($1000s)", 0, WT_PRICE_AXIS_MAX, 0 },
            1, PLOT_LEGEND_TOP_LEFT, "dashed: the 45-degree line, where every point would be "
            "if the model were perfect", &pts, 1,
        };
        snprintf(label, sizeof label, "test rows (%zu)", P->rows);
        rc = plot_write_csv(dir, "predicted_vs_actual.csv", P->rows, cols, 2);
        if (!rc)
            rc = plot_draw(dir, &fig);
    }
    free(pred);
    free(actual);
    return rc;
}

int wt_figure_feature(plot_dir *dir, const wt_boston *b, const wt_curve *c,
                      const char *scatter_title, const char *curve_title,
                      const char *curve_label)
{
    size_t j = c->feature, n = b->d.X_test.rows;
    const char *name = b->d.file.feature_names[j], *target = b->d.file.target_name;
    double *x = column_copy(&b->d.X_test, j), *y = column_copy(&b->d.y_test, 0);
    const double *xs = c->xs, *curve = c->P.data;
    char xlabel[128], ylabel[128], pts_label[64], note[160];
    int rc = CLI_EXIT_FAILURE;

    snprintf(xlabel, sizeof xlabel, "Most important feature: %s (standardised)", name);
    snprintf(pts_label, sizeof pts_label, "test rows (%zu)", n);
    snprintf(note, sizeof note, "%s swept from %g to %g in %d points, the other features "
             "at their test-set means", name, WT_CURVE_FROM, WT_CURVE_TO, WT_CURVE_POINTS);
    if (x && y) {
        plot_column scatter[] = { { name, x }, { target, y } };
        plot_column line[] = { { name, xs }, { "predicted", curve } };
        plot_series series[] = {
            { pts_label, x, y, n, PLOT_POINTS },
            { curve_label, xs, curve, WT_CURVE_POINTS, PLOT_LINE },
        };
        plot_figure fig = {
            "feature_vs_target.png", scatter_title, { xlabel, 0, 0, 0 },
            { ylabel, 0, WT_PRICE_AXIS_MAX, 0 }, 0, PLOT_LEGEND_TOP_RIGHT, NULL, series, 1,
        };

        rc = plot_write_csv(dir, "feature_vs_target.csv", n, scatter, 2);
        if (!rc)
            rc = plot_write_csv(dir, "feature_curve.csv", WT_CURVE_POINTS, line, 2);
        if (!rc && scatter_title) {
            snprintf(ylabel, sizeof ylabel, "Target: %s ($1000s)", target);
            rc = plot_draw(dir, &fig);
        }
        if (!rc) {
            snprintf(ylabel, sizeof ylabel, "Target / prediction: %s ($1000s)", target);
            fig.name = "feature_curve.png";
            fig.title = curve_title;
            fig.note = note;
            fig.n_series = 2;
            rc = plot_draw(dir, &fig);
        }
    }
    free(x);
    free(y);
    return rc;
}

int wt_figure_loss(plot_dir *dir, const wt_boston *b, const wt_training *t, const char *title)
{
    const double *loss = t->loss;
    size_t n = t->result.iterations;
    size_t window = (b->d.X_train.rows + CHAPTER_BATCH - 1) / CHAPTER_BATCH;
    double *it = malloc(n * sizeof *it), *mean = malloc(n * sizeof *mean), sum = 0;
    char mean_label[96];
    int rc = CLI_EXIT_FAILURE;

    if (window == 0)
        window = 1;
    if (it && mean) {
        for (size_t i = 0; i < n; i++) {
            it[i] = (double)(i + 1);
            sum += loss[i];
            if (i >= window)
                sum -= loss[i - window];
            mean[i] = sum / (double)(i < window ? i + 1 : window);
        }
        snprintf(mean_label, sizeof mean_label, "mean of the last %zu (one pass)", window);
        {
            plot_column cols[] = { { "iteration", it }, { "loss", loss }, { "pass_mean", mean } };
            plot_series s[] = {
                { "loss on each batch", it, loss, n, PLOT_LINE },
                { mean_label, it, mean, n, PLOT_LINE },
            };
            plot_figure fig = {
                "loss.png", title, { "Iteration", 0, 0, 0 },
                { "Training loss (mean squared error, log scale)", 0, 0, 1 },
                0, PLOT_LEGEND_TOP_RIGHT, NULL, s, 2,
            };
            rc = plot_write_csv(dir, "loss.csv", n, cols, 3);
            if (!rc)
                rc = plot_draw(dir, &fig);
        }
    } else {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
    }
    free(it);
    free(mean);
    return rc;
}

int wt_figures(plot_dir *dir, const wt_boston *b, const wt_fitted *f, const wt_titles *titles)
{
    int rc = wt_figure_predictions(dir, b, &f->P, titles->predictions);

    if (!rc)
        rc = wt_figure_feature(dir, b, &f->curve, titles->scatter, titles->curve,
                               titles->curve_label);
    if (!rc)
        rc = wt_figure_loss(dir, b, &f->t, titles->loss);
    return rc;
}
