/* examples/walkthrough.c - the Boston rows, scoring and the shared figures of
 * the two walkthroughs; see walkthrough.h. */
#include "walkthrough.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Errors ------------------------------------------------------------- */

int wt_fail(dlfs_status st, const char *context)
{
    const char *detail = cli_without_function(dlfs_error_detail());
    return cli_error(CLI_EXIT_FAILURE, "%s: %s", context, detail[0] ? detail : dlfs_strerror(st));
}

/* ---- The data ----------------------------------------------------------- */

int wt_boston_load(wt_boston *b, const char *path)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st;

    memset(b, 0, sizeof *b);
    if (path) {
        if (strlen(path) >= sizeof b->path)
            return cli_error(CLI_EXIT_FAILURE, "data file name too long");
        strcpy(b->path, path);
    } else if (cli_find_data(WT_BOSTON_FILE, b->path, sizeof b->path) != 0) {
        return CLI_EXIT_FAILURE;
    }

    st = dlfs_csv_read(b->path, WT_BOSTON_TARGET, 0, &b->file, &err);
    if (st) {
        const char *what = cli_without_function(err.message[0] ? err.message : dlfs_error_detail());
        return cli_error(CLI_EXIT_FAILURE, "%s: %s", b->path, what[0] ? what : dlfs_strerror(st));
    }
    st = dlfs_split(&b->file.X, &b->file.y, WT_TEST_FRACTION, WT_SPLIT_SEED,
                    &b->X_train, &b->y_train, &b->X_test, &b->y_test);
    if (st)
        return wt_fail(st, "splitting the rows");
    /* The scaler sees only the training rows: the test rows stay unseen. */
    st = dlfs_standardizer_fit(&b->scaler, &b->X_train);
    if (!st) st = dlfs_standardizer_apply(&b->scaler, &b->X_train);
    if (!st) st = dlfs_standardizer_apply(&b->scaler, &b->X_test);
    if (st)
        return wt_fail(st, "standardising the features");
    return 0;
}

void wt_boston_free(wt_boston *b)
{
    dlfs_dataset_free(&b->file);
    dlfs_matrix_free(&b->X_train);
    dlfs_matrix_free(&b->y_train);
    dlfs_matrix_free(&b->X_test);
    dlfs_matrix_free(&b->y_test);
    dlfs_standardizer_free(&b->scaler);
}

void wt_print_data(const wt_boston *b)
{
    size_t n_train = b->X_train.rows, n_test = b->X_test.rows;

    printf("data      %s (target %s)\n", b->path, b->file.target_name);
    printf("rows      %zu: %zu train, %zu test (%g%% test split, seed %d)\n",
           n_train + n_test, n_train, n_test, 100 * WT_TEST_FRACTION, WT_SPLIT_SEED);
    printf("features  %zu, standardised with the training rows' means and sds\n",
           b->X_train.cols);
}

/* ---- Training ----------------------------------------------------------- */

int wt_training_begin(wt_training *t, dlfs_train_options *opt, const char *label,
                      size_t iterations, double lr, uint64_t seed, int progress)
{
    memset(t, 0, sizeof *t);
    t->loss = malloc(iterations * sizeof *t->loss);
    if (!t->loss)
        return cli_error(CLI_EXIT_FAILURE, "out of memory for %zu losses", iterations);
    for (size_t i = 0; i < iterations; i++)
        t->loss[i] = NAN;
    t->iterations = iterations;

    dlfs_train_options_default(opt);
    opt->iterations = iterations;
    opt->batch_size = WT_BATCH;
    opt->learning_rate = lr;
    opt->seed = seed;
    opt->loss_history = t->loss;
    opt->loss_history_len = iterations;
    cli_progress_start(&t->progress, label, iterations, progress);
    opt->on_loss = cli_progress_on_loss;
    opt->user = &t->progress;
    t->seconds = cli_now();
    return 0;
}

void wt_training_done(wt_training *t)
{
    t->seconds = cli_now() - t->seconds;
    cli_progress_finish(&t->progress);
}

void wt_training_free(wt_training *t)
{
    free(t->loss);
    t->loss = NULL;
}

/* ---- Scores ------------------------------------------------------------- */

int wt_score(const wt_boston *b, const dlfs_matrix *P, dlfs_metrics *m)
{
    dlfs_status st = dlfs_metrics_compute(P, &b->y_test, m);
    return st ? wt_fail(st, "scoring the predictions") : 0;
}

void wt_print_score_header(size_t n_test)
{
    char head[64];
    snprintf(head, sizeof head, "test rows (%zu)", n_test);
    printf("%-30s %8s %8s %10s %8s\n", head, "MAE", "RMSE", "RMSE/mean", "R^2");
}

void wt_print_score(const char *model, const dlfs_metrics *m)
{
    printf("%-30s %8.4f %8.4f %9.1f%% %8.4f\n", model, m->mae, m->rmse,
           100 * m->rmse / m->mean_target, m->r2);
}

void wt_print_book_score(const char *model, double mae, double rmse, double mean_target)
{
    char a[16] = "-", r[16] = "-", pct[16] = "-";

    if (!isnan(mae))
        snprintf(a, sizeof a, "%.4f", mae);
    if (!isnan(rmse)) {
        snprintf(r, sizeof r, "%.4f", rmse);
        snprintf(pct, sizeof pct, "%.1f%%", 100 * rmse / mean_target);
    }
    printf("%-30s %8s %8s %10s %8s\n", model, a, r, pct, "-");
}

/* ---- The most important feature ---------------------------------------- */

size_t wt_argmax_abs(const double *v, size_t n, size_t stride)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (fabs(v[i * stride]) > fabs(v[best * stride]))
            best = i;
    return best;
}

void wt_rank_abs(const double *v, size_t n, size_t stride, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Insertion sort: n is the chapter's 13. */
    for (size_t i = 1; i < n; i++) {
        size_t o = order[i], p = i;
        while (p > 0 && fabs(v[order[p - 1] * stride]) < fabs(v[o * stride])) {
            order[p] = order[p - 1];
            p--;
        }
        order[p] = o;
    }
}

int wt_curve_inputs(const wt_boston *b, size_t j, dlfs_matrix *X, double *xs)
{
    const dlfs_matrix *T = &b->X_test;
    size_t k = T->cols;
    dlfs_status st = dlfs_matrix_alloc(X, WT_CURVE_POINTS, k);

    if (st)
        return wt_fail(st, "allocating the curve's inputs");
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

/* ---- The shared figures ------------------------------------------------- */

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
    double *pred = column_copy(P, 0), *actual = column_copy(&b->y_test, 0);
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

int wt_figure_feature(plot_dir *dir, const wt_boston *b, size_t j, const double *xs,
                      const double *curve, const char *scatter_title,
                      const char *curve_title, const char *curve_label)
{
    const char *name = b->file.feature_names[j], *target = b->file.target_name;
    double *x = column_copy(&b->X_test, j), *y = column_copy(&b->y_test, 0);
    char xlabel[128], ylabel[128], pts_label[64], note[160];
    size_t n = b->X_test.rows;
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

int wt_figure_loss(plot_dir *dir, const double *loss, size_t n, size_t window,
                   const char *title)
{
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
