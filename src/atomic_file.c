/* src/atomic_file.c - files written whole or not at all. See dlfs/atomic_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfs/atomic_file.h>
#include "atomic_file.h"
#include "internal.h"

/* How many names are tried before giving up when every one exists. */
#define TEMP_TRIES 64

/* A fresh suffix of six letters and digits: the clock, the process and a
 * counter mixed (SplitMix64's finaliser). It only has to differ from the
 * names already in the directory; O_EXCL catches the rest. */
static void temp_suffix(char *out, uint64_t attempt)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 16) ^ (attempt * 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    for (int i = 0; i < 6; i++, z /= 36)
        out[i] = alphabet[z % 36];
}

/* Mode 0666: the kernel applies the umask, which a library must not change
 * to read. */
int dlfs__create_temp(char *tmp, size_t plen)
{
    static uint64_t counter;
    tmp[plen] = '.';
    tmp[plen + 7] = '\0';
    for (int i = 0; i < TEMP_TRIES; i++) {
        temp_suffix(tmp + plen + 1, __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
        const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* A file that replaces another keeps the old one's permissions. */
int dlfs__keep_mode(int fd, const char *path)
{
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        return fchmod(fd, old.st_mode & 07777);
    return 0;
}

static void close_all(dlfs_atomic_file *a)
{
    free(a->path);
    free(a->tmp);
    *a = (dlfs_atomic_file){0};
}

dlfs_status dlfs__atomic_open(dlfs_atomic_file *a, const char *path, const char *fn)
{
    if (!a)
        return dlfs__fail(DLFS_ENULL, "%s: a is NULL", fn);
    *a = (dlfs_atomic_file){0};
    if (!path)
        return dlfs__fail(DLFS_ENULL, "%s: path is NULL", fn);
    if (!*path)
        return dlfs__fail(DLFS_EINVAL, "%s: path is empty", fn);
    const size_t plen = strlen(path);
    a->path = malloc(plen + 1);
    a->tmp = malloc(plen + sizeof ".XXXXXX");
    if (!a->path || !a->tmp) {
        close_all(a);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate a file name", fn);
    }
    memcpy(a->path, path, plen + 1);
    memcpy(a->tmp, path, plen);

    const int fd = dlfs__create_temp(a->tmp, plen);
    if (fd < 0) {
        const dlfs_status st = dlfs__fail(DLFS_EIO, "%s: cannot create a temporary file %s: %s",
                                          fn, a->tmp, strerror(errno));
        close_all(a);
        return st;
    }
    if (dlfs__keep_mode(fd, path) != 0) {
        const dlfs_status st = dlfs__fail(DLFS_EIO, "%s: cannot set the mode of %s: %s",
                                          fn, a->tmp, strerror(errno));
        close(fd);
        unlink(a->tmp);
        close_all(a);
        return st;
    }
    if (!(a->f = fdopen(fd, "wb"))) {
        /* ENOMEM: stdio could not allocate the stream; the file is not at fault. */
        const int err = errno;
        const dlfs_status st = dlfs__fail(err == ENOMEM ? DLFS_ENOMEM : DLFS_EIO,
                                          "%s: cannot write %s: %s", fn, a->tmp, strerror(err));
        close(fd);
        unlink(a->tmp);
        close_all(a);
        return st;
    }
    return DLFS_OK;
}

void dlfs__parent_dir(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        const size_t n = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
}

/* Best effort: the new file is complete either way, and some file systems
 * refuse to sync a directory. */
void dlfs__sync_dir(const char *dir)
{
    const int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

dlfs_status dlfs__atomic_commit(dlfs_atomic_file *a, const char *fn)
{
    if (!a || !a->f)
        return dlfs__fail(DLFS_ENULL, "%s: %s", fn, a ? "the file is not open" : "a is NULL");
    const char *step = NULL;
    int err = 0;
    /* fflush reports a failed write of buffered bytes; ferror one of before. */
    if (fflush(a->f) != 0 || ferror(a->f))
        step = "write";
    else if (fsync(fileno(a->f)) != 0)
        step = "flush to disk";
    if (step)
        err = errno;
    if (fclose(a->f) != 0 && !step) {
        step = "close";
        err = errno;
    }
    a->f = NULL;
    if (!step && rename(a->tmp, a->path) != 0) {
        step = "rename over the target";
        err = errno;
    }
    dlfs_status st = DLFS_OK;
    if (step) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot %s %s (writing %s): %s", fn, step, a->tmp,
                        a->path, err ? strerror(err) : "I/O error");
        unlink(a->tmp);
    } else {
        /* Makes the rename durable. The directory's name goes into the
         * temporary file's name, no longer needed and long enough, so that
         * this step cannot be skipped for want of memory. */
        dlfs__parent_dir(a->path, a->tmp);
        dlfs__sync_dir(a->tmp);
    }
    close_all(a);
    return st;
}

dlfs_status dlfs_atomic_open(dlfs_atomic_file *a, const char *path)
{
    return dlfs__atomic_open(a, path, "dlfs_atomic_open");
}

dlfs_status dlfs_atomic_commit(dlfs_atomic_file *a)
{
    return dlfs__atomic_commit(a, "dlfs_atomic_commit");
}

void dlfs_atomic_abort(dlfs_atomic_file *a)
{
    if (!a)
        return;
    if (a->f) {
        fclose(a->f);
        unlink(a->tmp);
    }
    close_all(a);
}

dlfs_status dlfs__atomic_write(const char *path, const void *buf, size_t len, const char *fn)
{
    if (!buf && len > 0)
        return dlfs__fail(DLFS_ENULL, "%s: buf is NULL", fn);
    dlfs_atomic_file a;
    dlfs_status st = dlfs__atomic_open(&a, path, fn);
    if (st)
        return st;
    if (len > 0 && fwrite(buf, 1, len, a.f) != len) {
        st = dlfs__fail(DLFS_EIO, "%s: cannot write %s (saving %s): %s", fn, a.tmp, a.path,
                        strerror(errno));
        dlfs_atomic_abort(&a);
        return st;
    }
    return dlfs__atomic_commit(&a, fn);
}

dlfs_status dlfs_atomic_write(const char *path, const void *buf, size_t len)
{
    return dlfs__atomic_write(path, buf, len, "dlfs_atomic_write");
}
