/* examples/dlfs/train_cli.c - what `dlfs train` and `dlfs-mpi train` share:
 * the options, parsed by one table, their checks, and the report (a summary
 * or one JSON object). */
#include "train_cli.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "json.h"

static void print_summary(const struct train_args *a, const chapter_source *src,
                          const struct train_report *r, const struct fit_plan *plan,
                          const struct score *sc)
{
    size_t n_train = r->n_train, n_test = r->n_test;
    char buf[32];

    if (!a->quiet) {
        printf("data        %s (target %s)\n", src->path, r->target_name);
        if (src->test_path)
            printf("rows        %zu train, %zu test (from %s)\n", n_train, n_test, src->test_path);
        else
            printf("rows        %zu: %zu train, %zu test (%g%% test split, %s %llu)\n",
                   n_train + n_test, n_train, n_test, 100 * src->test_fraction,
                   src->book ? "scikit-learn's train_test_split, random_state" : "seed",
                   (unsigned long long)src->split_seed);
        if (src->book && src->standardize)
            printf("features    %zu, standardised on all %zu rows before the split, as the\n"
                   "            chapter's code does: the test rows' statistics enter the\n"
                   "            scaling (dlfs's default fits on the training rows only)\n",
                   r->features, n_train + n_test);
        else
            printf("features    %zu, %s\n", r->features,
                   src->standardize ? "standardised on the training rows" : "as given");
        if (src->book)
            printf("book mode   NumPy's generator, the summed loss's gradient, the chapter's\n"
                   "            code's rates\n");
        if (plan->kind == DLFS_MODEL_NN)
            printf("model       nn, %zu hidden units (sigmoid)\n", plan->hidden);
        else
            printf("model       %s\n", plan->kind == DLFS_MODEL_OLS
                   ? "ols, least squares in closed form (LAPACK dgels)" : "linreg");
        if (plan->kind != DLFS_MODEL_OLS)
            printf("training    %zu iterations, batch %zu, lr %g, seed %llu, init %s, "
                   "backend %s\n", sc->iterations, plan->batch, plan->lr,
                   (unsigned long long)plan->seed, dlfs_init_name(plan->init),
                   dlfs_backend_name(plan->backend));
        printf("\n");
    }
    if (plan->kind == DLFS_MODEL_OLS)
        printf("train loss  %.4f (mean squared error on the training rows)\n", sc->train_loss);
    else
        printf("train loss  %.4f (mean squared error on the training rows; last batch %.4f)\n",
               sc->train_loss, sc->last_batch_loss);
    printf("test MAE    %.4f\n", sc->test.mae);
    printf("test RMSE   %.4f (%.1f%% of the mean test target %.4f)\n", sc->test.rmse,
           rmse_percent(&sc->test), sc->test.mean_target);
    printf("test R^2    %.4f\n", sc->test.r2);
    printf("time        %s\n", format_seconds(buf, sizeof buf, sc->seconds));
    if (a->save)
        printf("saved       %s\n", a->save);
}

static void print_train_json(const chapter_source *src, const struct train_report *r,
                             const struct fit_plan *plan, const struct score *sc,
                             const char *saved)
{
    cli_json j;
    int trained = plan->kind != DLFS_MODEL_OLS;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "train");
    cli_json_string(&j, "model", chapter_model_of(plan->kind)->name);
    cli_json_string(&j, "data", src->path);
    cli_json_string(&j, "target", r->target_name);
    cli_json_string(&j, "test_data", src->test_path);
    cli_json_string(&j, "backend", dlfs_backend_name(plan->backend));
    cli_json_string(&j, "init", trained ? dlfs_init_name(plan->init) : NULL);
    cli_json_bool(&j, "standardized", src->standardize);
    cli_json_bool(&j, "book", src->book);
    cli_json_size(&j, "train_rows", r->n_train);
    cli_json_size(&j, "test_rows", r->n_test);
    cli_json_size(&j, "features", r->features);
    if (plan->kind == DLFS_MODEL_NN)
        cli_json_size(&j, "hidden", plan->hidden);
    cli_json_size(&j, "iterations", sc->iterations);
    json_training(&j, plan);
    if (src->test_path)
        cli_json_null(&j, "split_seed");
    else
        cli_json_u64(&j, "split_seed", src->split_seed);
    cli_json_number(&j, "train_loss", sc->train_loss);
    cli_json_number(&j, "last_batch_loss", sc->last_batch_loss);
    cli_json_number(&j, "test_mae", sc->test.mae);
    cli_json_number(&j, "test_rmse", sc->test.rmse);
    cli_json_number(&j, "test_rmse_percent", rmse_percent(&sc->test));
    cli_json_number(&j, "test_r2", sc->test.r2);
    cli_json_number(&j, "mean_target", sc->test.mean_target);
    cli_json_number(&j, "train_seconds", sc->seconds);
    cli_json_string(&j, "model_file", saved);
    if (r->ranks > 0)
        cli_json_size(&j, "ranks", (size_t)r->ranks);
    cli_json_end(&j);
}

/* Options that only mean something for the gradient-trained models. */
static const char *const training_only[] = {
    "--iterations", "--epochs", "--batch", "--lr", "--seed", "--init", "--checkpoint",
    "--checkpoint-every", "--resume", NULL
};

/* The combinations of options that make no sense. */
static int check_combinations(const cli_option *opts, dlfs_model_kind kind)
{
    if (cli_given(opts, "--test") && cli_given(opts, "--test-fraction"))
        return cli_error(CLI_EXIT_USAGE, "give --test or --test-fraction, not both");
    if (cli_given(opts, "--iterations") && cli_given(opts, "--epochs"))
        return cli_error(CLI_EXIT_USAGE, "give --iterations or --epochs, not both");
    if (cli_given(opts, "--book") && cli_given(opts, "--test"))
        return cli_error(CLI_EXIT_USAGE, "--book splits the rows as the chapter's code does; "
                         "give --book or --test, not both");
    if (cli_given(opts, "--checkpoint-every") && !cli_given(opts, "--checkpoint"))
        return cli_error(CLI_EXIT_USAGE, "--checkpoint-every needs --checkpoint FILE");
    if (kind != DLFS_MODEL_NN && cli_given(opts, "--hidden"))
        return cli_error(CLI_EXIT_USAGE, "--hidden applies only to --model nn");
    if (kind == DLFS_MODEL_OLS)
        for (const char *const *name = training_only; *name; name++)
            if (cli_given(opts, *name))
                return cli_error(CLI_EXIT_USAGE, "%s does not apply to --model ols "
                                 "(it is fitted in closed form)", *name);
    return CLI_EXIT_OK;
}

/* Turns the parsed options into a plan and a data source; usage errors only
 * (nothing is read yet). */
static int check_train_args(const cli_option *opts, const struct train_args *a,
                            struct fit_plan *plan, chapter_source *src)
{
    dlfs_model_kind kind;
    int rc;

    if (!a->model)
        return cli_error(CLI_EXIT_USAGE, "train needs --model linreg, nn or ols (see --help)");
    if (dlfs_model_kind_parse(a->model, &kind) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--model expects linreg, nn or ols, got '%s'", a->model);
    if ((rc = check_combinations(opts, kind)) != 0)
        return rc;

    plan_chapter(plan, kind);
    if (a->book)
        plan_book(plan);   /* the explicit options below still override it */
    plan->hidden = a->hidden;
    if (cli_given(opts, "--iterations")) plan->iterations = a->iterations;
    if (cli_given(opts, "--epochs")) {
        plan->iterations = 0;
        plan->epochs = a->epochs;
    }
    plan->batch = a->batch;
    if (cli_given(opts, "--lr")) plan->lr = a->lr;
    if (cli_given(opts, "--seed")) plan->seed = a->seed;
    if ((rc = parse_backend_option(a->backend, &plan->backend)) != 0 ||
        (rc = parse_init_option(a->init, &plan->init)) != 0)
        return rc;
    plan->progress = !a->quiet && !a->json;
    plan->checkpoint = a->checkpoint;
    plan->checkpoint_every = a->checkpoint_every;
    plan->command = a->command;

    memset(src, 0, sizeof *src);
    src->path = a->data;
    src->target = a->target;
    src->test_path = a->test;
    src->test_fraction = a->test_fraction;
    src->split_seed = a->book && !cli_given(opts, "--split-seed") ? CHAPTER_BOOK_SPLIT_SEED
                                                                    : a->split_seed;
    src->standardize = !a->no_standardize;
    src->book = a->book;
    return CLI_EXIT_OK;
}

/* A missing directory is found before training, not after it. */
static int check_output(const char *option, const char *path, const char *what,
                        const chapter_source *src)
{
    if (cli_same_file(path, src->path) || cli_same_file(path, src->test_path))
        return cli_error(CLI_EXIT_USAGE, "%s %s would replace a data file", option, path);
    if (cli_check_output_path(path, what) != 0)
        return CLI_EXIT_FAILURE;
    return CLI_EXIT_OK;
}

static int check_outputs(const struct train_args *a, const chapter_source *src)
{
    int rc = CLI_EXIT_OK;
    if (a->save && a->checkpoint && strcmp(a->save, a->checkpoint) == 0)
        return cli_error(CLI_EXIT_USAGE, "--save and --checkpoint name the same file %s; a "
                         "checkpoint is not a model file", a->save);
    if (a->save)
        rc = check_output("--save", a->save, "the model", src);
    if (!rc && a->checkpoint)
        rc = check_output("--checkpoint", a->checkpoint, "the checkpoint", src);
    return rc;
}

/* "PROG train ARGS" without --resume and its file, each argument quoted
 * for a POSIX shell when it needs to be; cut short (with "...") if long. */
static void record_command(int argc, char **argv, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "%s train", cli_program());
    for (int i = 0; i < argc && used < size; i++) {
        if (strcmp(argv[i], "--resume") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--resume=", 9) == 0)
            continue;
        const int plain = argv[i][0] && strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:+@%")
                                            == strlen(argv[i]) && !strchr(argv[i], '\'');
        used += (size_t)snprintf(out + used, size - used, plain ? " %s" : " '%s'", argv[i]);
    }
    if (used >= size && size > 4)
        memcpy(out + size - 4, "...", 4);
}

int train_cli_load_resume(const char *path, dlfs_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    const dlfs_status st = dlfs_checkpoint_load(c, path);
    if (st)
        return cli_error(CLI_EXIT_FAILURE, "cannot resume from %s: %s", path, cli_detail(st));
    return CLI_EXIT_OK;
}

int train_cli_parse(int argc, char **argv, const char *usage, struct train_args *a,
                    struct fit_plan *plan, chapter_source *src)
{
    *a = (struct train_args){
        .backend = "auto", .init = "normal",
        .test_fraction = CHAPTER_TEST_FRACTION, .split_seed = CHAPTER_SPLIT_SEED,
        .hidden = CHAPTER_HIDDEN, .batch = CHAPTER_BATCH,
    };
    cli_option opts[] = {
        { "--model", "linreg|nn|ols", CLI_STRING, &a->model, "the model to fit (required)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a->data, "CSV with a header row (default: bundled Boston data)", 0 },
        { "--target", "NAME", CLI_STRING, &a->target, "target column (default: medv for Boston, else the last)", 0 },
        { "--test", "FILE.csv", CLI_STRING, &a->test, "score on this file instead of a split", 0 },
        { "--test-fraction", "F", CLI_FRACTION, &a->test_fraction, "share of rows held out for testing (0.3)", 0 },
        { "--split-seed", "S", CLI_U64, &a->split_seed, "seed of the train/test split (180708)", 0 },
        { "--hidden", "H", CLI_COUNT, &a->hidden, "hidden units of nn (13)", 0 },
        { "--iterations", "N", CLI_COUNT, &a->iterations, "batches to train on (1000 linreg, 10000 nn)", 0 },
        { "--epochs", "E", CLI_COUNT, &a->epochs, "passes over the training rows, instead of --iterations", 0 },
        { "--batch", "B", CLI_COUNT, &a->batch, "rows per batch (23)", 0 },
        { "--lr", "X", CLI_POSITIVE, &a->lr, "learning rate for the exact gradient (0.023 linreg, 0.0115 nn)", 0 },
        { "--seed", "S", CLI_U64, &a->seed, "seed of the weights and batches (180708 linreg, 180807 nn)", 0 },
        { "--backend", "B", CLI_STRING, &a->backend, "matrix products: blas (cblas_dgemm), naive (a plain" CLI_HELP_BREAK "loop), xsmm (libxsmm) or auto (per shape; default)", 0 },
        { "--init", "normal|scaled", CLI_STRING, &a->init, "weights from N(0,1) as the book, or N(0,1/fan_in) (normal)", 0 },
        { "--no-standardize", NULL, CLI_FLAG, &a->no_standardize, "use the features as they are", 0 },
        { "--book", NULL, CLI_FLAG, &a->book, "the chapter's code exactly: its split, scaling, generator, summed loss, rates", 0 },
        { "--save", "MODEL", CLI_STRING, &a->save, "after a successful fit, write the model file (for dlfs predict)", 0 },
        { "--checkpoint", "FILE", CLI_STRING, &a->checkpoint, "write the run's state here (atomically), to resume it", 0 },
        { "--checkpoint-every", "N", CLI_COUNT, &a->checkpoint_every, "every N iterations (default: every 60 s of training)", 0 },
        { "--resume", "FILE", CLI_STRING, &a->resume, "continue the run a checkpoint recorded (same options)", 0 },
        { "--json", NULL, CLI_FLAG, &a->json, "print one JSON object instead of the summary", 0 },
        { "--quiet", NULL, CLI_FLAG, &a->quiet, "no progress line, results only", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    int rc = cli_parse(argc, argv, opts, usage);

    if (rc != CLI_PARSED)
        return rc;
    record_command(argc, argv, a->command, sizeof a->command);
    rc = check_train_args(opts, a, plan, src);
    if (!rc)
        rc = chapter_source_find(src);
    if (!rc)
        rc = check_outputs(a, src);
    return rc ? rc : CLI_PARSED;
}

void train_cli_report(const struct train_args *a, const chapter_source *src,
                      const struct train_report *r, const struct fit_plan *plan,
                      const struct score *sc)
{
    if (a->json)
        print_train_json(src, r, plan, sc, a->save);
    else
        print_summary(a, src, r, plan, sc);
}
