/* dlfs/linreg.h - linear regression, step by step: P = X . W + B, trained on
 * the mean squared error by gradient descent.
 *
 * Forward, keeping every intermediate in a dlfs_linreg_forward_info:
 *     N = X . W         X: bs x k, W: k x m         (the matrix product)
 *     P = N + B         B: 1 x m, added to each row  (bias-add)
 *     L = mean((y - P)^2) over all bs*m elements    (the loss)
 * Backward, the exact gradient of that L (local derivatives multiplied):
 *     dL/dP = -2 (y - P) / (bs*m)     computed with L, in the same pass
 *     dL/dN = dL/dP                    since dP/dN = 1
 *     dL/dW = X^T . dL/dN              (k x m)
 *     dL/dB = sum over rows of dL/dP   (1 x m)
 *
 * Learning rates: the book's gradients are sums over the batch rather than
 * means. For full batches its rate maps to this mean gradient as
 *     lr = lr_book * batch_size          (book 0.001, batch 23 -> 0.023),
 * but only for full batches: a pass's short last batch (the book's 354 rows
 * are 15 x 23 + 9) takes a mean step per row 23/9 times the book's. To step
 * as the book does on every batch, train with the summed loss
 * (DLFS_LOSS_SUM, dlfs/train.h) at the book's own rate, 0.001.
 */
#ifndef DLFS_LINREG_H
#define DLFS_LINREG_H

#include <stddef.h>
#include <dlfs/gemm.h>
#include <dlfs/matrix.h>
#include <dlfs/rng.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The parameters, all in one block `params` (W first, then B). A gradient has
 * the same shape, so gradients are held in a dlfs_linreg too. */
typedef struct dlfs_linreg {
    size_t k;              /* inputs */
    size_t m;              /* outputs */
    dlfs_matrix W;         /* k x m, view into params */
    dlfs_matrix B;         /* 1 x m, view into params */
    double *params;        /* owned block of n_params doubles */
    size_t n_params;       /* k*m + m */
    dlfs_backend backend;  /* how products are computed; DLFS_BACKEND_BLAS after alloc */
} dlfs_linreg;

/* Everything the forward pass computed, which the backward pass reads; bs is
 * the batch length (its rows).
 * N, P and dL_dP are owned storage for up to `capacity` rows; X and y are
 * views of the caller's batch, which must outlive the gradient call. */
typedef struct dlfs_linreg_forward_info {
    size_t capacity;       /* most rows a batch may have */
    dlfs_matrix X;         /* bs x k (view) */
    dlfs_matrix y;         /* bs x m (view) */
    dlfs_matrix N;         /* bs x m = X . W */
    dlfs_matrix P;         /* bs x m = N + B */
    dlfs_matrix dL_dP;     /* bs x m, the loss's local derivative */
    double loss;           /* mean((y - P)^2) */
    double *block;         /* owned storage behind N, P, dL_dP */
} dlfs_linreg_forward_info;

/* Allocates a model with k inputs and m outputs, parameters zero.
 * DLFS_ENULL, DLFS_EEMPTY (k or m zero), DLFS_EOVERFLOW, DLFS_ENOMEM.
 * On failure *model is left empty and needs no free. */
dlfs_status dlfs_linreg_alloc(dlfs_linreg *model, size_t k, size_t m);

/* Frees the parameters and resets *model to empty. NULL is fine. */
void dlfs_linreg_free(dlfs_linreg *model);

/* Draws the parameters: W by `init` with fan_in k; B from N(0,1) for
 * DLFS_INIT_NORMAL, zero for DLFS_INIT_SCALED. */
dlfs_status dlfs_linreg_init(dlfs_linreg *model, dlfs_rng *rng, dlfs_init init);

/* Copies parameters (and backend) from src; shapes must match (DLFS_ESHAPE). */
dlfs_status dlfs_linreg_copy(dlfs_linreg *dst, const dlfs_linreg *src);

/* Storage for a forward pass of up to max_rows rows of a model with m outputs. */
dlfs_status dlfs_linreg_forward_info_alloc(dlfs_linreg_forward_info *info,
                                           size_t max_rows, size_t m);
void dlfs_linreg_forward_info_free(dlfs_linreg_forward_info *info);

/* The forward pass and the loss. X: bs x k, y: bs x m, 1 <= bs <= info->capacity.
 * Fills info (N, P, loss, dL_dP) and *loss (loss may be NULL).
 * DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_ENONFINITE (X or y holds NaN/Inf). */
dlfs_status dlfs_linreg_forward(const dlfs_linreg *model, const dlfs_matrix *X,
                                const dlfs_matrix *y, dlfs_linreg_forward_info *info,
                                double *loss);

/* The backward pass: fills grad (allocated with the model's shape) with
 * dL/dW and dL/dB of the last forward pass recorded in info. */
dlfs_status dlfs_linreg_gradients(const dlfs_linreg *model,
                                  const dlfs_linreg_forward_info *info,
                                  dlfs_linreg *grad);

/* Gradient descent step: every parameter -= lr * its gradient.
 * DLFS_EINVAL unless lr is finite. */
dlfs_status dlfs_linreg_update(dlfs_linreg *model, const dlfs_linreg *grad, double lr);

/* P = X . W + B for any number of rows. X: n x k, P: n x m (caller's).
 * DLFS_ENONFINITE if X holds NaN/Inf. */
dlfs_status dlfs_linreg_predict(const dlfs_linreg *model, const dlfs_matrix *X,
                                dlfs_matrix *P);

#ifdef __cplusplus
}
#endif
#endif
