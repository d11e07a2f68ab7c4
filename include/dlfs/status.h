/* dlfs/status.h - status codes returned by every dlfs function that can fail.
 *
 * Every public function that can fail returns a dlfs_status. DLFS_OK is zero, so
 * `if (st != DLFS_OK)` and `if (st)` both work. dlfs_strerror() gives a fixed
 * sentence for each code; dlfs_error_detail() gives the calling thread's most
 * recent detailed message (which argument, which row, which column).
 */
#ifndef DLFS_STATUS_H
#define DLFS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dlfs_status {
    DLFS_OK = 0,
    DLFS_ENULL,       /* a required pointer argument was NULL */
    DLFS_ESHAPE,      /* matrix dimensions do not agree */
    DLFS_EEMPTY,      /* zero rows, zero columns or no data where some is needed */
    DLFS_EINVAL,      /* an argument value is out of its documented range */
    DLFS_ENOMEM,      /* memory allocation failed */
    DLFS_EOVERFLOW,   /* a size computation would overflow */
    DLFS_ENONFINITE,  /* input contains NaN or infinity */
    DLFS_EDIVERGED,   /* training produced a NaN or infinite loss or gradient */
    DLFS_EIO,         /* a file could not be opened, read or written */
    DLFS_EPARSE,      /* malformed text input (CSV) */
    DLFS_ENOTFOUND,   /* a named column or key does not exist */
    DLFS_EFORMAT,     /* not a dlfs model or checkpoint file (bad magic number), or malformed */
    DLFS_EVERSION,    /* model or checkpoint file of an unsupported format version */
    DLFS_EKIND,       /* model file holds another kind of model than requested */
    DLFS_ETRUNCATED,  /* file ends before its declared contents */
    DLFS_ECHECKSUM,   /* file contents do not match their checksum */
    DLFS_ELAPACK,     /* LAPACK reported failure (e.g. rank-deficient design) */
    DLFS_EMISMATCH,   /* a checkpoint does not match the run asked to continue it */
    DLFS_EUNSUPPORTED, /* the BLAS library in use cannot do what was asked (e.g. set threads) */
    DLFS_STATUS_COUNT_ /* number of codes; not a status */
} dlfs_status;

/* A short, fixed, human-readable sentence for `status`. Never NULL; unknown
 * codes give "unknown dlfs status". The string is static: do not free it. */
const char *dlfs_strerror(dlfs_status status);

/* The calling thread's most recent error detail, e.g.
 * "dlfs_nn_forward: X has 12 columns but the model expects 13".
 * Set by every function that returns a status other than DLFS_OK; left as it was
 * by successful calls. Thread-local; the empty string if nothing failed yet.
 * Valid until the next dlfs call on this thread. */
const char *dlfs_error_detail(void);

#ifdef __cplusplus
}
#endif
#endif
