/* tests/test_checkpoint.c - training checkpoints (dlfs/checkpoint.h): round
 * trips, the layout field by field, every truncation and flipped byte with
 * the status the order of checks gives, each field check on a file whose
 * checksum was made to match, and the allocation-free writer of
 * src/checkpoint_impl.h.
 *
 * Linked with alloc_wrap.c (-Wl,--wrap=malloc,...) to count allocations and
 * make chosen ones fail, and with -Wl,--wrap=write,fsync (tests/meson.build):
 * the static libdlfs.a's calls of write(2) and fsync(2) then come to
 * __wrap_write and __wrap_fsync below, which pass them on to the system
 * unless a test has asked for a failure: a write that fails with ENOSPC once
 * a byte budget is spent (a full disk at any offset), writes cut to a few
 * bytes each (short writes), an EINTR, or a failing fsync. Calls made inside
 * libc and cmocka (stdio's) are not rebound and never fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "alloc_wrap.h"
#include "checkpoint_impl.h"
#include "testutil.h"
#include "testbytes.h"

#define HEADER 144
#define MIN_LEN 224

/* ---- write(2) and fsync(2), made to fail on request ----------------------------- */

ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);

static size_t write_budget = SIZE_MAX;   /* bytes written before ENOSPC; SIZE_MAX: no limit */
static size_t write_chunk;               /* nonzero: at most this many bytes a call */
static int write_eintr;                  /* calls left to fail with EINTR first */
static size_t write_calls;               /* calls seen */
static int fsync_fails;                  /* nonzero: fsync fails with EIO */

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    write_calls++;
    if (write_eintr > 0) {
        write_eintr--;
        errno = EINTR;
        return -1;
    }
    if (write_budget == 0) {
        errno = ENOSPC;
        return -1;
    }
    if (n > write_budget)
        n = write_budget;
    if (write_chunk && n > write_chunk)
        n = write_chunk;
    const ssize_t got = __real_write(fd, buf, n);
    if (got > 0 && write_budget != SIZE_MAX)
        write_budget -= (size_t)got;
    return got;
}

int __wrap_fsync(int fd)
{
    if (fsync_fails) {
        errno = EIO;
        return -1;
    }
    return __real_fsync(fd);
}

static void hooks_off(void)
{
    write_budget = SIZE_MAX;
    write_chunk = 0;
    write_eintr = 0;
    fsync_fails = 0;
}

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* ---- Checkpoints to save ------------------------------------------------------- */

static const char *const names5[] = {"crim", "zn", "indus", "chas", "nox"};

/* kind, shapes, extras (standardiser and names) and where the run stands */
struct spec {
    dlfs_model_kind kind;
    size_t k, h, m;
    int extras;
    size_t rows, position;
    int normals;   /* normal deviates drawn: odd leaves a spare */
};

static void build_model(dlfs_model *model, const struct spec *sp)
{
    assert_int_equal(dlfs_model_alloc(model, sp->kind, sp->k, sp->h, sp->m), DLFS_OK);
    assert_int_equal(dlfs_model_init(model, 4242 + sp->k, DLFS_INIT_NORMAL), DLFS_OK);
    if (!sp->extras)
        return;
    double mean[5], sd[5];
    for (size_t j = 0; j < sp->k; j++) {
        mean[j] = 3.5 * (double)j - 2.25;
        sd[j] = 0.5 + 0.25 * (double)j;
    }
    const dlfs_standardizer s = {sp->k, mean, sd};
    assert_int_equal(dlfs_model_set_standardizer(model, &s), DLFS_OK);
    assert_int_equal(dlfs_model_set_names(model, names5, "medv"), DLFS_OK);
}

static void build(dlfs_checkpoint *c, const struct spec *sp)
{
    assert_true(sp->k <= 5);
    *c = (dlfs_checkpoint){0};
    build_model(&c->model, sp);
    c->backend = sp->kind == DLFS_MODEL_NN ? DLFS_BACKEND_NAIVE : DLFS_BACKEND_BLAS;
    c->init = DLFS_INIT_SCALED;
    c->seed = UINT64_C(0xFEEDFACECAFEBEEF);
    c->batch_size = 7;
    c->learning_rate = 0.0115;
    c->iterations = 1000;
    c->ranks = 3;
    c->iteration = 137;
    c->rows = sp->rows;
    c->position = sp->position;
    dlfs_rng_seed(&c->rng, 99 + sp->rows);
    for (int i = 0; i < sp->normals; i++)
        (void)dlfs_rng_normal(&c->rng);
    c->perm = malloc(sp->rows * sizeof *c->perm);
    assert_non_null(c->perm);
    assert_int_equal(dlfs_rng_permutation(&c->rng, c->perm, sp->rows), DLFS_OK);
}

static void encode(const dlfs_checkpoint *c, const char *path, unsigned char **b, size_t *len)
{
    assert_int_equal(dlfs_checkpoint_save(c, path), DLFS_OK);
    *b = tu_read_file(path, len);
}

/* Every member zero (compared one by one: padding may hold anything). */
static int is_empty(const dlfs_checkpoint *c)
{
    const dlfs_model *m = &c->model;
    const int model_empty = m->kind == 0 && m->k == 0 && m->h == 0 && m->m == 0 &&
                            m->linreg.params == NULL && m->nn.params == NULL &&
                            !m->has_scaler && m->scaler.mean == NULL && m->scaler.sd == NULL &&
                            m->feature_names == NULL && m->target_name == NULL;
    return model_empty && c->backend == 0 && c->init == 0 && c->seed == 0 &&
           c->batch_size == 0 && bits_of(c->learning_rate) == 0 && c->iterations == 0 &&
           c->ranks == 0 && c->iteration == 0 && c->rows == 0 && c->position == 0 &&
           (c->rng.s[0] | c->rng.s[1] | c->rng.s[2] | c->rng.s[3]) == 0 &&
           bits_of(c->rng.spare) == 0 && c->rng.has_spare == 0 && c->perm == NULL;
}

/* Loads len bytes (copied to a block of exactly that size, so a sanitizer
 * sees any read past the end) and returns the status; on failure the
 * checkpoint must be left empty. */
static dlfs_status load_bytes(const unsigned char *b, size_t len)
{
    unsigned char *copy = dup_bytes(b, len);
    dlfs_checkpoint c;
    memset(&c, 0x5A, sizeof c);
    const dlfs_status st = dlfs_checkpoint_load_buffer(&c, copy, len);
    if (st)
        assert_true(is_empty(&c));
    dlfs_checkpoint_free(&c);
    free(copy);
    return st;
}

/* ---- Round trips ----------------------------------------------------------------- */

static void assert_same_model(const dlfs_model *a, const dlfs_model *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->h, b->h);
    assert_int_equal(a->m, b->m);
    size_t na, nb;
    const double *pa = dlfs_model_params(a, &na), *pb = dlfs_model_params(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na * sizeof(double));
    assert_int_equal(!!a->has_scaler, !!b->has_scaler);
    if (a->has_scaler) {
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

static void assert_same(const dlfs_checkpoint *a, const dlfs_checkpoint *b)
{
    assert_same_model(&a->model, &b->model);
    assert_int_equal(dlfs_model_get_backend(&b->model), a->backend);   /* the run's backend */
    assert_int_equal(a->backend, b->backend);
    assert_int_equal(a->init, b->init);
    assert_int_equal(a->seed, b->seed);
    assert_int_equal(a->batch_size, b->batch_size);
    assert_int_equal(bits_of(a->learning_rate), bits_of(b->learning_rate));
    assert_int_equal(a->iterations, b->iterations);
    assert_int_equal(a->ranks, b->ranks);
    assert_int_equal(a->iteration, b->iteration);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->position, b->position);
    assert_memory_equal(a->rng.s, b->rng.s, sizeof a->rng.s);
    assert_int_equal(bits_of(a->rng.spare), bits_of(b->rng.spare));
    assert_int_equal(a->rng.has_spare, b->rng.has_spare);
    assert_memory_equal(a->perm, b->perm, a->rows * sizeof *a->perm);
}

static const struct spec specs[] = {
    {DLFS_MODEL_LINREG, 3, 0, 1, 1, 17, 0, 0},    /* at the start of a pass, no spare */
    {DLFS_MODEL_NN, 5, 4, 2, 1, 23, 11, 1},       /* mid-pass, a spare */
    {DLFS_MODEL_NN, 2, 3, 1, 0, 1, 1, 2},         /* one row, used: a stale spare */
    {DLFS_MODEL_LINREG, 4, 0, 2, 0, 9, 9, 3},     /* a pass used up, a spare */
};

static void test_round_trip(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    for (size_t s = 0; s < TU_LEN(specs); s++) {
        dlfs_checkpoint saved, loaded, from_buf;
        build(&saved, &specs[s]);
        assert_int_equal(saved.rng.has_spare, specs[s].normals % 2);
        unsigned char *b;
        size_t len;
        encode(&saved, path, &b, &len);
        assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_OK);
        assert_same(&saved, &loaded);
        assert_int_equal(dlfs_checkpoint_load_buffer(&from_buf, b, len), DLFS_OK);
        assert_same(&saved, &from_buf);

        /* Saving what was loaded gives the same bytes again. */
        unsigned char *again;
        size_t alen;
        encode(&loaded, path, &again, &alen);
        assert_int_equal(alen, len);
        assert_memory_equal(again, b, len);
        assert_int_equal(tu_count_entries(dir), 1);   /* no temporary file left */

        free(again);
        free(b);
        dlfs_checkpoint_free(&from_buf);
        dlfs_checkpoint_free(&loaded);
        dlfs_checkpoint_free(&saved);
    }
    tu_remove_tree(dir);
}

/* The layout is the one the header documents, field by field. */
static void test_layout(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    dlfs_checkpoint c;
    build(&c, &specs[1]);
    unsigned char *b;
    size_t len;
    encode(&c, path, &b, &len);
    void *model_bytes;
    size_t mlen;
    assert_int_equal(dlfs_model_encode(&c.model, &model_bytes, &mlen), DLFS_OK);

    assert_memory_equal(b, DLFS_CHECKPOINT_MAGIC, 8);
    assert_int_equal(rd32(b + 8), 1);
    assert_int_equal(rd32(b + 12), DLFS_MODEL_NN);
    assert_int_equal(rd64(b + 16), len);
    assert_int_equal(rd64(b + 24), c.iteration);
    assert_int_equal(rd64(b + 32), c.iterations);
    assert_int_equal(rd64(b + 40), c.batch_size);
    assert_int_equal(rd64(b + 48), bits_of(c.learning_rate));
    assert_int_equal(rd64(b + 56), c.seed);
    assert_int_equal(rd32(b + 64), DLFS_INIT_SCALED);
    assert_int_equal(rd32(b + 68), DLFS_BACKEND_NAIVE);
    assert_int_equal(rd64(b + 72), c.ranks);
    assert_int_equal(rd64(b + 80), c.rows);
    assert_int_equal(rd64(b + 88), c.position);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rd64(b + 96 + 8 * i), c.rng.s[i]);
    assert_int_equal(rd64(b + 128), bits_of(c.rng.spare));
    assert_int_equal(rd32(b + 136), 1);
    assert_int_equal(rd32(b + 140), 0);
    for (size_t i = 0; i < c.rows; i++)
        assert_int_equal(rd64(b + HEADER + 8 * i), c.perm[i]);
    const size_t at = HEADER + 8 * c.rows;
    assert_int_equal(rd64(b + at), mlen);
    assert_memory_equal(b + at + 8, model_bytes, mlen);   /* exactly the model file */
    assert_int_equal(len, at + 8 + mlen + 4);
    assert_int_equal(len, 156 + 8 * c.rows + mlen);
    assert_int_equal(rd32(b + len - 4), crc32_bitwise(b, len - 4));

    free(model_bytes);
    free(b);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* ---- Corruption ------------------------------------------------------------------ */

static void test_every_prefix_truncated(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    for (size_t s = 0; s < 2; s++) {
        dlfs_checkpoint c;
        build(&c, &specs[s]);
        unsigned char *b;
        size_t len;
        encode(&c, path, &b, &len);
        /* Every prefix starts with (a part of) the magic, so each is cut:
         * [0, 144) a cut header, [144, len) a body shorter than declared. */
        for (size_t n = 0; n < len; n++) {
            const dlfs_status st = load_bytes(b, n);
            const char *want = n < HEADER ? "fewer than the 144-byte header" : "declares";
            if (st != DLFS_ETRUNCATED || !strstr(dlfs_error_detail(), want))
                fail_msg("prefix of %zu of %zu bytes: %s (%s)", n, len, dlfs_strerror(st),
                         dlfs_error_detail());
        }
        /* the same through files, for a few lengths */
        const size_t cuts[] = {0, 7, 143, 144, len / 2, len - 1};
        for (size_t i = 0; i < TU_LEN(cuts); i++) {
            tu_write_file(path, b, cuts[i]);
            dlfs_checkpoint loaded;
            assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_ETRUNCATED);
            assert_true(is_empty(&loaded));
            assert_non_null(strstr(dlfs_error_detail(), path));
        }
        assert_int_equal(load_bytes(b, len), DLFS_OK);
        free(b);
        dlfs_checkpoint_free(&c);
    }
    tu_remove_tree(dir);
}

/* Every byte of a file, changed, gives the code of the field it falls in. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    for (size_t s = 0; s < 2; s++) {
        dlfs_checkpoint c;
        build(&c, &specs[s]);
        unsigned char *b;
        size_t len;
        encode(&c, path, &b, &len);
        for (size_t i = 0; i < len; i++)
            for (unsigned mask = 1; mask < 256; mask <<= 3) {
                b[i] ^= (unsigned char)mask;
                const dlfs_status st = load_bytes(b, len);
                const uint32_t kind = rd32(b + 12);
                const uint64_t declared = rd64(b + 16);
                b[i] ^= (unsigned char)mask;
                dlfs_status want;
                if (i < 8)
                    want = DLFS_EFORMAT;
                else if (i < 12)
                    want = DLFS_EVERSION;
                else if (i < 16)   /* another known kind is only caught by the CRC */
                    want = kind == 1 || kind == 2 ? DLFS_ECHECKSUM : DLFS_EKIND;
                else if (i < 24)   /* the length: too small, too large, or wrong */
                    want = declared < MIN_LEN ? DLFS_EFORMAT
                         : declared > len ? DLFS_ETRUNCATED : DLFS_ECHECKSUM;
                else
                    want = DLFS_ECHECKSUM;
                if (st != want)
                    fail_msg("byte %zu ^ %02x of %zu: %s, expected %s (%s)", i, mask, len,
                             dlfs_strerror(st), dlfs_strerror(want), dlfs_error_detail());
            }
        assert_int_equal(load_bytes(b, len), DLFS_OK);
        free(b);
        dlfs_checkpoint_free(&c);
    }
    tu_remove_tree(dir);
}

static void test_header_errors(void **state)
{
    (void)state;
    char dir[64], path[128], mpath[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(mpath, sizeof mpath, "%s/model.dlfs", dir);
    dlfs_checkpoint c, out;
    build(&c, &specs[0]);
    unsigned char *b, *e;
    size_t len;
    encode(&c, path, &b, &len);

    /* version 2, checksum fixed: the version is what is reported */
    e = dup_bytes(b, len);
    le32(e + 8, 2);
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_EVERSION);
    assert_non_null(strstr(dlfs_error_detail(), "version 2"));
    free(e);

    /* a model file: refused, and named for what it is */
    void *mb;
    size_t mlen;
    assert_int_equal(dlfs_model_encode(&c.model, &mb, &mlen), DLFS_OK);
    assert_int_equal(load_bytes(mb, mlen), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "is a dlfs model file, not a training checkpoint"));
    tu_write_file(mpath, mb, mlen);
    assert_int_equal(dlfs_checkpoint_load(&out, mpath), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "model file"));
    assert_non_null(strstr(dlfs_error_detail(), mpath));
    assert_true(is_empty(&out));
    free(mb);

    /* ... and the other way round */
    dlfs_model m;
    assert_int_equal(dlfs_model_load(&m, path, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "checkpoint"));
    assert_int_equal(dlfs_model_load_buffer(&m, b, len, DLFS_MODEL_ANY), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "--resume"));

    /* anything else */
    const char *csv = "crim,zn,medv\n1,2,3\n";
    assert_int_equal(load_bytes((const unsigned char *)csv, strlen(csv)), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "not a dlfs training checkpoint"));
    assert_int_equal(load_bytes((const unsigned char *)"DLFSM", 5), DLFS_EFORMAT);
    assert_int_equal(load_bytes((const unsigned char *)"DLFSC", 5), DLFS_ETRUNCATED);

    /* unknown kind, checksum fixed */
    e = dup_bytes(b, len);
    le32(e + 12, 3);
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_EKIND);
    assert_non_null(strstr(dlfs_error_detail(), "kind 3"));
    free(e);

    /* the header's kind not the model's (check 15, after all the others) */
    e = dup_bytes(b, len);
    le32(e + 12, DLFS_MODEL_NN);
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_EKIND);
    assert_non_null(strstr(dlfs_error_detail(), "its model is a linear regression"));
    free(e);

    /* declared length below the smallest checkpoint */
    e = dup_bytes(b, len);
    le64(e + 16, MIN_LEN - 1);
    assert_int_equal(load_bytes(e, len), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "smallest"));
    free(e);

    /* trailing garbage after a complete file */
    e = malloc(len + 3);
    assert_non_null(e);
    memcpy(e, b, len);
    memcpy(e + len, "abc", 3);
    assert_int_equal(load_bytes(e, len + 3), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "3 bytes after"));
    free(e);

    /* not a regular file, not there */
    assert_int_equal(dlfs_checkpoint_load(&out, dir), DLFS_EIO);
    assert_true(is_empty(&out));
    snprintf(mpath, sizeof mpath, "%s/none.ckpt", dir);
    assert_int_equal(dlfs_checkpoint_load(&out, mpath), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), strerror(ENOENT)));

    free(b);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* One edit of a valid file: a u32 or u64 at `at` (relative to the end of the
 * permutation when from_perm_end), the CRC made to match again. */
struct edit {
    const char *what;
    size_t at;
    int width;          /* 4 or 8 */
    int from_perm_end;
    uint64_t value;
    dlfs_status want;
    const char *detail;
};

static void test_field_checks(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    dlfs_checkpoint c;
    build(&c, &specs[1]);   /* 23 rows, position 11, iteration 137 of 1000 */
    unsigned char *b;
    size_t len;
    encode(&c, path, &b, &len);
    const size_t perm_end = HEADER + 8 * c.rows;
    const uint64_t mlen = rd64(b + perm_end);
    const struct edit edits[] = {
        {"iterations 0", 32, 8, 0, 0, DLFS_EFORMAT, "iterations (the run's total) is 0"},
        {"iteration past", 24, 8, 0, 1001, DLFS_EFORMAT, "iteration 1001 is past the run's 1000"},
        {"iteration = iterations", 24, 8, 0, 1000, DLFS_OK, NULL},
        {"batch 0", 40, 8, 0, 0, DLFS_EFORMAT, "batch_size is 0"},
        {"lr 0", 48, 8, 0, bits_of(0.0), DLFS_EFORMAT, "learning rate 0 is not"},
        {"lr < 0", 48, 8, 0, bits_of(-0.5), DLFS_EFORMAT, "learning rate -0.5 is not"},
        {"lr NaN", 48, 8, 0, UINT64_C(0x7FF8000000000000), DLFS_EFORMAT, "learning rate"},
        {"lr Inf", 48, 8, 0, bits_of(INFINITY), DLFS_EFORMAT, "learning rate"},
        {"seed 0", 56, 8, 0, 0, DLFS_OK, NULL},
        {"init 2", 64, 4, 0, 2, DLFS_EFORMAT, "init 2 is unknown"},
        {"init huge", 64, 4, 0, UINT32_MAX, DLFS_EFORMAT, "is unknown"},
        {"backend 7", 68, 4, 0, 7, DLFS_EFORMAT, "backend 7 is unknown"},
        {"ranks 0", 72, 8, 0, 0, DLFS_EFORMAT, "ranks is 0"},
        {"rows 0", 80, 8, 0, 0, DLFS_EFORMAT, "rows is 0"},
        {"position past", 88, 8, 0, 24, DLFS_EFORMAT, "position 24 is past the permutation's 23"},
        {"position = rows", 88, 8, 0, 23, DLFS_OK, NULL},
        {"has_spare 2", 136, 4, 0, 2, DLFS_EFORMAT, "has_spare is 2"},
        {"spare Inf", 128, 8, 0, bits_of(INFINITY), DLFS_EFORMAT, "spare deviate is inf"},
        {"reserved", 140, 4, 0, 1, DLFS_EFORMAT, "reserved field is 00000001"},
        {"rows 2^62", 80, 8, 0, UINT64_C(1) << 62, DLFS_EOVERFLOW, "more than this host can count"},
        {"rows 2^40", 80, 8, 0, UINT64_C(1) << 40, DLFS_ETRUNCATED, "whose permutation needs"},
        {"rows + 1", 80, 8, 0, 24, DLFS_EFORMAT, "bytes lie between that length"},
        {"L + 1", 0, 8, 1, mlen + 1, DLFS_EFORMAT, "bytes lie between that length"},
        {"L 0", 0, 8, 1, 0, DLFS_EFORMAT, "says its model is 0 bytes long"},
        {"perm[2] = rows", HEADER + 16, 8, 0, 23, DLFS_EFORMAT, "perm[2] is 23, not below rows"},
        {"perm[5] huge", HEADER + 40, 8, 0, UINT64_MAX, DLFS_EFORMAT, "perm[5]"},
        {"perm[1] = perm[0]", HEADER + 8, 8, 0, c.perm[0], DLFS_EFORMAT, "an earlier entry is too"},
        {"perm[22] = perm[3]", HEADER + 8 * 22, 8, 0, c.perm[3], DLFS_EFORMAT, "perm[22]"},
    };
    for (size_t i = 0; i < TU_LEN(edits); i++) {
        const struct edit *ed = &edits[i];
        unsigned char *e = dup_bytes(b, len);
        const size_t at = ed->at + (ed->from_perm_end ? perm_end : 0);
        if (ed->width == 4)
            le32(e + at, (uint32_t)ed->value);
        else
            le64(e + at, ed->value);
        fix_crc(e, len);
        const dlfs_status st = load_bytes(e, len);
        const char *detail = dlfs_error_detail();
        if (st != ed->want || (ed->detail && !strstr(detail, ed->detail)))
            fail_msg("%s: %s, expected %s (%s)", ed->what, dlfs_strerror(st),
                     dlfs_strerror(ed->want), detail);
        if (st)
            assert_non_null(strstr(detail, "dlfs_checkpoint_load_buffer: buffer"));
        free(e);
    }

    /* the generator's state all zero */
    unsigned char *e = dup_bytes(b, len);
    memset(e + 96, 0, 32);
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_EFORMAT);
    assert_non_null(strstr(dlfs_error_detail(), "all zero"));
    free(e);

    /* the model image: broken inside, outer checksum right. Its own checks
     * speak, naming the checkpoint's model. */
    e = dup_bytes(b, len);
    e[perm_end + 8 + 56 + 3] ^= 0x20;   /* a parameter byte */
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_ECHECKSUM);
    assert_non_null(strstr(dlfs_error_detail(), "the model in buffer is corrupted"));
    free(e);

    e = dup_bytes(b, len);
    unsigned char *image = e + perm_end + 8;
    le64(image + 56, UINT64_C(0x7FF8000000000000));   /* W1[0][0] = NaN */
    fix_crc(image, (size_t)mlen);
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_ENONFINITE);
    assert_non_null(strstr(dlfs_error_detail(), "the model in buffer"));
    assert_non_null(strstr(dlfs_error_detail(), "W1[0][0]"));
    free(e);

    e = dup_bytes(b, len);
    memcpy(e + perm_end + 8, "DLFSCKPT", 8);   /* a checkpoint inside a checkpoint */
    fix_crc(e, len);
    assert_int_equal(load_bytes(e, len), DLFS_EFORMAT);
    free(e);

    free(b);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* ---- Memory ------------------------------------------------------------------------ */

/* Every allocation of a load, made to fail in turn: DLFS_ENOMEM, nothing
 * leaked, *out empty; then one that succeeds. */
static void test_load_out_of_memory(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    dlfs_checkpoint c;
    build(&c, &specs[1]);
    unsigned char *b;
    size_t len;
    encode(&c, path, &b, &len);
    for (int from_file = 0; from_file < 2; from_file++) {
        size_t k = 1;
        for (;; k++) {
            dlfs_checkpoint out;
            const long live0 = atomic_load(&live_blocks);
            fail_at = alloc_attempts + k;
            const dlfs_status st = from_file ? dlfs_checkpoint_load(&out, path)
                                             : dlfs_checkpoint_load_buffer(&out, b, len);
            fail_at = 0;
            if (st == DLFS_OK) {
                assert_same(&c, &out);
                dlfs_checkpoint_free(&out);
                assert_int_equal(atomic_load(&live_blocks), live0);
                break;
            }
            assert_int_equal(st, DLFS_ENOMEM);
            assert_true(is_empty(&out));
            assert_int_equal(atomic_load(&live_blocks), live0);
        }
        assert_true(k > 4);   /* perm, bitmap, the model's blocks, its names */
    }
    free(b);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* ---- The writer ---------------------------------------------------------------------- */

/* Writes with the writer allocate nothing, and give dlfs_checkpoint_save's bytes. */
static void test_writer_allocates_nothing(void **state)
{
    (void)state;
    char dir[64], path[128], path2[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(path2, sizeof path2, "%s/saved.ckpt", dir);
    dlfs_checkpoint c;
    build(&c, &specs[1]);
    dlfs__ckpt_writer w;
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, c.rows, "test"), DLFS_OK);

    /* What a training loop hands over: a struct copy of its model handle. */
    dlfs_checkpoint view = c;
    view.model = c.model;
    size_t n_params;
    double *params = (double *)dlfs_model_params(&c.model, &n_params);
    for (int round = 0; round < 3; round++) {
        params[0] += 0.25;                 /* the weights move between writes */
        view.iteration = c.iteration + (size_t)round;
        view.position = (size_t)round * 5;
        const size_t attempts0 = atomic_load(&alloc_attempts);
        const long live0 = atomic_load(&live_blocks);
        assert_int_equal(dlfs__ckpt_writer_write(&w, &view, "test"), DLFS_OK);
        assert_int_equal(atomic_load(&alloc_attempts), attempts0);
        assert_int_equal(atomic_load(&live_blocks), live0);

        dlfs_checkpoint loaded;
        assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_OK);
        assert_same(&view, &loaded);
        dlfs_checkpoint_free(&loaded);
        /* the same bytes as dlfs_checkpoint_save */
        assert_int_equal(dlfs_checkpoint_save(&view, path2), DLFS_OK);
        size_t l1, l2;
        unsigned char *b1 = tu_read_file(path, &l1), *b2 = tu_read_file(path2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        free(b1);
        free(b2);
    }
    assert_int_equal(tu_count_entries(dir), 2);
    dlfs__ckpt_writer_free(&w);
    dlfs__ckpt_writer_free(&w);   /* twice is fine */
    dlfs__ckpt_writer_free(NULL);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* The file at path is exactly `want`, and nothing else is in dir. */
static void assert_only_file(const char *dir, const char *path, const unsigned char *want,
                             size_t len)
{
    size_t got_len;
    unsigned char *got = tu_read_file(path, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    free(got);
    assert_int_equal(tu_count_entries(dir), 1);
}

/* A write that fails at every byte offset (a full disk), a failing fsync:
 * DLFS_EIO, the previous checkpoint intact and loadable, no temporary file. */
static void test_writer_failures(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    dlfs_checkpoint old, c;
    build(&old, &specs[1]);
    build(&c, &specs[1]);
    c.iteration = 500;
    c.position = 3;
    unsigned char *before;
    size_t len0;
    encode(&old, path, &before, &len0);

    dlfs__ckpt_writer w;
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, c.rows, "test"), DLFS_OK);
    const size_t len = w.len;
    for (size_t off = 0; off <= len; off++) {
        write_budget = off;
        write_chunk = off % 3 == 0 ? 0 : 1 + off % 61;   /* short writes on the way */
        const dlfs_status st = dlfs__ckpt_writer_write(&w, &c, "test");
        hooks_off();
        if (off == len) {   /* a budget of the whole file is enough */
            assert_int_equal(st, DLFS_OK);
            break;
        }
        if (st != DLFS_EIO || !strstr(dlfs_error_detail(), "cannot write") ||
            !strstr(dlfs_error_detail(), strerror(ENOSPC)) ||
            !strstr(dlfs_error_detail(), path))
            fail_msg("failing after %zu of %zu bytes: %s (%s)", off, len, dlfs_strerror(st),
                     dlfs_error_detail());
        assert_only_file(dir, path, before, len0);
    }
    dlfs_checkpoint loaded;
    assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_OK);
    assert_same(&c, &loaded);
    dlfs_checkpoint_free(&loaded);

    /* interrupted and short writes are carried on with */
    write_eintr = 3;
    write_chunk = 5;
    write_calls = 0;
    assert_int_equal(dlfs__ckpt_writer_write(&w, &old, "test"), DLFS_OK);
    assert_true(write_calls >= 3 + len / 5);
    hooks_off();
    assert_only_file(dir, path, before, len0);

    /* fsync fails: the new bytes never replace the old */
    fsync_fails = 1;
    assert_int_equal(dlfs__ckpt_writer_write(&w, &c, "test"), DLFS_EIO);
    hooks_off();
    assert_non_null(strstr(dlfs_error_detail(), "cannot flush to disk"));
    assert_non_null(strstr(dlfs_error_detail(), strerror(EIO)));
    assert_only_file(dir, path, before, len0);
    assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_OK);
    assert_same(&old, &loaded);
    dlfs_checkpoint_free(&loaded);

    dlfs__ckpt_writer_free(&w);
    free(before);
    dlfs_checkpoint_free(&old);
    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

static void test_writer_paths_and_modes(void **state)
{
    (void)state;
    const mode_t old_umask = umask(022);
    char dir[64], path[128], missing[160], sub[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/run.ckpt", dir);
    snprintf(sub, sizeof sub, "%s/adir", dir);
    dlfs_checkpoint c;
    build(&c, &specs[0]);
    dlfs__ckpt_writer w;

    /* a directory that does not exist: refused by init (before a training
     * run's first iteration), naming the path and the reason */
    assert_int_equal(dlfs__ckpt_writer_init(&w, missing, &c.model, c.rows, "test"), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), missing));
    assert_non_null(strstr(dlfs_error_detail(), strerror(ENOENT)));
    dlfs__ckpt_writer_free(&w);
    /* ... and by the write, when it goes after init */
    char gone[96];
    snprintf(gone, sizeof gone, "%s/gone", dir);
    assert_int_equal(mkdir(gone, 0755), 0);
    snprintf(missing, sizeof missing, "%s/gone/run.ckpt", dir);
    assert_int_equal(dlfs__ckpt_writer_init(&w, missing, &c.model, c.rows, "test"), DLFS_OK);
    assert_int_equal(rmdir(gone), 0);
    assert_int_equal(dlfs__ckpt_writer_write(&w, &c, "test"), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), missing));
    assert_non_null(strstr(dlfs_error_detail(), strerror(ENOENT)));
    dlfs__ckpt_writer_free(&w);
    assert_int_equal(dlfs_checkpoint_save(&c, missing), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_checkpoint_save: "));
    assert_int_equal(tu_count_entries(dir), 0);

    /* the path is a directory: the rename fails, the temporary goes */
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(dlfs_checkpoint_save(&c, sub), DLFS_EIO);
    assert_non_null(strstr(dlfs_error_detail(), "rename"));
    assert_int_equal(tu_count_entries(dir), 1);
    assert_int_equal(rmdir(sub), 0);

    /* a new file is 0666 less the umask; a replaced one keeps its mode */
    struct stat st;
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, c.rows, "test"), DLFS_OK);
    assert_int_equal(dlfs__ckpt_writer_write(&w, &c, "test"), DLFS_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(chmod(path, 0600), 0);
    c.iteration++;
    assert_int_equal(dlfs__ckpt_writer_write(&w, &c, "test"), DLFS_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(dlfs_checkpoint_save(&c, path), DLFS_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    dlfs__ckpt_writer_free(&w);

    /* a relative path (no directory part) */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(dlfs_checkpoint_save(&c, "r"), DLFS_OK);
    dlfs_checkpoint loaded;
    assert_int_equal(dlfs_checkpoint_load(&loaded, "r"), DLFS_OK);
    assert_same(&c, &loaded);
    dlfs_checkpoint_free(&loaded);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(tu_count_entries(dir), 2);

    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
    umask(old_umask);
}

/* What the writer and dlfs_checkpoint_save refuse, before any file is made. */
static void test_writer_refuses(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_make_dir(dir, "ckpt");
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    dlfs_checkpoint c;
    build(&c, &specs[1]);
    dlfs__ckpt_writer w;

    assert_int_equal(dlfs__ckpt_writer_init(NULL, path, &c.model, c.rows, "t"), DLFS_ENULL);
    assert_int_equal(dlfs__ckpt_writer_init(&w, NULL, &c.model, c.rows, "t"), DLFS_ENULL);
    assert_int_equal(dlfs__ckpt_writer_init(&w, "", &c.model, c.rows, "t"), DLFS_EINVAL);
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, NULL, c.rows, "t"), DLFS_ENULL);
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, 0, "t"), DLFS_EINVAL);
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, SIZE_MAX / 4, "t"),
                     DLFS_EOVERFLOW);
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, (size_t)1 << 28, "t"),
                     DLFS_EOVERFLOW);
    dlfs_model ols = {0};
    assert_int_equal(dlfs_model_alloc(&ols, DLFS_MODEL_OLS, 5, 0, 1), DLFS_OK);
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &ols, c.rows, "t"), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "closed-form"));
    dlfs_model_free(&ols);
    dlfs_model empty = {0};
    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &empty, c.rows, "t"), DLFS_EINVAL);
    assert_true(w.buf == NULL && w.path == NULL);
    assert_int_equal(dlfs__ckpt_writer_write(&w, &c, "t"), DLFS_EINVAL);   /* not initialised */

    assert_int_equal(dlfs__ckpt_writer_init(&w, path, &c.model, c.rows, "t"), DLFS_OK);
    assert_int_equal(dlfs__ckpt_writer_write(NULL, &c, "t"), DLFS_ENULL);
    assert_int_equal(dlfs__ckpt_writer_write(&w, NULL, "t"), DLFS_ENULL);

    /* each field the loader would refuse: EINVAL, and no file */
    dlfs_checkpoint e;
#define REFUSED(stmt, want, text)                                                  \
    do {                                                                           \
        e = c;                                                                     \
        stmt;                                                                      \
        const dlfs_status st_ = dlfs__ckpt_writer_write(&w, &e, "t");              \
        if (st_ != (want) || !strstr(dlfs_error_detail(), (text)))                 \
            fail_msg("%s: %s (%s)", #stmt, dlfs_strerror(st_), dlfs_error_detail()); \
        assert_int_equal(access(path, F_OK), -1);                                  \
        assert_int_equal(tu_count_entries(dir), 0);                                   \
    } while (0)
    REFUSED(e.iterations = 0, DLFS_EINVAL, "iterations (the run's total) is 0");
    REFUSED(e.iteration = 1001, DLFS_EINVAL, "iteration 1001 is past");
    REFUSED(e.batch_size = 0, DLFS_EINVAL, "batch_size is 0");
    REFUSED(e.learning_rate = 0.0, DLFS_EINVAL, "learning rate 0 is not");
    REFUSED(e.learning_rate = -1.0, DLFS_EINVAL, "learning rate -1 is not");
    REFUSED(e.learning_rate = NAN, DLFS_EINVAL, "learning rate");
    REFUSED(e.init = (dlfs_init)5, DLFS_EINVAL, "init 5 is unknown");
    REFUSED(e.backend = (dlfs_backend)-1, DLFS_EINVAL, "backend 4294967295 is unknown");
    REFUSED(e.ranks = 0, DLFS_EINVAL, "ranks is 0");
    REFUSED(e.position = 24, DLFS_EINVAL, "position 24 is past");
    REFUSED(memset(e.rng.s, 0, sizeof e.rng.s), DLFS_EINVAL, "all zero");
    REFUSED(e.rng.has_spare = 2, DLFS_EINVAL, "has_spare is 2");
    REFUSED(e.rng.spare = INFINITY, DLFS_EINVAL, "spare deviate is inf");
    REFUSED(e.rows = 22, DLFS_EINVAL, "has 22 rows; the writer was made for 23");
    REFUSED(e.perm = NULL, DLFS_ENULL, "perm is NULL");

    size_t *perm = malloc(c.rows * sizeof *perm);
    assert_non_null(perm);
    memcpy(perm, c.perm, c.rows * sizeof *perm);
    perm[7] = perm[2];
    REFUSED(e.perm = perm, DLFS_EINVAL, "perm[7] is");
    memcpy(perm, c.perm, c.rows * sizeof *perm);
    perm[0] = 23;
    REFUSED(e.perm = perm, DLFS_EINVAL, "perm[0] is 23, not below rows = 23");
    free(perm);

    /* a model of another layout, or not finite */
    size_t np;
    double *params = (double *)dlfs_model_params(&c.model, &np);
    params[3] = NAN;
    REFUSED((void)0, DLFS_ENONFINITE, "W1[0][3]");
    params[3] = 0.5;
    dlfs_model other;
    const struct spec sp_other = {DLFS_MODEL_NN, 5, 5, 2, 1, 23, 0, 0};
    build_model(&other, &sp_other);
    REFUSED(e.model = other, DLFS_EINVAL, "differs in kind, shapes, standardiser or names");
    dlfs_model_free(&other);
    const struct spec sp_plain = {DLFS_MODEL_NN, 5, 4, 2, 0, 23, 0, 0};
    build_model(&other, &sp_plain);
    REFUSED(e.model = other, DLFS_EINVAL, "differs");
    /* the same shapes and extras, names of other lengths */
    const char *const long_names[] = {"crime", "zn", "indus", "chas", "nox"};
    dlfs_model_free(&other);
    const struct spec sp_same = {DLFS_MODEL_NN, 5, 4, 2, 1, 23, 0, 0};
    build_model(&other, &sp_same);
    assert_int_equal(dlfs_model_set_names(&other, long_names, "medv"), DLFS_OK);
    REFUSED(e.model = other, DLFS_EINVAL, "names differ in length");
    /* names of the same lengths are another checkpoint of the same layout */
    const char *const same_len[] = {"CRIM", "ZN", "INDUS", "CHAS", "NOX"};
    assert_int_equal(dlfs_model_set_names(&other, same_len, "MEDV"), DLFS_OK);
    e = c;
    e.model = other;
    assert_int_equal(dlfs__ckpt_writer_write(&w, &e, "t"), DLFS_OK);
    dlfs_checkpoint loaded;
    assert_int_equal(dlfs_checkpoint_load(&loaded, path), DLFS_OK);
    assert_string_equal(loaded.model.feature_names[2], "INDUS");
    dlfs_checkpoint_free(&loaded);
    dlfs_model_free(&other);
#undef REFUSED
    dlfs__ckpt_writer_free(&w);

    /* dlfs_checkpoint_save checks the same, and its arguments */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(dlfs_checkpoint_save(NULL, path), DLFS_ENULL);
    assert_int_equal(dlfs_checkpoint_save(&c, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_checkpoint_save(&c, ""), DLFS_EINVAL);
    e = c;
    e.batch_size = 0;
    assert_int_equal(dlfs_checkpoint_save(&e, path), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(),
                           "dlfs_checkpoint_save: the checkpoint: batch_size is 0"));
    e = c;
    e.rows = 0;
    assert_int_equal(dlfs_checkpoint_save(&e, path), DLFS_EINVAL);
    assert_int_equal(tu_count_entries(dir), 0);

    dlfs_checkpoint_free(&c);
    tu_remove_tree(dir);
}

/* Every allocation of the writer's set-up, made to fail in turn. */
static void test_writer_out_of_memory(void **state)
{
    (void)state;
    dlfs_checkpoint c;
    build(&c, &specs[0]);
    size_t k = 1;
    for (;; k++) {
        dlfs__ckpt_writer w;
        const long live0 = atomic_load(&live_blocks);
        fail_at = alloc_attempts + k;
        const dlfs_status st = dlfs__ckpt_writer_init(&w, "/tmp/x.ckpt", &c.model, c.rows, "t");
        fail_at = 0;
        if (st == DLFS_OK) {
            dlfs__ckpt_writer_free(&w);
            assert_int_equal(atomic_load(&live_blocks), live0);
            break;
        }
        assert_int_equal(st, DLFS_ENOMEM);
        assert_true(w.buf == NULL && w.seen == NULL && w.path == NULL && w.tmp == NULL &&
                    w.dir == NULL);
        assert_int_equal(atomic_load(&live_blocks), live0);
    }
    assert_int_equal(k, 6);   /* buffer, bitmap, path, temporary name, directory */
    dlfs_checkpoint_free(&c);
}

static void test_free_and_nulls(void **state)
{
    (void)state;
    dlfs_checkpoint_free(NULL);
    dlfs_checkpoint zero = {0};
    dlfs_checkpoint_free(&zero);
    assert_true(is_empty(&zero));
    dlfs_checkpoint c;
    build(&c, &specs[2]);
    dlfs_checkpoint_free(&c);
    assert_true(is_empty(&c));
    dlfs_checkpoint_free(&c);

    unsigned char b[8] = "DLFSCKP";
    assert_int_equal(dlfs_checkpoint_load_buffer(NULL, b, 8), DLFS_ENULL);
    assert_int_equal(dlfs_checkpoint_load_buffer(&c, NULL, 8), DLFS_ENULL);
    assert_true(is_empty(&c));
    assert_int_equal(dlfs_checkpoint_load(NULL, "/tmp/x"), DLFS_ENULL);
    assert_int_equal(dlfs_checkpoint_load(&c, NULL), DLFS_ENULL);
    assert_true(is_empty(&c));
    assert_int_equal(dlfs_checkpoint_load_buffer(&c, b, 0), DLFS_ETRUNCATED);
    assert_true(is_empty(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_every_prefix_truncated),
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_load_out_of_memory),
        cmocka_unit_test(test_writer_allocates_nothing),
        cmocka_unit_test(test_writer_failures),
        cmocka_unit_test(test_writer_paths_and_modes),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test(test_writer_out_of_memory),
        cmocka_unit_test(test_free_and_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
