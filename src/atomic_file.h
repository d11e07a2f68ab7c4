/* src/atomic_file.h - the atomic writer under the name of the public function
 * that uses it (dlfs_model_save reports its failures as its own). */
#ifndef DLFS_SRC_ATOMIC_FILE_H
#define DLFS_SRC_ATOMIC_FILE_H

#include <dlfs/atomic_file.h>

dlfs_status dlfs__atomic_open(dlfs_atomic_file *a, const char *path, const char *fn);
dlfs_status dlfs__atomic_commit(dlfs_atomic_file *a, const char *fn);
dlfs_status dlfs__atomic_write(const char *path, const void *buf, size_t len, const char *fn);

#endif
