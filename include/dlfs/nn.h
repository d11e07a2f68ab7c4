/* dlfs/nn.h - a one-hidden-layer network, step by step: a sigmoid hidden layer
 * and a linear output, trained on the mean squared error by gradient descent.
 *
 * Forward, keeping every intermediate in a dlfs_nn_forward_info:
 *     M1 = X . W1        X: bs x k, W1: k x h
 *     N1 = M1 + B1       B1: 1 x h
 *     O1 = sigmoid(N1)
 *     M2 = O1 . W2       W2: h x m
 *     P  = M2 + B2       B2: 1 x m
 *     L  = mean((y - P)^2)
 * Backward, the exact gradient of that L:
 *     dL/dP  = -2 (y - P) / (bs*m)    computed with L, in the same pass
 *     dL/dW2 = O1^T . dL/dP
 *     dL/dB2 = sum over rows of dL/dP
 *     dL/dO1 = dL/dP . W2^T
 *     dL/dN1 = dL/dO1 * O1 * (1 - O1)  sigmoid' from the saved O1
 *     dL/dW1 = X^T . dL/dN1
 *     dL/dB1 = sum over rows of dL/dN1
 *
 * Learning rates: the book sums over the batch and drops the factor 2 in
 * dL/dP. For full batches its rate maps to this mean gradient as
 *     lr = lr_book * batch_size / 2      (book 0.001, batch 23 -> 0.0115),
 * but only for full batches: a pass's short last batch (the book's 354 rows
 * are 15 x 23 + 9) takes a mean step per row 23/9 times the book's. To step
 * as the book does on every batch, train with the summed loss
 * (DLFS_LOSS_SUM, dlfs/train.h) at half the book's rate, 0.0005: exactly
 * half, so the products are the book's to the bit.
 */
#ifndef DLFS_NN_H
#define DLFS_NN_H

#include <stddef.h>
#include <dlfs/gemm.h>
#include <dlfs/matrix.h>
#include <dlfs/rng.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parameters in one block `params`: W1, B1, W2, B2 in that order.
 * Gradients are held in a dlfs_nn of the same shape. */
typedef struct dlfs_nn {
    size_t k;              /* inputs */
    size_t h;              /* hidden units */
    size_t m;              /* outputs */
    dlfs_matrix W1;        /* k x h */
    dlfs_matrix B1;        /* 1 x h */
    dlfs_matrix W2;        /* h x m */
    dlfs_matrix B2;        /* 1 x m */
    double *params;        /* owned block of n_params doubles */
    size_t n_params;       /* k*h + h + h*m + m */
    dlfs_backend backend;  /* DLFS_BACKEND_BLAS after alloc */
} dlfs_nn;

/* Everything the forward pass computed, plus the backward pass's scratch; bs
 * is the batch length (its rows).
 * Owned storage for up to `capacity` rows; X and y are views of the caller's
 * batch, which must outlive the gradient call. */
typedef struct dlfs_nn_forward_info {
    size_t capacity;
    dlfs_matrix X;         /* bs x k (view) */
    dlfs_matrix y;         /* bs x m (view) */
    dlfs_matrix M1;        /* bs x h = X . W1 */
    dlfs_matrix N1;        /* bs x h = M1 + B1 */
    dlfs_matrix O1;        /* bs x h = sigmoid(N1) */
    dlfs_matrix M2;        /* bs x m = O1 . W2 */
    dlfs_matrix P;         /* bs x m = M2 + B2 */
    dlfs_matrix dL_dP;     /* bs x m */
    dlfs_matrix dL_dN1;    /* bs x h: backward scratch (dL/dO1, then dL/dN1 in place) */
    double loss;
    double *block;         /* owned storage */
} dlfs_nn_forward_info;

/* Allocates a network k -> h -> m with zero parameters.
 * DLFS_ENULL, DLFS_EEMPTY, DLFS_EOVERFLOW, DLFS_ENOMEM; *model left empty on failure. */
dlfs_status dlfs_nn_alloc(dlfs_nn *model, size_t k, size_t h, size_t m);
void dlfs_nn_free(dlfs_nn *model);

/* Draws the parameters: DLFS_INIT_NORMAL gives every one N(0, 1) (the book);
 * DLFS_INIT_SCALED gives W1 ~ N(0, 1/k), W2 ~ N(0, 1/h), biases 0. */
dlfs_status dlfs_nn_init(dlfs_nn *model, dlfs_rng *rng, dlfs_init init);

/* Copies parameters and backend; shapes must match (DLFS_ESHAPE). */
dlfs_status dlfs_nn_copy(dlfs_nn *dst, const dlfs_nn *src);

dlfs_status dlfs_nn_forward_info_alloc(dlfs_nn_forward_info *info, size_t max_rows,
                                       size_t h, size_t m);
void dlfs_nn_forward_info_free(dlfs_nn_forward_info *info);

/* The forward pass and the loss; see the top of this header.
 * X: bs x k, y: bs x m, 1 <= bs <= info->capacity, info allocated for this h and m.
 * DLFS_ENULL, DLFS_EEMPTY, DLFS_ESHAPE, DLFS_ENONFINITE. */
dlfs_status dlfs_nn_forward(const dlfs_nn *model, const dlfs_matrix *X,
                            const dlfs_matrix *y, dlfs_nn_forward_info *info,
                            double *loss);

/* The backward pass: fills grad (same shape as model) from info. Writes the
 * backward scratch in info (dL_dN1). */
dlfs_status dlfs_nn_gradients(const dlfs_nn *model, dlfs_nn_forward_info *info,
                              dlfs_nn *grad);

/* Every parameter -= lr * its gradient. DLFS_EINVAL unless lr is finite. */
dlfs_status dlfs_nn_update(dlfs_nn *model, const dlfs_nn *grad, double lr);

/* P = sigmoid(X . W1 + B1) . W2 + B2 for any number of rows.
 * X: n x k, P: n x m. Allocates its own n x h scratch (not for hot loops:
 * use dlfs_nn_forward with a preallocated info there). */
dlfs_status dlfs_nn_predict(const dlfs_nn *model, const dlfs_matrix *X, dlfs_matrix *P);

#ifdef __cplusplus
}
#endif
#endif
