/* tests/test_model_file.c - model files: round trips with bit-identical
 * predictions, every corruption and its status code, crafted headers with
 * absurd sizes, the atomic save, and the committed fuzzing seed corpus.
 *
 * The seed corpus in tests/fuzz/model/ is made by this program:
 *     test_model_file --write-corpus tests/fuzz/model
 * and test_seed_corpus checks that the committed files are exactly what it
 * makes, and that each loads with the status its name starts with. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "testutil.h"
#include "testbytes.h"

#define CORPUS_DIR DLFS_SOURCE_ROOT "/tests/fuzz/model"
#define HEADER 56

/* ---- Models to save ------------------------------------------------------------ */

static const char *const names5[] = {"crim", "zn", "indus", "chas", "nox"};

/* Parameters from exact binary fractions: the same bytes on every platform. */
static void fill_exact(double *p, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        p[i] = scale * ((double)((i * 7 + 3) % 17) - 8.0) / 16.0;
}

static void make_scaler(dlfs_standardizer *s, size_t k)
{
    s->k = k;
    s->mean = malloc(k * sizeof(double));
    s->sd = malloc(k * sizeof(double));
    assert_non_null(s->mean);
    assert_non_null(s->sd);
    for (size_t j = 0; j < k; j++) {
        s->mean[j] = 3.5 * (double)j - 2.25;
        s->sd[j] = 0.5 + 0.25 * (double)j;
    }
}

/* kind, shapes and extras of a test model */
struct spec {
    dlfs_model_kind kind;
    size_t k, h, m;
    int scaler, names, target;
};

static void build(dlfs_model *model, const struct spec *sp, int random)
{
    dlfs_standardizer sc = {0};
    if (sp->scaler)
        make_scaler(&sc, sp->k);
    const char *const *names = sp->names ? names5 : NULL;
    const char *target = sp->target ? "medv" : NULL;
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 20240501u + sp->k * 31 + sp->h);
    if (sp->kind == DLFS_MODEL_LINREG) {
        dlfs_linreg lr;
        assert_int_equal(dlfs_linreg_alloc(&lr, sp->k, sp->m), DLFS_OK);
        if (random)
            assert_int_equal(dlfs_linreg_init(&lr, &rng, DLFS_INIT_NORMAL), DLFS_OK);
        else
            fill_exact(lr.params, lr.n_params, 1.0);
        assert_int_equal(dlfs_model_from_linreg(model, &lr, sp->scaler ? &sc : NULL, names,
                                                target), DLFS_OK);
        dlfs_linreg_free(&lr);
    } else {
        dlfs_nn nn;
        assert_int_equal(dlfs_nn_alloc(&nn, sp->k, sp->h, sp->m), DLFS_OK);
        if (random)
            assert_int_equal(dlfs_nn_init(&nn, &rng, DLFS_INIT_NORMAL), DLFS_OK);
        else
            fill_exact(nn.params, nn.n_params, 1.5);
        assert_int_equal(dlfs_model_from_nn(model, &nn, sp->scaler ? &sc : NULL, names, target),
                         DLFS_OK);
        dlfs_nn_free(&nn);
    }
    dlfs_standardizer_free(&sc);
}

static void encode(const dlfs_model *model, unsigned char **buf, size_t *len)
{
    void *b;
    assert_int_equal(dlfs_model_encode(model, &b, len), DLFS_OK);
    *buf = b;
}

static int model_is_empty(const dlfs_model *m)
{
    return m->kind == 0 && m->k == 0 && m->linreg.params == NULL && m->nn.params == NULL &&
           m->scaler.mean == NULL && m->feature_names == NULL && m->target_name == NULL;
}

/* Loads len bytes (copied to a block of exactly that size, so a sanitizer
 * sees any read past the end) and returns the status; on failure the model
 * must be left empty. */
static dlfs_status load_bytes(const unsigned char *b, size_t len, dlfs_model_kind expected)
{
    unsigned char *c = dup_bytes(b, len);
    dlfs_model m;
    memset(&m, 0x5A, sizeof m);
    dlfs_status st = dlfs_model_load_buffer(&m, c, len, expected);
    if (st)
        assert_true(model_is_empty(&m));
    dlfs_model_free(&m);
    free(c);
    return st;
}

/* ---- Round trips ----------------------------------------------------------------- */

static void assert_same_model(const dlfs_model *a, const dlfs_model *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->h, b->h);
    assert_int_equal(a->m, b->m);
    const double *pa = a->kind == DLFS_MODEL_NN ? a->nn.params : a->linreg.params;
    const double *pb = b->kind == DLFS_MODEL_NN ? b->nn.params : b->linreg.params;
    const size_t n = a->kind == DLFS_MODEL_NN ? a->nn.n_params : a->linreg.n_params;
    assert_int_equal(n, b->kind == DLFS_MODEL_NN ? b->nn.n_params : b->linreg.n_params);
    assert_memory_equal(pa, pb, n * sizeof(double));
    assert_int_equal(!!a->has_scaler, !!b->has_scaler);
    if (a->has_scaler) {
        assert_int_equal(b->scaler.k, a->k);
        assert_memory_equal(a->scaler.mean, b->scaler.mean, a->k * sizeof(double));
        assert_memory_equal(a->scaler.sd, b->scaler.sd, a->k * sizeof(double));
    }
    assert_int_equal(a->feature_names == NULL, b->feature_names == NULL);
    if (a->feature_names)
        for (size_t j = 0; j < a->k; j++)
            assert_string_equal(a->feature_names[j], b->feature_names[j]);
    assert_int_equal(a->target_name == NULL, b->target_name == NULL);
    if (a->target_name)
        assert_string_equal(a->target_name, b->target_name);
}

/* Predictions of both models on the same raw rows, compared bit for bit. The
 * rows live in a wider array (ld > k) to exercise the copy. */
static void assert_same_predictions(const dlfs_model *a, const dlfs_model *b)
{
    const size_t n = 37, k = a->k, ld = k + 3, mm = a->m;
    double *x = malloc(n * ld * sizeof(double)), *xcopy = malloc(n * ld * sizeof(double));
    double *pa = malloc(n * mm * sizeof(double)), *pb = malloc(n * mm * sizeof(double));
    assert_non_null(x);
    assert_non_null(xcopy);
    assert_non_null(pa);
    assert_non_null(pb);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 7);
    for (size_t i = 0; i < n * ld; i++)
        x[i] = 10.0 * dlfs_rng_normal(&rng);
    memcpy(xcopy, x, n * ld * sizeof(double));
    dlfs_matrix X = dlfs_matrix_view(x, n, k, ld);
    dlfs_matrix Pa = dlfs_matrix_view(pa, n, mm, mm), Pb = dlfs_matrix_view(pb, n, mm, mm);
    tu_fill_value(pa, n * mm, NAN);
    tu_fill_value(pb, n * mm, -1.0);
    assert_int_equal(dlfs_model_predict(a, &X, &Pa), DLFS_OK);
    assert_int_equal(dlfs_model_predict(b, &X, &Pb), DLFS_OK);
    assert_memory_equal(pa, pb, n * mm * sizeof(double));
    assert_true(isfinite(pa[0]));
    assert_memory_equal(x, xcopy, n * ld * sizeof(double));   /* X_raw untouched */
    free(x);
    free(xcopy);
    free(pa);
    free(pb);
}

static const struct spec round_trip_specs[] = {
    {DLFS_MODEL_LINREG, 3, 0, 1, 0, 0, 0},
    {DLFS_MODEL_LINREG, 5, 0, 2, 1, 1, 1},
    {DLFS_MODEL_LINREG, 4, 0, 1, 1, 0, 0},
    {DLFS_MODEL_NN, 5, 13, 1, 0, 0, 0},
    {DLFS_MODEL_NN, 5, 13, 1, 1, 1, 1},
    {DLFS_MODEL_NN, 2, 3, 2, 0, 1, 0},
    {DLFS_MODEL_NN, 4, 6, 1, 0, 0, 1},
};

static void test_round_trip(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "model");
    snprintf(path, sizeof path, "%s/model.dlfs", dir);
    for (size_t c = 0; c < TU_LEN(round_trip_specs); c++) {
        const struct spec *sp = &round_trip_specs[c];
        dlfs_model saved, loaded, from_buf;
        build(&saved, sp, 1);
        assert_int_equal(dlfs_model_save(&saved, path), DLFS_OK);
        assert_int_equal(dlfs_model_load(&loaded, path, sp->kind), DLFS_OK);
        assert_same_model(&saved, &loaded);
        assert_same_predictions(&saved, &loaded);
        assert_int_equal(loaded.kind == DLFS_MODEL_NN ? loaded.nn.backend : loaded.linreg.backend,
                         DLFS_BACKEND_BLAS);

        /* The file is exactly the encoding, and loads from memory too. */
        size_t flen, elen;
        unsigned char *file = tu_read_file(path, &flen), *enc;
        assert_non_null(file);
        encode(&saved, &enc, &elen);
        assert_int_equal(flen, elen);
        assert_memory_equal(file, enc, flen);
        assert_int_equal(dlfs_model_load_buffer(&from_buf, enc, elen, DLFS_MODEL_ANY), DLFS_OK);
        assert_same_model(&saved, &from_buf);

        /* Saving the loaded model gives the same bytes again. */
        unsigned char *again;
        size_t alen;
        encode(&loaded, &again, &alen);
        assert_int_equal(alen, flen);
        assert_memory_equal(again, file, flen);

        free(again);
        free(file);
        free(enc);
        dlfs_model_free(&from_buf);
        dlfs_model_free(&loaded);
        dlfs_model_free(&saved);
        assert_int_equal(tu_count_entries(dir), 1);   /* no temporary file left */
    }
    tu_remove_tree(dir);
}

/* The layout is the one the header documents, field by field. */
static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(crc32_bitwise((const unsigned char *)"123456789", 9), 0xCBF43926u);
    const struct spec sp = {DLFS_MODEL_NN, 5, 3, 2, 1, 1, 1};
    dlfs_model model;
    build(&model, &sp, 1);
    unsigned char *b;
    size_t len;
    encode(&model, &b, &len);
    assert_memory_equal(b, "DLFSMODL", 8);
    assert_int_equal(rd32(b + 8), 1);
    assert_int_equal(rd32(b + 12), DLFS_MODEL_NN);
    assert_int_equal(rd64(b + 16), len);
    assert_int_equal(rd64(b + 24), 5);
    assert_int_equal(rd64(b + 32), 3);
    assert_int_equal(rd64(b + 40), 2);
    assert_int_equal(rd32(b + 48), 7);
    assert_int_equal(rd32(b + 52), 0);
    /* parameters W1, B1, W2, B2 as little-endian binary64 */
    const size_t np = model.nn.n_params;
    assert_int_equal(np, 5 * 3 + 3 + 3 * 2 + 2);
    for (size_t i = 0; i < np; i++) {
        uint64_t bits;
        memcpy(&bits, &model.nn.params[i], 8);
        assert_int_equal(rd64(b + HEADER + 8 * i), bits);
    }
    size_t pos = HEADER + 8 * np;
    for (size_t j = 0; j < 5; j++) {
        uint64_t mu, sd;
        memcpy(&mu, &model.scaler.mean[j], 8);
        memcpy(&sd, &model.scaler.sd[j], 8);
        assert_int_equal(rd64(b + pos + 8 * j), mu);
        assert_int_equal(rd64(b + pos + 40 + 8 * j), sd);
    }
    pos += 80;
    for (size_t j = 0; j < 5; j++) {
        const size_t n = strlen(names5[j]);
        assert_int_equal(rd32(b + pos), n);
        assert_memory_equal(b + pos + 4, names5[j], n);
        pos += 4 + n;
    }
    assert_int_equal(rd32(b + pos), 4);
    assert_memory_equal(b + pos + 4, "medv", 4);
    pos += 8;
    assert_int_equal(pos + 4, len);
    assert_int_equal(rd32(b + pos), crc32_bitwise(b, pos));
    free(b);
    dlfs_model_free(&model);
}

/* With a scaler, predict = standardise, then the model's own predict. */
static void test_predict_standardises(void **state)
{
    (void)state;
    const struct spec sp = {DLFS_MODEL_LINREG, 5, 0, 1, 1, 0, 0};
    dlfs_model model;
    build(&model, &sp, 1);
    double x[3 * 5], xs[3 * 5], p1[3], p2[3];
    for (size_t i = 0; i < 15; i++)
        x[i] = (double)i * 0.75 - 4.0;
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 5; j++)
            xs[i * 5 + j] = (x[i * 5 + j] - model.scaler.mean[j]) / model.scaler.sd[j];
    dlfs_matrix X = dlfs_matrix_view(x, 3, 5, 5), Xs = dlfs_matrix_view(xs, 3, 5, 5);
    dlfs_matrix P1 = dlfs_matrix_view(p1, 3, 1, 1), P2 = dlfs_matrix_view(p2, 3, 1, 1);
    assert_int_equal(dlfs_model_predict(&model, &X, &P1), DLFS_OK);
    assert_int_equal(dlfs_linreg_predict(&model.linreg, &Xs, &P2), DLFS_OK);
    assert_memory_equal(p1, p2, sizeof p1);

    /* errors */
    double bad[3];
    dlfs_matrix Pbad = dlfs_matrix_view(bad, 1, 3, 3);
    assert_int_equal(dlfs_model_predict(&model, &X, &Pbad), DLFS_ESHAPE);
    dlfs_matrix X4 = dlfs_matrix_view(x, 3, 4, 5);
    assert_int_equal(dlfs_model_predict(&model, &X4, &P1), DLFS_ESHAPE);
    x[7] = NAN;
    assert_int_equal(dlfs_model_predict(&model, &X, &P1), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_model_predict: X"));
    dlfs_model empty = {0};
    assert_int_equal(dlfs_model_predict(&empty, &X, &P1), DLFS_EINVAL);
    dlfs_model_free(&model);
}

/* The model holds copies: the caller's model, scaler and names may change. */
static void test_from_copies(void **state)
{
    (void)state;
    dlfs_linreg lr;
    assert_int_equal(dlfs_linreg_alloc(&lr, 2, 1), DLFS_OK);
    lr.params[0] = 1.0;
    dlfs_standardizer sc;
    make_scaler(&sc, 2);
    char n0[] = "alpha", n1[] = "beta", t[] = "y";
    const char *names[] = {n0, n1};
    dlfs_model model;
    assert_int_equal(dlfs_model_from_linreg(&model, &lr, &sc, names, t), DLFS_OK);
    lr.params[0] = 2.0;
    sc.mean[0] = 99.0;
    n0[0] = 'X';
    t[0] = 'Z';
    assert_true(model.linreg.params[0] == 1.0);
    assert_true(model.scaler.mean[0] == -2.25);
    assert_string_equal(model.feature_names[0], "alpha");
    assert_string_equal(model.target_name, "y");
    assert_int_equal(model.k, 2);
    assert_int_equal(model.h, 0);
    assert_int_equal(model.m, 1);
    assert_true(model.has_scaler);
    dlfs_model_free(&model);
    assert_true(model_is_empty(&model));

    /* An empty (never fitted) standardizer means none. */
    dlfs_standardizer none = {0};
    assert_int_equal(dlfs_model_from_linreg(&model, &lr, &none, NULL, NULL), DLFS_OK);
    assert_false(model.has_scaler);
    dlfs_model_free(&model);
    dlfs_standardizer_free(&sc);
    dlfs_linreg_free(&lr);
}

static void test_from_errors(void **state)
{
    (void)state;
    dlfs_linreg lr;
    dlfs_nn nn;
    assert_int_equal(dlfs_linreg_alloc(&lr, 3, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&nn, 3, 4, 1), DLFS_OK);
    dlfs_standardizer sc2, sc3;
    make_scaler(&sc2, 2);
    make_scaler(&sc3, 3);
    dlfs_model model;

    assert_int_equal(dlfs_model_from_linreg(&model, &lr, &sc2, NULL, NULL), DLFS_ESHAPE);
    assert_true(model_is_empty(&model));
    assert_int_equal(dlfs_model_from_nn(&model, &nn, &sc2, NULL, NULL), DLFS_ESHAPE);
    assert_true(model_is_empty(&model));

    const char *with_null[] = {"a", NULL, "c"};
    assert_int_equal(dlfs_model_from_linreg(&model, &lr, NULL, with_null, NULL), DLFS_ENULL);
    assert_true(model_is_empty(&model));

    char *longname = malloc(DLFS_MODEL_NAME_MAX + 2);
    assert_non_null(longname);
    memset(longname, 'x', DLFS_MODEL_NAME_MAX + 1);
    longname[DLFS_MODEL_NAME_MAX + 1] = '\0';
    const char *long_names[] = {"a", longname, "c"};
    assert_int_equal(dlfs_model_from_nn(&model, &nn, NULL, long_names, NULL), DLFS_EINVAL);
    assert_int_equal(dlfs_model_from_nn(&model, &nn, NULL, NULL, longname), DLFS_EINVAL);
    longname[DLFS_MODEL_NAME_MAX] = '\0';   /* exactly the limit is fine */
    assert_int_equal(dlfs_model_from_nn(&model, &nn, NULL, long_names, longname), DLFS_OK);
    dlfs_model_free(&model);
    free(longname);

    nn.params[5] = INFINITY;
    assert_int_equal(dlfs_model_from_nn(&model, &nn, NULL, NULL, NULL), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "W1[1][1]"));
    assert_true(model_is_empty(&model));
    nn.params[5] = 0.0;
    sc3.sd[1] = 0.0;
    assert_int_equal(dlfs_model_from_nn(&model, &nn, &sc3, NULL, NULL), DLFS_EINVAL);
    sc3.sd[1] = NAN;
    assert_int_equal(dlfs_model_from_nn(&model, &nn, &sc3, NULL, NULL), DLFS_ENONFINITE);
    assert_true(model_is_empty(&model));

    /* Save refuses a model whose fields were broken after building. */
    assert_int_equal(dlfs_model_from_linreg(&model, &lr, NULL, NULL, NULL), DLFS_OK);
    model.linreg.params[3] = NAN;
    void *buf = &buf;
    size_t len = 99;
    assert_int_equal(dlfs_model_encode(&model, &buf, &len), DLFS_ENONFINITE);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_int_equal(dlfs_model_save(&model, "/tmp/dlfs_never_written.dlfs"), DLFS_ENONFINITE);
    assert_int_equal(access("/tmp/dlfs_never_written.dlfs", F_OK), -1);
    model.linreg.params[3] = 0.0;
    model.k = 4;
    assert_int_equal(dlfs_model_encode(&model, &buf, &len), DLFS_ESHAPE);
    model.k = 3;
    model.kind = (dlfs_model_kind)5;
    assert_int_equal(dlfs_model_encode(&model, &buf, &len), DLFS_EINVAL);
    model.kind = DLFS_MODEL_LINREG;
    dlfs_model_free(&model);

    dlfs_standardizer_free(&sc2);
    dlfs_standardizer_free(&sc3);
    dlfs_linreg_free(&lr);
    dlfs_nn_free(&nn);
}

/* ---- Corruption ------------------------------------------------------------------ */

static void test_every_prefix_truncated(void **state)
{
    (void)state;
    const struct spec specs[] = {
        {DLFS_MODEL_LINREG, 2, 0, 1, 1, 1, 1},
        {DLFS_MODEL_NN, 3, 2, 1, 1, 1, 1},
    };
    char dir[64], path[128];
    tu_make_dir(dir, "model");
    snprintf(path, sizeof path, "%s/cut.dlfs", dir);
    for (size_t c = 0; c < TU_LEN(specs); c++) {
        dlfs_model model;
        build(&model, &specs[c], 0);
        unsigned char *b;
        size_t len;
        encode(&model, &b, &len);
        for (size_t n = 0; n < len; n++) {
            const dlfs_status st = load_bytes(b, n, DLFS_MODEL_ANY);
            if (st != DLFS_ETRUNCATED)
                fail_msg("prefix of %zu of %zu bytes: %s (%s)", n, len, dlfs_strerror(st),
                         dlfs_error_detail());
        }
        /* the same through files, for a few lengths */
        const size_t cuts[] = {0, 7, 55, 56, len / 2, len - 1};
        for (size_t i = 0; i < TU_LEN(cuts); i++) {
            tu_write_file(path, b, cuts[i]);
            dlfs_model loaded;
            assert_int_equal(dlfs_model_load(&loaded, path, DLFS_MODEL_ANY), DLFS_ETRUNCATED);
            assert_true(model_is_empty(&loaded));
            assert_non_null(strstr(dlfs_error_detail(), path));
        }
        assert_int_equal(load_bytes(b, len, DLFS_MODEL_ANY), DLFS_OK);
        free(b);
        dlfs_model_free(&model);
    }
    tu_remove_tree(dir);
}

/* Every byte of a file, changed, gives the code of the field it falls in. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    const struct spec specs[] = {
        {DLFS_MODEL_LINREG, 2, 0, 1, 1, 1, 1},
        {DLFS_MODEL_NN, 3, 2, 2, 1, 0, 1},
    };
    for (size_t c = 0; c < TU_LEN(specs); c++) {
        dlfs_model model;
        build(&model, &specs[c], 1);
        unsigned char *b;
        size_t len;
        encode(&model, &b, &len);
        for (size_t i = 0; i < len; i++)
            for (unsigned mask = 1; mask < 256; mask <<= 3) {
                b[i] ^= (unsigned char)mask;
                const dlfs_status st = load_bytes(b, len, DLFS_MODEL_ANY);
                b[i] ^= (unsigned char)mask;
                dlfs_status want;
                if (i < 8)
                    want = DLFS_EFORMAT;
                else if (i < 12)
                    want = DLFS_EVERSION;
                else if (i < 16)
                    want = DLFS_EKIND;
                else if (i < 24) {   /* the length: too small, too large, or wrong */
                    const uint64_t declared = rd64(b + 16) ^ ((uint64_t)mask << (8 * (i - 16)));
                    want = declared < HEADER + 4 ? DLFS_EFORMAT
                         : declared > len ? DLFS_ETRUNCATED : DLFS_ECHECKSUM;
                } else
                    want = DLFS_ECHECKSUM;
                if (st != want)
                    fail_msg("byte %zu ^ %02x of %zu: %s, expected %s (%s)", i, mask, len,
                             dlfs_strerror(st), dlfs_strerror(want), dlfs_error_detail());
            }
        assert_int_equal(load_bytes(b, len, DLFS_MODEL_ANY), DLFS_OK);
        free(b);
        dlfs_model_free(&model);
    }
}

static void test_header_errors(void **state)
{
    (void)state;
    const struct spec sp = {DLFS_MODEL_LINREG, 3, 0, 1, 1, 1, 0};
    dlfs_model model;
    build(&model, &sp, 1);
    unsigned char *b, *c;
    size_t len;
    encode(&model, &b, &len);

    /* not a model file at all */
    const char *csv = "crim,zn,medv\n1,2,3\n";
    assert_int_equal(load_bytes((const unsigned char *)csv, strlen(csv), DLFS_MODEL_ANY),
                     DLFS_EFORMAT);
    assert_int_equal(load_bytes((const unsigned char *)"DLF", 3, DLFS_MODEL_ANY),
                     DLFS_ETRUNCATED);
    assert_int_equal(load_bytes((const unsigned char *)"DLX", 3, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_int_equal(load_bytes(b, 0, DLFS_MODEL_ANY), DLFS_ETRUNCATED);

    /* bad magic, even with a matching checksum */
    c = dup_bytes(b, len);
    c[7] = 'X';
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    free(c);

    /* version 99, checksum fixed: the version is what is reported */
    c = dup_bytes(b, len);
    le32(c + 8, 99);
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EVERSION);
    assert_non_null(strstr(dlfs_error_detail(), "version 99"));
    free(c);

    /* kind: not the expected one, or unknown */
    assert_int_equal(load_bytes(b, len, DLFS_MODEL_NN), DLFS_EKIND);
    assert_non_null(strstr(dlfs_error_detail(), "linear regression"));
    assert_int_equal(load_bytes(b, len, DLFS_MODEL_LINREG), DLFS_OK);
    assert_int_equal(load_bytes(b, len, DLFS_MODEL_ANY), DLFS_OK);
    c = dup_bytes(b, len);
    le32(c + 12, 3);
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EKIND);
    free(c);
    dlfs_model out;
    assert_int_equal(dlfs_model_load_buffer(&out, b, len, (dlfs_model_kind)3), DLFS_EINVAL);
    assert_int_equal(dlfs_model_load_buffer(&out, b, len, (dlfs_model_kind)-1), DLFS_EINVAL);

    /* flipped parameter byte */
    c = dup_bytes(b, len);
    c[HEADER + 13] ^= 0x10;
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_ECHECKSUM);
    free(c);

    /* trailing garbage after a complete file */
    c = malloc(len + 3);
    assert_non_null(c);
    memcpy(c, b, len);
    memcpy(c + len, "abc", 3);
    assert_int_equal(load_bytes(c, len + 3, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "3 bytes after"));
    free(c);

    /* declared length below any model file */
    c = dup_bytes(b, len);
    le64(c + 16, 59);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    free(c);

    free(b);
    dlfs_model_free(&model);
}

/* A training checkpoint (dlfs/checkpoint.h) given for a model: refused, and
 * named for what it is. */
static void test_checkpoint_given(void **state)
{
    (void)state;
    const struct spec sp = {DLFS_MODEL_NN, 3, 2, 1, 1, 1, 1};
    dlfs_checkpoint c = {0};
    build(&c.model, &sp, 1);
    size_t perm[3] = {2, 0, 1};
    c.batch_size = 2;
    c.learning_rate = 0.01;
    c.iterations = 10;
    c.iteration = 4;
    c.ranks = 1;
    c.rows = 3;
    c.position = 2;
    c.perm = perm;
    dlfs_rng_seed(&c.rng, 1);
    char dir[64], path[128];
    tu_make_dir(dir, "model");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    assert_int_equal(dlfs_checkpoint_save(&c, path), DLFS_OK);

    dlfs_model out;
    assert_int_equal(dlfs_model_load(&out, path, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_true(model_is_empty(&out));
    assert_non_null(strstr(dlfs_error_detail(), path));
    assert_non_null(strstr(dlfs_error_detail(), "is a dlfs training checkpoint, not a model file"));
    assert_non_null(strstr(dlfs_error_detail(), "(--resume) rather than predicts"));
    size_t len;
    unsigned char *b = tu_read_file(path, &len);
    assert_int_equal(load_bytes(b, len, DLFS_MODEL_NN), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "training checkpoint"));
    /* the magic alone is enough; seven bytes of it are only a bad magic */
    assert_int_equal(load_bytes(b, 8, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "training checkpoint"));
    assert_int_equal(load_bytes(b, 7, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "bad magic"));
    free(b);

    c.perm = NULL;
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* A header with a valid checksum and sizes that no file of this length holds. */
static unsigned char *craft(uint32_t kind, uint64_t k, uint64_t h, uint64_t m, uint32_t flags,
                            size_t payload, size_t *len)
{
    *len = HEADER + payload + 4;
    unsigned char *b = calloc(*len, 1);
    assert_non_null(b);
    memcpy(b, "DLFSMODL", 8);
    le32(b + 8, 1);
    le32(b + 12, kind);
    le64(b + 16, *len);
    le64(b + 24, k);
    le64(b + 32, h);
    le64(b + 40, m);
    le32(b + 48, flags);
    fix_crc(b, *len);
    return b;
}

static void test_absurd_sizes(void **state)
{
    (void)state;
    const struct {
        uint32_t kind;
        uint64_t k, h, m;
        uint32_t flags;
        dlfs_status want;
    } cases[] = {
        {DLFS_MODEL_NN, UINT64_C(1) << 62, 13, 1, 0, DLFS_EOVERFLOW},         /* k*h wraps */
        {DLFS_MODEL_LINREG, UINT64_C(1) << 62, 0, 1, 0, DLFS_EOVERFLOW},      /* 8 k wraps */
        {DLFS_MODEL_LINREG, 1, 0, UINT64_MAX, 0, DLFS_EOVERFLOW},
        {DLFS_MODEL_NN, 1, UINT64_C(1) << 32, UINT64_C(1) << 32, 0, DLFS_EOVERFLOW},
        {DLFS_MODEL_LINREG, UINT64_C(1) << 40, 0, 1, 0, DLFS_ETRUNCATED},     /* 8 TiB */
        {DLFS_MODEL_LINREG, UINT64_C(1) << 27, 0, 1, 0, DLFS_ETRUNCATED},     /* 1 GiB */
        {DLFS_MODEL_LINREG, UINT64_C(1) << 61, 0, 1, 7, DLFS_EOVERFLOW},      /* 16 k wraps */
        {DLFS_MODEL_NN, 1, 1, 1, 3, DLFS_ETRUNCATED},   /* needs 80 + 8 + 4 bytes */
        {DLFS_MODEL_LINREG, 0, 0, 1, 0, DLFS_EFORMAT},
        {DLFS_MODEL_LINREG, 1, 0, 0, 0, DLFS_EFORMAT},
        {DLFS_MODEL_LINREG, 1, 1, 1, 0, DLFS_EFORMAT},   /* h in a regression */
        {DLFS_MODEL_NN, 1, 0, 1, 0, DLFS_EFORMAT},       /* no hidden units */
        {DLFS_MODEL_LINREG, 1, 0, 1, 8, DLFS_EFORMAT},   /* unknown flag */
    };
    for (size_t c = 0; c < TU_LEN(cases); c++) {
        size_t len;
        unsigned char *b = craft(cases[c].kind, cases[c].k, cases[c].h, cases[c].m,
                                 cases[c].flags, 16, &len);
        const dlfs_status st = load_bytes(b, len, DLFS_MODEL_ANY);
        if (st != cases[c].want)
            fail_msg("case %zu: %s, expected %s (%s)", c, dlfs_strerror(st),
                     dlfs_strerror(cases[c].want), dlfs_error_detail());
        free(b);
    }
    /* The same header, right sizes: 1 -> 1 regression with 16 payload bytes. */
    size_t len;
    unsigned char *b = craft(DLFS_MODEL_LINREG, 1, 0, 1, 0, 16, &len);
    assert_int_equal(load_bytes(b, len, DLFS_MODEL_LINREG), DLFS_OK);
    free(b);
}

/* Contents past the checksum that are still wrong: each has its code. */
static void test_bad_contents(void **state)
{
    (void)state;
    const struct spec sp = {DLFS_MODEL_NN, 2, 3, 1, 1, 1, 1};
    dlfs_model model;
    build(&model, &sp, 1);
    unsigned char *b, *c;
    size_t len;
    encode(&model, &b, &len);
    const size_t np = model.nn.n_params;
    const size_t sd_at = HEADER + 8 * np + 8 * 2;        /* sd[0] */
    const size_t name_at = HEADER + 8 * np + 16 * 2;     /* length of "crim" */

    c = dup_bytes(b, len);
    le64(c + HEADER + 8 * 4, UINT64_C(0x7FF8000000000000));   /* NaN in W1[1][1] */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "W1[1][1]"));
    free(c);

    c = dup_bytes(b, len);
    le64(c + HEADER + 8 * (np - 1), UINT64_C(0xFFF0000000000000));   /* -Inf in B2 */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "B2[0][0]"));
    free(c);

    c = dup_bytes(b, len);
    le64(c + sd_at + 8, 0);   /* sd[1] = 0 */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    free(c);

    c = dup_bytes(b, len);
    le64(c + sd_at, UINT64_C(0x7FF0000000000000));   /* sd[0] = Inf */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_ENONFINITE);
    free(c);

    c = dup_bytes(b, len);
    assert_int_equal(rd32(c + name_at), 4);
    c[name_at + 4 + 2] = '\0';   /* "cr\0m" */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "NUL"));
    free(c);

    const uint32_t lengths[] = {5, 3, 1000, DLFS_MODEL_NAME_MAX + 1, UINT32_MAX};
    for (size_t i = 0; i < TU_LEN(lengths); i++) {
        c = dup_bytes(b, len);
        le32(c + name_at, lengths[i]);
        fix_crc(c, len);
        assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
        free(c);
    }

    c = dup_bytes(b, len);
    le32(c + 52, 1);   /* reserved */
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    free(c);

    /* Declared flags without the target: the target's bytes are left over. */
    c = dup_bytes(b, len);
    le32(c + 48, 3);
    fix_crc(c, len);
    assert_int_equal(load_bytes(c, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "unexplained"));
    free(c);

    free(b);
    dlfs_model_free(&model);
}

/* ---- Saving ---------------------------------------------------------------------- */

static void test_save_errors(void **state)
{
    (void)state;
    const struct spec sa = {DLFS_MODEL_LINREG, 3, 0, 1, 1, 1, 1};
    const struct spec sb = {DLFS_MODEL_NN, 5, 13, 1, 1, 1, 1};
    dlfs_model a, bm;
    build(&a, &sa, 1);
    build(&bm, &sb, 1);
    char dir[64], path[128], sub[128], missing[160];
    tu_make_dir(dir, "model");
    snprintf(path, sizeof path, "%s/model.dlfs", dir);
    snprintf(sub, sizeof sub, "%s/adir", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/model.dlfs", dir);

    /* a directory that does not exist */
    assert_int_equal(dlfs_model_save(&a, missing), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), strerror(ENOENT)));
    assert_int_equal(tu_count_entries(dir), 0);

    /* the path is a directory: the rename fails, the temporary goes */
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(dlfs_model_save(&a, sub), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), "rename"));
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(tu_count_entries(dir), 1);
    assert_int_equal(rmdir(sub), 0);

    /* a write that fails half way (file size limit): the old file stays */
    assert_int_equal(dlfs_model_save(&a, path), DLFS_OK);
    size_t len0, len1;
    unsigned char *before = tu_read_file(path, &len0);
    assert_non_null(before);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    small = rl;
    small.rlim_cur = 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    const dlfs_status save_st = dlfs_model_save(&bm, path);
    const int detail_ok = strstr(dlfs_error_detail(), strerror(EFBIG)) != NULL;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(save_st, DLFS_EIO);
    assert_true(detail_ok);
    unsigned char *after = tu_read_file(path, &len1);
    assert_non_null(after);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    assert_int_equal(tu_count_entries(dir), 1);   /* only the model, no temporary */
    free(after);

    /* a failure before the file is touched: the target is left alone too */
    assert_int_equal(dlfs_model_save(&a, "/proc/dlfs/model.dlfs"), DLFS_EIO);
    after = tu_read_file(path, &len1);
    assert_memory_equal(before, after, len0);
    free(after);
    free(before);

    /* replacing works, and keeps the old file's mode; a new file is 0644 */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(dlfs_model_save(&bm, path), DLFS_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    dlfs_model loaded;
    assert_int_equal(dlfs_model_load(&loaded, path, DLFS_MODEL_NN), DLFS_OK);
    assert_same_model(&bm, &loaded);
    dlfs_model_free(&loaded);

    /* a relative path (no directory part) */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(dlfs_model_save(&a, "rel.dlfs"), DLFS_OK);
    assert_int_equal(dlfs_model_load(&loaded, "rel.dlfs", DLFS_MODEL_LINREG), DLFS_OK);
    dlfs_model_free(&loaded);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(tu_count_entries(dir), 2);

    /* loading what is not a readable regular file */
    assert_int_equal(dlfs_model_load(&loaded, missing, DLFS_MODEL_ANY), DLFS_EIO);
    assert_true(model_is_empty(&loaded));
    assert_int_equal(dlfs_model_load(&loaded, dir, DLFS_MODEL_ANY), DLFS_EIO);
    assert_true(model_is_empty(&loaded));
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);   /* refused at once, not waited on */
    assert_int_equal(dlfs_model_load(&loaded, fifo, DLFS_MODEL_ANY), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), "not a regular file"));

    tu_remove_tree(dir);
    dlfs_model_free(&a);
    dlfs_model_free(&bm);
}

static void test_null_arguments(void **state)
{
    (void)state;
    const struct spec sp = {DLFS_MODEL_LINREG, 2, 0, 1, 0, 0, 0};
    dlfs_model model, out;
    build(&model, &sp, 1);
    dlfs_linreg lr = {0};
    dlfs_nn nn = {0};
    double x[2] = {1, 2}, p[1];
    dlfs_matrix X = dlfs_matrix_view(x, 1, 2, 2), P = dlfs_matrix_view(p, 1, 1, 1);
    void *buf;
    size_t len;

    assert_int_equal(dlfs_model_from_linreg(NULL, &model.linreg, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_from_linreg(&out, NULL, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_from_linreg(&out, &lr, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_from_nn(NULL, &nn, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_from_nn(&out, NULL, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_from_nn(&out, &nn, NULL, NULL, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_save(NULL, "/tmp/x.dlfs"), DLFS_ENULL);
    assert_int_equal(dlfs_model_save(&model, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_save(&model, ""), DLFS_EINVAL);
    assert_int_equal(dlfs_model_encode(NULL, &buf, &len), DLFS_ENULL);
    assert_int_equal(dlfs_model_encode(&model, NULL, &len), DLFS_ENULL);
    assert_int_equal(dlfs_model_encode(&model, &buf, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_model_load(NULL, "/tmp/x.dlfs", DLFS_MODEL_ANY), DLFS_ENULL);
    assert_int_equal(dlfs_model_load(&out, NULL, DLFS_MODEL_ANY), DLFS_ENULL);
    assert_int_equal(dlfs_model_load_buffer(NULL, x, sizeof x, DLFS_MODEL_ANY), DLFS_ENULL);
    assert_int_equal(dlfs_model_load_buffer(&out, NULL, 0, DLFS_MODEL_ANY), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(NULL, &X, &P), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(&model, NULL, &P), DLFS_ENULL);
    assert_int_equal(dlfs_model_predict(&model, &X, NULL), DLFS_ENULL);
    dlfs_model_free(NULL);
    assert_string_equal(dlfs_model_kind_name(DLFS_MODEL_LINREG), "linreg");
    assert_string_equal(dlfs_model_kind_name(DLFS_MODEL_NN), "nn");
    assert_null(dlfs_model_kind_name(DLFS_MODEL_ANY));
    assert_int_equal(dlfs_model_predict(&model, &X, &P), DLFS_OK);
    dlfs_model_free(&model);
}

/* ---- The fuzzing seed corpus ------------------------------------------------------ */

struct seed {
    const char *name;      /* starts with the expected status: ok-, etruncated-, ... */
    dlfs_status want;
    unsigned char *bytes;
    size_t len;
};

static unsigned char *exact_encoding(const struct spec *sp, size_t *len)
{
    dlfs_model model;
    unsigned char *b;
    build(&model, sp, 0);
    encode(&model, &b, len);
    dlfs_model_free(&model);
    return b;
}

/* The corpus: small valid files of each shape and one file per error. Only
 * exact binary fractions, so the bytes are the same on every platform. */
static size_t make_corpus(struct seed *s, size_t cap)
{
    static const struct spec linreg_bare = {DLFS_MODEL_LINREG, 2, 0, 1, 0, 0, 0};
    static const struct spec linreg_full = {DLFS_MODEL_LINREG, 3, 0, 2, 1, 1, 1};
    static const struct spec nn_bare = {DLFS_MODEL_NN, 2, 3, 1, 0, 0, 0};
    static const struct spec nn_full = {DLFS_MODEL_NN, 3, 4, 1, 1, 1, 1};
    static const struct spec nn_target = {DLFS_MODEL_NN, 1, 2, 1, 0, 0, 1};
    size_t n = 0, len;
    unsigned char *b;
#define SEED(nm, st, bytes_, len_) \
    do { assert_true(n < cap); s[n++] = (struct seed){nm, st, bytes_, len_}; } while (0)

    SEED("ok-linreg-bare.dlfs", DLFS_OK, exact_encoding(&linreg_bare, &len), len);
    SEED("ok-linreg-full.dlfs", DLFS_OK, exact_encoding(&linreg_full, &len), len);
    SEED("ok-nn-bare.dlfs", DLFS_OK, exact_encoding(&nn_bare, &len), len);
    SEED("ok-nn-full.dlfs", DLFS_OK, exact_encoding(&nn_full, &len), len);
    SEED("ok-nn-target.dlfs", DLFS_OK, exact_encoding(&nn_target, &len), len);

    const size_t full_len = s[3].len, np = 3 * 4 + 4 + 4 + 1;
    const unsigned char *full = s[3].bytes;
    if (full_len < HEADER + 8 * np + 16 * 3 + 8)   /* the edits below stay inside */
        abort();
    SEED("etruncated-empty.dlfs", DLFS_ETRUNCATED, dup_bytes(full, 0), 0);
    SEED("etruncated-header.dlfs", DLFS_ETRUNCATED, dup_bytes(full, 30), 30);
    SEED("etruncated-body.dlfs", DLFS_ETRUNCATED, dup_bytes(full, full_len / 2), full_len / 2);

    b = dup_bytes(full, full_len);
    b[3] = 'X';
    SEED("eformat-magic.dlfs", DLFS_EFORMAT, b, full_len);
    b = dup_bytes(full, full_len);
    le32(b + 8, 99);
    fix_crc(b, full_len);
    SEED("eversion-99.dlfs", DLFS_EVERSION, b, full_len);
    b = dup_bytes(full, full_len);
    le32(b + 12, 7);
    fix_crc(b, full_len);
    SEED("ekind-7.dlfs", DLFS_EKIND, b, full_len);
    b = dup_bytes(full, full_len);
    b[HEADER + 8 * 5 + 6] ^= 0x01;
    SEED("echecksum-flip.dlfs", DLFS_ECHECKSUM, b, full_len);

    b = malloc(full_len + 5);
    assert_non_null(b);
    memcpy(b, full, full_len);
    memcpy(b + full_len, "junk\n", 5);
    SEED("eformat-trailing.dlfs", DLFS_EFORMAT, b, full_len + 5);
    b = dup_bytes(full, full_len);
    b[HEADER + 8 * np + 16 * 3 + 4 + 1] = '\0';   /* inside "crim" */
    fix_crc(b, full_len);
    SEED("eformat-nul-name.dlfs", DLFS_EFORMAT, b, full_len);
    b = dup_bytes(full, full_len);
    le32(b + HEADER + 8 * np + 16 * 3, DLFS_MODEL_NAME_MAX + 1);
    fix_crc(b, full_len);
    SEED("eformat-long-name.dlfs", DLFS_EFORMAT, b, full_len);
    b = dup_bytes(full, full_len);
    le64(b + HEADER + 8 * np + 8 * 3, 0);   /* sd[0] = 0 */
    fix_crc(b, full_len);
    SEED("eformat-sd-zero.dlfs", DLFS_EFORMAT, b, full_len);
    b = dup_bytes(full, full_len);
    le32(b + 48, 0x17);
    fix_crc(b, full_len);
    SEED("eformat-flags.dlfs", DLFS_EFORMAT, b, full_len);
    b = dup_bytes(full, full_len);
    le64(b + HEADER, UINT64_C(0x7FF8000000000001));
    fix_crc(b, full_len);
    SEED("enonfinite-nan.dlfs", DLFS_ENONFINITE, b, full_len);

    b = craft(DLFS_MODEL_NN, UINT64_C(1) << 62, 13, 1, 0, 16, &len);
    SEED("eoverflow-k.dlfs", DLFS_EOVERFLOW, b, len);
    b = craft(DLFS_MODEL_LINREG, UINT64_C(1) << 40, 0, 1, 3, 16, &len);
    SEED("etruncated-k.dlfs", DLFS_ETRUNCATED, b, len);
#undef SEED
    return n;
}

static void free_corpus(struct seed *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].bytes);
}

static void test_seed_corpus(void **state)
{
    (void)state;
    struct seed seeds[32];
    const size_t n = make_corpus(seeds, TU_LEN(seeds));
    char path[512];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(load_bytes(seeds[i].bytes, seeds[i].len, DLFS_MODEL_ANY), seeds[i].want);
        assert_true(seeds[i].len < 10 * 1024);
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, seeds[i].name);
        size_t len;
        unsigned char *b = tu_read_file(path, &len);
        if (!b || len != seeds[i].len || memcmp(b, seeds[i].bytes, len) != 0)
            fail_msg("%s is missing or differs from what this program makes: run\n"
                     "    test_model_file --write-corpus %s", path, CORPUS_DIR);
        free(b);
        dlfs_model m;
        assert_int_equal(dlfs_model_load(&m, path, DLFS_MODEL_ANY), seeds[i].want);
        dlfs_model_free(&m);
    }
    free_corpus(seeds, n);
}

static int write_corpus(const char *dir)
{
    struct seed seeds[32];
    const size_t n = make_corpus(seeds, TU_LEN(seeds));
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(seeds[i].bytes, 1, seeds[i].len, f) != seeds[i].len || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
        printf("%s (%zu bytes)\n", path, seeds[i].len);
    }
    free_corpus(seeds, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_predict_standardises),
        cmocka_unit_test(test_from_copies),
        cmocka_unit_test(test_from_errors),
        cmocka_unit_test(test_every_prefix_truncated),
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_checkpoint_given),
        cmocka_unit_test(test_absurd_sizes),
        cmocka_unit_test(test_bad_contents),
        cmocka_unit_test(test_save_errors),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_seed_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
