/* src/dist/csv.c - dlfs_dist_csv_read: every rank reads the header and only
 * its own share of a CSV file's rows.
 *
 * The cut. The body (the bytes after the header row) is divided into P equal
 * raw ranges. Rank r's rows are those that start at or after the first line
 * start at or after its raw start, up to the next rank's. A line starts after
 * a newline that is not inside a quoted field; whether a byte is inside
 * quotes is the parity of the '"' bytes before it in the body (a doubled ""
 * inside quotes toggles twice, so the parity holds). Each rank counts the
 * quotes and newlines of its raw range, an exclusive prefix sum gives it the
 * counts before its raw start, and it scans forward from there to the first
 * newline outside quotes; it does the same from the next rank's raw start,
 * with the parity it now knows, to find where its rows stop. Both scans are
 * the same function of the file on every rank, so the cuts agree without a
 * message, and a cut is never inside a row of a well-formed file. The newline
 * count before the cut is the line number rows are numbered from, so errors
 * name the file's line.
 *
 * The rows are parsed in the file's own read-only mapping (src/csv.c,
 * dlfs__csv_parse_shard), nothing copied; the pages counted are given back
 * at once, those parsed as the parse goes, so a rank holds its shard and
 * little of the file.
 *
 * Errors. A rank parses a row that starts in its range to its end, even past
 * the cut, so in a malformed file (a stray quote that makes the parity lie)
 * the lowest failing rank meets the error the one-process reader meets first.
 * After each local phase the ranks agree with one MPI_Allreduce (MINLOC on
 * (ok, rank)): if any failed, the lowest failing rank broadcasts its status
 * and dlfs_csv_error, and every rank returns them, with the same detail.
 */
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include "csv_shard.h"
#include "internal.h"
#include "dist/dist_impl.h"

static const char FN[] = "dlfs_dist_csv_read";

/* Makes a local status every rank's (see the comment at the top): the lowest
 * failing rank's status and *e reach every rank. Collective. */
static dlfs_status agree(MPI_Comm comm, int rank, dlfs_status st, dlfs_csv_error *e)
{
    int in[2] = {st != DLFS_OK ? 0 : 1, rank}, res[2];
    MPI_Allreduce(in, res, 1, MPI_2INT, MPI_MINLOC, comm);
    if (res[0] == 1)
        return DLFS_OK;
    unsigned long long v[3] = {(unsigned long long)st, e->line, e->column};
    MPI_Bcast(v, 3, MPI_UNSIGNED_LONG_LONG, res[1], comm);
    MPI_Bcast(e->message, (int)sizeof e->message, MPI_CHAR, res[1], comm);
    if (rank == res[1])
        return st;
    e->line = (size_t)v[1];
    e->column = (size_t)v[2];
    e->message[sizeof e->message - 1] = '\0';
    return dlfs__fail((dlfs_status)v[0], "%s", e->message);
}

/* floor(len * r / p) without overflow. */
static size_t raw_offset(size_t len, int r, int p)
{
    const size_t ur = (size_t)r, up = (size_t)p;
    return len / up * ur + len % up * ur / up;
}

/* The first line start at or after x (>= body), where quoted is the quote
 * parity of the body before x; *newlines += the newlines in [x, result). */
static size_t line_start(const dlfs__csv_text *t, size_t body, size_t x, unsigned quoted,
                         unsigned long long *newlines)
{
    if (x == body || x >= t->len)
        return x;
    /* x is a line start when the byte before it is a newline outside quotes:
     * start the scan there, with the parity before that byte. */
    size_t p = x - 1;
    quoted ^= t->text[p] == '"';
    for (; p < t->len; p++) {
        const char ch = t->text[p];
        if (ch == '"') {
            quoted ^= 1u;
        } else if (ch == '\n') {
            *newlines += p >= x;
            if (!quoted)
                return p + 1;
        }
    }
    return t->len;
}

/* This rank's rows: bytes [*begin, *end) of the text, *begin on line *line. */
static void find_cut(MPI_Comm comm, int rank, int nproc, const dlfs__csv_text *t, size_t body,
                     size_t body_line, size_t *begin, size_t *end, size_t *line)
{
    const size_t n = t->len - body;
    const size_t lo = body + raw_offset(n, rank, nproc);
    const size_t hi = body + raw_offset(n, rank + 1, nproc);
    unsigned long long mine[2] = {0, 0}, before[2] = {0, 0};
    for (size_t i = lo; i < hi; i++) {
        mine[0] += t->text[i] == '"';
        mine[1] += t->text[i] == '\n';
    }
    /* The pages just counted are parsed later, one step at a time. */
    dlfs__csv_release(t, lo, hi);
    MPI_Exscan(mine, before, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    if (rank == 0)   /* MPI_Exscan leaves rank 0's undefined */
        before[0] = before[1] = 0;
    unsigned long long newlines = before[1], ignored = 0;
    *begin = line_start(t, body, lo, (unsigned)(before[0] & 1u), &newlines);
    *end = line_start(t, body, hi, (unsigned)((before[0] + mine[0]) & 1u), &ignored);
    *line = body_line + (size_t)newlines;
}

/* Everything after the header: the cut, the parse, the global counts. */
static dlfs_status read_rows(MPI_Comm comm, const dlfs__csv_text *t, const char *target,
                             size_t target_index, size_t body, size_t body_line,
                             dlfs_dist_dataset *out, dlfs_csv_error *e)
{
    int rank, nproc;
    size_t begin, end, line;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nproc);
    find_cut(comm, rank, nproc, t, body, body_line, &begin, &end, &line);
    dlfs_status st = dlfs__csv_parse_shard(FN, t, target, target_index, begin, end, line,
                                           &out->local, e);
    if ((st = agree(comm, rank, st, e)))
        return st;
    dlfs__dist_counts(comm, out->local.X.rows, &out->n_global, &out->first_row);
    if (out->n_global == 0)   /* the same on every rank */
        return dlfs__csv_fail(e, FN, DLFS_EEMPTY, 0, 0, "a header but no data rows");
    return DLFS_OK;
}

dlfs_status dlfs_dist_csv_read(MPI_Comm comm, const char *path, const char *target,
                               size_t target_index, dlfs_dist_dataset *out,
                               dlfs_csv_error *err)
{
    dlfs_csv_error e;
    memset(&e, 0, sizeof e);
    if (out)
        memset(out, 0, sizeof *out);
    if (err)
        memset(err, 0, sizeof *err);
    if (comm == MPI_COMM_NULL)
        return dlfs__csv_fail(err, FN, DLFS_ENULL, 0, 0, "comm is MPI_COMM_NULL");
    int rank;
    MPI_Comm_rank(comm, &rank);

    /* Every rank opens the file and reads the header (for the names and the
     * target column); their failures are the same on every rank, but are
     * agreed on all the same, so that no rank goes on alone. */
    dlfs__csv_text t;
    size_t body = 0, body_line = 0;
    dlfs_status st;
    memset(&t, 0, sizeof t);
    if (!out || !path)
        st = dlfs__csv_fail(&e, FN, DLFS_ENULL, 0, 0, "%s is NULL", out ? "path" : "out");
    else if (!(st = dlfs__csv_open(FN, path, &t, &e)))
        st = dlfs__csv_header(FN, &t, target, target_index, &body, &body_line, &e);
    st = agree(comm, rank, st, &e);
    if (!st) {
        st = read_rows(comm, &t, target, target_index, body, body_line, out, &e);
        if (st)
            dlfs_dist_dataset_free(out);
    }
    dlfs__csv_close(&t);
    if (err)
        *err = e;
    return st;
}

void dlfs_dist_dataset_free(dlfs_dist_dataset *ds)
{
    if (!ds)
        return;
    dlfs_dataset_free(&ds->local);
    memset(ds, 0, sizeof *ds);
}
