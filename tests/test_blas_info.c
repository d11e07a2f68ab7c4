/* tests/test_blas_info.c - dlfs_blas_info_get, its printer and the thread knob. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dlfs/dlfs.h>

/* What meson was told (-Dblas, -Dlapack) and, for netlib, the directories
 * its files must be loaded from ("" where the build does not know). */
#ifndef DLFS_TEST_BLAS
#define DLFS_TEST_BLAS "openblas"
#endif
#ifndef DLFS_TEST_LAPACK
#define DLFS_TEST_LAPACK ""
#endif
#ifndef DLFS_TEST_BLAS_DIR
#define DLFS_TEST_BLAS_DIR ""
#endif
#ifndef DLFS_TEST_LAPACK_DIR
#define DLFS_TEST_LAPACK_DIR ""
#endif

static int built_with(const char *name)
{
    return strcmp(DLFS_TEST_BLAS, name) == 0;
}

/* 1 if a file whose name contains needle is mapped into this process. */
static int mapped(const char *needle)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Asserts that file (a resolved path) sits in dir (after resolving it). */
static void assert_in_dir(const char *file, const char *dir)
{
    char real[PATH_MAX];
    assert_non_null(realpath(dir, real));
    size_t n = strlen(real);
    if (strncmp(file, real, n) != 0 || file[n] != '/' || strchr(file + n + 1, '/')) {
        print_error("%s is not in %s\n", file, real);
        fail();
    }
}

/* Run as a child with OPENBLAS_CORETYPE=Haswell (see test_forced_avx2_core):
 * exit 0 if the info reports AVX-512 unused and the remedy, 1 otherwise. */
#define CHILD_FLAG "--child-forced-haswell"

static int child_main(void)
{
    dlfs_blas_info info;
    if (dlfs_blas_info_get(&info) != DLFS_OK)
        return 1;
    int ok = info.cpu_avx512f && !info.core_avx512 && info.avx512_unused
             && strcmp(info.coretype_env, "Haswell") == 0
             && strstr(info.advice, "OPENBLAS_CORETYPE=Haswell") != NULL
             && strstr(info.advice, "OPENBLAS_CORETYPE=SkylakeX") != NULL;
    if (!ok)
        fprintf(stderr, "child: core %s, avx512f %d, advice \"%s\"\n",
                info.core, info.cpu_avx512f, info.advice);
    return ok ? 0 : 1;
}

/* 1 if s is NUL-terminated within size bytes. */
static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void test_info_fields(void **state)
{
    (void)state;
    dlfs_blas_info info;
    memset(&info, 0x55, sizeof info);  /* garbage, to see every field written */
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);

    assert_true(terminated(info.library, sizeof info.library));
    assert_true(terminated(info.config, sizeof info.config));
    assert_true(terminated(info.core, sizeof info.core));
    assert_true(terminated(info.parallel, sizeof info.parallel));
    assert_true(terminated(info.coretype_env, sizeof info.coretype_env));
    assert_true(terminated(info.cpu_vendor, sizeof info.cpu_vendor));
    assert_true(terminated(info.advice, sizeof info.advice));

    assert_true(terminated(info.build_blas, sizeof info.build_blas));
    assert_true(terminated(info.build_lapack, sizeof info.build_lapack));
    assert_true(terminated(info.path, sizeof info.path));
    assert_true(terminated(info.lapack_path, sizeof info.lapack_path));

    assert_string_equal(info.build_blas, DLFS_TEST_BLAS);
    assert_string_equal(info.build_lapack, DLFS_TEST_LAPACK);
    assert_true(strlen(info.config) > 0);
    assert_true(info.threads >= 1);
    /* The BLAS is a shared library here: the loader knows its file. */
    assert_true(info.path[0] == '/');
    assert_true(info.lapack_path[0] == '/');
    if (built_with("openblas")) {
        assert_string_equal(info.library, "OpenBLAS");
        assert_true(strlen(info.core) > 0);
        assert_int_equal(info.can_set_threads, 1);
        assert_non_null(strstr(info.path, "openblas"));
    } else if (built_with("blis")) {
        assert_string_equal(info.library, "BLIS");
        assert_true(strncmp(info.config, "BLIS ", 5) == 0 && info.config[5]);
        assert_true(strlen(info.core) > 0);
        assert_int_equal(info.can_set_threads, 1);
        assert_non_null(strstr(info.path, "blis"));
    } else if (built_with("netlib")) {
        /* No query calls: the build's name, one thread, no kernels to name. */
        assert_string_equal(info.library, "Netlib");
        assert_non_null(strstr(info.config, "reference"));
        assert_string_equal(info.core, "");
        assert_string_equal(info.parallel, "sequential");
        assert_int_equal(info.threads, 1);
        assert_int_equal(info.can_set_threads, 0);
    }
    /* The library that runs is the one the build chose: Debian's
     * update-alternatives links (libblas.so.3, liblapack.so.3) must not swap
     * OpenBLAS in, neither for the products nor under LAPACK. */
    if (!built_with("openblas"))
        assert_false(mapped("openblas"));
    if (DLFS_TEST_BLAS_DIR[0])
        assert_in_dir(info.path, DLFS_TEST_BLAS_DIR);
    if (DLFS_TEST_LAPACK_DIR[0])
        assert_in_dir(info.lapack_path, DLFS_TEST_LAPACK_DIR);
    if (!DLFS_TEST_LAPACK[0])
        assert_string_equal(info.lapack_path, info.path);
    assert_true(info.cpu_avx512f == 0 || info.cpu_avx512f == 1);
    assert_true(info.core_avx512 == 0 || info.core_avx512 == 1);
#if defined(__x86_64__) || defined(__i386__)
    assert_true(strlen(info.cpu_vendor) == 12);
    assert_true(info.cpu_family > 0);
#endif
    const char *env = getenv("OPENBLAS_CORETYPE");
    assert_string_equal(info.coretype_env, env ? env : "");
}

static void test_advice_matches_flags(void **state)
{
    (void)state;
    dlfs_blas_info info;
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);

    /* Advice only where the library names its kernels (and could run others). */
    assert_int_equal(info.avx512_unused,
                     info.core[0] && info.cpu_avx512f && !info.core_avx512);
    if (info.avx512_unused) {
        assert_non_null(strstr(info.advice, "AVX-512"));
        assert_non_null(strstr(info.advice, info.core));
        if (strstr(info.config, "DYNAMIC_ARCH"))
            assert_non_null(strstr(info.advice, "OPENBLAS_CORETYPE=SkylakeX"));
        if (strcmp(info.library, "BLIS") == 0)
            assert_non_null(strstr(info.advice, "BLIS_ARCH_TYPE=skx"));
    } else {
        assert_string_equal(info.advice, "");
    }
    /* Only OpenBLAS reads OPENBLAS_CORETYPE: no other library is told to. */
    if (strcmp(info.library, "OpenBLAS") != 0)
        assert_null(strstr(info.advice, "OPENBLAS_CORETYPE"));

    /* The AVX-512 cores by name: the flag must agree with the core string. */
    int named = strcmp(info.core, "SkylakeX") == 0 || strcmp(info.core, "Cooperlake") == 0
                || strcmp(info.core, "Sapphirerapids") == 0 || strcmp(info.core, "skx") == 0
                || strcmp(info.core, "knl") == 0 || strcmp(info.core, "zen4") == 0;
    assert_int_equal(info.core_avx512, named);
}

static void test_null(void **state)
{
    (void)state;
    assert_int_equal(dlfs_blas_info_get(NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "info"));

    dlfs_blas_info info;
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);
    assert_int_equal(dlfs_blas_info_print(NULL, &info), DLFS_ENULL);
    assert_int_equal(dlfs_blas_info_print(stdout, NULL), DLFS_ENULL);
}

static void test_print(void **state)
{
    (void)state;
    dlfs_blas_info info;
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);

    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(dlfs_blas_info_print(f, &info), DLFS_OK);
    long len = ftell(f);
    assert_true(len > 0 && len < 4096);
    rewind(f);
    char text[4096];
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);

    assert_true(strncmp(text, "BLAS: ", 6) == 0);
    assert_non_null(strstr(text, info.config));
    assert_non_null(strstr(text, info.core));
    assert_non_null(strstr(text, "\nCPU:  "));
    assert_non_null(strstr(text, info.path));
    assert_int_equal(strstr(text, "core ") != NULL, info.core[0] != '\0');
    assert_int_equal(strstr(text, "OPENBLAS_CORETYPE") != NULL,
                     strcmp(info.library, "OpenBLAS") == 0 && info.coretype_env[0]);
    assert_int_equal(strstr(text, "Note: ") != NULL, info.advice[0] != '\0');
    assert_true(text[got - 1] == '\n');
}

static void test_threads(void **state)
{
    (void)state;
    int before = dlfs_blas_get_threads();
    assert_true(before >= 1);

    assert_int_equal(dlfs_blas_set_threads(0), DLFS_EINVAL);
    assert_int_equal(dlfs_blas_set_threads(-3), DLFS_EINVAL);
    assert_int_equal(dlfs_blas_get_threads(), before);

    dlfs_blas_info info;
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);
    if (!info.can_set_threads) {
        /* A sequential library: one thread is what it does, more it cannot. */
        assert_int_equal(before, 1);
        assert_int_equal(dlfs_blas_set_threads(1), DLFS_OK);
        assert_int_equal(dlfs_blas_set_threads(2), DLFS_EUNSUPPORTED);
        assert_non_null(strstr(dlfs_error_detail(), "threads"));
        assert_non_null(strstr(dlfs_error_detail(), DLFS_TEST_BLAS));
        assert_int_equal(dlfs_blas_get_threads(), 1);
        return;
    }

    assert_int_equal(dlfs_blas_set_threads(1), DLFS_OK);
    assert_int_equal(dlfs_blas_get_threads(), 1);
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);
    assert_int_equal(info.threads, 1);
    assert_int_equal(dlfs_blas_set_threads(2), DLFS_OK);
    assert_int_equal(dlfs_blas_get_threads(), 2);

    assert_int_equal(dlfs_blas_set_threads(before), DLFS_OK);
    assert_int_equal(dlfs_blas_get_threads(), before);
}

/* OpenBLAS picks its core when it loads, so the only way to see the advice on
 * an AVX-512 machine whose OpenBLAS chose well is a fresh process with an AVX2
 * core forced. */
static void test_forced_avx2_core(void **state)
{
    (void)state;
    dlfs_blas_info info;
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);
    if (strcmp(info.library, "OpenBLAS") != 0) {
        /* Another library: OPENBLAS_CORETYPE is nothing to it, and nothing
         * in the report may say otherwise (test_advice_matches_flags). */
        assert_null(strstr(info.advice, "OPENBLAS_CORETYPE"));
        return;
    }
    if (!info.cpu_avx512f || !strstr(info.config, "DYNAMIC_ARCH"))
        skip();

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *args[] = {"test_blas_info", CHILD_FLAG, NULL};
        setenv("OPENBLAS_CORETYPE", "Haswell", 1);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], CHILD_FLAG) == 0)
        return child_main();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_fields),
        cmocka_unit_test(test_advice_matches_flags),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_forced_avx2_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
