/* src/kernels_avx512.h - the AVX-512 paths of the elementwise loops
 * (kernels_avx512.c); not installed.
 *
 * They exist where DLFS_HAVE_AVX512_PATH is defined (x86-64 with GCC's
 * intrinsics, multiversioning not turned off); kernels.c calls them only when
 * dlfs__have_avx512() says the CPU runs them, and its portable loops do the
 * work everywhere else. Arguments are trusted, as for every dlfs__ kernel.
 */
#ifndef DLFS_KERNELS_AVX512_H
#define DLFS_KERNELS_AVX512_H

#include <stddef.h>
#include <dlfs/matrix.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(DLFS_NO_MULTIVERSION)
#define DLFS_HAVE_AVX512_PATH 1

/* Compiled for AVX-512F whatever the rest of the library is compiled for,
 * and hidden inside the shared library, so that kernels.c calls them directly
 * (not through the PLT), as it did when they were static functions there. */
#define DLFS__AVX512 __attribute__((target("avx512f"), visibility("hidden")))

/* Inline, not in kernels_avx512.c: every dispatch asks, and a call each time
 * would cost more than the question. */
static inline int dlfs__have_avx512(void)
{
    return __builtin_cpu_supports("avx512f");
}

/* sums[0..c) = column sums of in, 1 < c < 64 columns. */
DLFS__AVX512 void dlfs__row_sum_avx512(double *sums, const dlfs_matrix *in);
/* The sum of r contiguous values (one column, gap-free). */
DLFS__AVX512 double dlfs__column_sum_avx512(const double *a, size_t r);
/* The sigmoid of n contiguous values; out may be in. */
DLFS__AVX512 void dlfs__sigmoid_avx512(double *out, const double *in, size_t n);
/* n1 = m1 + bias and o1 = sigmoid(n1) for a gap-free matrix of n values with
 * c columns, bias read from pattern (see dlfs__hidden_bias in kernels.h). */
DLFS__AVX512 void dlfs__bias_sigmoid_flat_avx512(double *n1, double *o1, const double *m1,
                                                 const double *pattern, size_t n, size_t c);
/* d = g * s * (1 - s) over n contiguous values; d may be g. */
DLFS__AVX512 void dlfs__sigmoid_backward_avx512(double *d, const double *g, const double *s, size_t n);
/* The loss pass over n contiguous values (see kernels_avx512.c): g = scale
 * (y - q) with q = m + *b stored to p, or q = m when b is NULL; returns the
 * sum of (y - q)^2. */
DLFS__AVX512 double dlfs__loss_grad_avx512(double *g, double *p, const double *m, const double *b,
                                           const double *y, size_t n, double scale);
/* Copies rows idx[0..bs) of src (8 <= c <= 64 columns) into dst. */
DLFS__AVX512 void dlfs__gather_rows_avx512(dlfs_matrix *dst, const dlfs_matrix *src,
                                           const size_t *idx, size_t bs);
#endif

#endif
