/* dlfs/model_file.h - trained models saved to a file and loaded back.
 *
 * A file holds a model handle (dlfs/model.h) whole: its parameters, the
 * standardisation fitted on its training rows (optional), the k feature names
 * and the target name (optional), so that a loaded model predicts from raw
 * rows as the saved one did.
 *
 * The file format, version 1. Every integer is little-endian and fixed-width;
 * every real is an IEEE-754 binary64 written little-endian, bit for bit, so a
 * loaded model predicts bit-identically to the model that was saved.
 *
 *     offset  size  field
 *          0     8  magic "DLFSMODL"
 *          8     4  u32 version = 1
 *         12     4  u32 kind: 1 = linear regression (a closed-form fit
 *                             too), 2 = network
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
 *     1. the first min(len, 8) bytes are not the magic (a
 *        training checkpoint's, dlfs/checkpoint.h, is named
 *        as such in the detail)                               DLFS_EFORMAT
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
 * DLFS_BACKEND_BLAS), whether a regression was fitted in closed form (it
 * loads as DLFS_MODEL_LINREG) and anything about training.
 */
#ifndef DLFS_MODEL_FILE_H
#define DLFS_MODEL_FILE_H

#include <stddef.h>
#include <dlfs/model.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLFS_MODEL_FORMAT_VERSION 1u
/* Largest file dlfs_model_load() reads: 1 GiB. */
#define DLFS_MODEL_FILE_MAX ((size_t)1 << 30)

/* Writes model to `path` atomically (dlfs/atomic_file.h): a crash or a failed
 * write never leaves a partial file at path; either the old file (if any) is
 * still there, unchanged, or the new one is complete. A new file gets mode
 * 0666 less the umask; a file that is replaced keeps its mode.
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
 * DLFS_EINVAL for an `expected` that is not DLFS_MODEL_ANY, DLFS_MODEL_LINREG
 * or DLFS_MODEL_NN; DLFS_ENOMEM. On failure *out is empty and needs no free. */
dlfs_status dlfs_model_load_buffer(dlfs_model *out, const void *buf, size_t len,
                                   dlfs_model_kind expected);

#ifdef __cplusplus
}
#endif
#endif
