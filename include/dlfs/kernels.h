/* dlfs/kernels.h - the elementwise loops: the chapter's non-matrix steps.
 *
 * Bias-add, the sigmoid and its derivative, the loss and its gradient, and the
 * row sums that give a bias gradient. All shapes are checked; out may alias
 * the input where noted.
 */
#ifndef DLFS_KERNELS_H
#define DLFS_KERNELS_H

#include <dlfs/matrix.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out = in + bias, bias (1 x c) added to every row of in (r x c). out may be in. */
dlfs_status dlfs_bias_add(dlfs_matrix *out, const dlfs_matrix *in, const dlfs_matrix *bias);

/* out = sigmoid(in) = 1 / (1 + exp(-in)), finite for every finite input
 * (sigmoid(-1000) == 0, sigmoid(1000) == 1, no overflow). out may be in.
 * Vectorised; within 4 ULP of the libm-based formula (see tests). */
dlfs_status dlfs_sigmoid(dlfs_matrix *out, const dlfs_matrix *in);

/* dout_din = dout * s * (1 - s), with s the saved sigmoid output.
 * The chain rule through the sigmoid. dout_din may be dout. */
dlfs_status dlfs_sigmoid_backward(dlfs_matrix *dout_din, const dlfs_matrix *dout,
                                  const dlfs_matrix *s);

/* Mean squared error mean((y - p)^2) over all r*c elements. */
dlfs_status dlfs_mse(const dlfs_matrix *p, const dlfs_matrix *y, double *loss);

/* Loss and its gradient in one pass: *loss = mean((y - p)^2) and
 * dl_dp = -2 (y - p) / (r*c). dl_dp may not alias p or y. */
dlfs_status dlfs_mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p,
                          const dlfs_matrix *y, double *loss);

/* sums (1 x c) = sum over the rows of in (r x c): the bias gradient. */
dlfs_status dlfs_row_sum(dlfs_matrix *sums, const dlfs_matrix *in);

#ifdef __cplusplus
}
#endif
#endif
