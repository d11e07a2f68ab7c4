/* src/internal.h - helpers shared by the library's source files; not installed. */
#ifndef DLFS_INTERNAL_H
#define DLFS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/matrix.h>
#include <dlfs/status.h>

#if defined(__GNUC__)
#define DLFS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DLFS_PRINTF(a, b)
#endif

/* The elementwise loops are compiled for several instruction sets and the best
 * one the CPU has is picked when the library loads (an ifunc): the package stays
 * portable, and the loops still run at AVX2 or AVX-512 width where available. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(DLFS_NO_MULTIVERSION)
#define DLFS_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DLFS_MULTIVERSION
#endif

/* Records a detail message for dlfs_error_detail() and returns status, so a
 * failure reads: return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns", fn, c); */
dlfs_status dlfs__fail(dlfs_status status, const char *fmt, ...) DLFS_PRINTF(2, 3);

/* *out = a * b; returns 0 on overflow (and leaves *out unspecified). */
static inline int dlfs__mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline int dlfs__add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* The checks every model function makes of a model argument of either kind:
 * present, allocated, and with a known backend. */
dlfs_status dlfs__check_model(int present, const double *params, dlfs_backend backend,
                              const char *fn, const char *name);

/* Allocates n doubles starting on a 64-byte line (aligned_alloc; free()
 * releases them), the byte count checked for overflow. On failure *out is
 * NULL and DLFS_EOVERFLOW or DLFS_ENOMEM is returned, recorded under fn. */
dlfs_status dlfs__alloc_doubles(size_t n, double **out, const char *fn);

/* Frees names[0..n) and the array; names may be NULL. */
void dlfs__free_names(char **names, size_t n);

/* Unchecked kernels for the hot path: arguments are trusted (callers validate
 * once). Shapes as in dlfs/matrix.h. */
void dlfs__gemm(dlfs_backend backend, dlfs_transpose ta, dlfs_transpose tb,
                double alpha, const dlfs_matrix *A, const dlfs_matrix *B,
                double beta, dlfs_matrix *C);
void dlfs__bias_add(dlfs_matrix *out, const dlfs_matrix *in, const double *bias);
void dlfs__sigmoid(dlfs_matrix *out, const dlfs_matrix *in);
/* The widest row whose bias the one-pass hidden layer below adds from a
 * pattern, and the doubles a pattern takes: the row's c biases, then its
 * first eight again. */
#define DLFS__BIAS_PATTERN_MAX 64
#define DLFS__BIAS_PATTERN_LEN (DLFS__BIAS_PATTERN_MAX + 8)
/* Writes bias[0..c) over and over into pattern[0 .. c + 8), so that the eight
 * biases of flat position p of a gap-free matrix with c columns are
 * pattern[p mod c ...]. Returns pattern, or NULL (writing nothing) when the
 * one-pass walk takes no pattern: c > DLFS__BIAS_PATTERN_MAX, or a CPU
 * without AVX-512. */
const double *dlfs__bias_pattern(double *pattern, const double *bias, size_t c);
/* n1 = m1 + bias and o1 = sigmoid(n1) in one pass (the network's hidden layer);
 * the same results as dlfs__bias_add then dlfs__sigmoid. Any two may alias.
 * pattern is what dlfs__bias_pattern returned for this bias and width: with
 * a pattern (and n1, o1, m1 gap-free) this is one AVX-512 walk, with NULL the
 * two passes. Built a while before (the network does so before its first
 * product), the pattern spares the walk waiting on freshly stored biases. */
void dlfs__bias_sigmoid(dlfs_matrix *n1, dlfs_matrix *o1, const dlfs_matrix *m1, const double *bias,
                        const double *pattern);
/* The sigmoid of n contiguous values in plain C, the path of CPUs without
 * AVX-512 (dlfs__sigmoid picks); out may be in. */
void dlfs__sigmoid_portable(double *out, const double *in, size_t n);
void dlfs__sigmoid_backward(dlfs_matrix *dx, const dlfs_matrix *dout, const dlfs_matrix *s);
double dlfs__mse_grad(dlfs_matrix *dl_dp, const dlfs_matrix *p, const dlfs_matrix *y);
/* The output layer and the loss: p = m + bias, then the loss and dL/dP as
 * dlfs__mse_grad gives them, bit for bit. In one pass when there is one output
 * and all four matrices are gap-free (the chapter's case); p may be m. */
double dlfs__bias_mse_grad(dlfs_matrix *dl_dp, dlfs_matrix *p, const dlfs_matrix *m, const double *bias,
                           const dlfs_matrix *y);
double dlfs__mse(const dlfs_matrix *p, const dlfs_matrix *y);
void dlfs__row_sum(double *sums, const dlfs_matrix *in);
/* The batch: copies the rows idx[0..bs) of X and y into the first bs rows of
 * Xb and yb, and sets their rows to bs. */
void dlfs__gather_batch(dlfs_matrix *Xb, dlfs_matrix *yb, const dlfs_matrix *X, const dlfs_matrix *y,
                        const size_t *idx, size_t bs);
/* 1 if every one of n values is finite. */
int dlfs__all_finite(const double *x, size_t n);

/* Reference versions of the vectorised kernels, for tests. */
double dlfs__sigmoid_ref(double x);
double dlfs__exp_neg(double x); /* exp(x) for x <= 0, vectorisable polynomial */

/* Points *m at `rows x cols` doubles at *cursor (ld = cols) and advances the
 * cursor: how a model's parameters and a forward info's activations are laid
 * out inside one block each. */
static inline void dlfs__carve(double **cursor, dlfs_matrix *m, size_t rows, size_t cols)
{
    *m = dlfs_matrix_view(*cursor, rows, cols, cols);
    *cursor += rows * cols;
}

/* Activation blocks put each matrix on a 64-byte boundary (a cache line, one
 * AVX-512 vector), so the elementwise passes never split a vector across two
 * lines: measured on the chapter's 23 x 13, the sigmoid derivative takes 37 ns
 * on aligned arrays and 55 ns on the unaligned ones a plain carve gives.
 * A block for matrices of n1, n2, ... doubles holds the sum of
 * dlfs__line_round(n_i); dlfs__alloc_doubles starts it on a line. */
#define DLFS__LINE 8   /* doubles per 64-byte line */

/* *out = n rounded up to whole lines; 0 on overflow. */
static inline int dlfs__line_round(size_t n, size_t *out)
{
    if (!dlfs__add(n, DLFS__LINE - 1, out))
        return 0;
    *out -= *out % DLFS__LINE;
    return 1;
}

/* dlfs__carve, then the cursor moves on to the next line boundary (the
 * rounding cannot overflow: the caller's size computation checked it). */
static inline void dlfs__carve_lines(double **cursor, dlfs_matrix *m, size_t rows, size_t cols)
{
    dlfs__carve(cursor, m, rows, cols);
    *cursor += (DLFS__LINE - rows * cols % DLFS__LINE) % DLFS__LINE;
}

/* params[i] -= lr * grads[i] for i < n. */
void dlfs__sgd_update(double *restrict params, const double *restrict grads, size_t n, double lr);

/* The passes without argument checks, for the training loop (train.c). */
struct dlfs_linreg;
struct dlfs_linreg_forward_info;
struct dlfs_nn;
struct dlfs_nn_forward_info;
void dlfs__linreg_forward(const struct dlfs_linreg *model, const dlfs_matrix *X,
                          const dlfs_matrix *y, struct dlfs_linreg_forward_info *info);
void dlfs__linreg_gradients(const struct dlfs_linreg *model,
                            const struct dlfs_linreg_forward_info *info, struct dlfs_linreg *grad);
void dlfs__nn_forward(const struct dlfs_nn *model, const dlfs_matrix *X,
                      const dlfs_matrix *y, struct dlfs_nn_forward_info *info);
void dlfs__nn_gradients(const struct dlfs_nn *model, struct dlfs_nn_forward_info *info,
                        struct dlfs_nn *grad);

#endif
