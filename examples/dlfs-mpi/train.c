/* examples/dlfs-mpi/train.c - `dlfs-mpi train`: `dlfs train` on the ranks of
 * MPI_COMM_WORLD. The same options, parsed by the same code (train_cli.c);
 * each rank reads its shard of the CSV file, the split, the standardisation
 * and the mini-batches are the one-process run's (dlfs/dist.h), and rank 0
 * alone prints, shows progress and saves. Run on one rank it prints what
 * `dlfs train` prints.
 *
 * Every step is collective and every rank meets the same outcome: the
 * library's distributed functions agree on their status; the few local steps
 * (predicting a rank's rows, saving on rank 0) are agreed on with mpi_agree().
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <dlfs/dist.h>

#include "chapter.h"
#include "cli.h"
#include "fit.h"
#include "interrupt.h"
#include "mpi_train.h"
#include "train_cli.h"

static const char usage[] =
    "Usage: mpirun -np P dlfs-mpi train --model linreg|nn|ols [options]\n"
    "\n"
    "`dlfs train` on P processes: each reads its share of the CSV rows, and the\n"
    "model is trained data-parallel (one gradient reduction per step), giving the\n"
    "model one process gives, to rounding. The options are dlfs train's; rank 0\n"
    "prints the summary (or JSON, with \"ranks\") and writes --save.\n";

/* Every rank's rows, split and standardised. The matrices are views of the
 * shards' rows (the split reorders them in place). */
struct dist_data {
    dlfs_dist_dataset file, test_file;
    dlfs_matrix X_train, y_train, X_test, y_test;
    size_t n_train, n_test;             /* over all ranks */
    dlfs_standardizer scaler;
};

static void dist_data_free(struct dist_data *d)
{
    dlfs_dist_dataset_free(&d->file);
    dlfs_dist_dataset_free(&d->test_file);
    dlfs_standardizer_free(&d->scaler);
    memset(d, 0, sizeof *d);
}

int mpi_agree(int rc)
{
    /* MINLOC on (ok, rank): the lowest failing rank, if any failed. */
    int rank, in[2], out[2];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    in[0] = rc == CLI_EXIT_OK;
    in[1] = rank;
    MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, MPI_COMM_WORLD);
    if (out[0] == 1)
        return CLI_EXIT_OK;
    /* Rank 0 printed its own failure; another rank's (quiet) it prints now. */
    const int from = out[1];
    if (from != 0) {
        char message[1024];
        if (rank == from)
            snprintf(message, sizeof message, "%s", cli_last_error());
        MPI_Bcast(message, (int)sizeof message, MPI_CHAR, from, MPI_COMM_WORLD);
        if (rank == 0) {
            char line[1100];
            snprintf(line, sizeof line, "rank %d: %s", from, message);
            cli_print_error(line);
        }
    }
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

/* Rows [first, first + count) of a shard's X and y (count may be 0). */
static void rows_view(const dlfs_dataset *ds, size_t first, size_t count, dlfs_matrix *X,
                      dlfs_matrix *y)
{
    const dlfs_matrix *F = &ds->X, *Y = &ds->y;
    *X = dlfs_matrix_view(count ? F->data + first * F->ld : NULL, count, F->cols, F->ld);
    *y = dlfs_matrix_view(count ? Y->data + first * Y->ld : NULL, count, Y->cols, Y->ld);
}

static int read_shard(const char *path, const char *target, size_t index, dlfs_dist_dataset *ds)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st = dlfs_dist_csv_read(MPI_COMM_WORLD, path, target, index, ds, &err);
    return chapter_csv_error(path, st, &err);
}

/* The rows: a split of the file, or a separate test file. */
static int read_rows(const chapter_source *src, struct dist_data *d)
{
    int rc = read_shard(src->path, src->target, (size_t)-1, &d->file);
    if (rc)
        return rc;
    const dlfs_dataset *f = &d->file.local;
    if (src->test_path) {
        if ((rc = read_shard(src->test_path, f->target_name, 0, &d->test_file)) != 0)
            return rc;
        if (d->test_file.local.X.cols != f->X.cols)
            return cli_error(CLI_EXIT_FAILURE, "%s has %zu feature columns but %s has %zu",
                             src->test_path, d->test_file.local.X.cols, src->path, f->X.cols);
        rows_view(f, 0, f->X.rows, &d->X_train, &d->y_train);
        rows_view(&d->test_file.local, 0, d->test_file.local.X.rows, &d->X_test, &d->y_test);
        d->n_train = d->file.n_global;
        d->n_test = d->test_file.n_global;
        return CLI_EXIT_OK;
    }
    dlfs_dist_split sp;
    dlfs_status st = dlfs_dist_split_in_place(MPI_COMM_WORLD, &d->file, src->test_fraction,
                                              src->split_seed, &sp);
    if (st)
        return cli_fail(st, "splitting the rows into training and test sets");
    rows_view(f, 0, sp.n_train, &d->X_train, &d->y_train);
    rows_view(f, sp.n_train, sp.n_test, &d->X_test, &d->y_test);
    d->n_train = sp.n_train_global;
    d->n_test = sp.n_test_global;
    return CLI_EXIT_OK;
}

/* The standardisation of the training rows over all ranks, applied to every
 * rank's rows. */
static int standardize(const chapter_source *src, struct dist_data *d)
{
    if (!src->standardize)
        return CLI_EXIT_OK;
    dlfs_status st = dlfs_dist_standardizer_fit(MPI_COMM_WORLD, &d->scaler, &d->X_train);
    if (!st && d->X_train.rows) st = dlfs_standardizer_apply(&d->scaler, &d->X_train);
    if (!st && d->X_test.rows) st = dlfs_standardizer_apply(&d->scaler, &d->X_test);
    return mpi_agree(st ? cli_fail(st, "standardising the features") : CLI_EXIT_OK);
}

/* The checkpoints carry the standardisation and the names, as model files
 * do; the model holds them only while it trains. */
static int attach_names(dlfs_model *model, const struct dist_data *d)
{
    const dlfs_dataset *f = &d->file.local;
    dlfs_status st = DLFS_OK;
    if (d->scaler.k)
        st = dlfs_model_set_standardizer(model, &d->scaler);
    if (!st) st = dlfs_model_set_names(model, (const char *const *)f->feature_names,
                                       f->target_name);
    return mpi_agree(st ? cli_fail(st, "preparing the checkpoints") : CLI_EXIT_OK);
}

/* After a run a signal stopped on some rank (the library stopped every
 * rank at the same iteration): the same exit status everywhere. */
static int interrupted(const struct fit_plan *plan, const dlfs_train_result *res, size_t total)
{
    int sig = interrupt_signal(), any;
    MPI_Allreduce(&sig, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any ? fit_interrupted(plan, res, total, any) : CLI_EXIT_OK;
}

/* Trains on every rank's training rows; the progress line on rank 0. */
static int fit(const struct fit_plan *plan, const struct dist_data *d, int rank,
               dlfs_model *model, struct score *sc)
{
    const int trained = plan->kind != DLFS_MODEL_OLS;
    dlfs_train_options opt;
    dlfs_train_result res;
    train_watch watch;
    size_t total = 0;
    dlfs_status st = dlfs_model_alloc(model, plan->kind, d->X_train.cols,
                                      plan->kind == DLFS_MODEL_NN ? plan->hidden : 0, 1);
    int rc;

    if (!st) st = dlfs_model_set_backend(model, plan->backend);
    /* libxsmm's one-time set-up (xsmm, auto) here, not in the training time */
    if (!st) st = dlfs_backend_init(plan->backend);
    if (st)
        return mpi_agree(cli_fail(st, "allocating the model"));
    if (!trained) {
        const double t0 = cli_now();
        st = dlfs_dist_train(MPI_COMM_WORLD, model, &d->X_train, &d->y_train, NULL, &res);
        sc->seconds = cli_now() - t0;
        return fit_outcome(plan, st, &res, 0, sc);
    }
    if ((rc = fit_run_options(plan, model, d->n_train, &watch, plan->progress && rank == 0,
                              &opt, &total)) ||
        (plan->checkpoint && (rc = attach_names(model, d))))
        return rc;
    if ((rc = mpi_agree(interrupt_install() ? cli_error(CLI_EXIT_FAILURE, "cannot install "
                                                        "the signal handlers") : 0)))
        return rc;
    const double t0 = cli_now();
    st = dlfs_dist_train(MPI_COMM_WORLD, model, &d->X_train, &d->y_train, &opt, &res);
    sc->seconds = cli_now() - t0;
    interrupt_restore();
    cli_progress_finish(&watch.progress);
    if (!st && plan->checkpoint && (st = dlfs_model_set_standardizer(model, NULL)))
        return mpi_agree(cli_fail(st, "training"));
    if (!st && res.stopped_early && (rc = interrupted(plan, &res, total)))
        return rc;
    return fit_outcome(plan, st, &res, total, sc);
}

/* The mean squared error on the training rows over all ranks, and the test
 * metrics; each rank predicts its own rows. */
static int evaluate(const dlfs_model *model, const struct dist_data *d, struct score *sc)
{
    const size_t n_train = d->X_train.rows, n_test = d->X_test.rows;
    const size_t rows = n_train > n_test ? n_train : n_test;
    dlfs_matrix P = { 0, 0, 0, NULL }, P_train, P_test;
    double sums[1] = {0.0}, total[1];
    dlfs_status st = rows ? dlfs_matrix_alloc(&P, rows, 1) : DLFS_OK;

    P_train = dlfs_matrix_view(P.data, n_train, 1, 1);
    P_test = dlfs_matrix_view(P.data, n_test, 1, 1);
    if (!st && n_train) st = dlfs_model_predict(model, &d->X_train, &P_train);
    for (size_t i = 0; i < n_train && !st; i++) {
        const double e = P.data[i] - d->y_train.data[i * d->y_train.ld];
        sums[0] += e * e;
    }
    MPI_Allreduce(sums, total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    sc->train_loss = total[0] / (double)d->n_train;
    if (!st && n_test) st = dlfs_model_predict(model, &d->X_test, &P_test);
    int rc = mpi_agree(st ? cli_fail(st, "scoring the model") : CLI_EXIT_OK);
    if (!rc && (st = dlfs_dist_metrics(MPI_COMM_WORLD, &P_test, &d->y_test, &sc->test)))
        rc = cli_fail(st, "scoring the model");
    dlfs_matrix_free(&P);
    return rc;
}

/* Rank 0 writes the model file (atomically), with the standardisation and
 * the names; every rank learns whether it could. */
static int save(dlfs_model *model, const struct dist_data *d, const char *path, int rank)
{
    int rc = CLI_EXIT_OK;
    if (rank == 0) {
        const dlfs_dataset *f = &d->file.local;
        dlfs_status st = dlfs_model_set_standardizer(model, &d->scaler);
        if (!st) st = dlfs_model_set_names(model, (const char *const *)f->feature_names,
                                           f->target_name);
        if (!st) st = dlfs_model_save(model, path);
        if (st)
            rc = cli_error(CLI_EXIT_FAILURE, "cannot save the model to %s: %s", path,
                           cli_detail(st));
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
}

static int train(const struct train_args *a, struct fit_plan *plan,
                 const chapter_source *src, int rank, int ranks)
{
    struct dist_data d;
    dlfs_model model;
    dlfs_checkpoint resume;
    struct score sc;
    char command[sizeof a->command + 32];
    int rc;

    memset(&d, 0, sizeof d);
    memset(&model, 0, sizeof model);
    memset(&sc, 0, sizeof sc);
    sc.last_batch_loss = NAN;
    snprintf(command, sizeof command, "mpirun -np %d %s", ranks, a->command);
    plan->command = command;
    /* Every rank reads the checkpoint (a file every rank can see, as the data). */
    rc = mpi_agree(a->resume ? train_cli_load_resume(a->resume, &resume) : CLI_EXIT_OK);
    plan->resume = a->resume && !rc ? &resume : NULL;
    if (!rc) rc = read_rows(src, &d);
    if (!rc) rc = standardize(src, &d);
    if (!rc) rc = fit(plan, &d, rank, &model, &sc);
    if (!rc) rc = evaluate(&model, &d, &sc);
    if (!rc && a->save) rc = save(&model, &d, a->save, rank);
    if (!rc && rank == 0) {
        const struct train_report r = {d.file.local.target_name, d.n_train, d.n_test,
                                       d.X_train.cols, ranks};
        train_cli_report(a, src, &r, plan, &sc);
    }
    dlfs_model_free(&model);
    dist_data_free(&d);
    if (a->resume)
        dlfs_checkpoint_free(&resume);
    return rc;
}

int mpi_cmd_train(int argc, char **argv, int rank, int ranks)
{
    struct train_args a;
    struct fit_plan plan;
    chapter_source src;
    int rc = train_cli_parse(argc, argv, usage, &a, &plan, &src);

    if (rc == CLI_PARSED && a.book)
        return cli_error(CLI_EXIT_USAGE, "--book is `dlfs train`'s: the chapter's experiment "
                         "runs on one process");

    /* Every rank parsed the same arguments: the same outcome everywhere. */
    return rc == CLI_PARSED ? train(&a, &plan, &src, rank, ranks) : rc;
}
