/* dlfs/blas_info.h - which BLAS the products run on, and whether it fits the CPU.
 *
 * OpenBLAS picks its kernels ("core") for the CPU when it is loaded. Releases
 * that predate a processor may pick AVX2 kernels (Haswell, Zen) on a CPU that
 * has AVX-512, as Debian's OpenBLAS 0.3.21 does on AMD family 26 (Zen 5).
 * dlfs_blas_info_get() reports the selected core next to what the CPU offers
 * and, in that case, says how to fix it: OPENBLAS_CORETYPE=SkylakeX in the
 * environment before the program starts (OpenBLAS reads it only when loaded,
 * so setting it from inside a running program has no effect).
 */
#ifndef DLFS_BLAS_INFO_H
#define DLFS_BLAS_INFO_H

#include <stdio.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A snapshot, filled by dlfs_blas_info_get(). Every string is NUL-terminated
 * (truncated if longer than its array) and owned by the struct. */
typedef struct dlfs_blas_info {
    char library[16];        /* "OpenBLAS" */
    char config[160];        /* openblas_get_config(): version and build options */
    char core[32];           /* openblas_get_corename(): the kernels in use, e.g. "Haswell" */
    char parallel[16];       /* "sequential", "pthreads" or "OpenMP" */
    int threads;             /* openblas_get_num_threads() at the time of the call */
    char coretype_env[32];   /* OPENBLAS_CORETYPE as the process sees it; "" if unset */
    char cpu_vendor[16];     /* cpuid vendor string, e.g. "AuthenticAMD"; "" off x86 */
    unsigned cpu_family;     /* cpuid family (base + extended); 0 off x86 */
    unsigned cpu_model;      /* cpuid model (base + extended); 0 off x86 */
    int cpu_avx512f;         /* 1 if the CPU (and OS) support AVX-512F */
    int core_avx512;         /* 1 if the core is an AVX-512 one (SkylakeX, Cooperlake,
                                Sapphirerapids) */
    int avx512_unused;       /* cpu_avx512f && !core_avx512: AVX-512 left idle */
    char advice[320];        /* when avx512_unused: what is wrong and the remedy;
                                otherwise "" */
} dlfs_blas_info;

/* Fills *info. Reads OpenBLAS, the CPU (cpuid) and the environment; changes
 * nothing. DLFS_ENULL if info is NULL. */
dlfs_status dlfs_blas_info_get(dlfs_blas_info *info);

/* Writes info as a short paragraph: three lines, and a fourth, "Note: " and
 * the advice, when there is advice:
 *     BLAS: OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64
 *           core Cooperlake (AVX-512 kernels), 2 threads (pthreads)
 *     CPU:  AuthenticAMD family 25 model 17, AVX-512F yes
 * DLFS_ENULL if out or info is NULL, DLFS_EIO if writing fails. */
dlfs_status dlfs_blas_info_print(FILE *out, const dlfs_blas_info *info);

/* Sets the number of threads OpenBLAS uses for every later call, process-wide
 * (it is OpenBLAS's setting, not the library's). Tiny products gain nothing
 * from threads, so 1 is often right for the chapter's sizes.
 * DLFS_EINVAL unless n >= 1. */
dlfs_status dlfs_blas_set_threads(int n);

/* The number of threads OpenBLAS currently uses (>= 1). */
int dlfs_blas_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
