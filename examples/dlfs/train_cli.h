/* examples/dlfs/train_cli.h - the options of `dlfs train` (and of
 * `dlfs-mpi train`, which takes the same ones, parsed by the same code) and
 * the report both print. */
#ifndef DLFS_EXAMPLES_TRAIN_CLI_H
#define DLFS_EXAMPLES_TRAIN_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "chapter.h"
#include "fit.h"

struct train_args {
    const char *model, *data, *target, *test, *backend, *init, *save;
    const char *checkpoint, *resume;
    size_t checkpoint_every;
    char command[4096];      /* the command line without --resume, for fit_plan.command */
    double test_fraction, lr;
    size_t hidden, iterations, epochs, batch;
    uint64_t seed, split_seed;
    int no_standardize, json, quiet, book;
};

/* Parses and checks the options (usage errors only: nothing is read yet),
 * finds the bundled data when --data is not given, and checks that --save
 * and --checkpoint could be written. plan->command points into a->command;
 * plan->resume is left NULL (the caller loads a->resume). Returns CLI_PARSED to go on, else the exit status (after
 * --help, or after printing the error). */
int train_cli_parse(int argc, char **argv, const char *usage, struct train_args *a,
                    struct fit_plan *plan, chapter_source *src);

/* What the report says of the rows. */
struct train_report {
    const char *target_name;
    size_t n_train, n_test, features;
    int ranks;               /* processes that trained; 0: one, and not said */
};

/* The summary on stdout, or with --json one JSON object ("ranks" in it when
 * r->ranks > 0). */
/* Loads the checkpoint of --resume into *c (every rank does, under MPI):
 * 0, or CLI_EXIT_FAILURE after saying why. */
int train_cli_load_resume(const char *path, dlfs_checkpoint *c);

void train_cli_report(const struct train_args *a, const chapter_source *src,
                      const struct train_report *r, const struct fit_plan *plan,
                      const struct score *sc);

#endif
