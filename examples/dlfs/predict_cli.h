/* examples/dlfs/predict_cli.h - what `dlfs predict` and `dlfs-mpi predict`
 * share: the options, parsed by one table, and their checks; the model
 * loaded with its errors; the predictions written as CSV; and the report (a
 * summary or one JSON object). */
#ifndef DLFS_EXAMPLES_PREDICT_CLI_H
#define DLFS_EXAMPLES_PREDICT_CLI_H

#include <stddef.h>
#include <dlfs/dlfs.h>

#include "columns.h"

struct predict_args {
    const char *model_file, *data, *output, *target, *backend;
    int json, quiet;
};

/* Parses and checks the options (usage errors, and an --output that could
 * not be written; nothing is read yet). Returns CLI_PARSED to go on, else
 * the exit status (after --help, or after printing the error). */
int predict_cli_parse(int argc, char **argv, const char *usage, struct predict_args *a,
                      dlfs_backend *backend);

/* Loads a->model_file into model (free it either way) and sets the backend.
 * 0, or CLI_EXIT_FAILURE after printing why. */
int predict_cli_load(const struct predict_args *a, dlfs_backend backend, dlfs_model *model);

/* The header line and one line per row of P, %.17g, to a->output (whole or
 * not at all) or to stdout. 0, or CLI_EXIT_FAILURE after printing why. */
int predict_cli_emit(const struct predict_args *a, const dlfs_matrix *P,
                     const char *target_name);

/* What the report says of the run. */
struct predict_report {
    const dlfs_model *model;
    const struct column_map *map;
    const dlfs_metrics *scores;   /* NULL when the rows were not scored */
    size_t rows, cols;            /* the file's rows (all of them) and columns */
};

/* The summary (on stdout with --output, else stderr), or with --json one
 * JSON object on stdout; nothing with --quiet. */
void predict_cli_report(const struct predict_args *a, const struct predict_report *r);

#endif
