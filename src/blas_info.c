/* src/blas_info.c - the BLAS in use, the CPU under it, and whether they match.
 *
 * Only reads: the library's own query calls where it has them (OpenBLAS's
 * openblas_get_*, BLIS's bli_info_* and bli_thread_*), looked up at run time
 * in the file that serves cblas_dgemm, so that dlfs links and runs on any
 * CBLAS; which files serve cblas_dgemm and dgels_ (dladdr); cpuid; and
 * OPENBLAS_CORETYPE. The one setter, dlfs_blas_set_threads(), forwards to the
 * library's own process-wide knob where it has one.
 */
#define _GNU_SOURCE /* dladdr, RTLD_NOLOAD */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DLFS_X86 1
#endif

#include <dlfs/blas_info.h>
#include "internal.h"

/* What the build chose (-Dblas, -Dlapack; meson defines them). */
#ifndef DLFS_BLAS_NAME
#define DLFS_BLAS_NAME "openblas"
#endif
#ifndef DLFS_BLAS_VERSION
#define DLFS_BLAS_VERSION ""
#endif
#ifndef DLFS_LAPACK_NAME
#define DLFS_LAPACK_NAME ""
#endif

/* The Fortran routine, as src/ols.c declares it; only its address is taken. */
extern void dgels_(const char *trans, const int *m, const int *n, const int *nrhs,
                   double *a, const int *lda, double *b, const int *ldb,
                   double *work, const int *lwork, int *info, size_t trans_len);

/* The query calls of the libraries dlfs knows, NULL where absent. */
typedef struct blas_calls {
    char *(*openblas_get_config)(void);
    char *(*openblas_get_corename)(void);
    int (*openblas_get_parallel)(void);
    int (*openblas_get_num_threads)(void);
    void (*openblas_set_num_threads)(int);
    const char *(*bli_info_get_version_str)(void);
    int (*bli_arch_query_id)(void);
    const char *(*bli_arch_string)(int);
    long (*bli_info_get_enable_openmp)(void);
    long (*bli_info_get_enable_pthreads)(void);
    long (*bli_thread_get_num_threads)(void);
    void (*bli_thread_set_num_threads)(long);
} blas_calls;

/* Copies src into dst[size], truncating; dst is always NUL-terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ASCII case-insensitive equality (core names vary in case between releases). */
static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int ca = (*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a;
        int cb = (*b >= 'A' && *b <= 'Z') ? *b - 'A' + 'a' : *b;
        if (ca != cb)
            return 0;
    }
    return *a == *b;
}

/* The x86 cores whose dgemm kernels use AVX-512: OpenBLAS 0.3.21's names and
 * BLIS 0.9's configurations. */
static int core_is_avx512(const char *core)
{
    static const char *const names[] = {"SkylakeX", "Cooperlake", "Sapphirerapids",
                                        "skx", "knl", "zen4"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (same_name(core, names[i]))
            return 1;
    return 0;
}

/* Looks sym up in the library handle; ISO C has no cast from void * to a
 * function pointer, so the bytes are copied (POSIX guarantees they fit). */
#define FIND(handle, calls, sym)                                    \
    do {                                                            \
        void *p_ = dlsym(handle, #sym);                             \
        memcpy(&(calls)->sym, &p_, sizeof (calls)->sym);            \
    } while (0)

/* A function's address as dladdr takes it. */
static const void *fn_addr(void (*fn)(void))
{
    const void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

/* The file the function at addr was loaded from, with its symbolic links
 * resolved, into path[size] ("" if unknown); returns the name the loader
 * knows it by (for dlopen), or NULL. */
static const char *where(const void *addr, char *path, size_t size)
{
    Dl_info dl;
    path[0] = '\0';
    if (!dladdr(addr, &dl) || !dl.dli_fname || !dl.dli_fname[0])
        return NULL;
    char real[PATH_MAX];
    copy_str(path, size, realpath(dl.dli_fname, real) ? real : dl.dli_fname);
    return dl.dli_fname;
}

/* Finds the query calls of the library that serves cblas_dgemm. The handle
 * only names a library already loaded (RTLD_NOLOAD), so nothing is loaded
 * and closing it unloads nothing. */
static void find_calls(blas_calls *calls, char *path, size_t size)
{
    memset(calls, 0, sizeof *calls);
    const char *name = where(fn_addr((void (*)(void))cblas_dgemm), path, size);
    void *h = name ? dlopen(name, RTLD_LAZY | RTLD_NOLOAD) : NULL;
    if (!h)
        h = RTLD_DEFAULT;  /* a static BLAS, linked into the program */
    FIND(h, calls, openblas_get_config);
    FIND(h, calls, openblas_get_corename);
    FIND(h, calls, openblas_get_parallel);
    FIND(h, calls, openblas_get_num_threads);
    FIND(h, calls, openblas_set_num_threads);
    FIND(h, calls, bli_info_get_version_str);
    FIND(h, calls, bli_arch_query_id);
    FIND(h, calls, bli_arch_string);
    FIND(h, calls, bli_info_get_enable_openmp);
    FIND(h, calls, bli_info_get_enable_pthreads);
    FIND(h, calls, bli_thread_get_num_threads);
    FIND(h, calls, bli_thread_set_num_threads);
    if (h != RTLD_DEFAULT)
        dlclose(h);
}

static int is_openblas(const blas_calls *c)
{
    return c->openblas_get_config && c->openblas_get_corename && c->openblas_get_parallel
           && c->openblas_get_num_threads && c->openblas_set_num_threads;
}

static int is_blis(const blas_calls *c)
{
    return c->bli_info_get_version_str && c->bli_thread_get_num_threads
           && c->bli_thread_set_num_threads;
}

static int threads_of(const blas_calls *c)
{
    long n = 1;
    if (is_openblas(c))
        n = c->openblas_get_num_threads();
    else if (is_blis(c))
        n = c->bli_thread_get_num_threads();  /* -1 while BLIS decides per call */
    return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

static void read_cpu(dlfs_blas_info *info)
{
#ifdef DLFS_X86
    unsigned a, b, c, d;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        /* The vendor string is EBX, EDX, ECX, four bytes each. */
        memcpy(info->cpu_vendor, &b, 4);
        memcpy(info->cpu_vendor + 4, &d, 4);
        memcpy(info->cpu_vendor + 8, &c, 4);
        info->cpu_vendor[12] = '\0';
    }
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        /* Signature in EAX: model 7:4, family 11:8, ext. model 19:16, ext. family 27:20. */
        unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
        if (family == 0xf)
            family += (a >> 20) & 0xff;
        if (family == 0x6 || family >= 0xf)
            model += ((a >> 16) & 0xf) << 4;
        info->cpu_family = family;
        info->cpu_model = model;
    }
    /* Checks the OS saves the AVX-512 state too, not only the CPU bit. */
    __builtin_cpu_init();
    info->cpu_avx512f = __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    (void)info;
#endif
}

static void write_advice(dlfs_blas_info *info)
{
    info->advice[0] = '\0';
    if (!info->avx512_unused)
        return;
    if (strcmp(info->library, "BLIS") == 0) {
        /* BLIS reads BLIS_ARCH_TYPE once, when it initialises */
        snprintf(info->advice, sizeof info->advice,
                 "This CPU has AVX-512 but BLIS runs its %s kernels (it does not know "
                 "this CPU); set BLIS_ARCH_TYPE=skx in the environment before the "
                 "program starts, for faster products.", info->core);
    } else if (strcmp(info->library, "OpenBLAS") != 0) {
        snprintf(info->advice, sizeof info->advice,
                 "This CPU has AVX-512 but %s runs its %s kernels; a build of it "
                 "with AVX-512 kernels for this CPU would make the products faster.",
                 info->library, info->core);
    } else if (!strstr(info->config, "DYNAMIC_ARCH")) {
        snprintf(info->advice, sizeof info->advice,
                 "This CPU has AVX-512 but OpenBLAS runs its %s kernels, and this "
                 "build has one core only (no DYNAMIC_ARCH), so OPENBLAS_CORETYPE "
                 "cannot change it; use an OpenBLAS built with DYNAMIC_ARCH=1 or "
                 "TARGET=SKYLAKEX for faster products.", info->core);
    } else if (info->coretype_env[0]) {
        snprintf(info->advice, sizeof info->advice,
                 "This CPU has AVX-512 but OPENBLAS_CORETYPE=%s makes OpenBLAS run "
                 "its %s kernels; set OPENBLAS_CORETYPE=SkylakeX instead, before the "
                 "program starts, for faster products.", info->coretype_env, info->core);
    } else {
        snprintf(info->advice, sizeof info->advice,
                 "This CPU has AVX-512 but OpenBLAS chose its %s kernels (it does not "
                 "know this CPU); set OPENBLAS_CORETYPE=SkylakeX in the environment "
                 "before the program starts, for faster products.", info->core);
    }
}

dlfs_status dlfs_blas_info_get(dlfs_blas_info *info)
{
    if (!info)
        return dlfs__fail(DLFS_ENULL, "dlfs_blas_info_get: info is NULL");
    memset(info, 0, sizeof *info);

    blas_calls c;
    find_calls(&c, info->path, sizeof info->path);
    where(fn_addr((void (*)(void))dgels_), info->lapack_path, sizeof info->lapack_path);
    copy_str(info->build_blas, sizeof info->build_blas, DLFS_BLAS_NAME);
    copy_str(info->build_lapack, sizeof info->build_lapack, DLFS_LAPACK_NAME);

    if (is_openblas(&c)) {
        copy_str(info->library, sizeof info->library, "OpenBLAS");
        copy_str(info->config, sizeof info->config, c.openblas_get_config());
        copy_str(info->core, sizeof info->core, c.openblas_get_corename());
        switch (c.openblas_get_parallel()) {
        case 0: copy_str(info->parallel, sizeof info->parallel, "sequential"); break;
        case 2: copy_str(info->parallel, sizeof info->parallel, "OpenMP"); break;
        default: copy_str(info->parallel, sizeof info->parallel, "pthreads"); break;
        }
        info->can_set_threads = 1;
    } else if (is_blis(&c)) {
        copy_str(info->library, sizeof info->library, "BLIS");
        snprintf(info->config, sizeof info->config, "BLIS %s", c.bli_info_get_version_str());
        if (c.bli_arch_query_id && c.bli_arch_string)
            copy_str(info->core, sizeof info->core, c.bli_arch_string(c.bli_arch_query_id()));
        const char *par = "sequential";
        if (c.bli_info_get_enable_openmp && c.bli_info_get_enable_openmp())
            par = "OpenMP";
        else if (c.bli_info_get_enable_pthreads && c.bli_info_get_enable_pthreads())
            par = "pthreads";
        copy_str(info->parallel, sizeof info->parallel, par);
        info->can_set_threads = 1;
    } else {
        /* No query call (the reference BLAS, or one dlfs does not know):
         * what the build knows. The reference BLAS runs on one thread. */
        int netlib = strcmp(DLFS_BLAS_NAME, "netlib") == 0;
        copy_str(info->library, sizeof info->library, netlib ? "Netlib" : DLFS_BLAS_NAME);
        snprintf(info->config, sizeof info->config, "%s%s%s (%s)", info->library,
                 DLFS_BLAS_VERSION[0] ? " " : "", DLFS_BLAS_VERSION,
                 netlib ? "the reference BLAS, no query calls" : "no query calls");
        copy_str(info->parallel, sizeof info->parallel, netlib ? "sequential" : "unknown");
    }
    info->threads = threads_of(&c);
    copy_str(info->coretype_env, sizeof info->coretype_env, getenv("OPENBLAS_CORETYPE"));

    read_cpu(info);
    info->core_avx512 = core_is_avx512(info->core);
    info->avx512_unused = info->core[0] && info->cpu_avx512f && !info->core_avx512;
    write_advice(info);
    return DLFS_OK;
}

dlfs_status dlfs_blas_info_print(FILE *out, const dlfs_blas_info *info)
{
    if (!out)
        return dlfs__fail(DLFS_ENULL, "dlfs_blas_info_print: out is NULL");
    if (!info)
        return dlfs__fail(DLFS_ENULL, "dlfs_blas_info_print: info is NULL");

    /* OpenBLAS's and BLIS's config strings start with their names already. */
    const char *name = strncmp(info->config, info->library, strlen(info->library)) == 0
                           ? "" : info->library;
    int bad = fprintf(out, "BLAS: %s%s%s\n      ", name, name[0] ? " " : "", info->config) < 0;
    if (!bad && info->core[0])
        bad = fprintf(out, "core %s (%s kernels), ", info->core,
                      info->core_avx512 ? "AVX-512" : "no AVX-512") < 0;
    if (!bad)
        bad = fprintf(out, "%d thread%s (%s)", info->threads, info->threads == 1 ? "" : "s",
                      info->parallel) < 0;
    if (!bad && info->coretype_env[0] && strcmp(info->library, "OpenBLAS") == 0)
        bad = fprintf(out, ", OPENBLAS_CORETYPE=%s", info->coretype_env) < 0;
    if (!bad && info->path[0])
        bad = fprintf(out, "\n      from %s", info->path) < 0;
    if (!bad) {
        if (info->cpu_vendor[0])
            bad = fprintf(out, "\nCPU:  %s family %u model %u, AVX-512F %s\n",
                          info->cpu_vendor, info->cpu_family, info->cpu_model,
                          info->cpu_avx512f ? "yes" : "no") < 0;
        else
            bad = fprintf(out, "\nCPU:  not x86\n") < 0;
    }
    if (!bad && info->advice[0])
        bad = fprintf(out, "Note: %s\n", info->advice) < 0;
    if (bad)
        return dlfs__fail(DLFS_EIO, "dlfs_blas_info_print: writing failed");
    return DLFS_OK;
}

dlfs_status dlfs_blas_set_threads(int n)
{
    if (n < 1)
        return dlfs__fail(DLFS_EINVAL, "dlfs_blas_set_threads: n is %d, must be >= 1", n);
    blas_calls c;
    char path[PATH_MAX];
    find_calls(&c, path, sizeof path);
    if (is_openblas(&c))
        c.openblas_set_num_threads(n);
    else if (is_blis(&c))
        c.bli_thread_set_num_threads(n);
    else if (n != 1)
        return dlfs__fail(DLFS_EUNSUPPORTED, "dlfs_blas_set_threads: the BLAS (-Dblas=%s, %s) "
                          "has no call to set its threads", DLFS_BLAS_NAME,
                          path[0] ? path : "linked statically");
    return DLFS_OK;
}

int dlfs_blas_get_threads(void)
{
    blas_calls c;
    char path[PATH_MAX];
    find_calls(&c, path, sizeof path);
    return threads_of(&c);
}
