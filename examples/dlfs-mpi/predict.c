/* examples/dlfs-mpi/predict.c - `dlfs-mpi predict`: `dlfs predict` on the
 * ranks of MPI_COMM_WORLD. The same options, model errors, CSV and report,
 * from the same code (predict_cli.c, columns.c); each rank reads its shard of
 * the CSV file (dlfs/dist.h), loads the model, maps and predicts its own
 * rows; the metrics are computed over all ranks, and the predictions are
 * gathered to rank 0 in row order, which alone writes and prints. Run on one
 * rank it prints and writes what `dlfs predict` does.
 *
 * Every local step (load, mapping, predicting, writing) is agreed on with
 * mpi_agree() before the next collective one, so that no rank is left
 * waiting.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>

#include "chapter.h"
#include "cli.h"
#include "columns.h"
#include "mpi_train.h"
#include "predict_cli.h"

static const char usage[] =
    "Usage: mpirun -np P dlfs-mpi predict --model-file MODEL --data FILE.csv [options]\n"
    "\n"
    "`dlfs predict` on P processes: each reads its share of the rows of FILE.csv\n"
    "and predicts them with the model, which every process loads; the scores\n"
    "(when FILE.csv has the target column) are computed over all rows. The\n"
    "options, the predictions (gathered in row order) and the summary are dlfs\n"
    "predict's; rank 0 writes and prints them.\n";

/* What one rank holds; all owned. */
struct mpi_prediction {
    dlfs_model model;
    dlfs_dist_dataset file;
    struct column_map map;
    dlfs_matrix X, y, P;          /* this rank's inputs, target and predictions */
    dlfs_matrix all;              /* on rank 0: every rank's predictions, in row order */
    dlfs_metrics metrics;
    const dlfs_metrics *scores;   /* &metrics when the rows were scored, else NULL */
};

static void mpi_prediction_free(struct mpi_prediction *p)
{
    dlfs_matrix_free(&p->X);
    dlfs_matrix_free(&p->y);
    dlfs_matrix_free(&p->P);
    dlfs_matrix_free(&p->all);
    free(p->map.feature);
    dlfs_dist_dataset_free(&p->file);
    dlfs_model_free(&p->model);
}

/* This rank's rows (possibly none) in the model's order, and their
 * predictions. */
static int predict_local(struct mpi_prediction *p)
{
    const size_t n = p->file.local.X.rows, m = p->model.m;
    dlfs_status st;

    if (n == 0) {
        p->X = dlfs_matrix_view(NULL, 0, p->model.k, p->model.k);
        p->y = dlfs_matrix_view(NULL, 0, 1, 1);
        p->P = dlfs_matrix_view(NULL, 0, m, m);
        return CLI_EXIT_OK;
    }
    st = gather_columns(&p->file.local, &p->map, p->model.k, &p->X, &p->y);
    if (!st) st = dlfs_matrix_alloc(&p->P, n, m);
    if (!st) st = dlfs_model_predict(&p->model, &p->X, &p->P);
    return st ? cli_fail(st, "predicting") : CLI_EXIT_OK;
}

/* Loads the model, reads this rank's rows, predicts them and scores all the
 * rows when the target is there. */
static int predict(const struct predict_args *a, dlfs_backend backend, struct mpi_prediction *p)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st;
    int rc = mpi_agree(predict_cli_load(a, backend, &p->model));

    if (rc)
        return rc;
    st = dlfs_dist_csv_read(MPI_COMM_WORLD, a->data, NULL, DLFS_CSV_NO_TARGET, &p->file, &err);
    if ((rc = chapter_csv_error(a->data, st, &err)) != 0)
        return rc;
    rc = mpi_agree(map_columns(a->data, a->target, &p->model, &p->file.local, &p->map));
    if (!rc)
        rc = mpi_agree(predict_local(p));
    if (rc || p->map.target == NO_COLUMN || p->model.m != 1)
        return rc;
    st = dlfs_dist_metrics(MPI_COMM_WORLD, &p->P, &p->y, &p->metrics);
    if (st)
        return cli_fail(st, "predicting");
    p->scores = &p->metrics;
    return CLI_EXIT_OK;
}

/* Every rank's predictions to rank 0's p->all, in rank (that is, row)
 * order. */
static int gather(struct mpi_prediction *p, int rank, int ranks)
{
    const size_t m = p->model.m, n = p->file.n_global;
    int count = (int)(p->file.local.X.rows * m), *counts = NULL, *displs = NULL;
    int rc = CLI_EXIT_OK;

    if (n > (size_t)INT_MAX / m)
        return cli_error(CLI_EXIT_FAILURE, "%zu rows of %zu predictions are too many to gather",
                         n, m);
    if (rank == 0) {
        counts = calloc((size_t)ranks, sizeof *counts);
        displs = calloc((size_t)ranks, sizeof *displs);
        if (!counts || !displs || dlfs_matrix_alloc(&p->all, n, m) != DLFS_OK)
            rc = cli_error(CLI_EXIT_FAILURE, "out of memory");
    }
    MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    rc = mpi_agree(rc);
    if (!rc) {
        for (int r = 1; rank == 0 && r < ranks; r++)
            displs[r] = displs[r - 1] + counts[r - 1];
        MPI_Gatherv(p->P.data, count, MPI_DOUBLE, p->all.data, counts, displs, MPI_DOUBLE, 0,
                    MPI_COMM_WORLD);
    }
    free(counts);
    free(displs);
    return rc;
}

static int run(const struct predict_args *a, dlfs_backend backend, int rank, int ranks)
{
    struct mpi_prediction p;
    int rc;

    memset(&p, 0, sizeof p);
    p.map.target = NO_COLUMN;
    rc = predict(a, backend, &p);
    if (!rc)
        rc = gather(&p, rank, ranks);
    if (!rc) {
        if (rank == 0)
            rc = predict_cli_emit(a, &p.all, p.map.target_name);
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    if (!rc && rank == 0) {
        const struct predict_report r = { &p.model, &p.map, p.scores, p.file.n_global,
                                          p.file.local.X.cols };
        predict_cli_report(a, &r);
    }
    mpi_prediction_free(&p);
    return rc;
}

int mpi_cmd_predict(int argc, char **argv, int rank, int ranks)
{
    struct predict_args a;
    dlfs_backend backend;
    int rc = predict_cli_parse(argc, argv, usage, &a, &backend);

    /* Every rank parsed the same arguments: the same outcome everywhere. */
    return rc == CLI_PARSED ? run(&a, backend, rank, ranks) : rc;
}
