/* src/internal.h - helpers shared by the library's source files; not installed. */
#ifndef DLFS_INTERNAL_H
#define DLFS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/gemm.h>
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

/* 1 if every one of n values is finite (matrix.c; the training loop checks
 * its gradients with it too). */
int dlfs__all_finite(const double *x, size_t n);

/* The checks of every predict function (matrix.c): X (n x k) and P (n x m)
 * usable, of those shapes, and X finite; fn names the function in details. */
dlfs_status dlfs__check_prediction(const char *fn, const dlfs_matrix *X, const dlfs_matrix *P,
                                   size_t k, size_t m);

#endif
