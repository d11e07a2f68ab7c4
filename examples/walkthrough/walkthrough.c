/* examples/walkthrough/walkthrough.c - the program around a walkthrough, the
 * Boston rows, training, scoring and ranking; see walkthrough.h. */
#include "walkthrough.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The program ---------------------------------------------------------- */

/* The chapter's rows; path NULL: the bundled Boston file. The target is medv
 * in any file. */
static int boston_load(wt_boston *b, const char *path, int book)
{
    memset(&b->d, 0, sizeof b->d);
    chapter_source_boston(&b->src);
    if (book) {
        b->src.book = 1;
        b->src.split_seed = CHAPTER_BOOK_SPLIT_SEED;
    }
    if (path && strlen(path) >= sizeof b->src.found)
        return cli_error(CLI_EXIT_FAILURE, "data file name too long");
    b->src.path = path;
    b->src.split_context = "splitting the rows";
    if (chapter_source_find(&b->src) != 0)
        return CLI_EXIT_FAILURE;
    return chapter_prepare(&b->src, &b->d);
}

static void print_data(const wt_boston *b)
{
    size_t n_train = b->d.X_train.rows, n_test = b->d.X_test.rows;

    printf("data      %s (target %s)\n", b->src.path, b->d.file.target_name);
    if (b->src.book) {
        printf("rows      %zu: %zu train, %zu test (book mode: scikit-learn's split, "
               "random_state %d)\n", n_train + n_test, n_train, n_test, CHAPTER_BOOK_SPLIT_SEED);
        printf("features  %zu, standardised on all %zu rows before the split, as the chapter's\n"
               "          code does (the test rows' statistics enter the scaling; the default\n"
               "          fits on the training rows); NumPy's generator, the summed loss\n",
               b->d.X_train.cols, n_train + n_test);
        return;
    }
    printf("rows      %zu: %zu train, %zu test (%g%% test split, seed %d)\n",
           n_train + n_test, n_train, n_test, 100 * CHAPTER_TEST_FRACTION, CHAPTER_SPLIT_SEED);
    printf("features  %zu, standardised with the training rows' means and sds\n",
           b->d.X_train.cols);
}

/* Prepares the rows and the directory, and runs the walkthrough. */
static int run(const wt_program *prog, const wt_args *a)
{
    plot_dir dir;
    wt_boston b;
    int rc;

    printf("%s: %s, step by step, on the Boston housing data\n", prog->name, prog->model);
    rc = boston_load(&b, a->data, a->book);
    if (!rc) {
        print_data(&b);
        rc = plot_dir_open(&dir, a->out);
        if (!rc)
            rc = prog->walkthrough(a, &b, &dir);
        if (!rc)
            plot_dir_report(&dir, stdout);
        plot_dir_close(&dir);
    }
    chapter_data_free(&b.d);
    return rc;
}

int wt_main(int argc, char **argv, const wt_program *prog)
{
    const chapter_model *c = chapter_model_of(prog->kind);
    wt_args a = { c->iterations, c->lr, c->seed, prog->out, NULL, 0, 0, 0, 0 };
    char iterations_help[96], lr_help[64], seed_help[64], out_help[96];
    cli_option opts[] = {
        { "--iterations", "N", CLI_COUNT, &a.iterations, iterations_help, 0 },
        { "--lr", "X", CLI_POSITIVE, &a.lr, lr_help, 0 },
        { "--seed", "S", CLI_U64, &a.seed, seed_help, 0 },
        { "--out", "DIR", CLI_STRING, &a.out, out_help, 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "the Boston data with a medv column "
          "(default: the bundled copy)", 0 },
        { "--no-sweep", NULL, CLI_FLAG, &a.no_sweep, "skip the learning-rate sweep", 0 },
        { "--quiet", NULL, CLI_FLAG, &a.quiet, "no progress line", 0 },
        { "--book", NULL, CLI_FLAG, &a.book, "the chapter's code exactly: its split and scaling, "
          "NumPy's generator, the summed loss, --lr in its units (default 0.001)", 0 },
        { "--version", NULL, CLI_FLAG, &a.version, "print the version and whether figures "
          "are drawn", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    int rc;

    snprintf(iterations_help, sizeof iterations_help, "batches to train on%s (%zu)",
             prog->sweep ? ", also for each rate of the sweep" : "", c->iterations);
    snprintf(lr_help, sizeof lr_help, "learning rate for the exact gradient (%g)", c->lr);
    snprintf(seed_help, sizeof seed_help, "seed of the weights and batches (%llu)",
             (unsigned long long)c->seed);
    snprintf(out_help, sizeof out_help, "where figures and CSV series go, created if "
             "needed (%s)", prog->out);
    if (!prog->sweep)   /* no sweep, no --no-sweep */
        memmove(&opts[5], &opts[6], 4 * sizeof opts[0]);

    cli_set_program(prog->name);
    rc = cli_parse(argc - 1, argv + 1, opts, prog->usage);
    if (rc != CLI_PARSED)
        return rc;
    if (a.book && !cli_given(opts, "--lr"))
        a.lr = c->book_lr;
    if (a.version) {
        printf("%s %s\nfigures: %s\n", prog->name, DLFS_VERSION_STRING, plot_status());
        return CLI_EXIT_OK;
    }
    return run(prog, &a);
}

/* ---- Training ------------------------------------------------------------- */

int wt_train(const wt_args *a, const wt_boston *b, double lr, const char *label,
             dlfs_model *model, wt_training *t, size_t *diverged_at)
{
    dlfs_train_options opt;
    cli_progress progress;
    dlfs_status st;

    memset(t, 0, sizeof *t);
    *diverged_at = 0;
    t->loss = malloc(a->iterations * sizeof *t->loss);
    if (!t->loss)
        return cli_error(CLI_EXIT_FAILURE, "out of memory for %zu losses", a->iterations);
    for (size_t i = 0; i < a->iterations; i++)
        t->loss[i] = NAN;

    /* The chapter's train(): N(0,1) weights, shuffled batches of 23. */
    st = dlfs_model_train_options_default(model, &opt);
    if (st)
        return cli_fail(st, "training");
    opt.iterations = a->iterations;
    opt.batch_size = CHAPTER_BATCH;
    opt.learning_rate = lr;
    opt.seed = a->seed;
    if (a->book) {
        opt.generator = DLFS_GENERATOR_NUMPY;
        opt.loss_reduction = DLFS_LOSS_SUM;
    }
    opt.loss_history = t->loss;
    opt.loss_history_len = a->iterations;
    cli_progress_start(&progress, label, a->iterations, !a->quiet);
    opt.on_loss = cli_progress_on_loss;
    opt.user = &progress;
    t->seconds = cli_now();
    st = dlfs_model_train(model, &b->d.X_train, &b->d.y_train, &opt, &t->result);
    t->seconds = cli_now() - t->seconds;
    cli_progress_finish(&progress);

    if (st == DLFS_EDIVERGED)
        *diverged_at = t->result.failed_iteration + 1;
    else if (st)
        return cli_fail(st, "training");
    return 0;
}

void wt_training_free(wt_training *t)
{
    free(t->loss);
    t->loss = NULL;
}

void wt_print_split_note(const wt_args *a)
{
    if (a->book)
        printf("Book mode: the chapter's own split, scaling, generator and loss, so these\n"
               "are the figures its NumPy code prints when run (the book's printed ones\n"
               "come from its own run and differ a little).\n");
    else
        printf("The split comes from dlfs's own generator, not scikit-learn's, so the test\n"
               "rows differ from the book's (--book gives the chapter's own).\n");
}

void wt_print_training(const wt_args *a, const wt_training *t, double book_lr)
{
    printf("training  %zu iterations of %d rows, lr %g (the book's %g), seed %llu: "
           "%.1f ms, last batch loss %.4g\n\n", t->result.iterations, CHAPTER_BATCH, a->lr,
           book_lr, (unsigned long long)a->seed, 1000 * t->seconds, t->result.final_loss);
}

/* *ols = least squares fitted in closed form on the training rows. */
static int fit_least_squares(const wt_boston *b, dlfs_model *ols)
{
    dlfs_status st = dlfs_model_alloc(ols, DLFS_MODEL_OLS, b->d.X_train.cols, 0, 1);

    if (st)
        return cli_fail(st, "allocating the model");
    st = dlfs_model_train(ols, &b->d.X_train, &b->d.y_train, NULL, NULL);
    return st ? cli_fail(st, "fitting least squares") : 0;
}

int wt_fit(const wt_args *a, const wt_boston *b, dlfs_model_kind kind, wt_fitted *f)
{
    size_t k = b->d.X_train.cols, h = kind == DLFS_MODEL_NN ? CHAPTER_HIDDEN : 0;
    size_t diverged_at = 0;
    dlfs_status st;
    int rc;

    memset(f, 0, sizeof *f);
    st = dlfs_model_alloc(&f->model, kind, k, h, 1);
    rc = st ? cli_fail(st, "allocating the model") : 0;
    if (!rc && !(f->order = malloc((h ? h : k) * sizeof *f->order)))
        rc = cli_error(CLI_EXIT_FAILURE, "out of memory");
    if (!rc)
        rc = wt_train(a, b, a->lr, chapter_model_of(kind)->name, &f->model, &f->t,
                      &diverged_at);
    if (!rc && diverged_at)
        rc = chapter_diverged(diverged_at, 0);
    if (!rc)
        rc = wt_predict_test(b, &f->model, &f->P, &f->m);
    if (!rc)
        rc = fit_least_squares(b, &f->ols);
    return rc;
}

void wt_fitted_free(wt_fitted *f)
{
    free(f->order);
    wt_training_free(&f->t);
    dlfs_matrix_free(&f->P);
    dlfs_matrix_free(&f->curve.X);
    dlfs_matrix_free(&f->curve.P);
    dlfs_model_free(&f->model);
    dlfs_model_free(&f->ols);
}

/* ---- Scores ----------------------------------------------------------------- */

int wt_predict_test(const wt_boston *b, const dlfs_model *model, dlfs_matrix *P,
                    dlfs_metrics *m)
{
    dlfs_status st = dlfs_matrix_alloc(P, b->d.X_test.rows, 1);

    if (st)
        return cli_fail(st, "allocating the model");
    st = dlfs_model_predict(model, &b->d.X_test, P);
    if (st)
        return cli_fail(st, "predicting the test rows");
    st = dlfs_metrics_compute(P, &b->d.y_test, m);
    return st ? cli_fail(st, "scoring the predictions") : 0;
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

void wt_print_book_score(const char *model, const chapter_model *book)
{
    char a[16] = "-", r[16] = "-", pct[16] = "-";

    if (!isnan(book->book_mae))
        snprintf(a, sizeof a, "%.4f", book->book_mae);
    if (!isnan(book->book_rmse)) {
        snprintf(r, sizeof r, "%.4f", book->book_rmse);
        snprintf(pct, sizeof pct, "%.1f%%", 100 * book->book_rmse / CHAPTER_BOOK_MEAN_TARGET);
    }
    printf("%-30s %8s %8s %10s %8s\n", model, a, r, pct, "-");
}

/* ---- The most important feature ------------------------------------------- */

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
