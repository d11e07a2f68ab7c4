/* examples/dlfs/predict.c - `dlfs predict`: one prediction per row of a CSV
 * file with a model written by `dlfs train --save`, scored when the file has
 * the target column.
 *
 * The loaded dlfs_model carries the standardisation of its training rows, so
 * it takes the file's rows in their own units; dlfs_model_predict() computes
 * them in the blocks training scored in, so a loaded model scores those rows
 * bit for bit as the model did before it was saved. The options, the
 * model's errors, the CSV written and the report are predict_cli.c's, shared
 * with `dlfs-mpi predict`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "cli.h"
#include "columns.h"
#include "fit.h"
#include "predict_cli.h"

static const char predict_usage[] =
    "Usage: dlfs predict --model-file MODEL --data FILE.csv [options]\n"
    "\n"
    "Predicts one value per row of FILE.csv with a model written by `dlfs train\n"
    "--save`, standardising the rows with the parameters saved in the model.\n"
    "The model's features are found in FILE.csv by name, in any order; columns\n"
    "that are neither a feature nor the target are ignored (and listed in the\n"
    "summary). A model saved without feature names takes every non-target\n"
    "column, in file order, and there must be exactly as many as it has inputs.\n"
    "When FILE.csv has the target column (the one the model was trained on, or\n"
    "--target), MAE, RMSE and R^2 of the predictions are printed too.\n"
    "\n"
    "Predictions are written as CSV, one header line (TARGET_predicted, or\n"
    "prediction when no target name is known) and one line per row, each value\n"
    "with 17 significant digits so that it reads back bit for bit. With --output\n"
    "the file is written whole or not at all (a temporary file renamed into\n"
    "place) and the summary goes to stdout; without it the predictions go to\n"
    "stdout and the summary to stderr. With --json the summary is one JSON\n"
    "object, the last line of stdout.\n"
    "\n"
    "The predictions equal, bit for bit, those of the model before it was saved\n"
    "when --backend is the one it was trained with.\n";

/* What one run of the command holds; all owned. */
struct prediction {
    dlfs_model model;
    dlfs_dataset file;
    struct column_map map;
    dlfs_matrix X, y, P;          /* the model's inputs, the target, the predictions */
    dlfs_metrics metrics;
    const dlfs_metrics *scores;   /* &metrics when the rows were scored, else NULL */
};

/* Loads the model, reads the rows, predicts them and scores them when the
 * target is there. */
static int predict(const struct predict_args *a, dlfs_backend backend, struct prediction *p)
{
    dlfs_status st;
    int rc = predict_cli_load(a, backend, &p->model);

    if (!rc)
        rc = chapter_read_csv(a->data, NULL, DLFS_CSV_NO_TARGET, &p->file);
    if (!rc)
        rc = map_columns(a->data, a->target, &p->model, &p->file, &p->map);
    if (rc)
        return rc;
    st = gather_columns(&p->file, &p->map, p->model.k, &p->X, &p->y);
    if (!st) st = dlfs_matrix_alloc(&p->P, p->X.rows, p->model.m);
    if (!st) st = dlfs_model_predict(&p->model, &p->X, &p->P);
    if (!st && p->map.target != NO_COLUMN && p->model.m == 1) {
        st = dlfs_metrics_compute(&p->P, &p->y, &p->metrics);
        p->scores = &p->metrics;
    }
    return st ? cli_fail(st, "predicting") : CLI_EXIT_OK;
}

static void prediction_free(struct prediction *p)
{
    dlfs_matrix_free(&p->X);
    dlfs_matrix_free(&p->y);
    dlfs_matrix_free(&p->P);
    free(p->map.feature);
    dlfs_dataset_free(&p->file);
    dlfs_model_free(&p->model);
}

int cmd_predict(int argc, char **argv)
{
    struct predict_args a;
    struct prediction p;
    dlfs_backend backend;
    int rc = predict_cli_parse(argc, argv, predict_usage, &a, &backend);

    if (rc != CLI_PARSED)
        return rc;
    memset(&p, 0, sizeof p);
    p.map.target = NO_COLUMN;
    rc = predict(&a, backend, &p);
    if (!rc)
        rc = predict_cli_emit(&a, &p.P, p.map.target_name);
    if (!rc) {
        const struct predict_report r = { &p.model, &p.map, p.scores, p.file.X.rows,
                                          p.file.X.cols };
        predict_cli_report(&a, &r);
    }
    prediction_free(&p);
    return rc;
}
