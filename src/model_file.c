/* src/model_file.c - model files: encoding, atomic save, checked loading.
 * The format and the order of the loader's checks are in dlfs/model_file.h.
 *
 * Encoding and decoding go through explicit little-endian byte helpers, never
 * through a struct written with fwrite: the file is the same on every host,
 * and the parser reads only bytes it has checked are there.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfs/model_file.h>
#include "internal.h"

static const unsigned char magic[8] = {'D', 'L', 'F', 'S', 'M', 'O', 'D', 'L'};

enum {
    HEADER_BYTES = 56,
    CRC_BYTES = 4,
    FLAG_SCALER = 1u,
    FLAG_NAMES = 2u,
    FLAG_TARGET = 4u,
    FLAGS_KNOWN = FLAG_SCALER | FLAG_NAMES | FLAG_TARGET
};

/* ---- Little-endian fixed-width fields ------------------------------------ */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The double's bits, unchanged: what is loaded is what was saved. */
static void put_f64(unsigned char *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    put_u64(p, u);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static double get_f64(const unsigned char *p)
{
    uint64_t u = get_u64(p);
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* CRC-32 as in zlib and PNG (reflected polynomial 0xEDB88320). The table is
 * built on the stack at each call (2048 steps, nothing next to a model's
 * parameters) so that the library holds no static state to initialise. */
static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* 64-bit size arithmetic for sizes read from a file (independent of size_t). */
static int mul64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static int add64(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

const char *dlfs_model_kind_name(dlfs_model_kind kind)
{
    switch (kind) {
    case DLFS_MODEL_LINREG: return "linreg";
    case DLFS_MODEL_NN: return "nn";
    default: return NULL;
    }
}

static const char *kind_text(uint64_t kind)
{
    return kind == DLFS_MODEL_LINREG ? "linear regression"
         : kind == DLFS_MODEL_NN ? "network" : "unknown";
}

/* ---- The model in memory ------------------------------------------------- */

void dlfs_model_free(dlfs_model *model)
{
    if (!model)
        return;
    dlfs_linreg_free(&model->linreg);
    dlfs_nn_free(&model->nn);
    dlfs_standardizer_free(&model->scaler);
    dlfs__free_names(model->feature_names, model->k);
    free(model->target_name);
    *model = (dlfs_model){0};
}

static const double *model_params(const dlfs_model *model, size_t *n)
{
    if (model->kind == DLFS_MODEL_LINREG) {
        *n = model->linreg.n_params;
        return model->linreg.params;
    }
    *n = model->nn.n_params;
    return model->nn.params;
}

/* Names parameter i of the params block as "W1[r][c]" for error details. */
static void param_name(const dlfs_model *model, size_t i, char *buf, size_t size)
{
    static const char *const lr_names[] = {"W", "B"};
    static const char *const nn_names[] = {"W1", "B1", "W2", "B2"};
    const dlfs_matrix lr[] = {model->linreg.W, model->linreg.B};
    const dlfs_matrix nn[] = {model->nn.W1, model->nn.B1, model->nn.W2, model->nn.B2};
    const int is_nn = model->kind == DLFS_MODEL_NN;
    const dlfs_matrix *mats = is_nn ? nn : lr;
    const char *const *names = is_nn ? nn_names : lr_names;
    const size_t count = is_nn ? 4 : 2;
    for (size_t b = 0; b < count; b++) {
        const size_t n = mats[b].rows * mats[b].cols;
        if (i < n) {
            snprintf(buf, size, "%s[%zu][%zu]", names[b], i / mats[b].cols, i % mats[b].cols);
            return;
        }
        i -= n;
    }
    snprintf(buf, size, "parameter %zu", i);
}

/* The shapes agree with kind, k, h and m; everything that should be there is.
 * What a model must satisfy to be written. */
static dlfs_status check_structure(const dlfs_model *model, const char *fn)
{
    const size_t k = model->k, h = model->h, m = model->m;
    if (model->kind == DLFS_MODEL_LINREG) {
        const dlfs_linreg *lr = &model->linreg;
        if (!lr->params)
            return dlfs__fail(DLFS_ENULL, "%s: model->linreg has no parameters", fn);
        if (lr->k != k || lr->m != m || h != 0)
            return dlfs__fail(DLFS_ESHAPE, "%s: model is k = %zu, h = %zu, m = %zu but its "
                              "regression is %zu -> %zu", fn, k, h, m, lr->k, lr->m);
        if (lr->n_params != k * m + m)
            return dlfs__fail(DLFS_ESHAPE, "%s: the regression has %zu parameters, expected %zu",
                              fn, lr->n_params, k * m + m);
    } else if (model->kind == DLFS_MODEL_NN) {
        const dlfs_nn *nn = &model->nn;
        if (!nn->params)
            return dlfs__fail(DLFS_ENULL, "%s: model->nn has no parameters", fn);
        if (nn->k != k || nn->h != h || nn->m != m)
            return dlfs__fail(DLFS_ESHAPE, "%s: model is k = %zu, h = %zu, m = %zu but its "
                              "network is %zu -> %zu -> %zu", fn, k, h, m, nn->k, nn->h, nn->m);
        if (nn->n_params != k * h + h + h * m + m)
            return dlfs__fail(DLFS_ESHAPE, "%s: the network has %zu parameters, expected %zu",
                              fn, nn->n_params, k * h + h + h * m + m);
    } else {
        return dlfs__fail(DLFS_EINVAL, "%s: model kind %d is neither linreg (1) nor nn (2)",
                          fn, (int)model->kind);
    }
    if (model->has_scaler) {
        if (!model->scaler.mean || !model->scaler.sd)
            return dlfs__fail(DLFS_ENULL, "%s: model->scaler has no mean or sd", fn);
        if (model->scaler.k != k)
            return dlfs__fail(DLFS_ESHAPE, "%s: the scaler has %zu columns but the model %zu inputs",
                              fn, model->scaler.k, k);
    }
    if (model->feature_names)
        for (size_t j = 0; j < k; j++) {
            if (!model->feature_names[j])
                return dlfs__fail(DLFS_ENULL, "%s: feature name %zu is NULL", fn, j);
            if (strlen(model->feature_names[j]) > DLFS_MODEL_NAME_MAX)
                return dlfs__fail(DLFS_EINVAL, "%s: feature name %zu is longer than %u bytes",
                                  fn, j, DLFS_MODEL_NAME_MAX);
        }
    if (model->target_name && strlen(model->target_name) > DLFS_MODEL_NAME_MAX)
        return dlfs__fail(DLFS_EINVAL, "%s: the target name is longer than %u bytes",
                          fn, DLFS_MODEL_NAME_MAX);
    return DLFS_OK;
}

/* Every parameter, mean and sd finite; every sd positive (bad_sd: the status
 * for a non-positive sd, which is a bad argument when building a model and a
 * malformed file when loading one). `where` prefixes the detail. */
static dlfs_status check_values(const dlfs_model *model, const char *where,
                                dlfs_status bad_sd)
{
    size_t n;
    const double *p = model_params(model, &n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i])) {
            char name[64];
            param_name(model, i, name, sizeof name);
            return dlfs__fail(DLFS_ENONFINITE, "%s: parameter %s is %g", where, name, p[i]);
        }
    if (model->has_scaler)
        for (size_t j = 0; j < model->k; j++) {
            const double mu = model->scaler.mean[j], sd = model->scaler.sd[j];
            if (!isfinite(mu) || !isfinite(sd))
                return dlfs__fail(DLFS_ENONFINITE, "%s: scaler column %zu has mean %g and sd %g",
                                  where, j, mu, sd);
            if (!(sd > 0.0))
                return dlfs__fail(bad_sd, "%s: scaler column %zu has sd %g; it must be positive",
                                  where, j, sd);
        }
    return DLFS_OK;
}

/* A malloc'd copy of s (at most DLFS_MODEL_NAME_MAX bytes, checked before). */
static dlfs_status copy_name(const char *s, char **out, const char *fn)
{
    const size_t n = strlen(s);
    if (n > DLFS_MODEL_NAME_MAX)
        return dlfs__fail(DLFS_EINVAL, "%s: name \"%.40s...\" is longer than %u bytes",
                          fn, s, DLFS_MODEL_NAME_MAX);
    *out = malloc(n + 1);
    if (!*out)
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate a name of %zu bytes", fn, n);
    memcpy(*out, s, n + 1);
    return DLFS_OK;
}

/* Copies scaler and names into tmp (whose kind, shapes and parameters are set)
 * and checks the whole. */
static dlfs_status attach_extras(dlfs_model *tmp, const dlfs_standardizer *scaler,
                                 const char *const *feature_names, const char *target_name,
                                 const char *fn)
{
    dlfs_status st;
    const size_t k = tmp->k;
    const int no_scaler = !scaler || (scaler->k == 0 && !scaler->mean && !scaler->sd);
    if (!no_scaler) {
        if (!scaler->mean || !scaler->sd)
            return dlfs__fail(DLFS_ENULL, "%s: scaler has no mean or sd", fn);
        if (scaler->k != k)
            return dlfs__fail(DLFS_ESHAPE, "%s: scaler was fitted on %zu columns but the model "
                              "has k = %zu inputs", fn, scaler->k, k);
        if ((st = dlfs__alloc_doubles(k, &tmp->scaler.mean, fn)) ||
            (st = dlfs__alloc_doubles(k, &tmp->scaler.sd, fn)))
            return st;
        tmp->scaler.k = k;
        memcpy(tmp->scaler.mean, scaler->mean, k * sizeof(double));
        memcpy(tmp->scaler.sd, scaler->sd, k * sizeof(double));
        tmp->has_scaler = 1;
    }
    if (feature_names) {
        tmp->feature_names = calloc(k, sizeof *tmp->feature_names);
        if (!tmp->feature_names)
            return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu names", fn, k);
        for (size_t j = 0; j < k; j++) {
            if (!feature_names[j])
                return dlfs__fail(DLFS_ENULL, "%s: feature_names[%zu] is NULL", fn, j);
            if ((st = copy_name(feature_names[j], &tmp->feature_names[j], fn)))
                return st;
        }
    }
    if (target_name && (st = copy_name(target_name, &tmp->target_name, fn)))
        return st;
    if ((st = check_structure(tmp, fn)))
        return st;
    return check_values(tmp, fn, DLFS_EINVAL);
}

/* Completes tmp, whose parameters were just copied (st says whether that
 * worked), with the extras, and hands it to out; frees it on failure. */
static dlfs_status adopt(dlfs_model *out, dlfs_model *tmp, dlfs_status st,
                         const dlfs_standardizer *scaler, const char *const *feature_names,
                         const char *target_name, const char *fn)
{
    if (!st)
        st = attach_extras(tmp, scaler, feature_names, target_name, fn);
    if (st) {
        dlfs_model_free(tmp);
        return st;
    }
    *out = *tmp;
    return DLFS_OK;
}

dlfs_status dlfs_model_from_linreg(dlfs_model *out, const dlfs_linreg *lr,
                                   const dlfs_standardizer *scaler,
                                   const char *const *feature_names,
                                   const char *target_name)
{
    static const char fn[] = "dlfs_model_from_linreg";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_model){0};
    if (!lr)
        return dlfs__fail(DLFS_ENULL, "%s: lr is NULL", fn);
    if (!lr->params)
        return dlfs__fail(DLFS_ENULL, "%s: lr has no parameters (not allocated)", fn);
    dlfs_model tmp = {.kind = DLFS_MODEL_LINREG, .k = lr->k, .h = 0, .m = lr->m};
    dlfs_status st = dlfs_linreg_alloc(&tmp.linreg, lr->k, lr->m);
    if (!st)
        st = dlfs_linreg_copy(&tmp.linreg, lr);
    return adopt(out, &tmp, st, scaler, feature_names, target_name, fn);
}

dlfs_status dlfs_model_from_nn(dlfs_model *out, const dlfs_nn *nn,
                               const dlfs_standardizer *scaler,
                               const char *const *feature_names,
                               const char *target_name)
{
    static const char fn[] = "dlfs_model_from_nn";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_model){0};
    if (!nn)
        return dlfs__fail(DLFS_ENULL, "%s: nn is NULL", fn);
    if (!nn->params)
        return dlfs__fail(DLFS_ENULL, "%s: nn has no parameters (not allocated)", fn);
    dlfs_model tmp = {.kind = DLFS_MODEL_NN, .k = nn->k, .h = nn->h, .m = nn->m};
    dlfs_status st = dlfs_nn_alloc(&tmp.nn, nn->k, nn->h, nn->m);
    if (!st)
        st = dlfs_nn_copy(&tmp.nn, nn);
    return adopt(out, &tmp, st, scaler, feature_names, target_name, fn);
}

/* ---- Encoding ------------------------------------------------------------ */

/* A name as u32 length + bytes; returns the position after it. */
static unsigned char *put_name(unsigned char *p, const char *s)
{
    const size_t n = strlen(s);
    put_u32(p, (uint32_t)n);
    memcpy(p + 4, s, n);
    return p + 4 + n;
}

static dlfs_status encode(const dlfs_model *model, unsigned char **buf, size_t *len,
                          const char *fn)
{
    dlfs_status st;
    *buf = NULL;
    *len = 0;
    if ((st = check_structure(model, fn)) || (st = check_values(model, fn, DLFS_EINVAL)))
        return st;

    size_t n_params;
    const double *params = model_params(model, &n_params);
    const size_t k = model->k;
    /* Total bytes, every step checked: header, parameters, scaler, names, CRC. */
    size_t total = HEADER_BYTES, part;
    int ok = dlfs__mul(n_params, 8, &part) && dlfs__add(total, part, &total);
    if (model->has_scaler)
        ok = ok && dlfs__mul(k, 16, &part) && dlfs__add(total, part, &total);
    if (model->feature_names)
        for (size_t j = 0; ok && j < k; j++)
            ok = dlfs__add(total, 4 + strlen(model->feature_names[j]), &total);
    if (model->target_name)
        ok = ok && dlfs__add(total, 4 + strlen(model->target_name), &total);
    ok = ok && dlfs__add(total, CRC_BYTES, &total);
    if (!ok)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: the model's size overflows", fn);

    unsigned char *b = malloc(total);
    if (!b)
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu bytes", fn, total);
    const uint32_t flags = (model->has_scaler ? FLAG_SCALER : 0u) |
                           (model->feature_names ? FLAG_NAMES : 0u) |
                           (model->target_name ? FLAG_TARGET : 0u);
    memcpy(b, magic, sizeof magic);
    put_u32(b + 8, DLFS_MODEL_FORMAT_VERSION);
    put_u32(b + 12, (uint32_t)model->kind);
    put_u64(b + 16, (uint64_t)total);
    put_u64(b + 24, (uint64_t)k);
    put_u64(b + 32, (uint64_t)model->h);
    put_u64(b + 40, (uint64_t)model->m);
    put_u32(b + 48, flags);
    put_u32(b + 52, 0);
    unsigned char *p = b + HEADER_BYTES;
    for (size_t i = 0; i < n_params; i++, p += 8)
        put_f64(p, params[i]);
    if (model->has_scaler) {
        for (size_t j = 0; j < k; j++, p += 8)
            put_f64(p, model->scaler.mean[j]);
        for (size_t j = 0; j < k; j++, p += 8)
            put_f64(p, model->scaler.sd[j]);
    }
    if (model->feature_names)
        for (size_t j = 0; j < k; j++)
            p = put_name(p, model->feature_names[j]);
    if (model->target_name)
        p = put_name(p, model->target_name);
    put_u32(p, crc32_ieee(b, total - CRC_BYTES));
    *buf = b;
    *len = total;
    return DLFS_OK;
}

dlfs_status dlfs_model_encode(const dlfs_model *model, void **buf, size_t *len)
{
    static const char fn[] = "dlfs_model_encode";
    if (buf)
        *buf = NULL;
    if (len)
        *len = 0;
    if (!model || !buf || !len)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn,
                          !model ? "model" : !buf ? "buf" : "len");
    unsigned char *b;
    dlfs_status st = encode(model, &b, len, fn);
    *buf = b;
    return st;
}

/* ---- Atomic save ---------------------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Makes the rename durable: fsync the directory holding path. Best effort:
 * the new file is complete either way, and some file systems refuse it.
 * The directory's name is built in dir, which has room for strlen(path) + 2
 * bytes (the temporary file's name, no longer needed), so that this step
 * cannot be skipped for want of memory. */
static void sync_parent_dir(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        const size_t n = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    const int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

dlfs_status dlfs_model_save(const dlfs_model *model, const char *path)
{
    static const char fn[] = "dlfs_model_save";
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    if (!path)
        return dlfs__fail(DLFS_ENULL, "%s: path is NULL", fn);
    if (!*path)
        return dlfs__fail(DLFS_EINVAL, "%s: path is empty", fn);

    unsigned char *buf;
    size_t len;
    dlfs_status st = encode(model, &buf, &len, fn);
    if (st)
        return st;

    const size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    if (!tmp) {
        free(buf);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate a file name", fn);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");

    const int fd = mkstemp(tmp);
    if (fd < 0) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot create a temporary file %s: %s",
                        fn, tmp, strerror(errno));
        free(tmp);
        free(buf);
        return st;
    }
    /* mkstemp makes the file 0600; a model is not a secret, and a model that
     * replaces another should keep the old one's permissions. */
    struct stat old;
    const mode_t mode = (stat(path, &old) == 0 && S_ISREG(old.st_mode))
                        ? (old.st_mode & 07777) : 0644;
    int open_fd = fd;
    const char *step = NULL;
    if (fchmod(fd, mode) != 0)
        step = "set the mode of";
    else if (write_all(fd, buf, len) != 0)
        step = "write";
    else if (fsync(fd) != 0)
        step = "flush to disk";
    else {
        open_fd = -1;
        if (close(fd) != 0)
            step = "close";
        else if (rename(tmp, path) != 0)
            step = "rename over the target";
    }
    if (step) {
        const int err = errno;
        if (open_fd >= 0)
            close(open_fd);
        unlink(tmp);
        st = dlfs__fail(DLFS_EIO, "%s: cannot %s %s (saving %s): %s",
                        fn, step, tmp, path, strerror(err));
    } else {
        sync_parent_dir(path, tmp);
    }
    free(tmp);
    free(buf);
    return st;
}

/* ---- Loading -------------------------------------------------------------- */

/* Reads the name at b + *pos (u32 length, bytes), which must end by `end`,
 * into a malloc'd string. Name number j (k for the target) in details. */
static dlfs_status read_name(const unsigned char *b, size_t *pos, size_t end, char **out,
                             size_t j, const char *fn, const char *src)
{
    if (end - *pos < 4)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s: name %zu runs past the end", fn, src, j);
    const uint32_t n = get_u32(b + *pos);
    const unsigned char *s = b + *pos + 4;
    if (n > DLFS_MODEL_NAME_MAX || n > end - *pos - 4)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s: name %zu is %u bytes long, more than %s",
                          fn, src, j, (unsigned)n,
                          n > DLFS_MODEL_NAME_MAX ? "the limit" : "the file holds");
    if (memchr(s, '\0', n))
        return dlfs__fail(DLFS_EFORMAT, "%s: %s: name %zu holds a NUL byte", fn, src, j);
    if (!(*out = malloc((size_t)n + 1)))
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate a name of %u bytes", fn,
                          (unsigned)n);
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    *pos += 4 + (size_t)n;
    return DLFS_OK;
}

/* Parses len bytes at b into *out (empty on entry); `src` names the input in
 * details ("model.dlfs" or "buffer"). Checks in the order of the header. */
static dlfs_status parse(dlfs_model *out, const unsigned char *b, size_t len,
                         dlfs_model_kind expected, const char *fn, const char *src)
{
    if (memcmp(b, magic, len < sizeof magic ? len : sizeof magic) != 0)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s is not a dlfs model file (bad magic number)",
                          fn, src);
    if (len < HEADER_BYTES)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes, fewer than the %d-byte header",
                          fn, src, len, HEADER_BYTES);
    const uint32_t version = get_u32(b + 8);
    if (version != DLFS_MODEL_FORMAT_VERSION)
        return dlfs__fail(DLFS_EVERSION, "%s: %s has format version %u; this library reads "
                          "version %u", fn, src, version, DLFS_MODEL_FORMAT_VERSION);
    const uint32_t kind = get_u32(b + 12);
    if (kind != DLFS_MODEL_LINREG && kind != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EKIND, "%s: %s holds model kind %u, which is neither "
                          "linreg (1) nor nn (2)", fn, src, kind);
    if (expected != DLFS_MODEL_ANY && kind != (uint32_t)expected)
        return dlfs__fail(DLFS_EKIND, "%s: %s holds a %s model, not a %s", fn, src,
                          kind_text(kind), kind_text((uint64_t)expected));
    const uint64_t flen = get_u64(b + 16);
    if (flen < HEADER_BYTES + CRC_BYTES)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s declares a length of %llu bytes, less than the "
                          "smallest model file", fn, src, (unsigned long long)flen);
    if (flen > (uint64_t)len)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes but its header declares %llu",
                          fn, src, len, (unsigned long long)flen);
    const size_t end = (size_t)flen - CRC_BYTES;   /* where the CRC starts */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* A fuzzer cannot forge CRCs; its builds skip this so that it reaches the
     * checks below (the libFuzzer convention). */
    const uint32_t stored = get_u32(b + end), computed = crc32_ieee(b, end);
    if (stored != computed)
        return dlfs__fail(DLFS_ECHECKSUM, "%s: %s is corrupted: CRC-32 is %08x, the file says "
                          "%08x", fn, src, (unsigned)computed, (unsigned)stored);
#endif
    if (len > flen)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has %llu bytes after the end of the model",
                          fn, src, (unsigned long long)(len - flen));

    const uint64_t k = get_u64(b + 24), h = get_u64(b + 32), m = get_u64(b + 40);
    const uint32_t flags = get_u32(b + 48), reserved = get_u32(b + 52);
    if (k == 0 || m == 0 || (kind == DLFS_MODEL_NN) != (h != 0))
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has impossible shapes for a %s: k = %llu, "
                          "h = %llu, m = %llu", fn, src, kind_text(kind),
                          (unsigned long long)k, (unsigned long long)h, (unsigned long long)m);
    if ((flags & ~(uint32_t)FLAGS_KNOWN) != 0 || reserved != 0)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has unknown flags %08x or reserved field %08x",
                          fn, src, (unsigned)flags, (unsigned)reserved);

    /* The bytes the shapes need, before any allocation: parameters, scaler,
     * and at least the length fields of the names. */
    uint64_t n_params, need = HEADER_BYTES + CRC_BYTES, t;
    int ok;
    if (kind == DLFS_MODEL_LINREG)
        ok = mul64(k, m, &n_params) && add64(n_params, m, &n_params);
    else
        ok = mul64(k, h, &n_params) && add64(n_params, h, &n_params) &&
             mul64(h, m, &t) && add64(n_params, t, &n_params) && add64(n_params, m, &n_params);
    ok = ok && mul64(n_params, 8, &t) && add64(need, t, &need);
    if (flags & FLAG_SCALER)
        ok = ok && mul64(k, 16, &t) && add64(need, t, &need);
    if (flags & FLAG_NAMES)
        ok = ok && mul64(k, 4, &t) && add64(need, t, &need);
    if (flags & FLAG_TARGET)
        ok = ok && add64(need, 4, &need);
    if (!ok || k > SIZE_MAX || h > SIZE_MAX || m > SIZE_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %s declares shapes k = %llu, h = %llu, m = %llu "
                          "whose size overflows", fn, src, (unsigned long long)k,
                          (unsigned long long)h, (unsigned long long)m);
    if (need > flen)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s declares shapes k = %llu, h = %llu, m = %llu "
                          "that need at least %llu bytes, but it has %llu", fn, src,
                          (unsigned long long)k, (unsigned long long)h, (unsigned long long)m,
                          (unsigned long long)need, (unsigned long long)flen);

    /* From here every size is bounded by the file's length. */
    dlfs_model tmp = {.kind = (dlfs_model_kind)kind, .k = (size_t)k, .h = (size_t)h,
                      .m = (size_t)m};
    dlfs_status st;
    double *params;
    if (kind == DLFS_MODEL_LINREG) {
        st = dlfs_linreg_alloc(&tmp.linreg, tmp.k, tmp.m);
        params = tmp.linreg.params;
    } else {
        st = dlfs_nn_alloc(&tmp.nn, tmp.k, tmp.h, tmp.m);
        params = tmp.nn.params;
    }
    if (st)
        return st;
    size_t pos = HEADER_BYTES;
    for (size_t i = 0; i < (size_t)n_params; i++, pos += 8)
        params[i] = get_f64(b + pos);
    if (flags & FLAG_SCALER) {
        if ((st = dlfs__alloc_doubles(tmp.k, &tmp.scaler.mean, fn)) ||
            (st = dlfs__alloc_doubles(tmp.k, &tmp.scaler.sd, fn)))
            goto fail;
        tmp.scaler.k = tmp.k;
        tmp.has_scaler = 1;
        for (size_t j = 0; j < tmp.k; j++, pos += 8)
            tmp.scaler.mean[j] = get_f64(b + pos);
        for (size_t j = 0; j < tmp.k; j++, pos += 8)
            tmp.scaler.sd[j] = get_f64(b + pos);
    }
    if (flags & FLAG_NAMES) {
        tmp.feature_names = calloc(tmp.k, sizeof *tmp.feature_names);
        if (!tmp.feature_names) {
            st = dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu names", fn, tmp.k);
            goto fail;
        }
        for (size_t j = 0; j < tmp.k; j++)
            if ((st = read_name(b, &pos, end, &tmp.feature_names[j], j, fn, src)))
                goto fail;
    }
    if ((flags & FLAG_TARGET) &&
        (st = read_name(b, &pos, end, &tmp.target_name, tmp.k, fn, src)))
        goto fail;
    if (pos != end) {
        st = dlfs__fail(DLFS_EFORMAT, "%s: %s has %zu unexplained bytes before its checksum",
                        fn, src, end - pos);
        goto fail;
    }
    {
        char where[160];
        snprintf(where, sizeof where, "%s: %s", fn, src);
        if ((st = check_values(&tmp, where, DLFS_EFORMAT)))
            goto fail;
    }
    *out = tmp;
    return DLFS_OK;
fail:
    dlfs_model_free(&tmp);
    return st;
}

static dlfs_status check_expected(dlfs_model_kind expected, const char *fn)
{
    if (expected != DLFS_MODEL_ANY && expected != DLFS_MODEL_LINREG && expected != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EINVAL, "%s: expected kind %d is not 0, 1 or 2", fn, (int)expected);
    return DLFS_OK;
}

dlfs_status dlfs_model_load_buffer(dlfs_model *out, const void *buf, size_t len,
                                   dlfs_model_kind expected)
{
    static const char fn[] = "dlfs_model_load_buffer";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_model){0};
    if (!buf)
        return dlfs__fail(DLFS_ENULL, "%s: buf is NULL", fn);
    dlfs_status st = check_expected(expected, fn);
    if (st)
        return st;
    return parse(out, buf, len, expected, fn, "buffer");
}

dlfs_status dlfs_model_load(dlfs_model *out, const char *path, dlfs_model_kind expected)
{
    static const char fn[] = "dlfs_model_load";
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_model){0};
    if (!path)
        return dlfs__fail(DLFS_ENULL, "%s: path is NULL", fn);
    dlfs_status st = check_expected(expected, fn);
    if (st)
        return st;

    /* O_NONBLOCK: opening a FIFO by mistake fails below instead of waiting
     * for a writer; it changes nothing for a regular file. */
    const int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return dlfs__fail(DLFS_EIO, "%s: cannot open %s: %s", fn, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot stat %s: %s", fn, path, strerror(errno));
        close(fd);
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return dlfs__fail(DLFS_EIO, "%s: %s is not a regular file", fn, path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        /* ENOMEM: stdio could not allocate the stream; the file is not at fault. */
        st = dlfs__fail(errno == ENOMEM ? DLFS_ENOMEM : DLFS_EIO, "%s: cannot read %s: %s",
                        fn, path, strerror(errno));
        close(fd);
        return st;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > DLFS_MODEL_FILE_MAX) {
        fclose(f);
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %s has %jd bytes, more than the %zu a model "
                          "file may have", fn, path, (intmax_t)sb.st_size, DLFS_MODEL_FILE_MAX);
    }
    const size_t size = (size_t)sb.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu bytes for %s", fn, size, path);
    }
    /* A file that shrank since fstat parses as what was read (and is then
     * reported as truncated); one that grew is read to its size at fstat. */
    const size_t got = fread(buf, 1, size, f);
    if (got < size && ferror(f)) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot read %s: %s", fn, path, strerror(errno));
        fclose(f);
        free(buf);
        return st;
    }
    fclose(f);
    st = parse(out, buf, got, expected, fn, path);
    free(buf);
    return st;
}

/* ---- Prediction ----------------------------------------------------------- */

dlfs_status dlfs_model_predict(const dlfs_model *model, const dlfs_matrix *X_raw,
                               dlfs_matrix *P)
{
    static const char fn[] = "dlfs_model_predict";
    dlfs_status st;
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    if (!X_raw)
        return dlfs__fail(DLFS_ENULL, "%s: X_raw is NULL", fn);
    if (!P)
        return dlfs__fail(DLFS_ENULL, "%s: P is NULL", fn);
    if (model->kind != DLFS_MODEL_LINREG && model->kind != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EINVAL, "%s: model is empty (kind %d)", fn, (int)model->kind);
    if ((st = dlfs_matrix_check(X_raw, "dlfs_model_predict: X_raw")) ||
        (st = dlfs_matrix_check(P, "dlfs_model_predict: P")))
        return st;
    if (X_raw->cols != model->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X_raw has %zu columns but the model has k = %zu "
                          "inputs", fn, X_raw->cols, model->k);
    if (P->rows != X_raw->rows || P->cols != model->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: P is %zu x %zu, expected %zu x %zu",
                          fn, P->rows, P->cols, X_raw->rows, model->m);
    if ((st = dlfs_matrix_check_finite(X_raw, "dlfs_model_predict: X_raw")))
        return st;

    dlfs_matrix Xs = {0};
    const dlfs_matrix *X = X_raw;
    if (model->has_scaler) {
        if ((st = dlfs_matrix_alloc(&Xs, X_raw->rows, X_raw->cols)) ||
            (st = dlfs_matrix_copy(&Xs, X_raw)) ||
            (st = dlfs_standardizer_apply(&model->scaler, &Xs))) {
            dlfs_matrix_free(&Xs);
            return st;
        }
        X = &Xs;
    }
    if (model->kind == DLFS_MODEL_LINREG)
        st = dlfs_linreg_predict(&model->linreg, X, P);
    else
        st = dlfs_nn_predict(&model->nn, X, P);
    dlfs_matrix_free(&Xs);
    return st;
}
