/* src/checkpoint.c - training checkpoints: the allocation-free writer, the
 * atomic save, checked loading. The format and the order of the loader's
 * checks are in dlfs/checkpoint.h, the writer in checkpoint_impl.h.
 *
 * The writer and the loader share one representation of the header (struct
 * fields) and one check of it, so that whatever the writer accepts the
 * loader accepts too: a checkpoint that could not be loaded is refused before
 * it replaces a good one.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/checkpoint.h>
#include "atomic_file.h"
#include "bytes.h"
#include "checkpoint_impl.h"
#include "internal.h"
#include "model_file_impl.h"

static const unsigned char magic[8] = {'D', 'L', 'F', 'S', 'C', 'K', 'P', 'T'};

enum {
    HEADER_BYTES = 144,
    LENGTH_BYTES = 8,                 /* the model's length, L */
    CRC_BYTES = 4,
    FIXED_BYTES = HEADER_BYTES + LENGTH_BYTES + CRC_BYTES,  /* all but perm and model */
    MODEL_MIN_BYTES = 60,             /* the least a model file may declare */
    MIN_BYTES = FIXED_BYTES + 8 + MODEL_MIN_BYTES           /* one row: 224 */
};

/* The header as numbers, for both directions. */
struct fields {
    uint32_t kind;
    uint64_t flen;                    /* the (declared) file length */
    uint64_t iteration, iterations, batch_size;
    double lr;
    uint64_t seed;
    uint32_t init, backend;
    uint64_t ranks, rows, position;
    uint64_t s[4];
    double spare;
    uint32_t has_spare, reserved;
};

static void put_fields(unsigned char *b, const struct fields *f)
{
    memcpy(b, magic, sizeof magic);
    dlfs__put_u32(b + 8, DLFS_CHECKPOINT_FORMAT_VERSION);
    dlfs__put_u32(b + 12, f->kind);
    dlfs__put_u64(b + 16, f->flen);
    dlfs__put_u64(b + 24, f->iteration);
    dlfs__put_u64(b + 32, f->iterations);
    dlfs__put_u64(b + 40, f->batch_size);
    dlfs__put_f64(b + 48, f->lr);
    dlfs__put_u64(b + 56, f->seed);
    dlfs__put_u32(b + 64, f->init);
    dlfs__put_u32(b + 68, f->backend);
    dlfs__put_u64(b + 72, f->ranks);
    dlfs__put_u64(b + 80, f->rows);
    dlfs__put_u64(b + 88, f->position);
    for (int i = 0; i < 4; i++)
        dlfs__put_u64(b + 96 + 8 * i, f->s[i]);
    dlfs__put_f64(b + 128, f->spare);
    dlfs__put_u32(b + 136, f->has_spare);
    dlfs__put_u32(b + 140, f->reserved);
}

/* Everything after the version, which parse_envelope() has read. */
static void get_fields(const unsigned char *b, struct fields *f)
{
    f->kind = dlfs__get_u32(b + 12);
    f->flen = dlfs__get_u64(b + 16);
    f->iteration = dlfs__get_u64(b + 24);
    f->iterations = dlfs__get_u64(b + 32);
    f->batch_size = dlfs__get_u64(b + 40);
    f->lr = dlfs__get_f64(b + 48);
    f->seed = dlfs__get_u64(b + 56);
    f->init = dlfs__get_u32(b + 64);
    f->backend = dlfs__get_u32(b + 68);
    f->ranks = dlfs__get_u64(b + 72);
    f->rows = dlfs__get_u64(b + 80);
    f->position = dlfs__get_u64(b + 88);
    for (int i = 0; i < 4; i++)
        f->s[i] = dlfs__get_u64(b + 96 + 8 * i);
    f->spare = dlfs__get_f64(b + 128);
    f->has_spare = dlfs__get_u32(b + 136);
    f->reserved = dlfs__get_u32(b + 140);
}

/* ---- Checks shared by the writer and the loader ---------------------------- */

typedef unsigned long long ull;   /* for printing the u64 fields */

/* Check 9 of dlfs/checkpoint.h: the run's fields, each on its own. `bad` is
 * DLFS_EFORMAT for a file and DLFS_EINVAL for an argument. */
static dlfs_status check_run(const struct fields *f, dlfs_status bad, const char *fn,
                             const char *src)
{
    if (f->iterations == 0)
        return dlfs__fail(bad, "%s: %s: iterations (the run's total) is 0", fn, src);
    if (f->iteration > f->iterations)
        return dlfs__fail(bad, "%s: %s: iteration %llu is past the run's %llu iterations", fn,
                          src, (ull)f->iteration, (ull)f->iterations);
    if (f->batch_size == 0)
        return dlfs__fail(bad, "%s: %s: batch_size is 0", fn, src);
    if (!isfinite(f->lr) || !(f->lr > 0.0))
        return dlfs__fail(bad, "%s: %s: learning rate %g is not a positive finite number", fn,
                          src, f->lr);
    if (f->init > INT_MAX || !dlfs_init_name((dlfs_init)f->init))
        return dlfs__fail(bad, "%s: %s: init %u is unknown (0 normal, 1 scaled)", fn, src,
                          (unsigned)f->init);
    if (f->backend > INT_MAX || !dlfs_backend_name((dlfs_backend)f->backend))
        return dlfs__fail(bad, "%s: %s: backend %u is unknown (0 blas, 1 naive, 2 xsmm, 3 auto)", fn, src,
                          (unsigned)f->backend);
    if (f->ranks == 0)
        return dlfs__fail(bad, "%s: %s: ranks is 0", fn, src);
    if (f->rows == 0)
        return dlfs__fail(bad, "%s: %s: rows is 0", fn, src);
    if (f->position > f->rows)
        return dlfs__fail(bad, "%s: %s: position %llu is past the permutation's %llu rows", fn,
                          src, (ull)f->position, (ull)f->rows);
    return DLFS_OK;
}

/* Check 9, continued: the generator's state and the reserved field. */
static dlfs_status check_rng(const struct fields *f, dlfs_status bad, const char *fn,
                             const char *src)
{
    if ((f->s[0] | f->s[1] | f->s[2] | f->s[3]) == 0)
        return dlfs__fail(bad, "%s: %s: the generator's state is all zero, which "
                          "xoshiro256** never reaches", fn, src);
    if (f->has_spare > 1)
        return dlfs__fail(bad, "%s: %s: has_spare is %u, not 0 or 1", fn, src,
                          (unsigned)f->has_spare);
    if (!isfinite(f->spare))
        return dlfs__fail(bad, "%s: %s: the generator's spare deviate is %g", fn, src, f->spare);
    if (f->reserved != 0)
        return dlfs__fail(bad, "%s: %s: the reserved field is %08x, not 0", fn, src,
                          (unsigned)f->reserved);
    return DLFS_OK;
}

/* Check 13 for entry i: its value v is below rows and not in seen (a bitmap
 * of rows bits, cleared before entry 0), into which it then goes. */
static inline dlfs_status mark(unsigned char *seen, uint64_t v, size_t i, uint64_t rows,
                               dlfs_status bad, const char *fn, const char *src)
{
    if (v >= rows)
        return dlfs__fail(bad, "%s: %s: perm[%zu] is %llu, not below rows = %llu", fn, src, i,
                          (ull)v, (ull)rows);
    unsigned char *byte = &seen[v >> 3];
    const unsigned char bit = (unsigned char)(1u << (v & 7));
    if (*byte & bit)
        return dlfs__fail(bad, "%s: %s: perm[%zu] is %llu, which an earlier entry is too (a "
                          "permutation holds each row once)", fn, src, i, (ull)v);
    *byte |= bit;
    return DLFS_OK;
}

/* ---- The writer ------------------------------------------------------------ */

/* Only the gradient-trained kinds have a run to continue. */
static dlfs_status check_trained_kind(const dlfs_model *model, const char *fn)
{
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    if (model->kind == DLFS_MODEL_OLS)
        return dlfs__fail(DLFS_EINVAL, "%s: the model is a closed-form fit (ols), which has "
                          "no training run to checkpoint", fn);
    if (model->kind != DLFS_MODEL_LINREG && model->kind != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EINVAL, "%s: model kind %d is neither linreg (1) nor nn (2)",
                          fn, (int)model->kind);
    return DLFS_OK;
}

/* *len = the file's length for rows rows and a model image of model_len. */
static dlfs_status file_length(size_t rows, size_t model_len, size_t *len, const char *fn)
{
    if (rows == 0)
        return dlfs__fail(DLFS_EINVAL, "%s: rows is 0", fn);
    size_t t;
    if (!dlfs__mul(rows, 8, &t) || !dlfs__add(t, FIXED_BYTES, &t) ||
        !dlfs__add(t, model_len, len) || *len > DLFS_CHECKPOINT_FILE_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: a checkpoint of %zu rows and a %zu-byte model "
                          "is larger than the %zu bytes dlfs_checkpoint_load reads", fn, rows,
                          model_len, (size_t)DLFS_CHECKPOINT_FILE_MAX);
    return DLFS_OK;
}

static void record_layout(dlfs__ckpt_writer *w, const dlfs_model *model, size_t model_len)
{
    w->kind = model->kind;
    w->k = model->k;
    w->h = model->h;
    w->m = model->m;
    w->has_scaler = !!model->has_scaler;
    w->has_names = model->feature_names != NULL;
    w->has_target = model->target_name != NULL;
    w->model_len = model_len;
}

dlfs_status dlfs__ckpt_writer_init(dlfs__ckpt_writer *w, const char *path,
                                   const dlfs_model *model, size_t rows, const char *fn)
{
    if (!w)
        return dlfs__fail(DLFS_ENULL, "%s: w is NULL", fn);
    *w = (dlfs__ckpt_writer){0};
    if (!path)
        return dlfs__fail(DLFS_ENULL, "%s: path is NULL", fn);
    if (!*path)
        return dlfs__fail(DLFS_EINVAL, "%s: path is empty", fn);
    dlfs_status st;
    size_t model_len = 0, len = 0;
    if ((st = check_trained_kind(model, fn)) ||
        (st = dlfs__model_encoded_size(model, &model_len, fn)) ||
        (st = file_length(rows, model_len, &len, fn)))
        return st;
    const size_t plen = strlen(path);
    w->buf = malloc(len);
    w->seen = malloc(rows / 8 + 1);
    w->path = malloc(plen + 1);
    w->tmp = malloc(plen + sizeof ".XXXXXX");
    w->dir = malloc(plen + 1);
    if (!w->buf || !w->seen || !w->path || !w->tmp || !w->dir) {
        dlfs__ckpt_writer_free(w);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate the %zu bytes of a checkpoint "
                          "of %zu rows", fn, len, rows);
    }
    w->len = len;
    w->rows = rows;
    record_layout(w, model, model_len);
    memcpy(w->path, path, plen + 1);
    w->plen = plen;
    memcpy(w->tmp, path, plen);
    dlfs__parent_dir(path, w->dir);
    /* A directory that is missing or not writable is found now, before the
     * run's first iteration, not at its first checkpoint. */
    struct stat sb;
    int err = 0;
    if (stat(w->dir, &sb) != 0)
        err = errno;
    else if (!S_ISDIR(sb.st_mode))
        err = ENOTDIR;
    else if (access(w->dir, W_OK | X_OK) != 0)
        err = errno;
    if (err) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot write the checkpoint %s: directory %s: %s", fn,
                        path, w->dir, strerror(err));
        dlfs__ckpt_writer_free(w);
        return st;
    }
    return DLFS_OK;
}

void dlfs__ckpt_writer_free(dlfs__ckpt_writer *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w->seen);
    free(w->path);
    free(w->tmp);
    free(w->dir);
    *w = (dlfs__ckpt_writer){0};
}

/* c against what the writer was made for: its rows, and a model whose image
 * has the layout and length of the buffer's (names of other lengths would
 * not fit). The model checks of dlfs_model_save() come with the length. */
static dlfs_status check_against_writer(const dlfs__ckpt_writer *w, const dlfs_checkpoint *c,
                                        const char *fn)
{
    if (!c->perm)
        return dlfs__fail(DLFS_ENULL, "%s: the checkpoint's perm is NULL", fn);
    if (c->rows != w->rows)
        return dlfs__fail(DLFS_EINVAL, "%s: the checkpoint has %zu rows; the writer was made "
                          "for %zu", fn, c->rows, w->rows);
    const dlfs_model *m = &c->model;
    if (m->kind != w->kind || m->k != w->k || m->h != w->h || m->m != w->m ||
        !!m->has_scaler != w->has_scaler || (m->feature_names != NULL) != w->has_names ||
        (m->target_name != NULL) != w->has_target)
        return dlfs__fail(DLFS_EINVAL, "%s: the checkpoint's model (kind %d, %zu -> %zu -> "
                          "%zu) differs in kind, shapes, standardiser or names from the model "
                          "the writer was made for (kind %d, %zu -> %zu -> %zu)", fn,
                          (int)m->kind, m->k, m->h, m->m, (int)w->kind, w->k, w->h, w->m);
    size_t model_len = 0;
    dlfs_status st = dlfs__model_encoded_size(m, &model_len, fn);
    if (st)
        return st;
    if (model_len != w->model_len)
        return dlfs__fail(DLFS_EINVAL, "%s: the checkpoint's model takes %zu bytes, the "
                          "writer's %zu: its names differ in length", fn, model_len,
                          w->model_len);
    return DLFS_OK;
}

static void fields_of(const dlfs__ckpt_writer *w, const dlfs_checkpoint *c, struct fields *f)
{
    *f = (struct fields){
        .kind = (uint32_t)w->kind, .flen = (uint64_t)w->len,
        .iteration = c->iteration, .iterations = c->iterations, .batch_size = c->batch_size,
        .lr = c->learning_rate, .seed = c->seed,
        .init = (uint32_t)c->init, .backend = (uint32_t)c->backend,
        .ranks = c->ranks, .rows = c->rows, .position = c->position,
        .s = {c->rng.s[0], c->rng.s[1], c->rng.s[2], c->rng.s[3]},
        .spare = c->rng.spare, .has_spare = (uint32_t)c->rng.has_spare, .reserved = 0,
    };
}

/* The file's bytes into w->buf; the permutation is checked on the way. */
static dlfs_status encode(dlfs__ckpt_writer *w, const dlfs_checkpoint *c,
                          const struct fields *f, const char *fn)
{
    unsigned char *b = w->buf;
    put_fields(b, f);
    memset(w->seen, 0, w->rows / 8 + 1);
    unsigned char *p = b + HEADER_BYTES;
    for (size_t i = 0; i < w->rows; i++, p += 8) {
        const dlfs_status st = mark(w->seen, c->perm[i], i, w->rows, DLFS_EINVAL, fn,
                                    "the checkpoint");
        if (st)
            return st;
        dlfs__put_u64(p, c->perm[i]);
    }
    dlfs__put_u64(p, w->model_len);
    dlfs__model_encode_into(&c->model, p + LENGTH_BYTES, w->model_len);
    dlfs__put_u32(b + w->len - CRC_BYTES, dlfs__crc32(b, w->len - CRC_BYTES));
    return DLFS_OK;
}

/* write(2) until all n bytes are written: a short write is continued, an
 * interrupted one retried. 0, or -1 with errno set. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        const ssize_t got = write(fd, p, n < (size_t)SSIZE_MAX ? n : (size_t)SSIZE_MAX);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;   /* no progress and no reason: do not spin */
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* The buffer to a temporary file, then over the path (see checkpoint_impl.h). */
static dlfs_status write_file(dlfs__ckpt_writer *w, const char *fn)
{
    const int fd = dlfs__create_temp(w->tmp, w->plen);
    if (fd < 0)
        return dlfs__fail(DLFS_EIO, "%s: cannot create a temporary file %s (writing %s): %s",
                          fn, w->tmp, w->path, strerror(errno));
    const char *step = NULL;
    int err = 0;
    if (dlfs__keep_mode(fd, w->path) != 0)
        step = "set the mode of";
    else if (write_all(fd, w->buf, w->len) != 0)
        step = "write";
    else if (fsync(fd) != 0)
        step = "flush to disk";
    if (step)
        err = errno;
    /* After fsync a failed close loses nothing, but it is still a failure
     * the caller should hear of, and the file is not trusted. */
    if (close(fd) != 0 && !step) {
        step = "close";
        err = errno;
    }
    if (!step && rename(w->tmp, w->path) != 0) {
        step = "rename over the target";
        err = errno;
    }
    if (step) {
        unlink(w->tmp);
        return dlfs__fail(DLFS_EIO, "%s: cannot %s %s (writing %s): %s", fn, step, w->tmp,
                          w->path, strerror(err));
    }
    dlfs__sync_dir(w->dir);
    return DLFS_OK;
}

dlfs_status dlfs__ckpt_writer_write(dlfs__ckpt_writer *w, const dlfs_checkpoint *c,
                                    const char *fn)
{
    if (!w || !c)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, !w ? "w" : "c");
    if (!w->buf)
        return dlfs__fail(DLFS_EINVAL, "%s: the checkpoint writer is not initialised", fn);
    dlfs_status st;
    if ((st = check_against_writer(w, c, fn)))
        return st;
    struct fields f;
    fields_of(w, c, &f);
    if ((st = check_run(&f, DLFS_EINVAL, fn, "the checkpoint")) ||
        (st = check_rng(&f, DLFS_EINVAL, fn, "the checkpoint")) ||
        (st = encode(w, c, &f, fn)))
        return st;
    return write_file(w, fn);
}

dlfs_status dlfs_checkpoint_save(const dlfs_checkpoint *c, const char *path)
{
    static const char fn[] = "dlfs_checkpoint_save";
    if (!c)
        return dlfs__fail(DLFS_ENULL, "%s: c is NULL", fn);
    dlfs__ckpt_writer w;
    dlfs_status st = dlfs__ckpt_writer_init(&w, path, &c->model, c->rows, fn);
    if (!st)
        st = dlfs__ckpt_writer_write(&w, c, fn);
    dlfs__ckpt_writer_free(&w);
    return st;
}

/* ---- Loading ----------------------------------------------------------------- */

/* Check 1 failed: say what the bytes are if they are a model file, the file
 * most easily given in a checkpoint's place. */
static dlfs_status bad_magic(const unsigned char *b, size_t len, const char *fn,
                             const char *src)
{
    if (len >= 8 && memcmp(b, "DLFSMODL", 8) == 0)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s is a dlfs model file, not a training "
                          "checkpoint: it predicts, it does not continue a run", fn, src);
    return dlfs__fail(DLFS_EFORMAT, "%s: %s is not a dlfs training checkpoint (bad magic "
                      "number)", fn, src);
}

/* Checks 1 to 8: what the bytes are, before their fields; *f is read. */
static dlfs_status parse_envelope(struct fields *f, const unsigned char *b, size_t len,
                                  const char *fn, const char *src)
{
    if (memcmp(b, magic, len < sizeof magic ? len : sizeof magic) != 0)
        return bad_magic(b, len, fn, src);
    if (len < HEADER_BYTES)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes, fewer than the %d-byte "
                          "header", fn, src, len, HEADER_BYTES);
    const uint32_t version = dlfs__get_u32(b + 8);
    if (version != DLFS_CHECKPOINT_FORMAT_VERSION)
        return dlfs__fail(DLFS_EVERSION, "%s: %s has checkpoint format version %u; this "
                          "library reads version %u", fn, src, (unsigned)version,
                          DLFS_CHECKPOINT_FORMAT_VERSION);
    get_fields(b, f);
    if (f->kind != DLFS_MODEL_LINREG && f->kind != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EKIND, "%s: %s holds model kind %u, which is neither "
                          "linreg (1) nor nn (2)", fn, src, (unsigned)f->kind);
    if (f->flen < MIN_BYTES)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s declares a length of %llu bytes, less than "
                          "the smallest checkpoint (%d)", fn, src, (ull)f->flen, MIN_BYTES);
    if (f->flen > (uint64_t)len)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes but its header declares %llu",
                          fn, src, len, (ull)f->flen);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* A fuzzer cannot forge CRCs; its builds skip this (as the model file's). */
    const size_t end = (size_t)f->flen - CRC_BYTES;
    const uint32_t stored = dlfs__get_u32(b + end), computed = dlfs__crc32(b, end);
    if (stored != computed)
        return dlfs__fail(DLFS_ECHECKSUM, "%s: %s is corrupted: CRC-32 is %08x, the file says "
                          "%08x", fn, src, (unsigned)computed, (unsigned)stored);
#endif
    if (len > f->flen)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has %llu bytes after the end of the checkpoint",
                          fn, src, (ull)(len - f->flen));
    return DLFS_OK;
}

/* Checks 10 to 12: the permutation and the model against the declared
 * length; *model_len = L. */
static dlfs_status parse_sizes(const struct fields *f, const unsigned char *b,
                               size_t *model_len, const char *fn, const char *src)
{
    uint64_t need;
    if (f->iteration > SIZE_MAX || f->iterations > SIZE_MAX || f->batch_size > SIZE_MAX ||
        f->ranks > SIZE_MAX || f->rows > SIZE_MAX ||
        !dlfs__mul64(f->rows, 8, &need) || !dlfs__add64(need, FIXED_BYTES, &need))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %s declares %llu rows (iterations %llu, batch "
                          "%llu, ranks %llu), more than this host can count", fn, src,
                          (ull)f->rows, (ull)f->iterations, (ull)f->batch_size, (ull)f->ranks);
    if (need > f->flen)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s declares %llu rows, whose permutation needs "
                          "at least %llu bytes, but it has %llu", fn, src, (ull)f->rows,
                          (ull)need, (ull)f->flen);
    const uint64_t declared = dlfs__get_u64(b + HEADER_BYTES + 8 * f->rows);
    if (declared != f->flen - need)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s says its model is %llu bytes long, but %llu "
                          "bytes lie between that length and the checksum", fn, src,
                          (ull)declared, (ull)(f->flen - need));
    *model_len = (size_t)declared;
    return DLFS_OK;
}

static void fields_to(const struct fields *f, dlfs_checkpoint *c)
{
    c->backend = (dlfs_backend)f->backend;
    c->init = (dlfs_init)f->init;
    c->seed = f->seed;
    c->batch_size = (size_t)f->batch_size;
    c->learning_rate = f->lr;
    c->iterations = (size_t)f->iterations;
    c->ranks = (size_t)f->ranks;
    c->iteration = (size_t)f->iteration;
    c->rows = (size_t)f->rows;
    c->position = (size_t)f->position;
    for (int i = 0; i < 4; i++)
        c->rng.s[i] = f->s[i];
    c->rng.spare = f->spare;
    c->rng.has_spare = (int)f->has_spare;
}

/* Check 13, into a new c->perm (8 bytes a row, as in the file). */
static dlfs_status read_perm(dlfs_checkpoint *c, const unsigned char *b, const char *fn,
                             const char *src)
{
    const size_t rows = c->rows;
    unsigned char *seen = calloc(rows / 8 + 1, 1);
    c->perm = malloc(rows * sizeof *c->perm);   /* no overflow: 8 rows fit in the file */
    if (!seen || !c->perm) {
        free(seen);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate the permutation of %zu rows",
                          fn, rows);
    }
    dlfs_status st = DLFS_OK;
    for (size_t i = 0; i < rows && !st; i++) {
        const uint64_t v = dlfs__get_u64(b + HEADER_BYTES + 8 * i);
        if (!(st = mark(seen, v, i, rows, DLFS_EFORMAT, fn, src)))
            c->perm[i] = (size_t)v;
    }
    free(seen);
    return st;
}

/* Checks 14 and 15: the model image, parsed as a model file is; the model
 * then computes with the checkpoint's backend. */
static dlfs_status read_model(dlfs_checkpoint *c, const unsigned char *image, size_t len,
                              uint32_t kind, const char *fn, const char *src)
{
    char where[640];
    snprintf(where, sizeof where, "the model in %s", src);
    dlfs_status st = dlfs__model_parse(&c->model, image, len, DLFS_MODEL_ANY, fn, where);
    if (st)
        return st;
    if ((uint32_t)c->model.kind != kind)
        return dlfs__fail(DLFS_EKIND, "%s: %s says it holds a %s, but its model is a %s", fn,
                          src, kind == DLFS_MODEL_NN ? "network" : "linear regression",
                          c->model.kind == DLFS_MODEL_NN ? "network" : "linear regression");
    return dlfs_model_set_backend(&c->model, c->backend);
}

/* Parses len bytes at b into *out (empty on entry); `src` names the input in
 * details (the path, or "buffer"). Checks in the order of the header. */
static dlfs_status parse(dlfs_checkpoint *out, const unsigned char *b, size_t len,
                         const char *fn, const char *src)
{
    struct fields f;
    size_t model_len = 0;
    dlfs_status st;
    if ((st = parse_envelope(&f, b, len, fn, src)) ||
        (st = check_run(&f, DLFS_EFORMAT, fn, src)) ||
        (st = check_rng(&f, DLFS_EFORMAT, fn, src)) ||
        (st = parse_sizes(&f, b, &model_len, fn, src)))
        return st;
    dlfs_checkpoint tmp = {0};
    fields_to(&f, &tmp);
    const size_t image = HEADER_BYTES + 8 * tmp.rows + LENGTH_BYTES;
    if ((st = read_perm(&tmp, b, fn, src)) ||
        (st = read_model(&tmp, b + image, model_len, f.kind, fn, src))) {
        dlfs_checkpoint_free(&tmp);
        return st;
    }
    *out = tmp;
    return DLFS_OK;
}

dlfs_status dlfs_checkpoint_load_buffer(dlfs_checkpoint *out, const void *buf, size_t len)
{
    static const char fn[] = "dlfs_checkpoint_load_buffer";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_checkpoint){0};
    if (!buf)
        return dlfs__fail(DLFS_ENULL, "%s: buf is NULL", fn);
    return parse(out, buf, len, fn, "buffer");
}

dlfs_status dlfs_checkpoint_load(dlfs_checkpoint *out, const char *path)
{
    static const char fn[] = "dlfs_checkpoint_load";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_checkpoint){0};
    if (!path)
        return dlfs__fail(DLFS_ENULL, "%s: path is NULL", fn);
    unsigned char *buf;
    size_t len;
    dlfs_status st = dlfs__read_file(path, DLFS_CHECKPOINT_FILE_MAX, "a checkpoint", &buf, &len,
                                     fn);
    if (st)
        return st;
    st = parse(out, buf, len, fn, path);
    free(buf);
    return st;
}

void dlfs_checkpoint_free(dlfs_checkpoint *c)
{
    if (!c)
        return;
    dlfs_model_free(&c->model);
    free(c->perm);
    *c = (dlfs_checkpoint){0};
}
