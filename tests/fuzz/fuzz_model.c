/* tests/fuzz/fuzz_model.c - libFuzzer target for the model-file loader
 * (dlfs_model_load_buffer).
 *
 * Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, under which the loader
 * skips its CRC comparison (a fuzzer cannot forge checksums), so mutated
 * bytes reach every later check. Besides "no crash, no leak, no undefined
 * behaviour", it checks the promises of dlfs/model_file.h and aborts when one
 * is broken:
 *   - on failure *out is empty;
 *   - a loaded model predicts: a 3 x k matrix goes through
 *     dlfs_model_predict() into 3 x m;
 *   - the format has one spelling per model: encoding a loaded model gives
 *     back the input, byte for byte, except the CRC, and that encoding loads.
 *
 * Build: scripts/fuzz.sh. Seeds: tests/fuzz/model/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: broken promise: %s (%s)\n", __FILE__,      \
                    __LINE__, #cond, dlfs_error_detail());                     \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The empty model of the header: no kind, no sizes, nothing allocated. */
static int is_empty(const dlfs_model *m)
{
    return m->kind == 0 && m->k == 0 && m->h == 0 && m->m == 0 &&
           m->linreg.params == NULL && m->nn.params == NULL && !m->has_scaler &&
           m->scaler.mean == NULL && m->scaler.sd == NULL &&
           m->feature_names == NULL && m->target_name == NULL;
}

static void check_predict(const dlfs_model *model)
{
    const size_t n = 3;
    dlfs_matrix X = {0}, P = {0};
    if (dlfs_matrix_alloc(&X, n, model->k) != DLFS_OK)
        return;   /* k is bounded by the input's size; only ENOMEM gets here */
    if (dlfs_matrix_alloc(&P, n, model->m) != DLFS_OK) {
        dlfs_matrix_free(&X);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < model->k; j++)
            X.data[i * X.ld + j] = (double)i - 0.25 * (double)j;
    /* Weights from a file can overflow to Inf in the output; any status is
     * allowed here, a crash or a sanitizer report is not. */
    (void)dlfs_model_predict(model, &X, &P);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&P);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dlfs_model model;
    const dlfs_status st = dlfs_model_load_buffer(&model, data, size, DLFS_MODEL_ANY);
    if (st != DLFS_OK) {
        CHECK(st < DLFS_STATUS_COUNT_);
        CHECK(is_empty(&model));
        return 0;
    }
    CHECK(model.kind == DLFS_MODEL_LINREG || model.kind == DLFS_MODEL_NN);
    CHECK(model.k >= 1 && model.m >= 1);
    check_predict(&model);

    void *buf = NULL;
    size_t len = 0;
    CHECK(dlfs_model_encode(&model, &buf, &len) == DLFS_OK);
    CHECK(len == size && size >= 4);
    CHECK(memcmp(buf, data, size - 4) == 0);
    dlfs_model again;
    CHECK(dlfs_model_load_buffer(&again, buf, len, (dlfs_model_kind)model.kind) == DLFS_OK);
    CHECK(again.k == model.k && again.h == model.h && again.m == model.m);
    dlfs_model_free(&again);
    free(buf);
    dlfs_model_free(&model);
    return 0;
}
