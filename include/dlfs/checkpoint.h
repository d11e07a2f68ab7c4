/* dlfs/checkpoint.h - training checkpoints: where a run stands, in a file,
 * so that it can be continued exactly where it stopped.
 *
 * A checkpoint holds what mini-batch gradient descent (dlfs/train.h) needs to
 * go on bit for bit as if it had never stopped: the model being trained (a
 * model file, dlfs/model_file.h, embedded whole), the options that shape the
 * run, how many iterations are done, the generator's state after them, the
 * current permutation of the training rows and how far into it the run is.
 * Continuing from it on the same rows, in the same order, gives the weights
 * the uninterrupted run would have given.
 *
 * The file format, version 1. Every integer is little-endian and fixed-width;
 * every real is an IEEE-754 binary64 written little-endian, bit for bit.
 *
 *     offset  size  field
 *          0     8  magic "DLFSCKPT"
 *          8     4  u32 version = 1
 *         12     4  u32 kind: 1 = linear regression, 2 = network (the
 *                   numbers of the model file)
 *         16     8  u64 file length: bytes in the whole file, checksum included
 *         24     8  u64 iteration: iterations completed
 *         32     8  u64 iterations: the run's total
 *         40     8  u64 batch_size
 *         48     8  f64 learning_rate
 *         56     8  u64 seed
 *         64     4  u32 init (dlfs_init)
 *         68     4  u32 backend (dlfs_backend)
 *         72     8  u64 ranks: 1 for one process, P for an MPI run
 *         80     8  u64 rows: training rows over all ranks
 *         88     8  u64 position: rows of the current permutation used
 *         96    32  u64 x 4: the generator's state s[0..3]
 *        128     8  f64 the generator's spare normal deviate
 *        136     4  u32 has_spare: 0 or 1
 *        140     4  u32 reserved, 0 (the permutation starts 8-byte aligned)
 *        144  8 rows  the permutation: rows u64, each below rows, no two equal
 *          P     8  u64 L, the model's length (P = 144 + 8 rows)
 *      P + 8     L  the model: exactly the bytes dlfs_model_save() writes for
 *                   it (its own magic, length and CRC-32)
 *   length-4     4  u32 CRC-32 of bytes [0, length-4), the CRC of the model
 *                   file (zlib's; CRC of "123456789" is 0xCBF43926)
 *
 * So the file is 156 + 8 rows + L bytes. The model image starts 8-byte
 * aligned, as every field in it then does; the spare deviate is stored as it
 * is even when has_spare is 0 (the generator keeps a stale one there), so
 * that the state is restored bit for bit.
 *
 * Loading checks, in this order, and stops at the first failure:
 *     1. the first min(len, 8) bytes are not the magic (a model
 *        file's magic is named as such in the detail)        DLFS_EFORMAT
 *     2. fewer than 144 bytes (a cut header)                  DLFS_ETRUNCATED
 *     3. version is not 1                                     DLFS_EVERSION
 *     4. kind neither 1 nor 2                                 DLFS_EKIND
 *     5. declared length below 224, the smallest checkpoint
 *        (one row, the model file's smallest header)          DLFS_EFORMAT
 *     6. fewer bytes than the declared length                 DLFS_ETRUNCATED
 *     7. CRC mismatch                                         DLFS_ECHECKSUM
 *     8. bytes after the declared length (trailing garbage)   DLFS_EFORMAT
 *     9. the run's fields, in this order: iterations 0;
 *        iteration > iterations; batch_size 0; learning rate
 *        not finite or <= 0; init unknown (dlfs_init_name);
 *        backend unknown (dlfs_backend_name); ranks 0; rows
 *        0; position > rows; the generator's state all zero
 *        (xoshiro256** never reaches it); has_spare not 0 or
 *        1; spare not finite; reserved not 0                 DLFS_EFORMAT
 *    10. a count larger than size_t holds (32-bit hosts), or
 *        8 rows overflowing 64 bits                           DLFS_EOVERFLOW
 *    11. the permutation needs more bytes than the file
 *        declares                                             DLFS_ETRUNCATED
 *    12. L is not exactly the bytes between it and the CRC    DLFS_EFORMAT
 *    13. a permutation entry >= rows, or one repeated         DLFS_EFORMAT
 *    14. the model: the checks of dlfs/model_file.h, each
 *        with its status; the detail names the checkpoint's
 *        model                                                (as there)
 *    15. the model's kind is not the header's kind            DLFS_EKIND
 * A corrupted byte anywhere past the header's first 24 bytes is therefore
 * reported as DLFS_ECHECKSUM; checks 9-15 only fire on a file whose checksum
 * was made to match. Sizes are checked against the file's length before
 * anything is allocated: the permutation (8 bytes a row), its check's bitmap
 * (a bit a row) and the model are each bounded by the file's size.
 *
 * Not stored: the training rows themselves (the permutation holds their
 * indices: continue on the same rows, in the same order), the validation
 * set, the loss history and the callbacks.
 */
#ifndef DLFS_CHECKPOINT_H
#define DLFS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/gemm.h>
#include <dlfs/model.h>
#include <dlfs/rng.h>
#include <dlfs/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLFS_CHECKPOINT_MAGIC "DLFSCKPT"
#define DLFS_CHECKPOINT_FORMAT_VERSION 1u

/* Largest file dlfs_checkpoint_load() reads: a model file at its own cap
 * (DLFS_MODEL_FILE_MAX, 1 GiB) and the permutation of 2^27 rows (1 GiB) with
 * the checkpoint's 156 bytes of fields. dlfs_checkpoint_save() refuses to
 * write a larger one, which could not be loaded back. */
#define DLFS_CHECKPOINT_FILE_MAX (((size_t)1 << 30) + ((size_t)8 << 27) + 156)

typedef struct dlfs_checkpoint {
    dlfs_model model;      /* kind (LINREG or NN), shapes, parameters, standardiser, names */
    /* the options that shape the run */
    dlfs_backend backend;
    dlfs_init init;
    uint64_t seed;
    size_t batch_size;
    double learning_rate;
    size_t iterations;     /* the run's total */
    size_t ranks;          /* 1 for one process; P for an MPI run */
    /* where the run stands */
    size_t iteration;      /* iterations completed, <= iterations */
    size_t rows;           /* training rows, over all ranks: the permutation's length */
    size_t position;       /* rows of the current permutation already used, <= rows */
    dlfs_rng rng;          /* the generator's state after those iterations */
    size_t *perm;          /* the current permutation of 0 .. rows-1 */
} dlfs_checkpoint;

/* Reads the whole file (at most DLFS_CHECKPOINT_FILE_MAX bytes) and parses it
 * with dlfs_checkpoint_load_buffer(). Errors: those of
 * dlfs_checkpoint_load_buffer(), and DLFS_EIO (cannot open or read, not a
 * regular file; the system's reason in the detail), DLFS_EOVERFLOW (file
 * larger than the cap). On failure *out is empty and needs no free. */
dlfs_status dlfs_checkpoint_load(dlfs_checkpoint *out, const char *path);

/* Parses a checkpoint from len bytes at buf (see the checks at the top of
 * this header for each status code). On success *out owns its model and
 * permutation (free them with dlfs_checkpoint_free()), and the model computes
 * its products with the checkpoint's backend. DLFS_ENULL for a NULL out or
 * buf; DLFS_ENOMEM. On failure *out is empty and needs no free. */
dlfs_status dlfs_checkpoint_load_buffer(dlfs_checkpoint *out, const void *buf, size_t len);

/* Frees the model and the permutation and leaves *c empty (all zeros).
 * NULL, and an empty or zeroed struct, are fine. */
void dlfs_checkpoint_free(dlfs_checkpoint *c);

/* Writes c to `path` atomically (as dlfs_model_save() does: a crash or a
 * failed write leaves the old file, if any, as it was; a new file gets mode
 * 0666 less the umask, a replaced one keeps its mode). c must be what the
 * loader accepts: the checks 9 and 13 above give DLFS_EINVAL here, a model
 * that is not a regression or a network too. Errors: DLFS_ENULL (c, path,
 * c->perm); DLFS_EINVAL (also an empty path); the model's errors of
 * dlfs_model_save() (DLFS_ESHAPE, DLFS_ENONFINITE, ...); DLFS_EOVERFLOW (more
 * than DLFS_CHECKPOINT_FILE_MAX bytes); DLFS_ENOMEM; DLFS_EIO with the step
 * and the system's reason in the detail. */
dlfs_status dlfs_checkpoint_save(const dlfs_checkpoint *c, const char *path);

#ifdef __cplusplus
}
#endif
#endif
