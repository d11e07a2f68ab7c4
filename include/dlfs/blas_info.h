/* dlfs/blas_info.h - which BLAS the products run on, and whether it fits the CPU.
 *
 * dlfs is built on any CBLAS (meson option -Dblas: OpenBLAS, BLIS, the
 * reference BLAS...). dlfs_blas_info_get() reports what it can of the one in
 * use: the name the build chose, the files that serve cblas_dgemm and dgels_
 * at run time, and, where the library has calls for them (OpenBLAS, BLIS),
 * its version, kernels and threads. A library without such calls (the
 * reference BLAS) is reported by its build name, on one thread.
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
    char library[16];        /* "OpenBLAS", "BLIS", "Netlib" (the reference BLAS), or,
                                for a library without query calls, the build's -Dblas */
    char config[160];        /* version and build options: openblas_get_config(),
                                "BLIS " bli_info_get_version_str(), or the build's
                                name and version of the library */
    char core[32];           /* the kernels in use: openblas_get_corename(), e.g.
                                "Haswell", or BLIS's configuration, e.g. "zen3";
                                "" when the library cannot tell */
    char parallel[16];       /* "sequential", "pthreads", "OpenMP", or "unknown" */
    int threads;             /* the library's thread count at the time of the call;
                                1 where it has no call for it */
    char coretype_env[32];   /* OPENBLAS_CORETYPE as the process sees it; "" if unset */
    char cpu_vendor[16];     /* cpuid vendor string, e.g. "AuthenticAMD"; "" off x86 */
    unsigned cpu_family;     /* cpuid family (base + extended); 0 off x86 */
    unsigned cpu_model;      /* cpuid model (base + extended); 0 off x86 */
    int cpu_avx512f;         /* 1 if the CPU (and OS) support AVX-512F */
    int core_avx512;         /* 1 if the core is an AVX-512 one (OpenBLAS's SkylakeX,
                                Cooperlake, Sapphirerapids; BLIS's skx, knl, zen4) */
    int avx512_unused;       /* core known && cpu_avx512f && !core_avx512: AVX-512
                                left idle by a library that could use it */
    char advice[320];        /* when avx512_unused: what is wrong and the remedy;
                                otherwise "" */
    /* Since 0.1 with -Dblas (appended: the fields above keep their offsets). */
    char build_blas[32];     /* -Dblas the library was built with, e.g. "openblas" */
    char build_lapack[32];   /* -Dlapack, "" when the BLAS provides LAPACK */
    char path[256];          /* the file serving cblas_dgemm, links resolved (dladdr);
                                "" if unknown (a BLAS linked statically) */
    char lapack_path[256];   /* the file serving dgels_, likewise */
    int can_set_threads;     /* 1 if dlfs_blas_set_threads() can change the count */
} dlfs_blas_info;

/* Fills *info. Reads the BLAS library's query calls, the loader (dladdr),
 * the CPU (cpuid) and the environment; changes nothing. Works whatever the
 * library. DLFS_ENULL if info is NULL. */
dlfs_status dlfs_blas_info_get(dlfs_blas_info *info);

/* Writes info as a short paragraph: four lines (three when the library's file
 * is unknown), and a last one, "Note: " and the advice, when there is advice:
 *     BLAS: OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64
 *           core Cooperlake (AVX-512 kernels), 2 threads (pthreads)
 *           from /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so
 *     CPU:  AuthenticAMD family 25 model 17, AVX-512F yes
 * The second line has no core where the library cannot tell it:
 *     BLAS: Netlib 3.11.0 (the reference BLAS, no query calls)
 *           1 thread (sequential)
 *           from /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0
 * DLFS_ENULL if out or info is NULL, DLFS_EIO if writing fails. */
dlfs_status dlfs_blas_info_print(FILE *out, const dlfs_blas_info *info);

/* Sets the number of threads the BLAS uses for every later call, process-wide
 * (it is the BLAS library's setting, not dlfs's): openblas_set_num_threads()
 * or bli_thread_set_num_threads(). Tiny products gain nothing from threads,
 * so 1 is often right for the chapter's sizes. DLFS_EINVAL unless n >= 1;
 * DLFS_EUNSUPPORTED for n > 1 on a library without such a call (the
 * reference BLAS, which runs on one thread: n == 1 succeeds there). */
dlfs_status dlfs_blas_set_threads(int n);

/* The number of threads the BLAS currently uses (>= 1; 1 where the library
 * cannot tell, or decides per call). */
int dlfs_blas_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
