/* src/model_impl.h - what the model handle's files (model.c, model_file.c,
 * train.c) share; not installed. */
#ifndef DLFS_SRC_MODEL_IMPL_H
#define DLFS_SRC_MODEL_IMPL_H

#include <dlfs/model.h>
#include <dlfs/nprandom.h>
#include <dlfs/train.h>
#include "xsmm.h"

/* 1 for the kinds whose member is a dlfs_linreg (LINREG, OLS). */
int dlfs__model_is_linear(const dlfs_model *model);

/* Draws the parameters of a regression or a network from rng (the kind's
 * dlfs_*_init): dlfs_model_init and the training loops share it. */
dlfs_status dlfs__model_init_weights(dlfs_model *model, dlfs_rng *rng, dlfs_init init);

/* DLFS_ENULL for NULL, DLFS_EINVAL for an empty model; fn in the detail. */
dlfs_status dlfs__model_check(const dlfs_model *model, const char *fn);

/* The shapes agree with kind, k, h and m, everything that should be there
 * is, names fit: what a model must satisfy to be written. */
dlfs_status dlfs__model_check_structure(const dlfs_model *model, const char *fn);

/* Every parameter, mean and sd finite; every sd positive (bad_sd: the status
 * for a non-positive sd, which is a bad argument when building a model and a
 * malformed file when loading one). `where` prefixes the detail. */
dlfs_status dlfs__model_check_values(const dlfs_model *model, const char *where,
                                     dlfs_status bad_sd);

/* *out = a checked copy of s (fitted on the model's k columns, finite,
 * positive sds); on failure *out is empty. */
dlfs_status dlfs__model_copy_standardizer(const dlfs_model *model, const dlfs_standardizer *s,
                                          dlfs_standardizer *out, const char *fn);

/* The training loop (train.c) for the gradient-trained kinds; fn names the
 * public function in details. */
dlfs_status dlfs__train(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                        const dlfs_train_options *opt, dlfs_train_result *result,
                        const char *fn);

/* dlfs_model_prepare for the gradient-trained kinds (train.c). */
dlfs_status dlfs__train_prepare(const dlfs_model *model, size_t rows, const dlfs_train_options *opt,
                                const char *fn);

/* The loop's pieces, shared with the distributed loop (src/dist/train.c),
 * which runs the same steps on a rank's share of each batch. The one-process
 * loop calls the static versions in train.c (which it can inline); these are
 * the same functions. */

/* What the loop works in: the gradient (a model of the same shape) and the
 * forward infos of the batch and of the validation set, of the model's kind. */
typedef struct dlfs__train_work {
    dlfs_linreg lr_grad;
    dlfs_linreg_forward_info lr_info, lr_val;
    dlfs_nn nn_grad;
    dlfs_nn_forward_info nn_info, nn_val;
    double *grads;           /* the gradient's parameter block */
    int summed;              /* dL/dP of the summed loss (DLFS_LOSS_SUM), not the mean's */
    dlfs__step_mm mm[2];     /* xsmm: the step's kernels for full and short batches */
    const dlfs__step_mm *mm_cur;   /* those of the last forward batch, or NULL */
} dlfs__train_work;

/* On the xsmm backend, dispatches the step's kernels for batches of `batch`
 * and of `last` rows (0: none) whose leading dimension is x_ld, in w's
 * layouts; on the others, nothing. Before the loop, never in it. */
void dlfs__train_work_kernels(dlfs__train_work *w, const dlfs_model *model, size_t x_ld,
                              size_t batch, size_t last);

/* Everything dlfs__train checks (opt, X, y, options, finiteness), in its order. */
dlfs_status dlfs__train_check_inputs(const char *fn, const dlfs_model *model, const dlfs_matrix *X,
                                     const dlfs_matrix *y, const dlfs_train_options *opt);

/* The checks that do not read the data: opt present, the model's backend,
 * batch, learning rate, init, history, validation set. */
dlfs_status dlfs__train_check_options(const char *fn, const dlfs_model *model,
                                      const dlfs_train_options *opt);

/* The workspace for batches of up to `batch` rows and n_val validation rows
 * (0: none); on failure *w is empty. */
dlfs_status dlfs__train_work_alloc(dlfs__train_work *w, const dlfs_model *model, size_t batch,
                                   size_t n_val);
void dlfs__train_work_free(dlfs__train_work *w);

/* One block (*block, to free) holding a batch of up to `batch` rows of X
 * (Xb) and y (yb), each on a cache-line boundary. */
dlfs_status dlfs__train_batch_alloc(const char *fn, const dlfs_model *model, size_t batch,
                                    double **block, dlfs_matrix *Xb, dlfs_matrix *yb);

/* The forward pass and its loss on X, y (val: into the validation info). */
double dlfs__train_forward(const dlfs_model *model, dlfs__train_work *w, const dlfs_matrix *X,
                           const dlfs_matrix *y, int val);

/* The backward pass of the last forward batch; returns w's gradient block
 * (n_params doubles, the caller's to scale). */
double *dlfs__train_backward(const dlfs_model *model, dlfs__train_work *w);

/* ---- The run's state, and checkpoints (train_state.c) ---- */

struct dlfs__ckpt_writer;

/* What the next iteration reads besides the data and the weights. */
typedef struct dlfs__train_state {
    dlfs_generator gen;  /* which of the two below draws */
    dlfs_rng rng;
    dlfs_nprandom np;
    size_t *perm;        /* n row indices: the current order */
    size_t *q;           /* NumPy: n, the pass's permutation of the current order */
    size_t n;            /* training rows, over all ranks */
    size_t start;        /* rows of perm used */
    size_t first_it;     /* iterations made before this run started (resumed) */
} dlfs__train_state;

/* The permutation (and the NumPy generator's scratch) for n rows; on
 * failure nothing is held. */
dlfs_status dlfs__train_state_alloc(dlfs__train_state *s, size_t n,
                                    const dlfs_train_options *opt, const char *fn);
void dlfs__train_state_free(dlfs__train_state *s);

/* A new pass: the current order reordered by a fresh permutation. */
void dlfs__train_next_pass(dlfs__train_state *s);

/* opt->resume, if set, against the run (n rows, `ranks`, iters in all):
 * DLFS_EMISMATCH naming the first difference. Changes nothing. */
dlfs_status dlfs__train_resume_check(const char *fn, const dlfs_model *model,
                                     const dlfs_train_options *opt, size_t n, size_t ranks,
                                     size_t iters);

/* A fresh run: the generator seeded, the weights drawn (if
 * opt->init_weights), the first permutation. A resumed one: the
 * checkpoint's weights, generator, permutation and position. s->perm and
 * s->n are set by the caller. */
dlfs_status dlfs__train_start(dlfs_model *model, const dlfs_train_options *opt,
                              dlfs__train_state *s);

/* 1 when a checkpoint is to be written after iteration it (0-based):
 * opt->checkpoint_path set and a callback asked or stopped the run
 * (flags, already agreed over the ranks), or the count came round. */
int dlfs__train_checkpoint_due(const dlfs_train_options *opt, size_t it, int flags);

/* Writes the state after `done` iterations through w (allocates nothing). */
dlfs_status dlfs__train_checkpoint(struct dlfs__ckpt_writer *w, const dlfs_model *model,
                                   const dlfs_train_options *opt, const dlfs__train_state *s,
                                   size_t done, size_t iters, size_t ranks, const char *fn);


#endif
