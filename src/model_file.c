/* src/model_file.c - model files: encoding, atomic save, checked loading.
 * The format and the order of the loader's checks are in dlfs/model_file.h.
 *
 * Encoding and decoding go through the little-endian byte helpers of bytes.h,
 * never through a struct written with fwrite: the file is the same on every
 * host, and the parser reads only bytes it has checked are there. The
 * encoder is split into a size and an encoding into the caller's buffer
 * (model_file_impl.h) so that a checkpoint (checkpoint.c) can embed a model
 * file without allocating.
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

#include <dlfs/checkpoint.h>
#include <dlfs/model_file.h>
#include "atomic_file.h"
#include "block.h"
#include "bytes.h"
#include "internal.h"
#include "model_file_impl.h"
#include "model_impl.h"

static const unsigned char magic[8] = {'D', 'L', 'F', 'S', 'M', 'O', 'D', 'L'};

enum {
    HEADER_BYTES = 56,
    CRC_BYTES = 4,
    FLAG_SCALER = 1u,
    FLAG_NAMES = 2u,
    FLAG_TARGET = 4u,
    FLAGS_KNOWN = FLAG_SCALER | FLAG_NAMES | FLAG_TARGET
};

/* ---- Checksum -------------------------------------------------------------- */

/* CRC-32 as in zlib and PNG (reflected polynomial 0xEDB88320). The table is
 * built on the stack at each call (2048 steps, nothing next to a model's
 * parameters) so that the library holds no static state to initialise. */
uint32_t dlfs__crc32(const unsigned char *p, size_t n)
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

static const char *kind_text(uint64_t kind)
{
    return kind == DLFS_MODEL_LINREG ? "linear regression"
         : kind == DLFS_MODEL_NN ? "network" : "unknown";
}

/* ---- Encoding ------------------------------------------------------------ */

/* A name as u32 length + bytes; returns the position after it. */
static unsigned char *put_name(unsigned char *p, const char *s)
{
    const size_t n = strlen(s);
    dlfs__put_u32(p, (uint32_t)n);
    memcpy(p + 4, s, n);
    return p + 4 + n;
}

dlfs_status dlfs__model_encoded_size(const dlfs_model *model, size_t *len, const char *fn)
{
    dlfs_status st;
    *len = 0;
    if ((st = dlfs__model_check_structure(model, fn)) ||
        (st = dlfs__model_check_values(model, fn, DLFS_EINVAL)))
        return st;
    size_t n_params;
    (void)dlfs_model_params(model, &n_params);
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
    *len = total;
    return DLFS_OK;
}

void dlfs__model_encode_into(const dlfs_model *model, unsigned char *b, size_t len)
{
    size_t n_params;
    const double *params = dlfs_model_params(model, &n_params);
    const size_t k = model->k;
    const uint32_t flags = (model->has_scaler ? FLAG_SCALER : 0u) |
                           (model->feature_names ? FLAG_NAMES : 0u) |
                           (model->target_name ? FLAG_TARGET : 0u);
    memcpy(b, magic, sizeof magic);
    dlfs__put_u32(b + 8, DLFS_MODEL_FORMAT_VERSION);
    /* A closed-form fit is a regression's W and B: it is stored as one. */
    dlfs__put_u32(b + 12, (uint32_t)(model->kind == DLFS_MODEL_NN ? DLFS_MODEL_NN
                                                                   : DLFS_MODEL_LINREG));
    dlfs__put_u64(b + 16, (uint64_t)len);
    dlfs__put_u64(b + 24, (uint64_t)k);
    dlfs__put_u64(b + 32, (uint64_t)model->h);
    dlfs__put_u64(b + 40, (uint64_t)model->m);
    dlfs__put_u32(b + 48, flags);
    dlfs__put_u32(b + 52, 0);
    unsigned char *p = b + HEADER_BYTES;
    for (size_t i = 0; i < n_params; i++, p += 8)
        dlfs__put_f64(p, params[i]);
    if (model->has_scaler) {
        for (size_t j = 0; j < k; j++, p += 8)
            dlfs__put_f64(p, model->scaler.mean[j]);
        for (size_t j = 0; j < k; j++, p += 8)
            dlfs__put_f64(p, model->scaler.sd[j]);
    }
    if (model->feature_names)
        for (size_t j = 0; j < k; j++)
            p = put_name(p, model->feature_names[j]);
    if (model->target_name)
        p = put_name(p, model->target_name);
    dlfs__put_u32(p, dlfs__crc32(b, len - CRC_BYTES));
}

/* The file in a malloc'd buffer. */
static dlfs_status encode(const dlfs_model *model, unsigned char **buf, size_t *len,
                          const char *fn)
{
    *buf = NULL;
    dlfs_status st = dlfs__model_encoded_size(model, len, fn);
    if (st)
        return st;
    unsigned char *b = malloc(*len);
    if (!b) {
        st = dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu bytes", fn, *len);
        *len = 0;
        return st;
    }
    dlfs__model_encode_into(model, b, *len);
    *buf = b;
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

dlfs_status dlfs_model_save(const dlfs_model *model, const char *path)
{
    static const char fn[] = "dlfs_model_save";
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    unsigned char *buf;
    size_t len;
    dlfs_status st = encode(model, &buf, &len, fn);
    if (st)
        return st;
    st = dlfs__atomic_write(path, buf, len, fn);   /* checks path */
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
    const uint32_t n = dlfs__get_u32(b + *pos);
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

/* The fixed header of a model file, as read. */
struct header {
    uint32_t kind;
    uint64_t flen;      /* the declared file length */
    uint64_t k, h, m;
    uint32_t flags;
    uint64_t n_params;
};

/* Check 1 failed. A checkpoint is the file most easily taken for a model
 * (both end in .dlfs-like names, both come out of training): say what it is
 * and what to do with it rather than only "bad magic". */
static dlfs_status bad_magic(const unsigned char *b, size_t len, const char *fn, const char *src)
{
    if (len >= 8 && memcmp(b, DLFS_CHECKPOINT_MAGIC, 8) == 0)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s is a dlfs training checkpoint, not a model "
                          "file: it continues a training run (--resume) rather than predicts",
                          fn, src);
    return dlfs__fail(DLFS_EFORMAT, "%s: %s is not a dlfs model file (bad magic number)",
                      fn, src);
}

/* Checks 1 to 8 of dlfs/model_file.h: what a file is, before its shapes. */
static dlfs_status parse_envelope(struct header *hd, const unsigned char *b, size_t len,
                                  dlfs_model_kind expected, const char *fn, const char *src)
{
    if (memcmp(b, magic, len < sizeof magic ? len : sizeof magic) != 0)
        return bad_magic(b, len, fn, src);
    if (len < HEADER_BYTES)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes, fewer than the %d-byte header",
                          fn, src, len, HEADER_BYTES);
    const uint32_t version = dlfs__get_u32(b + 8);
    if (version != DLFS_MODEL_FORMAT_VERSION)
        return dlfs__fail(DLFS_EVERSION, "%s: %s has format version %u; this library reads "
                          "version %u", fn, src, version, DLFS_MODEL_FORMAT_VERSION);
    hd->kind = dlfs__get_u32(b + 12);
    if (hd->kind != DLFS_MODEL_LINREG && hd->kind != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EKIND, "%s: %s holds model kind %u, which is neither "
                          "linreg (1) nor nn (2)", fn, src, hd->kind);
    if (expected != DLFS_MODEL_ANY && hd->kind != (uint32_t)expected)
        return dlfs__fail(DLFS_EKIND, "%s: %s holds a %s model, not a %s", fn, src,
                          kind_text(hd->kind), kind_text((uint64_t)expected));
    hd->flen = dlfs__get_u64(b + 16);
    if (hd->flen < HEADER_BYTES + CRC_BYTES)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s declares a length of %llu bytes, less than the "
                          "smallest model file", fn, src, (unsigned long long)hd->flen);
    if (hd->flen > (uint64_t)len)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s has %zu bytes but its header declares %llu",
                          fn, src, len, (unsigned long long)hd->flen);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* A fuzzer cannot forge CRCs; its builds skip this so that it reaches the
     * checks below (the libFuzzer convention). */
    const size_t end = (size_t)hd->flen - CRC_BYTES;
    const uint32_t stored = dlfs__get_u32(b + end), computed = dlfs__crc32(b, end);
    if (stored != computed)
        return dlfs__fail(DLFS_ECHECKSUM, "%s: %s is corrupted: CRC-32 is %08x, the file says "
                          "%08x", fn, src, (unsigned)computed, (unsigned)stored);
#endif
    if (len > hd->flen)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has %llu bytes after the end of the model",
                          fn, src, (unsigned long long)(len - hd->flen));
    return DLFS_OK;
}

/* Checks 9 to 11: the shapes, and the bytes they need against the declared
 * length, before anything is allocated. */
static dlfs_status parse_shapes(struct header *hd, const unsigned char *b, const char *fn,
                                const char *src)
{
    const uint64_t k = hd->k = dlfs__get_u64(b + 24), h = hd->h = dlfs__get_u64(b + 32),
                   m = hd->m = dlfs__get_u64(b + 40);
    const uint32_t flags = hd->flags = dlfs__get_u32(b + 48), reserved = dlfs__get_u32(b + 52);
    if (k == 0 || m == 0 || (hd->kind == DLFS_MODEL_NN) != (h != 0))
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has impossible shapes for a %s: k = %llu, "
                          "h = %llu, m = %llu", fn, src, kind_text(hd->kind),
                          (unsigned long long)k, (unsigned long long)h, (unsigned long long)m);
    if ((flags & ~(uint32_t)FLAGS_KNOWN) != 0 || reserved != 0)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has unknown flags %08x or reserved field %08x",
                          fn, src, (unsigned)flags, (unsigned)reserved);
    /* Parameters, scaler, and at least the length fields of the names. */
    uint64_t n_params, need = HEADER_BYTES + CRC_BYTES, t;
    int ok;
    if (hd->kind == DLFS_MODEL_LINREG)
        ok = dlfs__mul64(k, m, &n_params) && dlfs__add64(n_params, m, &n_params);
    else
        ok = dlfs__mul64(k, h, &n_params) && dlfs__add64(n_params, h, &n_params) &&
             dlfs__mul64(h, m, &t) && dlfs__add64(n_params, t, &n_params) &&
             dlfs__add64(n_params, m, &n_params);
    ok = ok && dlfs__mul64(n_params, 8, &t) && dlfs__add64(need, t, &need);
    if (flags & FLAG_SCALER)
        ok = ok && dlfs__mul64(k, 16, &t) && dlfs__add64(need, t, &need);
    if (flags & FLAG_NAMES)
        ok = ok && dlfs__mul64(k, 4, &t) && dlfs__add64(need, t, &need);
    if (flags & FLAG_TARGET)
        ok = ok && dlfs__add64(need, 4, &need);
    if (!ok || k > SIZE_MAX || h > SIZE_MAX || m > SIZE_MAX)
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %s declares shapes k = %llu, h = %llu, m = %llu "
                          "whose size overflows", fn, src, (unsigned long long)k,
                          (unsigned long long)h, (unsigned long long)m);
    if (need > hd->flen)
        return dlfs__fail(DLFS_ETRUNCATED, "%s: %s declares shapes k = %llu, h = %llu, m = %llu "
                          "that need at least %llu bytes, but it has %llu", fn, src,
                          (unsigned long long)k, (unsigned long long)h, (unsigned long long)m,
                          (unsigned long long)need, (unsigned long long)hd->flen);
    hd->n_params = n_params;
    return DLFS_OK;
}

/* The parameters and the scaler, from *pos on (every size bounded by the
 * file's length by now). */
static dlfs_status read_numbers(dlfs_model *tmp, const struct header *hd, const unsigned char *b,
                                size_t *pos, const char *fn)
{
    dlfs_status st;
    double *params = (double *)dlfs_model_params(tmp, NULL);
    for (size_t i = 0; i < (size_t)hd->n_params; i++, *pos += 8)
        params[i] = dlfs__get_f64(b + *pos);
    if (!(hd->flags & FLAG_SCALER))
        return DLFS_OK;
    if ((st = dlfs__alloc_doubles(tmp->k, &tmp->scaler.mean, fn)) ||
        (st = dlfs__alloc_doubles(tmp->k, &tmp->scaler.sd, fn)))
        return st;
    tmp->scaler.k = tmp->k;
    tmp->has_scaler = 1;
    for (size_t j = 0; j < tmp->k; j++, *pos += 8)
        tmp->scaler.mean[j] = dlfs__get_f64(b + *pos);
    for (size_t j = 0; j < tmp->k; j++, *pos += 8)
        tmp->scaler.sd[j] = dlfs__get_f64(b + *pos);
    return DLFS_OK;
}

/* The names, which must end exactly where the checksum starts (check 12). */
static dlfs_status read_names(dlfs_model *tmp, const struct header *hd, const unsigned char *b,
                              size_t pos, const char *fn, const char *src)
{
    const size_t end = (size_t)hd->flen - CRC_BYTES;
    dlfs_status st;
    if (hd->flags & FLAG_NAMES) {
        tmp->feature_names = calloc(tmp->k, sizeof *tmp->feature_names);
        if (!tmp->feature_names)
            return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu names", fn, tmp->k);
        for (size_t j = 0; j < tmp->k; j++)
            if ((st = read_name(b, &pos, end, &tmp->feature_names[j], j, fn, src)))
                return st;
    }
    if ((hd->flags & FLAG_TARGET) &&
        (st = read_name(b, &pos, end, &tmp->target_name, tmp->k, fn, src)))
        return st;
    if (pos != end)
        return dlfs__fail(DLFS_EFORMAT, "%s: %s has %zu unexplained bytes before its checksum",
                          fn, src, end - pos);
    return DLFS_OK;
}

/* Parses len bytes at b into *out (empty on entry); `src` names the input in
 * details ("model.dlfs" or "buffer"). Checks in the order of the header. */
dlfs_status dlfs__model_parse(dlfs_model *out, const unsigned char *b, size_t len,
                              dlfs_model_kind expected, const char *fn, const char *src)
{
    struct header hd = {0};
    dlfs_status st;
    if ((st = parse_envelope(&hd, b, len, expected, fn, src)) ||
        (st = parse_shapes(&hd, b, fn, src)))
        return st;
    dlfs_model tmp;
    if ((st = dlfs_model_alloc(&tmp, (dlfs_model_kind)hd.kind, (size_t)hd.k, (size_t)hd.h,
                               (size_t)hd.m)))
        return st;
    size_t pos = HEADER_BYTES;
    char where[160];
    snprintf(where, sizeof where, "%s: %s", fn, src);
    if ((st = read_numbers(&tmp, &hd, b, &pos, fn)) ||
        (st = read_names(&tmp, &hd, b, pos, fn, src)) ||
        (st = dlfs__model_check_values(&tmp, where, DLFS_EFORMAT))) {
        dlfs_model_free(&tmp);
        return st;
    }
    *out = tmp;
    return DLFS_OK;
}

/* The checks both loaders start with; *out is emptied first. */
static dlfs_status load_begin(dlfs_model *out, const void *source, const char *source_name,
                              dlfs_model_kind expected, const char *fn)
{
    if (!out)
        return dlfs__fail(DLFS_ENULL, "%s: out is NULL", fn);
    *out = (dlfs_model){0};
    if (!source)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, source_name);
    if (expected != DLFS_MODEL_ANY && expected != DLFS_MODEL_LINREG && expected != DLFS_MODEL_NN)
        return dlfs__fail(DLFS_EINVAL, "%s: expected kind %d is not 0, 1 or 2", fn, (int)expected);
    return DLFS_OK;
}

dlfs_status dlfs_model_load_buffer(dlfs_model *out, const void *buf, size_t len,
                                   dlfs_model_kind expected)
{
    static const char fn[] = "dlfs_model_load_buffer";
    const dlfs_status st = load_begin(out, buf, "buf", expected, fn);
    return st ? st : dlfs__model_parse(out, buf, len, expected, fn, "buffer");
}

dlfs_status dlfs__read_file(const char *path, size_t cap, const char *what,
                            unsigned char **buf, size_t *len, const char *fn)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO by mistake fails below instead of waiting
     * for a writer; it changes nothing for a regular file. */
    const int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return dlfs__fail(DLFS_EIO, "%s: cannot open %s: %s", fn, path, strerror(errno));
    dlfs_status st;
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
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > cap) {
        fclose(f);
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %s has %jd bytes, more than the %zu %s "
                          "may have", fn, path, (intmax_t)sb.st_size, cap, what);
    }
    const size_t size = (size_t)sb.st_size;
    unsigned char *b = malloc(size ? size : 1);
    if (!b) {
        fclose(f);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu bytes for %s", fn, size, path);
    }
    /* A file that shrank since fstat parses as what was read (and is then
     * reported as truncated); one that grew is read to its size at fstat. */
    const size_t got = fread(b, 1, size, f);
    if (got < size && ferror(f)) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot read %s: %s", fn, path, strerror(errno));
        fclose(f);
        free(b);
        return st;
    }
    fclose(f);
    *buf = b;
    *len = got;
    return DLFS_OK;
}

dlfs_status dlfs_model_load(dlfs_model *out, const char *path, dlfs_model_kind expected)
{
    static const char fn[] = "dlfs_model_load";
    dlfs_status st = load_begin(out, path, "path", expected, fn);
    if (st)
        return st;
    unsigned char *buf;
    size_t len;
    if ((st = dlfs__read_file(path, DLFS_MODEL_FILE_MAX, "a model file", &buf, &len, fn)))
        return st;
    st = dlfs__model_parse(out, buf, len, expected, fn, path);
    free(buf);
    return st;
}
