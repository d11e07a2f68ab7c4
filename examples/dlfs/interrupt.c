/* examples/dlfs/interrupt.c - signals and the training callback; see
 * interrupt.h. */
#include "interrupt.h"

#include <signal.h>
#include <string.h>

#include <dlfs/train.h>

static volatile sig_atomic_t received;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    if (!received)
        received = sig;
}

int interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a write interrupted by the signal goes on. */
    sa.sa_flags = SA_RESTART;
    received = 0;
    if (sigaction(SIGINT, &sa, &old_int) != 0)
        return -1;
    if (sigaction(SIGTERM, &sa, &old_term) != 0) {
        sigaction(SIGINT, &old_int, NULL);
        return -1;
    }
    return 0;
}

void interrupt_restore(void)
{
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

int interrupt_signal(void)
{
    return (int)received;
}

void train_watch_start(train_watch *w, const char *label, size_t total, int progress,
                       double checkpoint_seconds)
{
    cli_progress_start(&w->progress, label, total, progress);
    w->checkpoint_seconds = checkpoint_seconds;
    w->last_checkpoint = cli_now();
}

int train_watch_on_loss(size_t iteration, double loss, void *user)
{
    train_watch *w = user;
    int flags = 0;
    cli_progress_on_loss(iteration, loss, &w->progress);
    if (received)
        flags |= DLFS_TRAIN_STOP;
    if (w->checkpoint_seconds > 0 && iteration % 64 == 63) {
        const double now = cli_now();
        if (now - w->last_checkpoint >= w->checkpoint_seconds) {
            w->last_checkpoint = now;
            flags |= DLFS_TRAIN_CHECKPOINT;
        }
    }
    return flags;
}
