/* tests/test_readme.c - the first example of README.md ("Using the library"),
 * compiled from the README itself (tests/meson.build extracts it), run on
 * the bundled Boston data: it must train, predict, save a file that loads
 * back to the same predictions, and fit the rows it trained on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "testutil.h"

#ifndef DLFS_SOURCE_ROOT
#define DLFS_SOURCE_ROOT "."
#endif

/* Defined by the README's example. */
int fit_and_save(const double *x, const double *y, size_t n, size_t k, double *pred);

static void test_readme_example(void **state)
{
    (void)state;
    dlfs_dataset ds;
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_read(DLFS_SOURCE_ROOT "/data/boston_housing.csv", "medv", 0, &ds,
                                   &err), DLFS_OK);
    dlfs_standardizer sc = {0};
    assert_int_equal(dlfs_standardizer_fit(&sc, &ds.X), DLFS_OK);
    assert_int_equal(dlfs_standardizer_apply(&sc, &ds.X), DLFS_OK);
    const size_t n = ds.X.rows, k = ds.X.cols;
    assert_int_equal(ds.X.ld, k);
    double *pred = malloc(n * sizeof *pred);
    assert_non_null(pred);

    char dir[] = "/tmp/dlfs_readme_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    const int rc = fit_and_save(ds.X.data, ds.y.data, n, k, pred);
    dlfs_model back;
    const dlfs_status st = dlfs_model_load(&back, "model.dlfs", DLFS_MODEL_NN);
    assert_int_equal(chdir(cwd), 0);
    tu_remove_tree(dir);
    assert_int_equal(rc, 0);
    assert_int_equal(st, DLFS_OK);

    /* the loaded model predicts the same bits; the network fits its rows */
    double *again = malloc(n * sizeof *again);
    assert_non_null(again);
    dlfs_matrix P = dlfs_matrix_view(again, n, 1, 1);
    assert_int_equal(dlfs_model_predict(&back, &ds.X, &P), DLFS_OK);
    assert_memory_equal(pred, again, n * sizeof *pred);
    double sse = 0;
    for (size_t i = 0; i < n; i++)
        sse += (pred[i] - ds.y.data[i]) * (pred[i] - ds.y.data[i]);
    const double rmse = sqrt(sse / (double)n);
    print_message("README example: training RMSE %.4f on %zu rows\n", rmse, n);
    assert_true(rmse < 3.5);   /* the chapter's network is 3.7 on unseen rows */

    free(again);
    free(pred);
    dlfs_model_free(&back);
    dlfs_standardizer_free(&sc);
    dlfs_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_example),
    };
    return cmocka_run_group_tests_name("readme", tests, NULL, NULL);
}
