/* examples/dlfs/main.c - the dlfs command: trains the chapter's models on a
 * CSV file, reports how well they predict rows they did not see, saves them,
 * and predicts with a saved model.
 *
 *     dlfs train --model linreg|nn|ols [--save MODEL] [options]
 *                                   one model: a summary, or JSON
 *     dlfs predict --model-file MODEL --data FILE.csv [--output PRED.csv]
 *                                   one prediction per row; scores too when
 *                                   the file has the target column
 *     dlfs run [--backend B] [--quiet] [--json]
 *                                   the chapter on the Boston data: OLS,
 *                                   regression and network beside the book's
 *                                   figures
 *
 * Every training run reads the CSV, splits it (or reads a separate test
 * file), fits the standardisation on the training rows only, fits the model,
 * and scores it on the test rows (examples/common/chapter.h). Targets are
 * left in their own units (the book's prices stay in $1000s), so MAE and RMSE
 * are in the target's units.
 *
 * A model file (dlfs/model_file.h) holds the fitted model with the
 * standardisation, the feature names and the target name; OLS coefficients
 * are saved as a linear regression.
 */
#include <dlfs/dlfs.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fit.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "train", cmd_train, "train one model on a CSV file and score it on held-out rows;\n"
                          "             --save MODEL writes it to a file" },
    { "predict", cmd_predict, "predict with a saved model, one value per row of a CSV file" },
    { "run", cmd_run, "the chapter: OLS, linear regression and the network on the Boston\n"
                      "             data, beside the book's figures" },
};

static void print_usage(FILE *out)
{
    fputs("Usage: dlfs COMMAND [options]\n"
          "       dlfs COMMAND --help\n"
          "       dlfs --version\n"
          "\n"
          "Linear regression and a one-hidden-layer network, step by step, as in\n"
          "chapter 2 of \"Deep Learning from Scratch\".\n"
          "\n"
          "Commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nThe bundled data is looked for in $DLFS_DATA_DIR, then the installed\n"
          "data directory, then the source tree.\n", out);
}

int main(int argc, char **argv)
{
    const char *name;

    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("dlfs %s\n", DLFS_VERSION_STRING);
        printf("backends: blas naive%s auto%s\n", dlfs_have_xsmm() ? " xsmm" : "",
               dlfs_have_xsmm() ? "" : " (built without libxsmm: auto is blas)");
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    return cli_error(CLI_EXIT_USAGE, "unknown command '%s' (commands: train, predict, run; "
                     "see --help)",
                     name);
}
