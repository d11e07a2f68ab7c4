/* examples/dlfs/fit.h - what the dlfs commands share: the three commands,
 * fitting a model through the dlfs_model handle and scoring it, and the
 * options every command parses alike.
 */
#ifndef DLFS_EXAMPLES_FIT_H
#define DLFS_EXAMPLES_FIT_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/dlfs.h>

#include "chapter.h"
#include "json.h"

/* The commands: the arguments after the command's name; an exit status. */
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* How to fit one model. */
struct fit_plan {
    dlfs_model_kind kind;
    size_t hidden;
    size_t iterations;       /* 0: use epochs */
    size_t epochs;
    size_t batch;
    double lr;
    uint64_t seed;
    dlfs_init init;
    dlfs_backend backend;
    dlfs_generator generator;        /* the library's (default) or NumPy's */
    dlfs_loss_reduction loss;        /* the gradient of the mean (default) or the sum */
    int book;                        /* book mode: what the chapter's code does */
    int progress;            /* a progress line on a terminal */
    /* Checkpoints and resuming (dlfs/checkpoint.h): */
    const char *checkpoint;           /* write the run's state here (NULL: none) */
    size_t checkpoint_every;          /* every N iterations; 0: every
                                         TRAIN_CHECKPOINT_SECONDS of training */
    const dlfs_checkpoint *resume;    /* continue this run (NULL: start one) */
    const char *command;              /* the command line, to say how to resume */
};

/* The chapter's plan for `kind` (a row of chapter_models), on the BLAS
 * backend, without progress line. */
void plan_chapter(struct fit_plan *p, dlfs_model_kind kind);

/* Book mode on top of plan_chapter: NumPy's generator, the summed loss and
 * the chapter's code's rate (the seeds, batch, N(0, 1) weights and
 * iterations are the chapter's already). */
void plan_book(struct fit_plan *p);

/* The training options of the plan, on top of the handle's defaults, and the
 * number of iterations they run on n rows: 0, or CLI_EXIT_FAILURE after
 * printing why. */
int fit_plan_options(const struct fit_plan *plan, const dlfs_model *model, size_t n,
                     dlfs_train_options *opt, size_t *total);

/* The options of the plan's run as dlfs_train_options: fit_plan_options()
 * and the checkpoint settings, with the watching callback (progress line,
 * signals, checkpoints by time) on watch. */
struct train_watch;
int fit_run_options(const struct fit_plan *plan, const dlfs_model *model, size_t n,
                    struct train_watch *watch, int progress, dlfs_train_options *opt,
                    size_t *total);

/* After a run a signal stopped (res): says on which iteration, where the
 * checkpoint is (or that none was asked for) and the command that resumes
 * it; returns the shell's exit status for the signal, 128 + its number. */
int fit_interrupted(const struct fit_plan *plan, const dlfs_train_result *res, size_t total,
                    int sig);

struct score;
/* What a training run that returned st (res, of total iterations) means for
 * the score: 0 after recording its iterations and last batch loss, or
 * CLI_EXIT_FAILURE after printing why (a divergence names its iteration). */
int fit_outcome(const struct fit_plan *plan, dlfs_status st, const dlfs_train_result *res,
                size_t total, struct score *sc);

/* How a fitted model did. */
struct score {
    size_t iterations;       /* updates applied; 0 for OLS */
    double last_batch_loss;  /* NaN for OLS */
    double train_loss;       /* mean squared error on all training rows */
    double seconds;          /* fitting only */
    dlfs_metrics test;
};

/* Fits a new *model (free it either way) to d's training rows as the plan
 * says, then scores it on the training and the test rows. 0, or
 * CLI_EXIT_FAILURE after printing why (a divergence names its iteration). */
int fit_and_score(const struct fit_plan *plan, const chapter_data *d, dlfs_model *model,
                  struct score *sc);

/* "0.7 ms" or "3.214 s". */
const char *format_seconds(char *buf, size_t size, double s);

/* RMSE as a percentage of the mean test target (the chapter's 22.9%). */
double rmse_percent(const dlfs_metrics *m);

/* JSON members "batch", "lr" and "seed"; null for least squares, which has
 * none of them. */
void json_training(cli_json *j, const struct fit_plan *plan);

/* --backend and --init: 0, or CLI_EXIT_USAGE after naming what is expected. */
int parse_backend_option(const char *text, dlfs_backend *backend);
int parse_init_option(const char *text, dlfs_init *init);

#endif
