/* examples/dlfs/fit.c - fitting and scoring a model through the dlfs_model
 * handle, and the options the commands share; see fit.h.
 *
 * Scoring hands whole matrices to dlfs_model_predict(), which predicts a
 * fixed block of rows at a time (DLFS_MODEL_BLOCK_BYTES of activations): the
 * BLAS may round a row's product differently in a call of another size, so
 * `dlfs predict` gets the same blocks and a saved model scores a file bit for
 * bit as training scored it.
 */
#include "fit.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interrupt.h"
#include "json.h"

void plan_chapter(struct fit_plan *p, dlfs_model_kind kind)
{
    const chapter_model *c = chapter_model_of(kind);

    p->kind = kind;
    p->hidden = CHAPTER_HIDDEN;
    p->iterations = c->iterations;
    p->epochs = 0;
    p->batch = CHAPTER_BATCH;
    p->lr = c->lr;
    p->seed = c->seed;
    p->init = DLFS_INIT_NORMAL;
    p->backend = DLFS_BACKEND_AUTO;
    p->generator = DLFS_GENERATOR_XOSHIRO;
    p->loss = DLFS_LOSS_MEAN;
    p->book = 0;
    p->progress = 0;
    p->checkpoint = NULL;
    p->checkpoint_every = 0;
    p->resume = NULL;
    p->command = NULL;
}

void plan_book(struct fit_plan *p)
{
    p->book = 1;
    p->generator = DLFS_GENERATOR_NUMPY;
    p->loss = DLFS_LOSS_SUM;
    p->lr = chapter_model_of(p->kind)->book_lr;
}

int fit_plan_options(const struct fit_plan *plan, const dlfs_model *model, size_t n,
                     dlfs_train_options *opt, size_t *total)
{
    dlfs_status st = dlfs_model_train_options_default(model, opt);

    opt->iterations = plan->iterations;
    opt->epochs = plan->epochs;
    opt->batch_size = plan->batch;
    opt->learning_rate = plan->lr;
    opt->seed = plan->seed;
    opt->init = plan->init;
    opt->generator = plan->generator;
    opt->loss_reduction = plan->loss;
    if (!st) st = dlfs_train_iterations(opt, n, total);
    return st ? cli_fail(st, "counting the iterations") : CLI_EXIT_OK;
}

int fit_run_options(const struct fit_plan *plan, const dlfs_model *model, size_t n,
                    train_watch *watch, int progress, dlfs_train_options *opt, size_t *total)
{
    const int rc = fit_plan_options(plan, model, n, opt, total);
    if (rc)
        return rc;
    train_watch_start(watch, chapter_model_of(plan->kind)->name, *total, progress,
                      plan->checkpoint && !plan->checkpoint_every ? TRAIN_CHECKPOINT_SECONDS : 0);
    opt->on_loss = train_watch_on_loss;
    opt->user = watch;
    opt->checkpoint_path = plan->checkpoint;
    opt->checkpoint_every = plan->checkpoint_every;
    opt->resume = plan->resume;
    return CLI_EXIT_OK;
}

int fit_interrupted(const struct fit_plan *plan, const dlfs_train_result *res, size_t total,
                    int sig)
{
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
    if (plan->checkpoint)
        cli_error(128 + sig, "stopped by %s after iteration %zu of %zu; checkpoint written to "
                  "%s; to resume: %s --resume %s", name, res->iterations, total,
                  plan->checkpoint, plan->command ? plan->command : "(the same command)",
                  plan->checkpoint);
    else
        cli_error(128 + sig, "stopped by %s after iteration %zu of %zu; nothing was kept "
                  "(give --checkpoint FILE to be able to resume)", name, res->iterations, total);
    return 128 + sig;
}

/* The checkpoints carry the standardisation and the names, as model files
 * do; the model holds them only while it trains (it scores rows
 * standardised already). */
static int attach_names(dlfs_model *model, const chapter_data *d)
{
    dlfs_status st = dlfs_model_set_standardizer(model, &d->scaler);
    if (!st) st = dlfs_model_set_names(model, (const char *const *)d->file.feature_names,
                                       d->file.target_name);
    return st ? cli_fail(st, "preparing the checkpoints") : CLI_EXIT_OK;
}

/* Least squares is fitted in closed form: no options, no progress line. */
static int fit(const struct fit_plan *plan, const chapter_data *d, dlfs_model *model,
               struct score *sc)
{
    const dlfs_matrix *X = &d->X_train, *y = &d->y_train;
    int trained = plan->kind != DLFS_MODEL_OLS;
    dlfs_train_options opt;
    dlfs_train_result res;
    train_watch watch;
    size_t total = 0;
    dlfs_status st;
    double t0;
    int rc;

    st = dlfs_model_alloc(model, plan->kind, X->cols,
                          plan->kind == DLFS_MODEL_NN ? plan->hidden : 0, 1);
    if (!st) st = dlfs_model_set_backend(model, plan->backend);
    /* libxsmm's one-time set-up (xsmm, auto) here, not in the training time */
    if (!st) st = dlfs_backend_init(plan->backend);
    if (st)
        return cli_fail(st, "allocating the model");
    if (!trained) {
        t0 = cli_now();
        st = dlfs_model_train(model, X, y, NULL, &res);
        sc->seconds = cli_now() - t0;
        return fit_outcome(plan, st, &res, 0, sc);
    }
    if ((rc = fit_run_options(plan, model, X->rows, &watch, plan->progress, &opt, &total)) ||
        (plan->checkpoint && (rc = attach_names(model, d))))
        return rc;
    /* the step's libxsmm kernels made here too: the time is the iterations' */
    if ((st = dlfs_model_prepare(model, X->rows, &opt)))
        return cli_fail(st, "preparing the training");
    if (interrupt_install() != 0)
        return cli_error(CLI_EXIT_FAILURE, "cannot install the signal handlers");
    t0 = cli_now();
    st = dlfs_model_train(model, X, y, &opt, &res);
    sc->seconds = cli_now() - t0;
    interrupt_restore();
    cli_progress_finish(&watch.progress);
    if (!st && plan->checkpoint && (st = dlfs_model_set_standardizer(model, NULL)))
        return cli_fail(st, "training");
    if (!st && res.stopped_early && interrupt_signal())
        return fit_interrupted(plan, &res, total, interrupt_signal());
    return fit_outcome(plan, st, &res, total, sc);
}

int fit_outcome(const struct fit_plan *plan, dlfs_status st, const dlfs_train_result *res,
                size_t total, struct score *sc)
{
    const int trained = plan->kind != DLFS_MODEL_OLS;
    if (st == DLFS_EDIVERGED)
        return chapter_diverged(res->failed_iteration + 1, total);
    if (st)
        return cli_fail(st, trained ? "training" : "fitting least squares");
    sc->iterations = trained ? res->iterations : 0;
    sc->last_batch_loss = trained ? res->final_loss : NAN;
    return CLI_EXIT_OK;
}

/* The mean squared error on the training rows, summed row by row in row
 * order, and the test metrics; one column of predictions serves both. */
static int evaluate(const dlfs_model *model, const chapter_data *d, struct score *sc)
{
    const dlfs_matrix *y = &d->y_train;
    size_t n_train = d->X_train.rows, n_test = d->X_test.rows;
    dlfs_matrix P = { 0, 0, 0, NULL }, P_train, P_test;
    double sum = 0;
    dlfs_status st;

    st = dlfs_matrix_alloc(&P, n_train > n_test ? n_train : n_test, 1);
    if (!st) st = dlfs_matrix_block(&P, 0, 0, n_train, 1, &P_train);
    if (!st) st = dlfs_model_predict(model, &d->X_train, &P_train);
    for (size_t i = 0; i < n_train && !st; i++) {
        double e = P_train.data[i * P_train.ld] - y->data[i * y->ld];
        sum += e * e;
    }
    sc->train_loss = sum / (double)n_train;
    if (!st) st = dlfs_matrix_block(&P, 0, 0, n_test, 1, &P_test);
    if (!st) st = dlfs_model_predict(model, &d->X_test, &P_test);
    if (!st) st = dlfs_metrics_compute(&P_test, &d->y_test, &sc->test);
    dlfs_matrix_free(&P);
    return st ? cli_fail(st, "scoring the model") : CLI_EXIT_OK;
}

int fit_and_score(const struct fit_plan *plan, const chapter_data *d, dlfs_model *model,
                  struct score *sc)
{
    int rc;

    memset(model, 0, sizeof *model);
    memset(sc, 0, sizeof *sc);
    sc->last_batch_loss = NAN;
    rc = fit(plan, d, model, sc);
    if (!rc)
        rc = evaluate(model, d, sc);
    return rc;
}

const char *format_seconds(char *buf, size_t size, double s)
{
    if (s < 1)
        snprintf(buf, size, "%.1f ms", 1000 * s);
    else
        snprintf(buf, size, "%.3f s", s);
    return buf;
}

double rmse_percent(const dlfs_metrics *m)
{
    return 100.0 * m->rmse / m->mean_target;
}

void json_training(cli_json *j, const struct fit_plan *plan)
{
    if (plan->kind != DLFS_MODEL_OLS) {
        cli_json_size(j, "batch", plan->batch);
        cli_json_number(j, "lr", plan->lr);
        cli_json_u64(j, "seed", plan->seed);
    } else {
        cli_json_null(j, "batch");
        cli_json_null(j, "lr");
        cli_json_null(j, "seed");
    }
}

int parse_backend_option(const char *text, dlfs_backend *backend)
{
    if (dlfs_backend_parse(text, backend) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--backend expects blas, naive, xsmm or auto, got '%s'", text);
    if (!dlfs_backend_available(*backend))
        return cli_error(CLI_EXIT_USAGE, "--backend %s: this dlfs was built without libxsmm "
                         "(meson option xsmm)", text);
    return CLI_EXIT_OK;
}

int parse_init_option(const char *text, dlfs_init *init)
{
    if (dlfs_init_parse(text, init) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--init expects normal or scaled, got '%s'", text);
    return CLI_EXIT_OK;
}
