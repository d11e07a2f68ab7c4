/* examples/dlfs/interrupt.h - what `dlfs train` and `dlfs-mpi train` do about
 * SIGINT and SIGTERM, and the callback that watches a training run.
 *
 * The handler only records the signal. The training loop's callback
 * (train_watch_on_loss) sees it after the iteration in progress and asks the
 * library to stop (DLFS_TRAIN_STOP), which writes a checkpoint first when
 * one was asked for; the command then says where the run stopped and how to
 * resume it, and exits with 128 + the signal's number (130, 143), as shells
 * do. A second signal of the same kind while stopping is ignored: the run is
 * already finishing its iteration.
 */
#ifndef DLFS_EXAMPLES_INTERRUPT_H
#define DLFS_EXAMPLES_INTERRUPT_H

#include <stddef.h>
#include "cli.h"

/* Installs the handlers for SIGINT and SIGTERM (0, or -1 with errno). */
int interrupt_install(void);
/* Puts the previous handlers back. */
void interrupt_restore(void);
/* The signal received since interrupt_install, or 0. */
int interrupt_signal(void);

/* Default interval of time-based checkpoints when only --checkpoint is given. */
#define TRAIN_CHECKPOINT_SECONDS 60.0

/* What the training callback keeps: the progress line, and when the last
 * checkpoint by time was asked for. */
typedef struct train_watch {
    cli_progress progress;
    double checkpoint_seconds;   /* ask for a checkpoint this often (0: never by time) */
    double last_checkpoint;      /* cli_now() of the last one asked for, or of the start */
} train_watch;

/* Starts the progress line (cli_progress_start) and the checkpoint clock. */
void train_watch_start(train_watch *w, const char *label, size_t total, int progress,
                       double checkpoint_seconds);

/* A dlfs_loss_fn (user: a train_watch): draws the progress line;
 * DLFS_TRAIN_STOP after a signal; DLFS_TRAIN_CHECKPOINT when
 * checkpoint_seconds have passed since the last (the clock is read every 64
 * iterations, so watching costs nothing next to a step). */
int train_watch_on_loss(size_t iteration, double loss, void *user);

#endif
