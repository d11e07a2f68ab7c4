/* src/dist/reduce.c - the training step's sum over the ranks, in rank order,
 * by shared memory when every rank is on one node and by messages otherwise.
 *
 * Both ways add, for every element, rank 0's value, then rank 1's, ...,
 * then rank P-1's, in one running double: the bits are the same whichever
 * way is taken, and the same from run to run (MPI_Allreduce promises
 * neither). See dist_impl.h.
 *
 * Messages: each rank's buffer is cut into P chunks; one all-to-all gives
 * rank r the r-th chunk of every rank, r sums them, and one all-gather gives
 * every rank every sum. That moves 2 (P-1)/P of the buffer per rank, as a
 * ring allreduce does.
 *
 * Shared memory: the ranks' buffers live side by side in one MPI shared
 * window, so rank r reads the r-th chunk of every rank's buffer where it
 * lies, writes its sums into a shared result, and every rank reads the
 * result where it lies: no copy into or out of a message, two barriers.
 * A buffer is written between calls and the result read between calls;
 * the first barrier of a call orders the writes before the reads of the
 * sums, the second the sums before the result is read, and no rank writes
 * its buffer again (next call) before every rank has passed the second.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "internal.h"
#include "dist/dist_impl.h"

/* Chunks are padded to whole cache lines, so that ranks writing their sums
 * into neighbouring chunks of the shared result do not share a line. */
#define CHUNK_ALIGN 8

static size_t chunk_of(size_t n, size_t p)
{
    const size_t c = (n + p - 1) / p;
    return (c + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
}

/* Element j of chunk `rank` summed over every rank's copy (stride apart) in
 * rank order. */
static void sum_chunk(const double *first, size_t stride, size_t p, size_t chunk, double *out)
{
    for (size_t j = 0; j < chunk; j++) {
        double s = first[j];
        for (size_t q = 1; q < p; q++)
            s += first[q * stride + j];
        out[j] = s;
    }
}

/* The shared window: when every rank of comm is on this node and the MPI
 * library offers shared windows. Rank 0 allocates the whole block (P buffers
 * of chunk x P, then the result), so that it is one contiguous range on every
 * rank; each rank then zeroes its own buffer and result chunk (the first
 * touch, which places the pages near it). 1 on success; 0 (nothing held) to
 * take the message path. */
static int try_shared(dlfs__dist_reducer *r)
{
    const size_t p = (size_t)r->nproc, len = r->chunk * p;
    MPI_Comm node;
    int node_size = 0;
    if (MPI_Comm_split_type(r->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS)
        return 0;
    MPI_Comm_size(node, &node_size);
    int ok = node_size == r->nproc;
    size_t bytes;
    if (!dlfs__mul(len * (p + 1), sizeof(double), &bytes) || bytes > (size_t)PTRDIFF_MAX)
        ok = 0;
    double *base = NULL;
    MPI_Win win = MPI_WIN_NULL;
    if (ok) {
        /* A library without shared windows returns an error, not aborts. */
        MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
        const MPI_Aint mine = r->rank == 0 ? (MPI_Aint)bytes : 0;
        ok = MPI_Win_allocate_shared(mine, sizeof(double), MPI_INFO_NULL, node, &base, &win) ==
             MPI_SUCCESS;
    }
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, r->comm);
    if (all_ok) {
        MPI_Aint size;
        int disp;
        all_ok = MPI_Win_shared_query(win, 0, &size, &disp, &base) == MPI_SUCCESS;
        MPI_Allreduce(MPI_IN_PLACE, &all_ok, 1, MPI_INT, MPI_MIN, r->comm);
    }
    if (!all_ok) {
        if (win != MPI_WIN_NULL)
            MPI_Win_free(&win);
        MPI_Comm_free(&node);
        return 0;
    }
    r->node = node;
    r->win = win;
    r->slots = base;
    r->in = base + (size_t)r->rank * len;
    r->out = base + p * len;
    memset(r->in, 0, len * sizeof(double));
    memset(r->out + (size_t)r->rank * r->chunk, 0, r->chunk * sizeof(double));
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    MPI_Win_sync(win);
    MPI_Barrier(node);
    return 1;
}

/* The message path's buffers: this rank's values, what the all-to-all
 * brings, and the sums, each chunk x P. */
static dlfs_status alloc_messages(dlfs__dist_reducer *r, const char *fn)
{
    const size_t len = r->chunk * (size_t)r->nproc;
    size_t total;
    if (!dlfs__mul(len, 3, &total))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: a reduction of %zu values overflows", fn, r->n);
    dlfs_status st = dlfs__alloc_doubles(total, &r->block, fn);
    if (st)
        return st;
    memset(r->block, 0, total * sizeof(double));
    r->in = r->block;
    r->recv = r->block + len;
    r->out = r->block + 2 * len;
    return DLFS_OK;
}

dlfs_status dlfs__dist_reducer_init(dlfs__dist_reducer *r, MPI_Comm comm, size_t n,
                                    dlfs__dist_path path, const char *fn)
{
    *r = (dlfs__dist_reducer){.comm = comm, .n = n};
    MPI_Comm_rank(comm, &r->rank);
    MPI_Comm_size(comm, &r->nproc);
    r->chunk = chunk_of(n ? n : 1, (size_t)r->nproc);
    /* Counts are ints in MPI. */
    if (r->chunk > (size_t)2147483647 / 2 || r->chunk * (size_t)r->nproc / (size_t)r->nproc != r->chunk)
        return dlfs__dist_agree(comm, dlfs__fail(DLFS_EOVERFLOW, "%s: a reduction of %zu values "
                                                 "on %d ranks overflows", fn, n, r->nproc));
    if (r->nproc > 1 && path != DLFS__DIST_MESSAGES && try_shared(r))
        return DLFS_OK;
    dlfs_status st = dlfs__dist_agree(comm, alloc_messages(r, fn));
    if (st)
        dlfs__dist_reducer_free(r);
    return st;
}

const double *dlfs__dist_reduce(dlfs__dist_reducer *r)
{
    const size_t p = (size_t)r->nproc, chunk = r->chunk, len = chunk * p;
    double *mine = r->out + (size_t)r->rank * chunk;
    if (p == 1)
        return r->in;
    if (r->slots) {
        MPI_Win_sync(r->win);
        MPI_Barrier(r->node);
        MPI_Win_sync(r->win);
        sum_chunk(r->slots + (size_t)r->rank * chunk, len, p, chunk, mine);
        MPI_Win_sync(r->win);
        MPI_Barrier(r->node);
        MPI_Win_sync(r->win);
        return r->out;
    }
    MPI_Alltoall(r->in, (int)chunk, MPI_DOUBLE, r->recv, (int)chunk, MPI_DOUBLE, r->comm);
    sum_chunk(r->recv, chunk, p, chunk, mine);
    MPI_Allgather(MPI_IN_PLACE, (int)chunk, MPI_DOUBLE, r->out, (int)chunk, MPI_DOUBLE, r->comm);
    return r->out;
}

const char *dlfs__dist_reducer_path(const dlfs__dist_reducer *r)
{
    return r->nproc <= 1 ? "one rank" : r->slots ? "shared memory" : "messages";
}

void dlfs__dist_reducer_free(dlfs__dist_reducer *r)
{
    /* The shared path holds a window and a communicator exactly when it
     * holds slots: a zeroed reducer holds nothing (a zero handle is not
     * MPI_COMM_NULL in every MPI). */
    if (r->slots) {
        MPI_Win_unlock_all(r->win);
        MPI_Win_free(&r->win);
        MPI_Comm_free(&r->node);
    }
    free(r->block);
    *r = (dlfs__dist_reducer){0};
}

/* ---- One-off sums (the standardisation's, the metrics') ------------------ */

size_t dlfs__dist_sum_scratch(size_t n, int nproc)
{
    const size_t p = (size_t)nproc, chunk = (n + p - 1) / p;
    return 2 * chunk * p;
}

/* The message path on the caller's scratch, for sums made once or twice a
 * run; the same additions in the same order as dlfs__dist_reduce. */
void dlfs__dist_sum(MPI_Comm comm, const double *in, double *out, size_t n, double *scratch)
{
    int nproc, rank;
    MPI_Comm_size(comm, &nproc);
    MPI_Comm_rank(comm, &rank);
    if (nproc == 1) {
        memmove(out, in, n * sizeof *out);
        return;
    }
    const size_t p = (size_t)nproc, chunk = (n + p - 1) / p;
    double *send = scratch, *recv = scratch + chunk * p;
    memcpy(send, in, n * sizeof *send);
    memset(send + n, 0, (chunk * p - n) * sizeof *send);
    MPI_Alltoall(send, (int)chunk, MPI_DOUBLE, recv, (int)chunk, MPI_DOUBLE, comm);
    sum_chunk(recv, chunk, p, chunk, send + (size_t)rank * chunk);
    MPI_Allgather(MPI_IN_PLACE, (int)chunk, MPI_DOUBLE, send, (int)chunk, MPI_DOUBLE, comm);
    memcpy(out, send, n * sizeof *out);
}
