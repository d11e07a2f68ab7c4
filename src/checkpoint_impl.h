/* src/checkpoint_impl.h - the checkpoint writer the training loops use; not
 * installed.
 *
 * A training loop writes a checkpoint every so many iterations and must not
 * allocate inside the loop (dlfs/train.h), so the writing is split in two:
 * dlfs__ckpt_writer_init(), before the loop, allocates everything a write
 * needs for checkpoints of one model's layout and one number of rows; then
 * dlfs__ckpt_writer_write(), as often as wanted, encodes and writes one with
 * plain POSIX calls: no malloc, no stdio.
 *
 *     dlfs__ckpt_writer w;
 *     st = dlfs__ckpt_writer_init(&w, path, model, n, fn);       (before the loop)
 *     ... every N iterations: fill a dlfs_checkpoint c whose model is a struct
 *         copy of the handle being trained (nothing is copied or freed) and
 *     st = dlfs__ckpt_writer_write(&w, &c, fn);
 *     dlfs__ckpt_writer_free(&w);                                  (after it)
 */
#ifndef DLFS_SRC_CHECKPOINT_IMPL_H
#define DLFS_SRC_CHECKPOINT_IMPL_H

#include <stddef.h>
#include <dlfs/checkpoint.h>

typedef struct dlfs__ckpt_writer {
    unsigned char *buf;      /* the file's bytes, len of them */
    size_t len;
    size_t rows;             /* the permutation's length */
    unsigned char *seen;     /* (rows + 7) / 8 bytes: the permutation check's bitmap */
    /* The model's layout the buffer was sized for: what makes its image
     * model_len bytes long. */
    dlfs_model_kind kind;
    size_t k, h, m;
    int has_scaler, has_names, has_target;
    size_t model_len;
    char *path;              /* the target, owned copy */
    size_t plen;             /* strlen(path) */
    char *tmp;               /* "<path>.XXXXXX": the temporary file's name */
    char *dir;               /* the directory holding path, synced after the rename */
} dlfs__ckpt_writer;

/* Allocates everything a write needs, for checkpoints of `model`'s kind,
 * shapes, standardiser and names (present or not, and their lengths) and of
 * `rows` rows: the byte buffer of the exact length, the permutation check's
 * bitmap, the path, the temporary name and the directory name. Nothing is
 * created on disk yet. model is only read. Errors (fn names the caller in
 * details): DLFS_ENULL (w, path, model), DLFS_EINVAL (empty path, rows 0, a
 * model neither a regression nor a network), the errors of dlfs_model_save()
 * for the model, DLFS_EOVERFLOW (more than DLFS_CHECKPOINT_FILE_MAX bytes),
 * DLFS_ENOMEM. On failure *w is empty (dlfs__ckpt_writer_free() is still
 * fine on it). */
dlfs_status dlfs__ckpt_writer_init(dlfs__ckpt_writer *w, const char *path,
                                   const dlfs_model *model, size_t rows, const char *fn);

/* Checks c as dlfs_checkpoint_save() does (DLFS_EINVAL for a field the loader
 * would refuse, a permutation entry out of range or repeated; DLFS_ENULL for
 * a NULL c or c->perm), and that c->rows is the writer's rows and c->model
 * has the layout the writer was made for (DLFS_EINVAL otherwise), then
 * encodes it into the buffer and writes it atomically: open(2) of a fresh
 * temporary name next to the path (O_CREAT | O_EXCL, mode 0666 less the
 * umask; a file it replaces lends it its mode), a write(2) loop (short writes
 * continued, EINTR retried), fsync, close, rename over the path, and a
 * best-effort fsync of the directory (some file systems refuse one; the file
 * is complete either way). Allocates nothing and uses no stdio. c->model is
 * only read. On any failure the temporary file is removed, a previous file at
 * path is left as it was, and DLFS_EIO names the step, the files and the
 * system's reason. */
dlfs_status dlfs__ckpt_writer_write(dlfs__ckpt_writer *w, const dlfs_checkpoint *c,
                                    const char *fn);

/* Frees what init allocated and leaves *w empty; NULL and an empty *w are
 * fine. */
void dlfs__ckpt_writer_free(dlfs__ckpt_writer *w);

#endif
