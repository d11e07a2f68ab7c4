/* src/blas_info.c - the BLAS in use, the CPU under it, and whether they match.
 *
 * Only reads: OpenBLAS's query functions, cpuid, and OPENBLAS_CORETYPE. The one
 * setter, dlfs_blas_set_threads(), forwards to OpenBLAS's own process-wide knob.
 */
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

/* OpenBLAS's x86 cores whose dgemm kernels use AVX-512 (0.3.21's list). */
static int core_is_avx512(const char *core)
{
    static const char *const names[] = {"SkylakeX", "Cooperlake", "Sapphirerapids"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (same_name(core, names[i]))
            return 1;
    return 0;
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
    if (!strstr(info->config, "DYNAMIC_ARCH")) {
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

    copy_str(info->library, sizeof info->library, "OpenBLAS");
    copy_str(info->config, sizeof info->config, openblas_get_config());
    copy_str(info->core, sizeof info->core, openblas_get_corename());
    switch (openblas_get_parallel()) {
    case 0: copy_str(info->parallel, sizeof info->parallel, "sequential"); break;
    case 2: copy_str(info->parallel, sizeof info->parallel, "OpenMP"); break;
    default: copy_str(info->parallel, sizeof info->parallel, "pthreads"); break;
    }
    info->threads = openblas_get_num_threads();
    copy_str(info->coretype_env, sizeof info->coretype_env, getenv("OPENBLAS_CORETYPE"));

    read_cpu(info);
    info->core_avx512 = core_is_avx512(info->core);
    info->avx512_unused = info->cpu_avx512f && !info->core_avx512;
    write_advice(info);
    return DLFS_OK;
}

dlfs_status dlfs_blas_info_print(FILE *out, const dlfs_blas_info *info)
{
    if (!out)
        return dlfs__fail(DLFS_ENULL, "dlfs_blas_info_print: out is NULL");
    if (!info)
        return dlfs__fail(DLFS_ENULL, "dlfs_blas_info_print: info is NULL");

    /* OpenBLAS's config string starts with its name and version already. */
    const char *name = strncmp(info->config, info->library, strlen(info->library)) == 0
                           ? "" : info->library;
    int bad = fprintf(out, "BLAS: %s%s%s\n      core %s (%s kernels), %d thread%s (%s)",
                      name, name[0] ? " " : "", info->config, info->core,
                      info->core_avx512 ? "AVX-512" : "no AVX-512",
                      info->threads, info->threads == 1 ? "" : "s", info->parallel) < 0;
    if (!bad && info->coretype_env[0])
        bad = fprintf(out, ", OPENBLAS_CORETYPE=%s", info->coretype_env) < 0;
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
    openblas_set_num_threads(n);
    return DLFS_OK;
}

int dlfs_blas_get_threads(void)
{
    int n = openblas_get_num_threads();
    return n < 1 ? 1 : n;
}
