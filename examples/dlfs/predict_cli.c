/* examples/dlfs/predict_cli.c - what `dlfs predict` and `dlfs-mpi predict`
 * share: the options, parsed by one table, and their checks; the model's
 * load errors; the predictions as CSV (17 significant digits, written whole
 * or not at all); and the report (a summary or one JSON object). */
#include "predict_cli.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "fit.h"
#include "json.h"

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

int predict_cli_emit(const struct predict_args *a, const dlfs_matrix *P,
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
                                  const struct predict_report *r)
{
    const dlfs_model *model = r->model;
    const struct column_map *map = r->map;
    const dlfs_metrics *scores = r->scores;
    char list[512];

    fprintf(out, "model       %s: %s, %zu inputs", a->model_file,
            dlfs_model_kind_name(model->kind), model->k);
    if (model->kind == DLFS_MODEL_NN)
        fprintf(out, ", %zu hidden units", model->h);
    fprintf(out, ", %s\n", model->has_scaler ? "standardised with the saved parameters"
                                             : "inputs used as given");
    fprintf(out, "data        %s: %zu rows, %zu columns\n", a->data, r->rows, r->cols);
    if (map->ignored.count)
        fprintf(out, "ignored     %s (neither a feature of the model nor the target)\n",
                name_list_text(&map->ignored, list, sizeof list));
    fprintf(out, "predictions %s (%zu rows)\n", a->output ? a->output : "stdout", r->rows);
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

static void print_predict_json(const struct predict_args *a, const struct predict_report *r)
{
    const dlfs_metrics *scores = r->scores;
    cli_json j;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "predict");
    cli_json_string(&j, "model_file", a->model_file);
    cli_json_string(&j, "data", a->data);
    cli_json_string(&j, "output", a->output);
    cli_json_string(&j, "model", dlfs_model_kind_name(r->model->kind));
    cli_json_size(&j, "rows", r->rows);
    cli_json_size(&j, "features", r->model->k);
    if (r->model->kind == DLFS_MODEL_NN)
        cli_json_size(&j, "hidden", r->model->h);
    cli_json_bool(&j, "standardized", r->model->has_scaler);
    cli_json_size(&j, "ignored_columns", r->map->ignored.count);
    cli_json_string(&j, "target", scores ? r->map->target_name : NULL);
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

int predict_cli_parse(int argc, char **argv, const char *usage, struct predict_args *a,
                      dlfs_backend *backend)
{
    cli_option opts[] = {
        { "--model-file", "MODEL", CLI_STRING, &a->model_file, "the model, written by dlfs train --save (required)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a->data, "rows to predict: CSV with a header row (required)", 0 },
        { "--output", "PRED.csv", CLI_STRING, &a->output, "write the predictions to this file (default: stdout)", 0 },
        { "--target", "NAME", CLI_STRING, &a->target, "score against this column (default: the model's target)", 0 },
        { "--backend", "B", CLI_STRING, &a->backend, "blas, naive, xsmm or auto (default auto)", 0 },
        { "--json", NULL, CLI_FLAG, &a->json, "the summary as one JSON object, the last line of stdout", 0 },
        { "--quiet", NULL, CLI_FLAG, &a->quiet, "no summary: predictions and errors only", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    int rc;

    *a = (struct predict_args){ NULL, NULL, NULL, NULL, "blas", 0, 0 };
    rc = cli_parse(argc, argv, opts, usage);
    if (rc != CLI_PARSED)
        return rc;
    rc = check_predict_args(a, backend);
    return rc ? rc : CLI_PARSED;
}

int predict_cli_load(const struct predict_args *a, dlfs_backend backend, dlfs_model *model)
{
    dlfs_status st = dlfs_model_load(model, a->model_file, DLFS_MODEL_ANY);

    if (st)
        return model_load_error(st, a->model_file);
    /* Not saved in the file; the products of the two backends differ in the
     * last bits, so bit-identical predictions need the training's backend. */
    st = dlfs_model_set_backend(model, backend);
    return st ? cli_fail(st, "predicting") : CLI_EXIT_OK;
}

void predict_cli_report(const struct predict_args *a, const struct predict_report *r)
{
    if (a->json)
        print_predict_json(a, r);
    else if (!a->quiet)
        print_predict_summary(a->output ? stdout : stderr, a, r);
}
