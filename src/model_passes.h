/* src/model_passes.h - the models' passes without argument checks, for the
 * training loop and the model handle's prediction; not installed. */
#ifndef DLFS_MODEL_PASSES_H
#define DLFS_MODEL_PASSES_H

#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/nn.h>

struct dlfs__step_mm;

/* dlfs_linreg_forward and dlfs_linreg_gradients (linreg.c) once the
 * arguments are known good: the training loop checks them once, not per step.
 * mm: the step's kernels (xsmm.h) for a batch of exactly its rows and the
 * layouts it was made for, or NULL (dlfs__gemm on the model's backend).
 * summed: dL/dP of the summed loss (DLFS_LOSS_SUM) instead of the mean's;
 * the loss in info stays the mean. */
void dlfs__linreg_forward(const dlfs_linreg *model, const dlfs_matrix *X,
                          const dlfs_matrix *y, dlfs_linreg_forward_info *info, int summed,
                          const struct dlfs__step_mm *mm);
void dlfs__linreg_gradients(const dlfs_linreg *model,
                            const dlfs_linreg_forward_info *info, dlfs_linreg *grad,
                            const struct dlfs__step_mm *mm);

/* The same for the network (nn.c). */
void dlfs__nn_forward(const dlfs_nn *model, const dlfs_matrix *X,
                      const dlfs_matrix *y, dlfs_nn_forward_info *info, int summed,
                      const struct dlfs__step_mm *mm);
void dlfs__nn_gradients(const dlfs_nn *model, dlfs_nn_forward_info *info, dlfs_nn *grad,
                        const struct dlfs__step_mm *mm);

/* P = X.W + B: dlfs_linreg_predict without its checks. */
void dlfs__linreg_predict(const dlfs_linreg *model, const dlfs_matrix *X, dlfs_matrix *P);

/* P = sigmoid(X.W1 + B1).W2 + B2 with the hidden layer in O1 (X->rows x h,
 * gap-free): dlfs_nn_predict without its checks and its allocation. */
void dlfs__nn_predict(const dlfs_nn *model, const dlfs_matrix *X, dlfs_matrix *P, dlfs_matrix *O1);

#endif
