/* src/kernels.h - the elementwise loops without argument checks (kernels.c);
 * not installed.
 *
 * The hot path's versions of dlfs/kernels.h: arguments are trusted (callers
 * validate once), shapes as there. Each picks, when it runs, the widest code
 * the CPU has (see DLFS_MULTIVERSION and kernels_avx512.h).
 */
#ifndef DLFS_SRC_KERNELS_H
#define DLFS_SRC_KERNELS_H

#include <stddef.h>
#include <dlfs/matrix.h>

void dlfs__bias_add(dlfs_matrix *out, const dlfs_matrix *in, const double *bias);
void dlfs__sigmoid(dlfs_matrix *out, const dlfs_matrix *in);
/* The sigmoid of n contiguous values in plain C, the path of CPUs without
 * AVX-512 (dlfs__sigmoid picks); out may be in. */
void dlfs__sigmoid_portable(double *out, const double *in, size_t n);

/* ---- The hidden layer: bias-add and sigmoid in one step -----------------
 *
 * A hidden layer's bias, made ready for dlfs__bias_sigmoid by
 * dlfs__hidden_bias_ready. Where the CPU allows, that step adds the bias in
 * the same walk as the sigmoid, reading it from a copy laid out for the walk;
 * made a while before the step (the network does so before its first
 * product), the copy spares the walk waiting on freshly stored values.
 * The fields are kernels.c's (the tests look at them).
 */
#define DLFS__HIDDEN_BIAS_MAX 64   /* the widest layer the one-pass walk takes */
typedef struct dlfs__hidden_bias {
    const double *bias;    /* the layer's c biases */
    int one_pass;          /* 1 when pattern holds them for the one-pass walk */
    /* bias[0..c) over and over for c + 8 values, so that the eight biases of
     * flat position p of a gap-free matrix with c columns are pattern[p mod c ...] */
    double pattern[DLFS__HIDDEN_BIAS_MAX + 8];
} dlfs__hidden_bias;

/* Makes hb ready for a layer of c units with biases bias[0..c), which must
 * stay unchanged until the dlfs__bias_sigmoid calls that use hb. */
void dlfs__hidden_bias_ready(dlfs__hidden_bias *hb, const double *bias, size_t c);
/* n1 = m1 + bias and o1 = sigmoid(n1) (the network's hidden layer), the
 * bias what hb was made ready with; the same results as dlfs__bias_add then
 * dlfs__sigmoid. Any two may alias. One walk when hb allows it and n1, o1 and
 * m1 are gap-free, else the two passes. */
void dlfs__bias_sigmoid(dlfs_matrix *n1, dlfs_matrix *o1, const dlfs_matrix *m1,
                        const dlfs__hidden_bias *hb);

/* ---- Backward, loss, gradients, update ---------------------------------- */

void dlfs__sigmoid_backward(dlfs_matrix *dx, const dlfs_matrix *dout, const dlfs_matrix *s);
double dlfs__mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y);
/* The output layer and the loss: p = m + bias, then the loss (the mean)
 * and dL/dP as dlfs__mse_grad gives them, bit for bit; with summed, dL/dP of
 * the summed loss, -2 (y - P). In one pass when there is one output and all
 * four matrices are gap-free (the chapter's case); p may be m. */
double dlfs__bias_mse_grad(dlfs_matrix *dl_dp, dlfs_matrix *p, const dlfs_matrix *m, const double *bias,
                           const dlfs_matrix *y, int summed);
double dlfs__mse(const dlfs_matrix *p, const dlfs_matrix *y);
void dlfs__row_sum(double *sums, const dlfs_matrix *in);
/* params[i] -= lr * grads[i] for i < n. */
void dlfs__sgd_update(double *restrict params, const double *restrict grads, size_t n, double lr);

/* The batch: copies the rows idx[0..bs) of X and y into the first bs rows of
 * Xb and yb, and sets their rows to bs. */
void dlfs__gather_batch(dlfs_matrix *Xb, dlfs_matrix *yb, const dlfs_matrix *X, const dlfs_matrix *y,
                        const size_t *idx, size_t bs);

/* Reference versions of the vectorised kernels, for tests. */
double dlfs__sigmoid_ref(double x);
double dlfs__exp_neg(double x); /* exp(x) for x <= 0, vectorisable polynomial */

#endif
