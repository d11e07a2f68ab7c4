/* dlfs/model_file.h - trained models saved to a file and loaded back.
 *
 * A dlfs_model holds everything needed to predict from raw rows: one trained
 * model (a dlfs_linreg or a dlfs_nn), the standardisation fitted on its
 * training rows (optional), the k feature names and the target name
 * (optional). dlfs_model_predict() standardises with the saved parameters, so
 * a caller hands over rows in the units of the original data.
 *
 * The file format, version 1. Every integer is little-endian and fixed-width;
 * every real is an IEEE-754 binary64 written little-endian, bit for bit, so a
 * loaded model predicts bit-identically to the model that was saved.
 *
 *     offset  size  field
 *          0     8  magic "DLFSMODL"
 *          8     4  u32 version = 1
 *         12     4  u32 kind: 1 = linear regression, 2 = network
 *         16     8  u64 file length: bytes in the whole file, checksum included
 *         24     8  u64 k (inputs)
 *         32     8  u64 h (hidden units; 0 for linear regression)
 *         40     8  u64 m (outputs)
 *         48     4  u32 flags: 1 = standardisation, 2 = feature names,
 *                              4 = target name; other bits are 0
 *         52     4  u32 reserved, 0 (the parameters start 8-byte aligned)
 *         56        parameters, in the order of the model's params block:
 *                     linear regression: W (k x m), B (1 x m)
 *                     network: W1 (k x h), B1 (1 x h), W2 (h x m), B2 (1 x m)
 *                   each matrix row by row
 *                   if flag 1: mean (k), then sd (k)
 *                   if flag 2: k names, each a u32 byte length then the bytes
 *                   if flag 4: the target name, the same way
 *                   (names are at most DLFS_MODEL_NAME_MAX bytes, no NUL
 *                   inside, no terminator in the file)
 *     length-4     4  u32 CRC-32 of bytes [0, length-4): the CRC of zlib,
 *                   PNG and Ethernet (reflected polynomial 0xEDB88320, initial
 *                   value and final xor 0xFFFFFFFF; CRC of "123456789" is
 *                   0xCBF43926)
 *
 * The length sits in the header rather than at the end so that a reader
 * learns from the first 56 bytes how long the file must be: a file cut short
 * is told apart from a corrupted one before anything else is read.
 *
 * Loading checks, in this order, and stops at the first failure:
 *     1. the first min(len, 8) bytes are not the magic        DLFS_EFORMAT
 *     2. fewer than 56 bytes (a cut header)                  DLFS_ETRUNCATED
 *     3. version is not 1                                     DLFS_EVERSION
 *     4. kind unknown, or not the `expected` one              DLFS_EKIND
 *     5. declared length below the smallest possible file    DLFS_EFORMAT
 *     6. fewer bytes than the declared length                DLFS_ETRUNCATED
 *     7. CRC mismatch                                         DLFS_ECHECKSUM
 *     8. bytes after the declared length (trailing garbage)   DLFS_EFORMAT
 *     9. k or m zero, h zero for a network or nonzero for a
 *        regression, unknown flags, reserved not 0            DLFS_EFORMAT
 *    10. a size product overflows 64 bits                     DLFS_EOVERFLOW
 *    11. the shapes need more bytes than the file declares   DLFS_ETRUNCATED
 *    12. a name too long, holding a NUL, or running past the
 *        end; contents not ending exactly at the checksum    DLFS_EFORMAT
 *    13. a parameter, mean or sd is NaN or infinite           DLFS_ENONFINITE
 *    14. an sd is not positive                                DLFS_EFORMAT
 * A corrupted byte anywhere past the header's first 24 bytes is therefore
 * reported as DLFS_ECHECKSUM; checks 9-14 only fire on a file whose checksum
 * was made to match. Sizes are checked against the file's length before
 * anything is allocated, so no header can make the loader allocate more than
 * a small multiple of the file's size. The loader never reads outside the
 * bytes it was given.
 *
 * Not stored: the matrix-product backend (a loaded model uses
 * DLFS_BACKEND_BLAS) and anything about training.
 */
#ifndef DLFS_MODEL_FILE_H
#define DLFS_MODEL_FILE_H

#include <stddef.h>
#include <dlfs/data.h>
#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/nn.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLFS_MODEL_FORMAT_VERSION 1u
/* Longest feature or target name a file may hold, in bytes. */
#define DLFS_MODEL_NAME_MAX 4096u
/* Largest file dlfs_model_load() reads: 1 GiB. */
#define DLFS_MODEL_FILE_MAX ((size_t)1 << 30)

typedef enum dlfs_model_kind {
    DLFS_MODEL_ANY = 0,      /* for `expected` in the loaders: accept either */
    DLFS_MODEL_LINREG = 1,   /* a dlfs_linreg: the regression, or OLS coefficients */
    DLFS_MODEL_NN = 2        /* a dlfs_nn */
} dlfs_model_kind;

/* One trained model and what it needs to predict from raw rows. Owns all of
 * its memory. Exactly one of linreg and nn is allocated (the one named by
 * kind); the other is empty. An empty dlfs_model is all zeros. */
typedef struct dlfs_model {
    dlfs_model_kind kind;
    size_t k;                    /* inputs */
    size_t h;                    /* hidden units; 0 for DLFS_MODEL_LINREG */
    size_t m;                    /* outputs */
    dlfs_linreg linreg;          /* when kind == DLFS_MODEL_LINREG */
    dlfs_nn nn;                  /* when kind == DLFS_MODEL_NN */
    int has_scaler;              /* nonzero: scaler holds k means and sds */
    dlfs_standardizer scaler;    /* fitted on the training rows; empty if not */
    char **feature_names;        /* k NUL-terminated names, or NULL */
    char *target_name;           /* or NULL */
} dlfs_model;

/* Builds *out from a trained regression, copying everything: the caller keeps
 * (and still frees) lr, scaler and the names.
 *     scaler         NULL, or an empty (never fitted: k 0, mean and sd NULL)
 *                    standardizer, for none; else fitted on k columns
 *     feature_names  NULL, or k names (none NULL)
 *     target_name    NULL for none
 * Errors: DLFS_ENULL (out, lr, lr's parameters, a name in feature_names);
 * DLFS_ESHAPE (scaler->k differs from lr->k); DLFS_EINVAL (a name longer than
 * DLFS_MODEL_NAME_MAX, an sd not positive); DLFS_ENONFINITE (a parameter, mean
 * or sd is NaN or infinite: such a model could not be loaded back);
 * DLFS_ENOMEM. On failure *out is empty and needs no free. */
dlfs_status dlfs_model_from_linreg(dlfs_model *out, const dlfs_linreg *lr,
                                   const dlfs_standardizer *scaler,
                                   const char *const *feature_names,
                                   const char *target_name);

/* The same for a network. */
dlfs_status dlfs_model_from_nn(dlfs_model *out, const dlfs_nn *nn,
                               const dlfs_standardizer *scaler,
                               const char *const *feature_names,
                               const char *target_name);

/* Frees everything *model owns and resets it to empty. NULL is fine. */
void dlfs_model_free(dlfs_model *model);

/* Writes model to `path`, atomically: the bytes go to a new temporary file
 * "<path>.XXXXXX" in the same directory, which is flushed to disk (fsync) and
 * then renamed over path. A crash or a failed write never leaves a partial
 * file at path: either the old file (if any) is still there, unchanged, or
 * the new one is complete. The temporary file is removed on failure (only a
 * crash of the process itself can leave one behind, never at path). A new
 * file gets mode 0644; a file that is replaced keeps its mode.
 * Errors: DLFS_ENULL; DLFS_EINVAL, DLFS_ESHAPE, DLFS_ENONFINITE (model is not
 * a consistent, finite model, see dlfs_model_from_linreg); DLFS_EOVERFLOW;
 * DLFS_ENOMEM; DLFS_EIO with the operating system's reason (strerror) in the
 * detail (directory missing or not writable, disk full, path is a directory). */
dlfs_status dlfs_model_save(const dlfs_model *model, const char *path);

/* The bytes dlfs_model_save() writes, in memory: *buf (malloc'd, *len bytes)
 * is the caller's to free(). Same errors, except DLFS_EIO. On failure *buf is
 * NULL and *len 0. */
dlfs_status dlfs_model_encode(const dlfs_model *model, void **buf, size_t *len);

/* Reads the whole file (at most DLFS_MODEL_FILE_MAX bytes) and parses it with
 * dlfs_model_load_buffer(). `expected` is DLFS_MODEL_LINREG, DLFS_MODEL_NN,
 * or DLFS_MODEL_ANY (0) for either; the caller looks at out->kind.
 * Errors: those of dlfs_model_load_buffer(), and DLFS_EIO (cannot open or
 * read, not a regular file), DLFS_EOVERFLOW (file larger than the cap).
 * On failure *out is empty and needs no free. */
dlfs_status dlfs_model_load(dlfs_model *out, const char *path, dlfs_model_kind expected);

/* Parses a model from len bytes at buf (see the checks at the top of this
 * header for each status code). DLFS_ENULL for a NULL out or buf;
 * DLFS_EINVAL for an `expected` that is not a dlfs_model_kind; DLFS_ENOMEM.
 * On failure *out is empty and needs no free. */
dlfs_status dlfs_model_load_buffer(dlfs_model *out, const void *buf, size_t len,
                                   dlfs_model_kind expected);

/* P = the model's predictions for X_raw, rows in the original units.
 * X_raw: n x k (any ld; not modified), P: n x m (the caller's). With a saved
 * standardisation, a standardised copy of X_raw is made first (n x k doubles
 * allocated and freed inside the call), then dlfs_linreg_predict() or
 * dlfs_nn_predict() runs on it.
 * Errors: DLFS_ENULL, DLFS_EINVAL (empty model), DLFS_EEMPTY, DLFS_ESHAPE
 * (X_raw not k columns, P not n x m), DLFS_ENONFINITE (X_raw holds NaN or
 * Inf), DLFS_EOVERFLOW, DLFS_ENOMEM. */
dlfs_status dlfs_model_predict(const dlfs_model *model, const dlfs_matrix *X_raw,
                               dlfs_matrix *P);

/* "linreg" or "nn"; NULL for anything else. */
const char *dlfs_model_kind_name(dlfs_model_kind kind);

#ifdef __cplusplus
}
#endif
#endif
