/* examples/common/files.c - output paths, atomic outputs, the bundled data;
 * see files.h. */
#include "files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- Output files ------------------------------------------------------- */

int cli_check_output_path(const char *path, const char *what)
{
    const char *slash = strrchr(path, '/');
    struct stat sb;
    char *dir;
    int ok;

    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: it is a directory", what, path);
        return -1;
    }
    if (!slash)
        return 0;  /* the current directory */
    if (slash == path)
        return 0;  /* "/name": the root */
    dir = malloc((size_t)(slash - path) + 1);
    if (!dir) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    ok = stat(dir, &sb) == 0;
    if (!ok)
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: directory %s: %s", what, path,
                  dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode)) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s to %s: %s is not a directory", what,
                  path, dir);
        ok = 0;
    }
    free(dir);
    return ok ? 0 : -1;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int cli_output_open(dlfs_atomic_file *a, const char *path)
{
    dlfs_status st = dlfs_atomic_open(a, path);

    if (st) {
        cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path, cli_detail(st));
        return -1;
    }
    return 0;
}

int cli_output_commit(dlfs_atomic_file *a)
{
    /* The path is freed with the commit: keep it for the message. */
    char *path = a->path ? strdup(a->path) : NULL;
    dlfs_status st = dlfs_atomic_commit(a);

    if (st)
        cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path ? path : "the output",
                  cli_detail(st));
    free(path);
    return st ? -1 : 0;
}

/* ---- The bundled data --------------------------------------------------- */

#ifndef DLFS_DATADIR
#define DLFS_DATADIR ""
#endif
#ifndef DLFS_SOURCE_DATADIR
#define DLFS_SOURCE_DATADIR ""
#endif

int cli_find_data(const char *name, char *buf, size_t size)
{
    const char *env = getenv("DLFS_DATA_DIR");
    const char *dirs[3];
    const char *what[3] = { "$DLFS_DATA_DIR", "installed data", "source tree" };
    char looked[1024] = "";
    size_t used = 0;

    dirs[0] = env && env[0] ? env : NULL;
    dirs[1] = DLFS_DATADIR[0] ? DLFS_DATADIR : NULL;
    dirs[2] = DLFS_SOURCE_DATADIR[0] ? DLFS_SOURCE_DATADIR : NULL;

    for (int i = 0; i < 3; i++) {
        int n;
        if (!dirs[i])
            continue;
        n = snprintf(buf, size, "%s/%s", dirs[i], name);
        if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
            return 0;
        n = snprintf(looked + used, sizeof looked - used, "%s%s (%s)",
                     used ? ", " : "", buf, what[i]);
        if (n > 0 && (size_t)n < sizeof looked - used)
            used += (size_t)n;
    }
    cli_error(CLI_EXIT_FAILURE, "cannot find the bundled %s; looked in: %s; "
              "set DLFS_DATA_DIR or pass --data FILE.csv", name,
              used ? looked : "nowhere (no data directory configured)");
    return -1;
}
