/* src/atomic_file.h - the atomic writer under the name of the public function
 * that uses it (dlfs_model_save reports its failures as its own). */
#ifndef DLFS_SRC_ATOMIC_FILE_H
#define DLFS_SRC_ATOMIC_FILE_H

#include <dlfs/atomic_file.h>

dlfs_status dlfs__atomic_open(dlfs_atomic_file *a, const char *path, const char *fn);
dlfs_status dlfs__atomic_commit(dlfs_atomic_file *a, const char *fn);
dlfs_status dlfs__atomic_write(const char *path, const void *buf, size_t len, const char *fn);

/* The steps of an atomic write, shared with the checkpoint writer
 * (checkpoint.c), which must not allocate and so cannot use stdio. None of
 * them allocates. */

/* tmp holds path's plen bytes (not terminated) and room for 8 more: creates
 * "<path>.<six letters or digits>" exclusively (O_EXCL), mode 0666 less the
 * umask, write-only and close-on-exec, trying fresh names while one exists.
 * Returns the fd, or -1 with errno set (tmp then holds the last name tried). */
int dlfs__create_temp(char *tmp, size_t plen);

/* If a regular file is at path, gives fd its mode (a file that replaces
 * another keeps the old one's permissions). 0, or -1 with errno set. */
int dlfs__keep_mode(int fd, const char *path);

/* dir (room for strlen(path) + 1 bytes, at least 2) = the directory holding
 * path: "." for a bare name, "/" for a name in the root. */
void dlfs__parent_dir(const char *path, char *dir);

/* fsyncs the directory dir so that a rename in it is durable; best effort. */
void dlfs__sync_dir(const char *dir);

#endif
