/* src/model_file_impl.h - the pieces of model_file.c that the checkpoint file
 * (checkpoint.c), which embeds a model file, shares; not installed. */
#ifndef DLFS_SRC_MODEL_FILE_IMPL_H
#define DLFS_SRC_MODEL_FILE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/model.h>
#include <dlfs/status.h>

/* CRC-32 of n bytes, as in zlib and PNG (see dlfs/model_file.h). */
uint32_t dlfs__crc32(const unsigned char *p, size_t n);

/* Checks that model can be written (dlfs_model_save's checks: structure,
 * finite values) and sets *len to the bytes of its file. Allocates nothing,
 * so a training loop may call it. Errors: those of dlfs_model_save except
 * DLFS_ENOMEM and DLFS_EIO. */
dlfs_status dlfs__model_encoded_size(const dlfs_model *model, size_t *len, const char *fn);

/* Writes model's file, len bytes, into buf: exactly what dlfs_model_save
 * writes, checksum included. model must have passed
 * dlfs__model_encoded_size(), which gave len. Allocates nothing. */
void dlfs__model_encode_into(const dlfs_model *model, unsigned char *buf, size_t len);

/* dlfs_model_load_buffer() under another name: `fn` and `src` name the
 * caller and the bytes in details ("dlfs_checkpoint_load", "the model in
 * run.ckpt"). *out must be empty; on failure it stays empty. */
dlfs_status dlfs__model_parse(dlfs_model *out, const unsigned char *b, size_t len,
                              dlfs_model_kind expected, const char *fn, const char *src);

/* Reads the regular file at path whole into *buf (malloc'd, at least one
 * byte; the caller frees it) and its size into *len. A file larger than cap
 * bytes is DLFS_EOVERFLOW (`what` names the kind of file in the detail, "a
 * model file"); DLFS_EIO (cannot open or read, not a regular file: a FIFO is
 * refused at once, not waited on), DLFS_ENOMEM. On failure *buf is NULL. */
dlfs_status dlfs__read_file(const char *path, size_t cap, const char *what,
                            unsigned char **buf, size_t *len, const char *fn);

#endif
