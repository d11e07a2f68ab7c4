/* dlfs/train.h - mini-batch gradient descent, as the chapter's train().
 *
 *     seed the generator; initialise the weights (unless told not to)
 *     permute the training rows; start = 0
 *     for each iteration:
 *         if start >= n: permute again; start = 0
 *         batch = rows start .. start+bs-1 (the last batch of a pass may be shorter)
 *         forward, record the loss, backward, check the numbers are finite
 *         every parameter -= lr * its gradient
 *
 * The loop is the same for both models (it is dlfs_model_train() of
 * dlfs/model.h for the gradient-trained kinds); dlfs_linreg_train() and
 * dlfs_nn_train() run it on a step-by-step model.
 *
 * All scratch memory (forward info, gradients, the permutation, one gathered
 * batch) is allocated before the first iteration; nothing is allocated inside
 * the loop. The same options and data give bit-identical weights.
 *
 * Divergence guard: when the loss or any gradient is NaN or infinite, training
 * stops with DLFS_EDIVERGED before that update, so the model holds the weights
 * of the last finite iteration, and result->failed_iteration says which one failed.
 */
#ifndef DLFS_TRAIN_H
#define DLFS_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/nn.h>
#include <dlfs/rng.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a callback returns after an iteration: 0 to go on;
 * DLFS_TRAIN_CHECKPOINT to have a checkpoint written now (when
 * checkpoint_path is set) and go on; any other nonzero value (e.g.
 * DLFS_TRAIN_STOP, which may be or'ed with DLFS_TRAIN_CHECKPOINT) to stop
 * after this iteration. A run that stops so writes a checkpoint when
 * checkpoint_path is set: a program's signal handler sets a flag, and its
 * callback returns DLFS_TRAIN_STOP when it sees it. */
#define DLFS_TRAIN_STOP 1
#define DLFS_TRAIN_CHECKPOINT 2

struct dlfs_checkpoint;

/* Called after every iteration with its 0-based index (counted from the
 * run's start, a resumed run's too) and batch loss. Returns as above. */
typedef int (*dlfs_loss_fn)(size_t iteration, double loss, void *user);

/* Called every eval_every iterations (and after the last) with the loss on the
 * validation set. Return nonzero to stop training (a checkpoint is written
 * when checkpoint_path is set). */
typedef int (*dlfs_eval_fn)(size_t iteration, double val_loss, void *user);

/* Which generator draws the initial weights and the batch order. */
typedef enum dlfs_generator {
    DLFS_GENERATOR_XOSHIRO = 0,   /* the library's own, dlfs/rng.h (default) */
    DLFS_GENERATOR_NUMPY = 1      /* NumPy's legacy one, dlfs/nprandom.h, as the chapter's
                                     code uses it: np.random.seed(seed); the weights drawn with
                                     randn in the parameter block's order (W then B; W1, B1,
                                     W2, B2), N(0, 1) only; then every pass reorders the
                                     current order by a fresh permutation(n) (X = X[q]).
                                     The seed must be below 2^32. Not with checkpoints. */
} dlfs_generator;

/* What the gradient is the gradient of. The loss the passes report (and
 * the history and callbacks see) is the mean squared error either way. */
typedef enum dlfs_loss_reduction {
    DLFS_LOSS_MEAN = 0,   /* mean((y - P)^2) over the batch's rows and outputs (default):
                             the step per row shrinks as the batch grows */
    DLFS_LOSS_SUM = 1     /* sum((y - P)^2) over the batch (PyTorch's reduction='sum'):
                             a learning rate is per row, whatever the batch's length, so a
                             pass's short last batch takes the same step per row as the
                             others. The chapter's code computes this gradient (its network
                             without the factor 2 of dL/dP, i.e. at half the rate). */
} dlfs_loss_reduction;

typedef struct dlfs_train_options {
    size_t iterations;        /* batches to run; or 0, and `epochs` set */
    size_t epochs;            /* or full passes over the rows; exactly one of the
                                 two is nonzero (see dlfs_train_iterations) */
    size_t batch_size;        /* rows per batch (default 23) */
    double learning_rate;     /* for the exact gradient: see linreg.h and nn.h */
    uint64_t seed;            /* seeds initialisation and permutations */
    int init_weights;         /* nonzero (default): draw the weights from `seed`;
                                 0: continue from the model's current weights */
    dlfs_init init;           /* DLFS_INIT_NORMAL (default, the book) or SCALED */
    double *loss_history;     /* optional: loss of iteration i stored at [i] */
    size_t loss_history_len;  /* capacity of loss_history */
    dlfs_loss_fn on_loss;     /* optional */
    const dlfs_matrix *X_val; /* optional validation set, n_val x k */
    const dlfs_matrix *y_val; /* n_val x m */
    size_t eval_every;        /* evaluate every this many iterations (0: never) */
    dlfs_eval_fn on_eval;     /* optional */
    void *user;               /* passed to the callbacks */
    /* Checkpoints (dlfs/checkpoint.h): with checkpoint_path set, the run's
     * state is written there atomically after every checkpoint_every-th
     * iteration (0: never on a count), when a callback asks, and when a
     * callback stops the run; not after a divergence (the last good
     * checkpoint stays), and not at the run's natural end, whose result is
     * the model (a count that divides the iterations leaves a checkpoint
     * there, from which a longer run can go on). Everything a write needs
     * is allocated before the first iteration, and the directory is checked
     * then. A failed write ends the run with DLFS_EIO (the weights are those
     * of the iteration reached). */
    const char *checkpoint_path;
    size_t checkpoint_every;
    /* Optional: continue the run this checkpoint recorded instead of
     * starting one (init_weights and the seed's first draws are not used).
     * It must match the run: the model's kind and shapes, batch_size,
     * learning_rate, seed, init and backend, the training rows' number, and
     * the number of ranks; otherwise DLFS_EMISMATCH naming the difference,
     * before anything changes. The total (iterations or epochs) may differ,
     * but not be below the checkpoint's iteration. The weights, generator
     * and permutation are the checkpoint's, so a resumed run ends with the
     * weights, bit for bit, of the run that was never interrupted. */
    const struct dlfs_checkpoint *resume;
    dlfs_generator generator;             /* DLFS_GENERATOR_XOSHIRO (default) or NUMPY */
    dlfs_loss_reduction loss_reduction;   /* DLFS_LOSS_MEAN (default) or SUM */
} dlfs_train_options;

typedef struct dlfs_train_result {
    size_t iterations;        /* iterations completed (updates applied) */
    double final_loss;        /* loss of the last completed iteration */
    double final_val_loss;    /* last validation loss, NaN if none was computed */
    size_t failed_iteration;  /* with DLFS_EDIVERGED: the iteration whose numbers were not finite */
    int stopped_early;        /* a callback asked to stop */
} dlfs_train_result;

/* The chapter's settings for the regression: batch 23, 1000 iterations
 * (epochs 0), seed 180708, normal init, learning rate 0.023, weights drawn
 * from the seed, no history, callbacks or validation. For the settings of
 * another kind (the network's lr 0.0115, seed 180807, 10000 iterations) use
 * dlfs_model_train_options_default() of dlfs/model.h. */
void dlfs_train_options_default(dlfs_train_options *opt);

/* The number of iterations these options run on n rows. The rule: a run is
 * given either as iterations (epochs 0) or as epochs (iterations 0), each
 * epoch ceil(n / batch_size) batches. Both nonzero is a contradiction, not a
 * preference: DLFS_EINVAL, with a detail saying so (the defaults set
 * iterations: to train by epochs, set iterations to 0). Neither set:
 * DLFS_EINVAL. Also DLFS_ENULL, DLFS_EINVAL for batch_size 0, DLFS_EEMPTY
 * (epochs of 0 rows), DLFS_EOVERFLOW. *iterations is unchanged on failure. */
dlfs_status dlfs_train_iterations(const dlfs_train_options *opt, size_t n, size_t *iterations);

/* Trains model in place on X (n x k) and y (n x m). The model must already be
 * allocated with the data's k and m; its backend field picks the products.
 * On xsmm and auto, the step's libxsmm kernels (for full batches and for a
 * pass's short last one) are made before the first iteration; under MPI, a
 * rank's share of a batch of another size goes through cblas_dgemm.
 * Errors: DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_EINVAL (batch 0, lr not
 * finite or <= 0, no iterations), DLFS_ENONFINITE (NaN/Inf in the data; row and
 * column in the detail), DLFS_ENOMEM (before any iteration; weights untouched),
 * DLFS_EDIVERGED. result may be NULL. */
dlfs_status dlfs_linreg_train(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                              const dlfs_train_options *opt, dlfs_train_result *result);

dlfs_status dlfs_nn_train(dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                          const dlfs_train_options *opt, dlfs_train_result *result);

#ifdef __cplusplus
}
#endif
#endif
