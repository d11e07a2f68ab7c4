/* tests/test_alloc.c - every allocation failure of every allocating public
 * function outside training (those are in test_train.c): for each operation,
 * a successful run counts its allocations, then the n-th is made to fail for
 * every n. Each failure must give DLFS_ENOMEM with a detail, leave the outputs
 * empty as the headers promise and the caller's inputs (models, matrices,
 * files) unchanged, and release everything: heap blocks, FILE streams and
 * file descriptors. dlfs_model_save must leave an existing target file
 * byte-identical and no temporary file behind. The functions that should not
 * allocate are checked to make no allocation at all.
 *
 * This program is linked with -Wl,--wrap= for malloc, calloc, realloc, free
 * (the counting allocator of alloc_wrap.h), fopen, fopen64, fdopen and fclose
 * (below); see tests/meson.build. Allocations made inside shared libraries (libc's
 * own, OpenBLAS's buffers and threads) are not seen, so they are neither
 * counted nor made to fail; only fopen and fdopen, the two places where the
 * library has stdio allocate for it (the FILE), are. When one of those fails
 * for want of memory it returns NULL with errno ENOMEM, as glibc does, and
 * the library must report DLFS_ENOMEM, not DLFS_EIO: the file is not at
 * fault. (Once open, glibc's stream falls back to unbuffered reads if its
 * buffer cannot be allocated, so fread never fails for want of memory.)
 *
 * One allocation may fail without failing the operation: the CSV reader
 * shrinks its row arrays to the rows read with realloc, and keeps the larger
 * block if that fails. Such a failure must be a shrinking realloc and must
 * give exactly the dataset a full run gives. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "alloc_wrap.h"
#include "testutil.h"

/* ---- counting allocator (heap: alloc_wrap.c; stdio here) ------------------------ */

FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
FILE *__real_fdopen(int fd, const char *mode);
int __real_fclose(FILE *f);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);
FILE *__wrap_fdopen(int fd, const char *mode);
int __wrap_fclose(FILE *f);

static atomic_size_t stdio_attempts;  /* fopen and fdopen calls (counted in alloc_attempts too) */
static atomic_long live_files;        /* streams opened and not yet closed */

/* A stream allocates its FILE: failing that is what glibc reports as ENOMEM. */
static FILE *count_stream(FILE *(*open_fn)(const char *, const char *), const char *path,
                          int fd, const char *mode)
{
    atomic_fetch_add(&stdio_attempts, 1);
    if (next_attempt_fails()) {
        errno = ENOMEM;
        return NULL;
    }
    FILE *f = open_fn ? open_fn(path, mode) : __real_fdopen(fd, mode);
    if (f)
        atomic_fetch_add(&live_files, 1);
    return f;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    return count_stream(__real_fopen, path, -1, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
    return count_stream(__real_fopen64, path, -1, mode);
}

FILE *__wrap_fdopen(int fd, const char *mode)
{
    return count_stream(NULL, NULL, fd, mode);
}

int __wrap_fclose(FILE *f)
{
    if (f)
        atomic_fetch_sub(&live_files, 1);
    return __real_fclose(f);
}

/* Open file descriptors of the process. opendir's own allocation is inside
 * libc, so it is not counted. */
static size_t open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;   /* the directory's own descriptor */
}

/* ---- files ----------------------------------------------------------------------- */

static void assert_file_holds(const char *path, const void *b, size_t len)
{
    size_t n = 0;
    unsigned char *got = tu_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, len);
    assert_memory_equal(got, b, len);
    free(got);
}

/* Entries of dir other than `keep` (NULL: any entry counts). */
static size_t entries_besides(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            !(keep && !strcmp(e->d_name, keep)))
            n++;
    closedir(d);
    return n;
}

/* ---- CSV texts whose datasets are known ---------------------------------------- */

/* The large table: LARGE_ROWS rows of 4 features and a target. The first 100
 * rows are padded with blanks, so the reader's estimate of the rows still to
 * come (from the bytes per row so far) is too low several times over and the
 * row arrays grow again and again. One field has 150 characters and more
 * than 19 significant digits: it goes through strtod in the reader's scratch
 * buffer, which then grows too. The text is larger than a pipe's buffer and
 * than the file reader's first block for a pipe. */
enum { LARGE_ROWS = 3000, LARGE_K = 4, LONG_ROW = 10, LONG_COL = 2, WIDE_COLS = 20, WIDE_ROWS = 3 };

static double large_x(size_t i, size_t j)
{
    if (i == LONG_ROW && j == LONG_COL)
        return 1.0;
    return (double)((i * 7 + j * 13) % 1000) / 4.0;
}

static double large_y(size_t i)
{
    return (double)i / 2.0;
}

static char *large_csv(size_t *len)
{
    size_t cap = 1 << 18, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n, "a,b,c,d,target\n");
    for (size_t i = 0; i < LARGE_ROWS; i++) {
        assert_true(cap - n > 1024);
        for (size_t j = 0; j < LARGE_K; j++) {
            if (i == LONG_ROW && j == LONG_COL) {
                t[n++] = '1';
                t[n++] = '.';
                for (int z = 0; z < 147; z++)
                    t[n++] = '0';
                t[n++] = '1';   /* 1 + 1e-148: the double 1.0 */
            } else {
                n += (size_t)snprintf(t + n, cap - n, "%.2f", large_x(i, j));
            }
            t[n++] = ',';
        }
        n += (size_t)snprintf(t + n, cap - n, "%.1f", large_y(i));
        if (i < 100)
            for (int z = 0; z < 400; z++)
                t[n++] = ' ';
        t[n++] = '\n';
    }
    *len = n;
    return t;
}

/* A header of quoted names, one holding doubled quotes, one a comma; the
 * target is named by its quoted name. CRLF line ends, a quoted number. */
static const char quoted_csv[] =
    "\"x \"\"one\"\"\",  \"y,two\" ,z\r\n"
    "1,2,3\r\n"
    "\"4\",5,6\r\n";

static const char small_csv[] = "a,b,target\n1.5,2,3\n4,-5e-1,6\n";

/* WIDE_COLS columns (more than the reader's first header block), no target. */
static char *wide_csv(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (size_t j = 0; j < WIDE_COLS; j++)
        n += (size_t)snprintf(t + n, cap - n, "%scol%zu", j ? "," : "", j);
    t[n++] = '\n';
    for (size_t i = 0; i < WIDE_ROWS; i++) {
        for (size_t j = 0; j < WIDE_COLS; j++)
            n += (size_t)snprintf(t + n, cap - n, "%s%g", j ? "," : "", (double)j + 0.5 * (double)i);
        t[n++] = '\n';
    }
    *len = n;
    return t;
}

/* ---- the fixture ---------------------------------------------------------------- */

enum { N = 60, K = 5, H = 7, N_PRED = 9 };

struct ctx {
    /* inputs, never changed by a call (checked against the copies) */
    dlfs_matrix X, y, Xv, yv;
    dlfs_linreg lr;          /* random weights */
    dlfs_nn nn;
    dlfs_standardizer scaler;
    const char *names[K];
    dlfs_model model_lr;     /* lr + scaler + names + target */
    dlfs_model model_nn;     /* nn + scaler + names */
    double *X0, *y0, *lr0, *nn0;
    void *enc_lr, *enc_nn;   /* their encodings */
    size_t enc_lr_len, enc_nn_len;

    /* references */
    dlfs_matrix split_ref[4];
    double ols_ref[K + 1], train_ref[K + 1];
    double P_lr_ref[N_PRED], P_nn_ref[N_PRED];

    /* in-out: restored after each successful run */
    dlfs_linreg work;        /* trained, fitted by OLS */

    /* CSV texts */
    char *large, *wide;
    size_t large_len, wide_len;

    /* files */
    char dir[64];
    char save_dir[96], save_path[128], new_path[128];
    char quoted_path[128], large_path[128], model_path[128];
    unsigned char old_bytes[37];   /* what save_path holds before each save */

    /* a pipe feeding dlfs_csv_read */
    int pipe_r, pipe_w;
    char pipe_path[64];
    pthread_t writer;

    /* outputs, filled with junk before each call */
    dlfs_matrix m;
    dlfs_linreg lr_out;
    dlfs_linreg_forward_info info;
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_standardizer sc;
    dlfs_matrix parts[4];
    dlfs_model model;
    void *buf;
    size_t len;
    double P_buf[N_PRED];
    dlfs_matrix P;
};

static dlfs_train_options train_options(struct ctx *c)
{
    dlfs_train_options o;
    dlfs_train_options_default(&o);
    o.iterations = 0;
    o.epochs = 3;
    o.batch_size = 16;
    o.learning_rate = 0.01;
    o.seed = 5;
    o.X_val = &c->Xv;
    o.y_val = &c->yv;
    o.eval_every = 4;
    return o;
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 2024);
    assert_int_equal(dlfs_matrix_alloc(&c->X, N, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&c->y, N, 1), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&c->Xv, 20, K), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&c->yv, 20, 1), DLFS_OK);
    tu_fill_normal(&c->X, &rng, 2.0);
    tu_fill_normal(&c->Xv, &rng, 2.0);
    for (size_t i = 0; i < N; i++)
        c->y.data[i] = 0.5 + c->X.data[i * K] - 2.0 * c->X.data[i * K + 3] + 0.1 * dlfs_rng_normal(&rng);
    for (size_t i = 0; i < 20; i++)
        c->yv.data[i] = 0.5 + c->Xv.data[i * K] - 2.0 * c->Xv.data[i * K + 3];
    assert_int_equal(dlfs_linreg_alloc(&c->lr, K, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_init(&c->lr, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_nn_alloc(&c->nn, K, H, 1), DLFS_OK);
    assert_int_equal(dlfs_nn_init(&c->nn, &rng, DLFS_INIT_NORMAL), DLFS_OK);
    assert_int_equal(dlfs_standardizer_fit(&c->scaler, &c->X), DLFS_OK);
    static const char *const names[K] = {"crime", "zoned", "\"industry\"", "river", "nox"};
    for (size_t j = 0; j < K; j++)
        c->names[j] = names[j];
    assert_int_equal(dlfs_model_from_linreg(&c->model_lr, &c->lr, &c->scaler, c->names, "price"),
                     DLFS_OK);
    assert_int_equal(dlfs_model_from_nn(&c->model_nn, &c->nn, &c->scaler, c->names, NULL), DLFS_OK);
    assert_int_equal(dlfs_model_encode(&c->model_lr, &c->enc_lr, &c->enc_lr_len), DLFS_OK);
    assert_int_equal(dlfs_model_encode(&c->model_nn, &c->enc_nn, &c->enc_nn_len), DLFS_OK);
    c->X0 = tu_dup_doubles(c->X.data, N * K);
    c->y0 = tu_dup_doubles(c->y.data, N);
    c->lr0 = tu_dup_doubles(c->lr.params, c->lr.n_params);
    c->nn0 = tu_dup_doubles(c->nn.params, c->nn.n_params);

    /* references, computed with other calls than the ones under test */
    assert_int_equal(dlfs_split(&c->X, &c->y, 0.25, 77, &c->split_ref[0], &c->split_ref[1],
                                &c->split_ref[2], &c->split_ref[3]), DLFS_OK);
    assert_int_equal(dlfs_linreg_alloc(&c->work, K, 1), DLFS_OK);
    assert_int_equal(dlfs_linreg_copy(&c->work, &c->lr), DLFS_OK);
    assert_int_equal(dlfs_ols_fit(&c->work, &c->X, &c->y), DLFS_OK);
    memcpy(c->ols_ref, c->work.params, sizeof c->ols_ref);
    assert_int_equal(dlfs_linreg_copy(&c->work, &c->lr), DLFS_OK);
    dlfs_train_options o = train_options(c);
    assert_int_equal(dlfs_linreg_train(&c->work, &c->X, &c->y, &o, NULL), DLFS_OK);
    memcpy(c->train_ref, c->work.params, sizeof c->train_ref);
    assert_int_equal(dlfs_linreg_copy(&c->work, &c->lr), DLFS_OK);
    assert_true(memcmp(c->ols_ref, c->lr0, sizeof c->ols_ref) != 0);
    assert_true(memcmp(c->train_ref, c->lr0, sizeof c->train_ref) != 0);
    {
        /* predictions on the first N_PRED rows: standardise, then predict */
        dlfs_matrix Xs, P;
        assert_int_equal(dlfs_matrix_alloc(&Xs, N_PRED, K), DLFS_OK);
        memcpy(Xs.data, c->X.data, N_PRED * K * sizeof(double));
        assert_int_equal(dlfs_standardizer_apply(&c->scaler, &Xs), DLFS_OK);
        P = dlfs_matrix_view(c->P_lr_ref, N_PRED, 1, 1);
        assert_int_equal(dlfs_linreg_predict(&c->lr, &Xs, &P), DLFS_OK);
        P = dlfs_matrix_view(c->P_nn_ref, N_PRED, 1, 1);
        assert_int_equal(dlfs_nn_predict(&c->nn, &Xs, &P), DLFS_OK);
        dlfs_matrix_free(&Xs);
    }

    c->large = large_csv(&c->large_len);
    c->wide = wide_csv(&c->wide_len);
    assert_true(c->large_len > (size_t)1 << 16);

    strcpy(c->dir, "/tmp/dlfs_test_alloc_XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->save_dir, sizeof c->save_dir, "%s/save", c->dir);
    assert_int_equal(mkdir(c->save_dir, 0755), 0);
    snprintf(c->save_path, sizeof c->save_path, "%s/model.dlfs", c->save_dir);
    snprintf(c->new_path, sizeof c->new_path, "%s/new.dlfs", c->save_dir);
    snprintf(c->quoted_path, sizeof c->quoted_path, "%s/quoted.csv", c->dir);
    snprintf(c->large_path, sizeof c->large_path, "%s/large.csv", c->dir);
    snprintf(c->model_path, sizeof c->model_path, "%s/nn.dlfs", c->dir);
    tu_write_file(c->quoted_path, quoted_csv, strlen(quoted_csv));
    tu_write_file(c->large_path, c->large, c->large_len);
    tu_write_file(c->model_path, c->enc_nn, c->enc_nn_len);
    for (size_t i = 0; i < sizeof c->old_bytes; i++)
        c->old_bytes[i] = (unsigned char)(i * 37 + 11);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    tu_remove_tree(c->dir);
    dlfs_matrix_free(&c->X);
    dlfs_matrix_free(&c->y);
    dlfs_matrix_free(&c->Xv);
    dlfs_matrix_free(&c->yv);
    dlfs_linreg_free(&c->lr);
    dlfs_linreg_free(&c->work);
    dlfs_nn_free(&c->nn);
    dlfs_standardizer_free(&c->scaler);
    dlfs_model_free(&c->model_lr);
    dlfs_model_free(&c->model_nn);
    for (int a = 0; a < 4; a++)
        dlfs_matrix_free(&c->split_ref[a]);
    free(c->enc_lr);
    free(c->enc_nn);
    free(c->X0);
    free(c->y0);
    free(c->lr0);
    free(c->nn0);
    free(c->large);
    free(c->wide);
    free(c);
    return 0;
}

/* Junk in every output: a call must not read it, and a failed one must
 * replace it by the empty value its header promises. */
static void poison_outputs(struct ctx *c)
{
    memset(&c->m, 0xA5, sizeof c->m);
    memset(&c->lr_out, 0xA5, sizeof c->lr_out);
    memset(&c->info, 0xA5, sizeof c->info);
    memset(&c->ds, 0xA5, sizeof c->ds);
    memset(&c->err, 0xA5, sizeof c->err);
    memset(&c->sc, 0xA5, sizeof c->sc);
    memset(c->parts, 0xA5, sizeof c->parts);
    memset(&c->model, 0xA5, sizeof c->model);
    memset(&c->buf, 0xA5, sizeof c->buf);
    memset(&c->len, 0xA5, sizeof c->len);
    tu_fill_value(c->P_buf, N_PRED, -2.0);
    c->P = dlfs_matrix_view(c->P_buf, N_PRED, 1, 1);
}

/* The caller's inputs are as they were. */
static void assert_inputs_unchanged(const struct ctx *c)
{
    assert_memory_equal(c->X.data, c->X0, N * K * sizeof(double));
    assert_memory_equal(c->y.data, c->y0, N * sizeof(double));
    assert_memory_equal(c->lr.params, c->lr0, c->lr.n_params * sizeof(double));
    assert_memory_equal(c->nn.params, c->nn0, c->nn.n_params * sizeof(double));
    /* the two models are compared through their encodings */
    void *b;
    size_t len;
    assert_int_equal(dlfs_model_encode(&c->model_lr, &b, &len), DLFS_OK);
    assert_int_equal(len, c->enc_lr_len);
    assert_memory_equal(b, c->enc_lr, len);
    free(b);
    assert_int_equal(dlfs_model_encode(&c->model_nn, &b, &len), DLFS_OK);
    assert_int_equal(len, c->enc_nn_len);
    assert_memory_equal(b, c->enc_nn, len);
    free(b);
}

static void assert_matrix_empty(const dlfs_matrix *m)
{
    assert_null(m->data);
    assert_int_equal(m->rows, 0);
    assert_int_equal(m->cols, 0);
    assert_int_equal(m->ld, 0);
}

static void assert_model_empty(const dlfs_model *m)
{
    assert_int_equal(m->kind, 0);
    assert_int_equal(m->k, 0);
    assert_int_equal(m->h, 0);
    assert_int_equal(m->m, 0);
    assert_null(m->linreg.params);
    assert_null(m->nn.params);
    assert_int_equal(m->has_scaler, 0);
    assert_null(m->scaler.mean);
    assert_null(m->scaler.sd);
    assert_null(m->feature_names);
    assert_null(m->target_name);
}

static void assert_dataset_empty(const dlfs_dataset *ds)
{
    assert_matrix_empty(&ds->X);
    assert_matrix_empty(&ds->y);
    assert_null(ds->feature_names);
    assert_null(ds->target_name);
}

/* A model equals a reference encoding; frees it. */
static void assert_model_is(dlfs_model *m, const void *enc, size_t enc_len)
{
    void *b;
    size_t len;
    assert_int_equal(dlfs_model_encode(m, &b, &len), DLFS_OK);
    assert_int_equal(len, enc_len);
    assert_memory_equal(b, enc, len);
    free(b);
    dlfs_model_free(m);
}

/* ---- the operations ------------------------------------------------------------ */

struct op {
    const char *name;
    dlfs_status (*run)(struct ctx *c);
    void (*ok)(struct ctx *c);       /* after success: the result is right; releases it */
    void (*failed)(struct ctx *c);   /* after a failure: outputs empty, files unchanged */
    void (*prepare)(struct ctx *c);  /* optional, before the call (not counted) */
    void (*finish)(struct ctx *c);   /* optional, after it (not counted) */
    size_t may_absorb;               /* shrinking reallocs whose failure is absorbed */
};

/* dlfs_matrix_alloc */
static dlfs_status run_matrix_alloc(struct ctx *c)
{
    return dlfs_matrix_alloc(&c->m, 7, 3);
}

static void ok_matrix_alloc(struct ctx *c)
{
    assert_int_equal(c->m.rows, 7);
    assert_int_equal(c->m.cols, 3);
    assert_int_equal(c->m.ld, 3);
    for (size_t i = 0; i < 21; i++)
        assert_true(c->m.data[i] == 0.0);
    dlfs_matrix_free(&c->m);
}

static void failed_matrix_alloc(struct ctx *c)
{
    assert_matrix_empty(&c->m);
}

/* dlfs_linreg_alloc */
static dlfs_status run_linreg_alloc(struct ctx *c)
{
    return dlfs_linreg_alloc(&c->lr_out, K, 2);
}

static void ok_linreg_alloc(struct ctx *c)
{
    assert_int_equal(c->lr_out.k, K);
    assert_int_equal(c->lr_out.m, 2);
    assert_int_equal(c->lr_out.n_params, K * 2 + 2);
    for (size_t i = 0; i < c->lr_out.n_params; i++)
        assert_true(c->lr_out.params[i] == 0.0);
    dlfs_linreg_free(&c->lr_out);
}

static void failed_linreg_alloc(struct ctx *c)
{
    assert_null(c->lr_out.params);
    assert_int_equal(c->lr_out.n_params, 0);
    assert_int_equal(c->lr_out.k, 0);
    assert_int_equal(c->lr_out.m, 0);
    assert_null(c->lr_out.W.data);
    assert_null(c->lr_out.B.data);
}

/* dlfs_linreg_forward_info_alloc */
static dlfs_status run_info_alloc(struct ctx *c)
{
    return dlfs_linreg_forward_info_alloc(&c->info, 23, 2);
}

static void ok_info_alloc(struct ctx *c)
{
    assert_int_equal(c->info.capacity, 23);
    assert_non_null(c->info.block);
    assert_int_equal(c->info.P.cols, 2);
    dlfs_linreg_forward_info_free(&c->info);
}

static void failed_info_alloc(struct ctx *c)
{
    assert_null(c->info.block);
    assert_int_equal(c->info.capacity, 0);
    assert_null(c->info.N.data);
    assert_null(c->info.P.data);
    assert_null(c->info.dL_dP.data);
}

/* dlfs_linreg_train (epochs, validation set): the weights are the caller's */
static dlfs_status run_linreg_train(struct ctx *c)
{
    dlfs_train_options o = train_options(c);
    return dlfs_linreg_train(&c->work, &c->X, &c->y, &o, NULL);
}

static void ok_linreg_train(struct ctx *c)
{
    assert_memory_equal(c->work.params, c->train_ref, sizeof c->train_ref);
    memcpy(c->work.params, c->lr0, sizeof c->train_ref);
}

static void failed_work_untouched(struct ctx *c)
{
    assert_memory_equal(c->work.params, c->lr0, c->work.n_params * sizeof(double));
}

/* dlfs_ols_fit */
static dlfs_status run_ols(struct ctx *c)
{
    return dlfs_ols_fit(&c->work, &c->X, &c->y);
}

static void ok_ols(struct ctx *c)
{
    assert_memory_equal(c->work.params, c->ols_ref, sizeof c->ols_ref);
    memcpy(c->work.params, c->lr0, sizeof c->ols_ref);
}

/* dlfs_standardizer_fit */
static dlfs_status run_std_fit(struct ctx *c)
{
    return dlfs_standardizer_fit(&c->sc, &c->X);
}

static void ok_std_fit(struct ctx *c)
{
    assert_int_equal(c->sc.k, K);
    assert_memory_equal(c->sc.mean, c->scaler.mean, K * sizeof(double));
    assert_memory_equal(c->sc.sd, c->scaler.sd, K * sizeof(double));
    dlfs_standardizer_free(&c->sc);
}

static void failed_std_fit(struct ctx *c)
{
    assert_int_equal(c->sc.k, 0);
    assert_null(c->sc.mean);
    assert_null(c->sc.sd);
}

/* dlfs_split */
static dlfs_status run_split(struct ctx *c)
{
    return dlfs_split(&c->X, &c->y, 0.25, 77, &c->parts[0], &c->parts[1], &c->parts[2],
                      &c->parts[3]);
}

static void ok_split(struct ctx *c)
{
    for (int a = 0; a < 4; a++) {
        const dlfs_matrix *r = &c->split_ref[a];
        assert_int_equal(c->parts[a].rows, r->rows);
        assert_int_equal(c->parts[a].cols, r->cols);
        assert_memory_equal(c->parts[a].data, r->data, r->rows * r->cols * sizeof(double));
        dlfs_matrix_free(&c->parts[a]);
    }
}

static void failed_split(struct ctx *c)
{
    for (int a = 0; a < 4; a++)
        assert_matrix_empty(&c->parts[a]);
}

/* ---- CSV ---- */

static void failed_csv(struct ctx *c)
{
    assert_dataset_empty(&c->ds);
    /* the error position and message are set, and agree with the detail */
    assert_true(c->err.message[0] != '\0');
    assert_string_equal(c->err.message, dlfs_error_detail());
}

static void assert_names(const dlfs_dataset *ds, const char *const *names, size_t k,
                         const char *target)
{
    assert_non_null(ds->feature_names);
    for (size_t j = 0; j < k; j++)
        assert_string_equal(ds->feature_names[j], names[j]);
    if (target)
        assert_string_equal(ds->target_name, target);
    else
        assert_null(ds->target_name);
}

static dlfs_status run_csv_small(struct ctx *c)
{
    return dlfs_csv_parse(small_csv, strlen(small_csv), NULL, (size_t)-1, &c->ds, &c->err);
}

static void ok_csv_small(struct ctx *c)
{
    static const char *const names[] = {"a", "b"};
    static const double X[] = {1.5, 2, 4, -0.5}, y[] = {3, 6};
    assert_int_equal(c->ds.X.rows, 2);
    assert_int_equal(c->ds.X.cols, 2);
    assert_memory_equal(c->ds.X.data, X, sizeof X);
    assert_memory_equal(c->ds.y.data, y, sizeof y);
    assert_names(&c->ds, names, 2, "target");
    dlfs_dataset_free(&c->ds);
}

static dlfs_status run_csv_quoted(struct ctx *c)
{
    return dlfs_csv_parse(quoted_csv, strlen(quoted_csv), "y,two", 0, &c->ds, &c->err);
}

static dlfs_status run_csv_read_quoted(struct ctx *c)
{
    return dlfs_csv_read(c->quoted_path, "y,two", 0, &c->ds, &c->err);
}

static void ok_csv_quoted(struct ctx *c)
{
    static const char *const names[] = {"x \"one\"", "z"};
    static const double X[] = {1, 3, 4, 6}, y[] = {2, 5};
    assert_int_equal(c->ds.X.rows, 2);
    assert_int_equal(c->ds.X.cols, 2);
    assert_memory_equal(c->ds.X.data, X, sizeof X);
    assert_memory_equal(c->ds.y.data, y, sizeof y);
    assert_names(&c->ds, names, 2, "y,two");
    dlfs_dataset_free(&c->ds);
}

static dlfs_status run_csv_wide(struct ctx *c)
{
    return dlfs_csv_parse(c->wide, c->wide_len, NULL, DLFS_CSV_NO_TARGET, &c->ds, &c->err);
}

static void ok_csv_wide(struct ctx *c)
{
    assert_int_equal(c->ds.X.rows, WIDE_ROWS);
    assert_int_equal(c->ds.X.cols, WIDE_COLS);
    assert_int_equal(c->ds.y.rows, WIDE_ROWS);
    assert_int_equal(c->ds.y.cols, 0);
    assert_null(c->ds.y.data);
    for (size_t i = 0; i < WIDE_ROWS; i++)
        for (size_t j = 0; j < WIDE_COLS; j++)
            assert_true(c->ds.X.data[i * c->ds.X.ld + j] == (double)j + 0.5 * (double)i);
    for (size_t j = 0; j < WIDE_COLS; j++) {
        char name[16];
        snprintf(name, sizeof name, "col%zu", j);
        assert_string_equal(c->ds.feature_names[j], name);
    }
    assert_null(c->ds.target_name);
    dlfs_dataset_free(&c->ds);
}

static dlfs_status run_csv_large(struct ctx *c)
{
    return dlfs_csv_parse(c->large, c->large_len, "target", 0, &c->ds, &c->err);
}

static dlfs_status run_csv_read_large(struct ctx *c)
{
    return dlfs_csv_read(c->large_path, "target", 0, &c->ds, &c->err);
}

static void ok_csv_large(struct ctx *c)
{
    static const char *const names[] = {"a", "b", "c", "d"};
    assert_int_equal(c->ds.X.rows, LARGE_ROWS);
    assert_int_equal(c->ds.X.cols, LARGE_K);
    assert_int_equal(c->ds.y.rows, LARGE_ROWS);
    for (size_t i = 0; i < LARGE_ROWS; i++) {
        for (size_t j = 0; j < LARGE_K; j++)
            assert_true(c->ds.X.data[i * c->ds.X.ld + j] == large_x(i, j));
        assert_true(c->ds.y.data[i * c->ds.y.ld] == large_y(i));
    }
    assert_names(&c->ds, names, LARGE_K, "target");
    dlfs_dataset_free(&c->ds);
}

/* The large CSV through a pipe: a file without a size, whose read buffer
 * grows. A thread writes the text; the reader's end is closed after the call,
 * so a writer left behind by a failed read stops with EPIPE. */
static void *pipe_writer(void *arg)
{
    struct ctx *c = arg;
    const char *p = c->large;
    size_t left = c->large_len;
    while (left > 0) {
        ssize_t w = write(c->pipe_w, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    close(c->pipe_w);
    return NULL;
}

static void prepare_pipe(struct ctx *c)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    c->pipe_r = fds[0];
    c->pipe_w = fds[1];
    snprintf(c->pipe_path, sizeof c->pipe_path, "/dev/fd/%d", c->pipe_r);
    assert_int_equal(pthread_create(&c->writer, NULL, pipe_writer, c), 0);
}

static void finish_pipe(struct ctx *c)
{
    close(c->pipe_r);
    assert_int_equal(pthread_join(c->writer, NULL), 0);
}

static dlfs_status run_csv_read_pipe(struct ctx *c)
{
    return dlfs_csv_read(c->pipe_path, "target", 0, &c->ds, &c->err);
}

/* ---- models and files ---- */

static dlfs_status run_from_linreg(struct ctx *c)
{
    return dlfs_model_from_linreg(&c->model, &c->lr, &c->scaler, c->names, "price");
}

static dlfs_status run_from_nn(struct ctx *c)
{
    return dlfs_model_from_nn(&c->model, &c->nn, &c->scaler, c->names, NULL);
}

static void ok_model_lr(struct ctx *c)
{
    assert_model_is(&c->model, c->enc_lr, c->enc_lr_len);
}

static void ok_model_nn(struct ctx *c)
{
    assert_model_is(&c->model, c->enc_nn, c->enc_nn_len);
}

static void failed_model(struct ctx *c)
{
    assert_model_empty(&c->model);
}

static dlfs_status run_encode(struct ctx *c)
{
    return dlfs_model_encode(&c->model_nn, &c->buf, &c->len);
}

static void ok_encode(struct ctx *c)
{
    assert_int_equal(c->len, c->enc_nn_len);
    assert_memory_equal(c->buf, c->enc_nn, c->len);
    free(c->buf);
}

static void failed_encode(struct ctx *c)
{
    assert_null(c->buf);
    assert_int_equal(c->len, 0);
}

static dlfs_status run_load_buffer_lr(struct ctx *c)
{
    return dlfs_model_load_buffer(&c->model, c->enc_lr, c->enc_lr_len, DLFS_MODEL_LINREG);
}

static dlfs_status run_load_buffer_nn(struct ctx *c)
{
    return dlfs_model_load_buffer(&c->model, c->enc_nn, c->enc_nn_len, DLFS_MODEL_ANY);
}

static dlfs_status run_load(struct ctx *c)
{
    return dlfs_model_load(&c->model, c->model_path, DLFS_MODEL_ANY);
}

/* Saving over an existing file (mode 0640, kept) */
static void prepare_save_existing(struct ctx *c)
{
    tu_write_file(c->save_path, c->old_bytes, sizeof c->old_bytes);
    assert_int_equal(chmod(c->save_path, 0640), 0);
}

static dlfs_status run_save_existing(struct ctx *c)
{
    return dlfs_model_save(&c->model_lr, c->save_path);
}

static void ok_save_existing(struct ctx *c)
{
    assert_file_holds(c->save_path, c->enc_lr, c->enc_lr_len);
    struct stat sb;
    assert_int_equal(stat(c->save_path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(entries_besides(c->save_dir, "model.dlfs"), 0);
}

static void failed_save_existing(struct ctx *c)
{
    assert_file_holds(c->save_path, c->old_bytes, sizeof c->old_bytes);
    assert_int_equal(entries_besides(c->save_dir, "model.dlfs"), 0);
}

/* Saving to a new file */
static void prepare_save_new(struct ctx *c)
{
    unlink(c->new_path);
}

static dlfs_status run_save_new(struct ctx *c)
{
    return dlfs_model_save(&c->model_nn, c->new_path);
}

static void ok_save_new(struct ctx *c)
{
    assert_file_holds(c->new_path, c->enc_nn, c->enc_nn_len);
    struct stat sb;
    assert_int_equal(stat(c->new_path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0644);
    assert_int_equal(unlink(c->new_path), 0);
    assert_int_equal(entries_besides(c->save_dir, "model.dlfs"), 0);
}

static void failed_save_new(struct ctx *c)
{
    assert_int_equal(access(c->new_path, F_OK), -1);
    assert_int_equal(entries_besides(c->save_dir, "model.dlfs"), 0);
}

/* dlfs_model_predict: both models carry a scaler, so a standardised copy of
 * the rows is allocated; the network's prediction allocates its hidden layer. */
static dlfs_status run_predict_lr(struct ctx *c)
{
    dlfs_matrix X = dlfs_matrix_view(c->X.data, N_PRED, K, K);
    return dlfs_model_predict(&c->model_lr, &X, &c->P);
}

static dlfs_status run_predict_nn(struct ctx *c)
{
    dlfs_matrix X = dlfs_matrix_view(c->X.data, N_PRED, K, K);
    return dlfs_model_predict(&c->model_nn, &X, &c->P);
}

static void ok_predict_lr(struct ctx *c)
{
    assert_memory_equal(c->P_buf, c->P_lr_ref, sizeof c->P_lr_ref);
}

static void ok_predict_nn(struct ctx *c)
{
    assert_memory_equal(c->P_buf, c->P_nn_ref, sizeof c->P_nn_ref);
}

static void failed_predict(struct ctx *c)
{
    for (size_t i = 0; i < N_PRED; i++)
        assert_true(c->P_buf[i] == -2.0);
}

/* ---- the driver ---------------------------------------------------------------- */

struct counts {
    size_t allocs;   /* allocation attempts of a successful run */
    size_t stdio;    /* of which fopen/fdopen */
};

/* Runs op once with the n-th allocation failing (n == 0: none) and checks
 * what is left. Returns the status. */
static dlfs_status run_once(struct ctx *c, const struct op *op, size_t n, struct counts *counted)
{
    const size_t fds0 = open_fds();
    const long live0 = atomic_load(&live_blocks), files0 = atomic_load(&live_files);
    if (op->prepare)
        op->prepare(c);
    poison_outputs(c);
    atomic_store(&failed_shrink, 0);
    atomic_store(&stdio_attempts, 0);
    atomic_store(&alloc_attempts, 0);
    atomic_store(&fail_at, n);
    const dlfs_status st = op->run(c);
    atomic_store(&fail_at, 0);
    if (counted) {
        counted->allocs = atomic_load(&alloc_attempts);
        counted->stdio = atomic_load(&stdio_attempts);
    }
    if (st == DLFS_OK)
        op->ok(c);
    else
        op->failed(c);
    if (op->finish)
        op->finish(c);
    /* nothing leaked: heap blocks, streams, descriptors */
    const long blocks = atomic_load(&live_blocks) - live0, files = atomic_load(&live_files) - files0;
    const size_t fds = open_fds();
    if (blocks || files || fds != fds0)
        print_error("%s, allocation %zu made to fail (%s): %ld blocks, %ld streams and %ld "
                    "descriptors left over\n", op->name, n, dlfs_strerror(st), blocks, files,
                    (long)fds - (long)fds0);
    assert_int_equal(blocks, 0);
    assert_int_equal(files, 0);
    assert_int_equal(fds, fds0);
    assert_inputs_unchanged(c);
    return st;
}

static void test_allocation_failures(void **state)
{
    struct ctx *c = *state;
    const struct op ops[] = {
        {"dlfs_matrix_alloc", run_matrix_alloc, ok_matrix_alloc, failed_matrix_alloc, NULL, NULL, 0},
        {"dlfs_linreg_alloc", run_linreg_alloc, ok_linreg_alloc, failed_linreg_alloc, NULL, NULL, 0},
        {"dlfs_linreg_forward_info_alloc", run_info_alloc, ok_info_alloc, failed_info_alloc,
         NULL, NULL, 0},
        {"dlfs_linreg_train (epochs, validation)", run_linreg_train, ok_linreg_train,
         failed_work_untouched, NULL, NULL, 0},
        {"dlfs_ols_fit", run_ols, ok_ols, failed_work_untouched, NULL, NULL, 0},
        {"dlfs_standardizer_fit", run_std_fit, ok_std_fit, failed_std_fit, NULL, NULL, 0},
        {"dlfs_split", run_split, ok_split, failed_split, NULL, NULL, 0},
        {"dlfs_csv_parse (small)", run_csv_small, ok_csv_small, failed_csv, NULL, NULL, 2},
        {"dlfs_csv_parse (quoted header)", run_csv_quoted, ok_csv_quoted, failed_csv, NULL, NULL, 2},
        {"dlfs_csv_parse (20 columns, no target)", run_csv_wide, ok_csv_wide, failed_csv,
         NULL, NULL, 1},
        {"dlfs_csv_parse (3000 rows)", run_csv_large, ok_csv_large, failed_csv, NULL, NULL, 2},
        {"dlfs_csv_read (quoted header)", run_csv_read_quoted, ok_csv_quoted, failed_csv,
         NULL, NULL, 2},
        {"dlfs_csv_read (3000 rows)", run_csv_read_large, ok_csv_large, failed_csv, NULL, NULL, 2},
        {"dlfs_csv_read (3000 rows from a pipe)", run_csv_read_pipe, ok_csv_large, failed_csv,
         prepare_pipe, finish_pipe, 2},
        {"dlfs_model_from_linreg", run_from_linreg, ok_model_lr, failed_model, NULL, NULL, 0},
        {"dlfs_model_from_nn", run_from_nn, ok_model_nn, failed_model, NULL, NULL, 0},
        {"dlfs_model_encode", run_encode, ok_encode, failed_encode, NULL, NULL, 0},
        {"dlfs_model_save (over a file)", run_save_existing, ok_save_existing,
         failed_save_existing, prepare_save_existing, NULL, 0},
        {"dlfs_model_save (new file)", run_save_new, ok_save_new, failed_save_new,
         prepare_save_new, NULL, 0},
        {"dlfs_model_load_buffer (linreg)", run_load_buffer_lr, ok_model_lr, failed_model,
         NULL, NULL, 0},
        {"dlfs_model_load_buffer (nn)", run_load_buffer_nn, ok_model_nn, failed_model,
         NULL, NULL, 0},
        {"dlfs_model_load", run_load, ok_model_nn, failed_model, NULL, NULL, 0},
        {"dlfs_model_predict (linreg)", run_predict_lr, ok_predict_lr, failed_predict,
         NULL, NULL, 0},
        {"dlfs_model_predict (nn)", run_predict_nn, ok_predict_nn, failed_predict, NULL, NULL, 0},
    };
    size_t paths = 0, absorbed_total = 0;
    for (size_t k = 0; k < TU_LEN(ops); k++) {
        const struct op *op = &ops[k];
        /* A first run warms up what libc and OpenBLAS set up on first use;
         * the second counts. */
        assert_int_equal(run_once(c, op, 0, NULL), DLFS_OK);
        struct counts cnt;
        assert_int_equal(run_once(c, op, 0, &cnt), DLFS_OK);
        assert_true(cnt.allocs >= 1);
        size_t absorbed = 0;
        for (size_t n = 1; n <= cnt.allocs; n++) {
            const dlfs_status st = run_once(c, op, n, NULL);
            if (st == DLFS_OK) {
                /* only a shrinking realloc may fail unnoticed, and the result
                 * was checked to be the full run's by op->ok */
                if (!atomic_load(&failed_shrink))
                    print_error("%s: allocation %zu of %zu failed, yet the call succeeded\n",
                                op->name, n, cnt.allocs);
                assert_true(atomic_load(&failed_shrink));
                absorbed++;
                continue;
            }
            if (st != DLFS_ENOMEM)
                print_error("%s: allocation %zu of %zu failed, got %s (%s)\n", op->name, n,
                            cnt.allocs, dlfs_strerror(st), dlfs_error_detail());
            assert_int_equal(st, DLFS_ENOMEM);
            assert_true(strlen(dlfs_error_detail()) > 0);
            paths++;
        }
        assert_true(absorbed <= op->may_absorb);
        absorbed_total += absorbed;
        print_message("%-40s %3zu allocations (%zu by stdio), each made to fail: %zu DLFS_ENOMEM, "
                      "%zu absorbed\n", op->name, cnt.allocs, cnt.stdio, cnt.allocs - absorbed,
                      absorbed);
    }
    print_message("allocation failure paths tried: %zu (%zu giving DLFS_ENOMEM, %zu absorbed "
                  "shrinking reallocs)\n", paths + absorbed_total, paths, absorbed_total);
    assert_true(paths >= 60);
}

/* The large CSV really makes the row arrays grow several times. */
static void test_csv_growth(void **state)
{
    struct ctx *c = *state;
    dlfs_dataset ds;
    atomic_store(&realloc_attempts, 0);
    assert_int_equal(dlfs_csv_parse(c->large, c->large_len, "target", 0, &ds, NULL), DLFS_OK);
    const size_t reallocs = atomic_load(&realloc_attempts);
    dlfs_dataset_free(&ds);
    print_message("dlfs_csv_parse of %d rows (%zu bytes): %zu reallocs\n", LARGE_ROWS,
                  c->large_len, reallocs);
    /* X and y: the first block, at least 4 growths and the final shrink
     * each; the scratch of the long field once */
    assert_true(reallocs >= 2 * (1 + 4 + 1) + 1);
}

/* ---- functions that allocate nothing -------------------------------------------- */

static void test_no_allocation(void **state)
{
    struct ctx *c = *state;
    dlfs_matrix X = dlfs_matrix_view(c->X.data, N_PRED, K, K);
    double pb[N_PRED];
    dlfs_matrix P = dlfs_matrix_view(pb, N_PRED, 1, 1);
    dlfs_matrix Xs;
    assert_int_equal(dlfs_matrix_alloc(&Xs, N_PRED, K), DLFS_OK);
    dlfs_metrics met;
    dlfs_blas_info info;
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    dlfs_linreg_forward_info fi;
    assert_int_equal(dlfs_linreg_forward_info_alloc(&fi, N_PRED, 1), DLFS_OK);
    dlfs_matrix y = dlfs_matrix_view(c->y.data, N_PRED, 1, 1);
    double loss;
    /* warm-up (OpenBLAS) */
    assert_int_equal(dlfs_linreg_predict(&c->lr, &X, &P), DLFS_OK);
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);

    const long live0 = atomic_load(&live_blocks);
    atomic_store(&alloc_attempts, 0);
    assert_int_equal(dlfs_linreg_predict(&c->lr, &X, &P), DLFS_OK);
    assert_int_equal(dlfs_linreg_forward(&c->lr, &X, &y, &fi, &loss), DLFS_OK);
    assert_int_equal(dlfs_metrics_compute(&P, &y, &met), DLFS_OK);
    assert_int_equal(dlfs_matrix_copy(&Xs, &X), DLFS_OK);
    assert_int_equal(dlfs_standardizer_apply(&c->scaler, &Xs), DLFS_OK);
    assert_int_equal(dlfs_standardizer_invert(&c->scaler, &Xs), DLFS_OK);
    assert_int_equal(dlfs_blas_info_get(&info), DLFS_OK);
    assert_int_equal(dlfs_blas_info_print(null, &info), DLFS_OK);
    assert_int_equal(dlfs_linreg_copy(&c->work, &c->lr), DLFS_OK);
    const size_t n = atomic_load(&alloc_attempts);
    print_message("dlfs_linreg_predict, dlfs_linreg_forward, dlfs_metrics_compute, "
                  "dlfs_matrix_copy, dlfs_standardizer_apply/invert, dlfs_blas_info_get/print, "
                  "dlfs_linreg_copy: %zu allocations\n", n);
    assert_int_equal(n, 0);
    assert_int_equal(atomic_load(&live_blocks), live0);
    assert_true(isfinite(met.rmse));

    fclose(null);
    dlfs_linreg_forward_info_free(&fi);
    dlfs_matrix_free(&Xs);
}

int main(void)
{
    /* a pipe reader that fails early leaves its writer to EPIPE, not SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_growth),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_no_allocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
