/* src/status.c - status codes as text, and the thread-local error detail. */
#include <stdarg.h>
#include <stdio.h>

#include <dlfs/gemm.h>
#include <dlfs/status.h>
#include "internal.h"

static const char *const messages[DLFS_STATUS_COUNT_] = {
    [DLFS_OK] = "success",
    [DLFS_ENULL] = "a required pointer argument was NULL",
    [DLFS_ESHAPE] = "matrix dimensions do not agree",
    [DLFS_EEMPTY] = "empty input: zero rows, zero columns or no data",
    [DLFS_EINVAL] = "an argument is out of its valid range",
    [DLFS_ENOMEM] = "out of memory",
    [DLFS_EOVERFLOW] = "a size is too large (the computation would overflow)",
    [DLFS_ENONFINITE] = "input contains NaN or infinity",
    [DLFS_EDIVERGED] = "training diverged: the loss or a gradient is NaN or infinite",
    [DLFS_EIO] = "a file could not be opened, read or written",
    [DLFS_EPARSE] = "malformed input text",
    [DLFS_ENOTFOUND] = "a named column or key does not exist",
    [DLFS_EFORMAT] = "not a dlfs model or checkpoint file, or a malformed one",
    [DLFS_EVERSION] = "unsupported model or checkpoint file version",
    [DLFS_EKIND] = "the model file holds another kind of model",
    [DLFS_ETRUNCATED] = "the file is truncated",
    [DLFS_ECHECKSUM] = "the file is corrupted (checksum mismatch)",
    [DLFS_ELAPACK] = "LAPACK failed (is the design matrix rank-deficient?)",
    [DLFS_EMISMATCH] = "the checkpoint does not match this run",
    [DLFS_EUNSUPPORTED] = "the BLAS library in use does not support this",
};

const char *dlfs_strerror(dlfs_status status)
{
    if ((int)status < 0 || status >= DLFS_STATUS_COUNT_ || !messages[status])
        return "unknown dlfs status";
    return messages[status];
}

/* One buffer per thread: the library keeps no shared mutable state. */
static _Thread_local char detail[512];

const char *dlfs_error_detail(void)
{
    return detail;
}

dlfs_status dlfs__fail(dlfs_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return status;
}

dlfs_status dlfs__check_model(int present, const double *params, dlfs_backend backend,
                              const char *fn, const char *name)
{
    if (!present)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, name);
    if (!params)
        return dlfs__fail(DLFS_ENULL, "%s: %s is not allocated", fn, name);
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "%s: %s has unknown backend %d", fn, name, (int)backend);
    return DLFS_OK;
}
