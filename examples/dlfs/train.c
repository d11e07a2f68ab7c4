/* examples/dlfs/train.c - `dlfs train`: one model fitted on a CSV file (by
 * default the bundled Boston data), scored on held-out rows, optionally saved
 * to a model file for `dlfs predict`.
 *
 * The rows are read once and split in place (the training and test sets are
 * views of them), so `dlfs train` holds the data, the model, one batch, a
 * column of predictions and a few MB besides.
 */
#include <stdio.h>
#include <string.h>

#include "chapter.h"
#include "cli.h"
#include "files.h"
#include "fit.h"
#include "json.h"
#include "train_cli.h"

static const char train_usage[] =
    "Usage: dlfs train --model linreg|nn|ols [options]\n"
    "\n"
    "Trains one model and scores it on held-out rows. Without --data it uses the\n"
    "bundled Boston housing data (target medv). Defaults are the chapter's: a 30%\n"
    "test split, batch 23, 13 hidden units, 1000 iterations at lr 0.023 and seed\n"
    "180708 for linreg, 10000 iterations at lr 0.0115 and seed 180807 for nn.\n"
    "Features are standardised on the training rows; the target is not.\n"
    "\n"
    "With --save MODEL the fitted model, its standardisation and the column\n"
    "names go to a model file for `dlfs predict`, written atomically, and only\n"
    "after a fit that succeeded: when training fails (diverges) a file already\n"
    "at MODEL is left as it was.\n"
    "\n"
    "With --checkpoint FILE the run's state (weights, generator, batch order) is\n"
    "written there atomically every --checkpoint-every N iterations (default:\n"
    "every 60 s of training), and when SIGINT or SIGTERM stops the run after\n"
    "the iteration in progress (exit 130 or 143).\n"
    "--resume FILE, with the same options, continues the run to the very weights\n"
    "it would have reached uninterrupted; --iterations may be raised.\n";

/* Writes the fitted model, with the standardisation fitted on the training
 * rows and the file's feature and target names, to path (atomically: on
 * failure a file already at path is left as it was). The standardiser is
 * attached only now: the model scored the rows standardised already. */
static int save_model(dlfs_model *model, const chapter_data *d, const char *path)
{
    const char *const *names = (const char *const *)d->file.feature_names;
    dlfs_status st = dlfs_model_set_standardizer(model, &d->scaler);

    if (!st) st = dlfs_model_set_names(model, names, d->file.target_name);
    if (!st) st = dlfs_model_save(model, path);
    if (st)
        return cli_error(CLI_EXIT_FAILURE, "cannot save the model to %s: %s", path,
                         cli_detail(st));
    return CLI_EXIT_OK;
}

/* Reads the rows (and the checkpoint to resume), fits, scores, saves,
 * reports. */
static int train(const struct train_args *a, struct fit_plan *plan, const chapter_source *src)
{
    chapter_data d;
    dlfs_model model;
    dlfs_checkpoint resume;
    struct score sc;
    int rc = a->resume ? train_cli_load_resume(a->resume, &resume) : CLI_EXIT_OK;

    memset(&model, 0, sizeof model);
    memset(&d, 0, sizeof d);
    if (!rc)
        rc = chapter_prepare(src, &d);
    plan->resume = a->resume && !rc ? &resume : NULL;
    if (!rc)
        rc = fit_and_score(plan, &d, &model, &sc);
    /* Only a model that trained to the end without diverging is saved. */
    if (!rc && a->save)
        rc = save_model(&model, &d, a->save);
    if (!rc) {
        const struct train_report r = {d.file.target_name, d.X_train.rows, d.X_test.rows,
                                       d.X_train.cols, 0};
        train_cli_report(a, src, &r, plan, &sc);
    }
    dlfs_model_free(&model);
    chapter_data_free(&d);
    if (a->resume)
        dlfs_checkpoint_free(&resume);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    struct train_args a;
    struct fit_plan plan;
    chapter_source src;
    int rc = train_cli_parse(argc, argv, train_usage, &a, &plan, &src);

    return rc == CLI_PARSED ? train(&a, &plan, &src) : rc;
}
