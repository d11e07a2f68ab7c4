/* examples/dlfs/predict.c - `dlfs predict`: one prediction per row of a CSV
 * file with a model written by `dlfs train --save`, scored when the file has
 * the target column.
 *
 * The loaded dlfs_model carries the standardisation of its training rows, so
 * it takes the file's rows in their own units; dlfs_model_predict() computes
 * them in the blocks training scored in, so a loaded model scores those rows
 * bit for bit as the model did before it was saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "cli.h"
#include "columns.h"
#include "files.h"
#include "fit.h"
#include "json.h"

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

struct predict_args {
    const char *model_file, *data, *output, *target, *backend;
    int json, quiet;
};

/* What one run of the command holds; all owned. */
struct prediction {
    dlfs_model model;
    dlfs_dataset file;
    struct column_map map;
    dlfs_matrix X, y, P;          /* the model's inputs, the target, the predictions */
    dlfs_metrics metrics;
    const dlfs_metrics *scores;   /* &metrics when the rows were scored, else NULL */
};

/* One line for a model file that does not load: which of the loader's checks
 * failed, then its detail. */
static int model_load_error(dlfs_status st, const char *path)
{
    const char *detail = cli_detail(st);
    const char *what;

    switch (st) {
    case DLFS_ETRUNCATED: what = "truncated"; break;
    case DLFS_ECHECKSUM: what = "corrupted, checksum mismatch"; break;
    case DLFS_EVERSION: what = "unsupported format version"; break;
    case DLFS_EFORMAT: what = "not a valid dlfs model file"; break;
    case DLFS_EKIND: what = "unknown model kind"; break;
    case DLFS_ENONFINITE: what = "parameters not finite"; break;
    case DLFS_EOVERFLOW: what = "impossible sizes"; break;
    case DLFS_EIO: what = "cannot read it"; break;
    default: what = dlfs_strerror(st); break;
    }
    /* The loader's details name the file; say it once. */
    if (strstr(detail, path))
        return cli_error(CLI_EXIT_FAILURE, "cannot load the model (%s): %s", what, detail);
    return cli_error(CLI_EXIT_FAILURE, "cannot load the model %s (%s): %s", path, what, detail);
}

/* Writes a CSV field, quoted when it holds a separator, a quote, a line end
 * or surrounding blanks. */
static void write_csv_name(FILE *out, const char *name, const char *suffix)
{
    size_t len = strlen(name);
    int quote = strpbrk(name, ",\"\r\n") != NULL ||
                (len && (name[0] == ' ' || name[0] == '\t' || name[len - 1] == ' ' ||
                         name[len - 1] == '\t'));

    if (!quote) {
        fprintf(out, "%s%s", name, suffix);
        return;
    }
    fputc('"', out);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fprintf(out, "%s\"", suffix);
}

/* The header line and one line per row of P (n x m), %.17g: every double
 * reads back as itself. One output is named after the target when its name is
 * known; several are prediction_1, prediction_2, ... */
static void write_predictions(FILE *out, const dlfs_matrix *P, const char *target_name)
{
    if (P->cols == 1 && target_name)
        write_csv_name(out, target_name, "_predicted");
    else if (P->cols == 1)
        fputs("prediction", out);
    else
        for (size_t j = 0; j < P->cols; j++)
            fprintf(out, "%sprediction_%zu", j ? "," : "", j + 1);
    fputc('\n', out);
    for (size_t i = 0; i < P->rows; i++) {
        for (size_t j = 0; j < P->cols; j++)
            fprintf(out, "%s%.17g", j ? "," : "", P->data[i * P->ld + j]);
        fputc('\n', out);
    }
}

/* The predictions to --output (whole or not at all) or to stdout. */
static int emit_predictions(const struct predict_args *a, const dlfs_matrix *P,
                            const char *target_name)
{
    dlfs_atomic_file file;

    if (!a->output) {
        write_predictions(stdout, P, target_name);
        if (fflush(stdout) != 0 || ferror(stdout))
            return cli_error(CLI_EXIT_FAILURE, "cannot write the predictions to stdout");
        return CLI_EXIT_OK;
    }
    if (cli_output_open(&file, a->output) != 0)
        return CLI_EXIT_FAILURE;
    write_predictions(file.f, P, target_name);
    return cli_output_commit(&file) != 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static void print_predict_summary(FILE *out, const struct predict_args *a,
                                  const struct prediction *p)
{
    const dlfs_model *model = &p->model;
    const struct column_map *map = &p->map;
    const dlfs_metrics *scores = p->scores;
    char list[512];

    fprintf(out, "model       %s: %s, %zu inputs", a->model_file,
            dlfs_model_kind_name(model->kind), model->k);
    if (model->kind == DLFS_MODEL_NN)
        fprintf(out, ", %zu hidden units", model->h);
    fprintf(out, ", %s\n", model->has_scaler ? "standardised with the saved parameters"
                                             : "inputs used as given");
    fprintf(out, "data        %s: %zu rows, %zu columns\n", a->data, p->file.X.rows,
            p->file.X.cols);
    if (map->ignored.count)
        fprintf(out, "ignored     %s (neither a feature of the model nor the target)\n",
                name_list_text(&map->ignored, list, sizeof list));
    fprintf(out, "predictions %s (%zu rows)\n", a->output ? a->output : "stdout", p->file.X.rows);
    if (scores) {
        fprintf(out, "target      %s\n", map->target_name);
        fprintf(out, "MAE         %.4f\n", scores->mae);
        fprintf(out, "RMSE        %.4f (%.1f%% of the mean target %.4f)\n", scores->rmse,
                rmse_percent(scores), scores->mean_target);
        fprintf(out, "R^2         %.4f\n", scores->r2);
    } else if (map->target != NO_COLUMN) {
        fprintf(out, "scores      none: the model has %zu outputs\n", model->m);
    } else if (map->target_name) {
        fprintf(out, "scores      none: %s has no column '%s'\n", a->data, map->target_name);
    } else {
        fprintf(out, "scores      none: the model names no target (give --target NAME)\n");
    }
}

static void print_predict_json(const struct predict_args *a, const struct prediction *p)
{
    const dlfs_metrics *scores = p->scores;
    cli_json j;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "predict");
    cli_json_string(&j, "model_file", a->model_file);
    cli_json_string(&j, "data", a->data);
    cli_json_string(&j, "output", a->output);
    cli_json_string(&j, "model", dlfs_model_kind_name(p->model.kind));
    cli_json_size(&j, "rows", p->file.X.rows);
    cli_json_size(&j, "features", p->model.k);
    if (p->model.kind == DLFS_MODEL_NN)
        cli_json_size(&j, "hidden", p->model.h);
    cli_json_bool(&j, "standardized", p->model.has_scaler);
    cli_json_size(&j, "ignored_columns", p->map.ignored.count);
    cli_json_string(&j, "target", scores ? p->map.target_name : NULL);
    if (scores) {
        cli_json_number(&j, "mae", scores->mae);
        cli_json_number(&j, "rmse", scores->rmse);
        cli_json_number(&j, "r2", scores->r2);
        cli_json_number(&j, "mean_target", scores->mean_target);
    } else {
        cli_json_null(&j, "mae");
        cli_json_null(&j, "rmse");
        cli_json_null(&j, "r2");
        cli_json_null(&j, "mean_target");
    }
    cli_json_end(&j);
}

/* Usage errors, and an output that could not be written, before any work. */
static int check_predict_args(const struct predict_args *a, dlfs_backend *backend)
{
    int rc = parse_backend_option(a->backend, backend);

    if (rc)
        return rc;
    if (!a->model_file)
        return cli_error(CLI_EXIT_USAGE, "predict needs --model-file MODEL (see --help)");
    if (!a->data)
        return cli_error(CLI_EXIT_USAGE, "predict needs --data FILE.csv (see --help)");
    if (a->output) {
        if (cli_same_file(a->output, a->data) || cli_same_file(a->output, a->model_file))
            return cli_error(CLI_EXIT_USAGE, "--output %s would replace an input file",
                             a->output);
        if (cli_check_output_path(a->output, "the predictions") != 0)
            return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* Loads the model, reads the rows, predicts them and scores them when the
 * target is there. */
static int predict(const struct predict_args *a, dlfs_backend backend, struct prediction *p)
{
    dlfs_status st = dlfs_model_load(&p->model, a->model_file, DLFS_MODEL_ANY);
    int rc;

    if (st)
        return model_load_error(st, a->model_file);
    /* Not saved in the file; the products of the two backends differ in the
     * last bits, so bit-identical predictions need the training's backend. */
    st = dlfs_model_set_backend(&p->model, backend);
    if (st)
        return cli_fail(st, "predicting");
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
    struct predict_args a = { NULL, NULL, NULL, NULL, "blas", 0, 0 };
    cli_option opts[] = {
        { "--model-file", "MODEL", CLI_STRING, &a.model_file, "the model, written by dlfs train --save (required)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "rows to predict: CSV with a header row (required)", 0 },
        { "--output", "PRED.csv", CLI_STRING, &a.output, "write the predictions to this file (default: stdout)", 0 },
        { "--target", "NAME", CLI_STRING, &a.target, "score against this column (default: the model's target)", 0 },
        { "--backend", "blas|naive", CLI_STRING, &a.backend, "matrix products as in training (blas)", 0 },
        { "--json", NULL, CLI_FLAG, &a.json, "the summary as one JSON object, the last line of stdout", 0 },
        { "--quiet", NULL, CLI_FLAG, &a.quiet, "no summary: predictions and errors only", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    struct prediction p;
    dlfs_backend backend;
    int rc;

    rc = cli_parse(argc, argv, opts, predict_usage);
    if (rc != CLI_PARSED)
        return rc;
    rc = check_predict_args(&a, &backend);
    if (rc)
        return rc;

    memset(&p, 0, sizeof p);
    p.map.target = NO_COLUMN;
    rc = predict(&a, backend, &p);
    if (!rc)
        rc = emit_predictions(&a, &p.P, p.map.target_name);
    if (!rc) {
        if (a.json)
            print_predict_json(&a, &p);
        else if (!a.quiet)
            print_predict_summary(a.output ? stdout : stderr, &a, &p);
    }
    prediction_free(&p);
    return rc;
}
