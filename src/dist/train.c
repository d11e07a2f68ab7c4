/* src/dist/train.c - dlfs_dist_train: the training loop of src/train.c over
 * the ranks of a communicator, and the collectives the MPI layer shares.
 *
 * Every rank runs the one-process loop on the global row numbering: the same
 * generator draws the same weights and the same permutations of the n global
 * rows, so every rank knows every batch. A rank runs the forward and backward
 * passes on the rows of the batch it owns; the passes give means over those
 * rows, so each rank's gradient and loss are scaled by n_owned / bs to make
 * their sum the mean over the whole batch, as one process computes it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dist.h>
#include "block.h"
#include "checkpoint_impl.h"
#include "internal.h"
#include "kernels.h"
#include "model_impl.h"
#include "dist/dist_impl.h"

/* ---- What the MPI layer's files share (dist_impl.h) ---------------------- */

dlfs_status dlfs__dist_agree(MPI_Comm comm, dlfs_status st)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    /* MINLOC on (ok, rank): the lowest failing rank, if any failed. */
    int in[2] = {st != DLFS_OK ? 0 : 1, rank}, out[2];
    MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, comm);
    if (out[0] == 1)
        return DLFS_OK;
    int code = (int)st;
    char detail[512];
    if (rank == out[1])
        snprintf(detail, sizeof detail, "%s", dlfs_error_detail());
    MPI_Bcast(&code, 1, MPI_INT, out[1], comm);
    MPI_Bcast(detail, (int)sizeof detail, MPI_CHAR, out[1], comm);
    int nproc;
    MPI_Comm_size(comm, &nproc);
    if (nproc == 1)
        return st;
    /* Every rank, the failing one too, gets the same detail, naming the rank
     * (a row number in it counts from that rank's first row). */
    return dlfs__fail((dlfs_status)code, "rank %d: %.480s", out[1], detail);
}

void dlfs__dist_counts(MPI_Comm comm, size_t n_local, size_t *n_global, size_t *first)
{
    unsigned long long mine = n_local, total = 0, before = 0;
    int rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Allreduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    *n_global = (size_t)total;
    *first = rank == 0 ? 0 : (size_t)before;   /* MPI_Exscan leaves rank 0's undefined */
}

int dlfs__dist_same(MPI_Comm comm, const unsigned long long *v, size_t n)
{
    /* max(v) == v and max(~v) == ~v on a rank exactly when every rank has v. */
    unsigned long long in[2 * DLFS__DIST_SAME_MAX] = {0}, out[2 * DLFS__DIST_SAME_MAX] = {0};
    if (n > DLFS__DIST_SAME_MAX)
        n = DLFS__DIST_SAME_MAX;
    for (size_t i = 0; i < n; i++) {
        in[i] = v[i];
        in[n + i] = ~v[i];
    }
    MPI_Allreduce(in, out, (int)(2 * n), MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
    /* Every rank holds the same out; if the values differ, no rank's v is
     * both the largest and the smallest, so every rank sees it. */
    int same = 1;
    for (size_t i = 0; i < 2 * n; i++)
        same &= out[i] == in[i];
    return same;
}

/* ---- The distributed loop -------------------------------------------------- */

/* Everything the loop reads and writes, allocated before the first iteration. */
struct drun {
    MPI_Comm comm;
    const char *fn;
    dlfs_model *model;
    const dlfs_matrix *X, *y;     /* this rank's rows */
    const dlfs_train_options *opt;
    size_t n, first, n_local;     /* global rows; this rank's first and count */
    size_t iters, batch, n_params;
    dlfs__train_state state;      /* generator, permutation of the n global rows, position */
    dlfs__ckpt_writer ckpt;       /* rank 0, when opt->checkpoint_path is set */
    size_t *own;                  /* local indices of the batch's rows this rank owns */
    double *batch_block;
    dlfs_matrix Xb, yb;
    dlfs__train_work w;
    double *params;
    dlfs__dist_reducer red;       /* n_params + 1: the gradient and the loss */
};

/* This rank's checks of its arguments: its own rows (which may be none) and
 * the options. */
static dlfs_status local_check(const struct drun *r)
{
    const char *fn = r->fn;
    if (!r->X || !r->y)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, r->X ? "y_local" : "X_local");
    if (r->X->rows > 0)
        return dlfs__train_check_inputs(fn, r->model, r->X, r->y, r->opt);
    if (r->y->rows != 0 || r->X->cols != r->model->k || r->y->cols != r->model->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: X_local is 0 x %zu and y_local %zu x %zu; "
                          "expected 0 x %zu and 0 x %zu", fn, r->X->cols, r->y->rows,
                          r->y->cols, r->model->k, r->model->m);
    return dlfs__train_check_options(fn, r->model, r->opt);
}

/* The options every rank must share (so that every rank runs the same
 * iterations and collectives); called once every rank's checks passed. */
static dlfs_status check_same_options(const struct drun *r)
{
    const dlfs_train_options *o = r->opt;
    unsigned long long lr_bits;
    memcpy(&lr_bits, &o->learning_rate, sizeof lr_bits);
    const unsigned long long v[] = {
        o->iterations, o->epochs, o->batch_size, lr_bits, o->seed, (unsigned)o->init_weights,
        (unsigned)o->init, o->loss_history_len, o->on_loss != NULL, o->on_eval != NULL,
        o->eval_every, o->X_val ? o->X_val->rows : 0, (unsigned)dlfs_model_get_backend(r->model),
        o->checkpoint_every, o->checkpoint_path != NULL, o->resume != NULL,
        (unsigned)o->generator, (unsigned)o->loss_reduction,
    };
    if (!dlfs__dist_same(r->comm, v, sizeof v / sizeof v[0]))
        return dlfs__fail(DLFS_EINVAL, "%s: the ranks were given different options (iterations, "
                          "epochs, batch, learning rate, seed, init, callbacks, validation rows, "
                          "backend, checkpoints, resume, generator or loss reduction)", r->fn);
    return DLFS_OK;
}

/* The scratch of the loop; on failure the caller's drun_free releases what
 * was allocated. */
static dlfs_status drun_alloc(struct drun *r)
{
    const size_t local_batch = r->batch < r->n_local ? r->batch : (r->n_local ? r->n_local : 1);
    const size_t n_val = r->opt->X_val ? r->opt->X_val->rows : 0;
    dlfs_model_params(r->model, &r->n_params);
    dlfs_status st = dlfs__train_state_alloc(&r->state, r->n, r->opt, r->fn);
    if (st)
        return st;
    if (!(r->own = malloc(r->batch * sizeof(size_t))))
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate the batch's %zu row numbers",
                          r->fn, r->batch);
    int rank;
    MPI_Comm_rank(r->comm, &rank);
    if ((st = dlfs__train_batch_alloc(r->fn, r->model, local_batch, &r->batch_block, &r->Xb, &r->yb)) ||
        (st = dlfs__train_work_alloc(&r->w, r->model, local_batch, n_val)))
        return st;
    r->w.summed = r->opt->loss_reduction == DLFS_LOSS_SUM;
    /* A rank's share of a batch varies from batch to batch: kernels for a
     * share that is a whole batch or a pass's short last one (every batch on
     * one rank), other shares through BLAS. */
    dlfs__train_work_kernels(&r->w, r->model, r->Xb.ld, local_batch, r->n % r->batch);
    if (r->opt->checkpoint_path && rank == 0)
        return dlfs__ckpt_writer_init(&r->ckpt, r->opt->checkpoint_path, r->model, r->n, r->fn);
    return DLFS_OK;
}

static void drun_free(struct drun *r)
{
    dlfs__dist_reducer_free(&r->red);
    dlfs__ckpt_writer_free(&r->ckpt);
    dlfs__train_work_free(&r->w);
    free(r->batch_block);
    free(r->own);
    dlfs__train_state_free(&r->state);
}

/* The step's gradient and loss over the ranks: this rank's share of the
 * batch perm[start..start+bs), scaled by its share of the rows, summed in
 * rank order (gradient, then the loss at [n_params]). A rank that owns none
 * of the batch's rows contributes zeros. */
static const double *step(struct drun *r, size_t start, size_t bs)
{
    const size_t np = r->n_params;
    double *mine = r->red.in;
    size_t owned = 0;
    for (size_t i = 0; i < bs; i++) {
        const size_t local = r->state.perm[start + i] - r->first;   /* wraps for rows before ours */
        if (local < r->n_local)
            r->own[owned++] = local;
    }
    if (owned > 0) {
        dlfs__gather_batch(&r->Xb, &r->yb, r->X, r->y, r->own, owned);
        const double loss = dlfs__train_forward(r->model, &r->w, &r->Xb, &r->yb, 0);
        const double *g = dlfs__train_backward(r->model, &r->w);
        /* Exactly 1 when this rank owns the whole batch (and on one rank):
         * then the step is the one-process step bit for bit. A summed
         * loss's gradients add up as they are; the loss is a mean. */
        const double share = (double)owned / (double)bs;
        if (r->w.summed)
            memcpy(mine, g, np * sizeof(double));
        else
            for (size_t j = 0; j < np; j++)
                mine[j] = g[j] * share;
        mine[np] = loss * share;
    } else {
        memset(mine, 0, (np + 1) * sizeof(double));
    }
    return dlfs__dist_reduce(&r->red);
}

/* A callback's answer (DLFS_TRAIN_* flags, any other nonzero value a
 * stop), made every rank's: the callbacks see the same numbers on every
 * rank, but they are the caller's code, and a signal reaches one rank. */
static int flags_agreed(MPI_Comm comm, int answer)
{
    int flags = answer & DLFS_TRAIN_CHECKPOINT, any;
    if (answer & ~DLFS_TRAIN_CHECKPOINT)
        flags |= DLFS_TRAIN_STOP;
    MPI_Allreduce(&flags, &any, 1, MPI_INT, MPI_BOR, comm);
    return any;
}

/* The callbacks and the validation loss after iteration it: the agreed
 * DLFS_TRAIN_* flags. */
static int after_step(struct drun *r, size_t it, double loss, dlfs_train_result *res)
{
    const dlfs_train_options *opt = r->opt;
    const size_t n_val = opt->X_val ? opt->X_val->rows : 0;
    if (it < opt->loss_history_len)
        opt->loss_history[it] = loss;
    int flags = opt->on_loss ? flags_agreed(r->comm, opt->on_loss(it, loss, opt->user)) : 0;
    if (flags & DLFS_TRAIN_STOP)
        return flags;
    if (n_val && opt->eval_every && ((it + 1) % opt->eval_every == 0 || it + 1 == r->iters)) {
        /* Every rank holds the whole validation set and the same weights. */
        res->final_val_loss = dlfs__train_forward(r->model, &r->w, opt->X_val, opt->y_val, 1);
        if (opt->on_eval &&
            flags_agreed(r->comm, opt->on_eval(it, res->final_val_loss, opt->user) != 0))
            flags |= DLFS_TRAIN_STOP;
    }
    return flags;
}

/* Rank 0 writes the state after `done` iterations; every rank learns how it went. */
static dlfs_status checkpoint(struct drun *r, size_t done)
{
    int rank, nproc;
    MPI_Comm_rank(r->comm, &rank);
    MPI_Comm_size(r->comm, &nproc);
    dlfs_status st = DLFS_OK;
    if (rank == 0)
        st = dlfs__train_checkpoint(&r->ckpt, r->model, r->opt, &r->state, done, r->iters,
                                    (size_t)nproc, r->fn);
    return dlfs__dist_agree(r->comm, st);
}

/* The iterations, as loop() of src/train.c. Allocates nothing. */
static dlfs_status dloop(struct drun *r, dlfs_train_result *res)
{
    dlfs__train_state *s = &r->state;
    const size_t n = r->n, np = r->n_params;
    const double lr = r->opt->learning_rate;
    for (size_t it = s->first_it; it < r->iters; it++) {
        if (s->start >= n)
            dlfs__train_next_pass(s);
        const size_t bs = n - s->start < r->batch ? n - s->start : r->batch;
        const double *sum = step(r, s->start, bs);
        s->start += bs;
        /* The checks read the summed numbers, the same on every rank: every
         * rank stops at the same iteration. */
        const double loss = sum[np];
        if (!isfinite(loss)) {
            res->failed_iteration = it;
            return dlfs__fail(DLFS_EDIVERGED, "%s: the loss is %g at iteration %zu", r->fn, loss, it);
        }
        if (!dlfs__all_finite(sum, np)) {
            res->failed_iteration = it;
            return dlfs__fail(DLFS_EDIVERGED, "%s: a gradient is not finite at iteration %zu", r->fn, it);
        }
        dlfs__sgd_update(r->params, sum, np, lr);
        res->iterations = it + 1;
        res->final_loss = loss;
        const int flags = after_step(r, it, loss, res);
        if (dlfs__train_checkpoint_due(r->opt, it, flags)) {
            const dlfs_status st = checkpoint(r, it + 1);
            if (st)
                return st;
        }
        if (flags & DLFS_TRAIN_STOP) {
            res->stopped_early = 1;
            break;
        }
    }
    return DLFS_OK;
}

/* The checkpoint to continue from (every rank was given one, see
 * check_same_options): matching this run on every rank, and the same one
 * everywhere. */
static dlfs_status check_resume(struct drun *r)
{
    const dlfs_checkpoint *c = r->opt->resume;
    int nproc;
    MPI_Comm_size(r->comm, &nproc);
    dlfs_status st = dlfs__train_resume_check(r->fn, r->model, r->opt, r->n, (size_t)nproc,
                                              r->iters);
    if ((st = dlfs__dist_agree(r->comm, st)) || !c)
        return st;
    const unsigned long long v[] = {c->iteration, c->position, c->rng.s[0], c->rng.s[1],
                                    c->rng.s[2], c->rng.s[3]};
    if (!dlfs__dist_same(r->comm, v, sizeof v / sizeof v[0]))
        return dlfs__fail(DLFS_EMISMATCH, "%s: the ranks were given different checkpoints", r->fn);
    return DLFS_OK;
}

/* Checks (agreed), counts, allocation (agreed), weights, permutation, loop. */
static dlfs_status train_gd(struct drun *r, dlfs_train_result *res)
{
    dlfs_status st = local_check(r);
    if ((st = dlfs__dist_agree(r->comm, st)) || (st = check_same_options(r)))
        return st;
    dlfs__dist_counts(r->comm, r->n_local, &r->n, &r->first);
    if (r->n == 0)
        return dlfs__fail(DLFS_EEMPTY, "%s: no rank has a training row", r->fn);
    if ((st = dlfs_train_iterations(r->opt, r->n, &r->iters)) || (st = check_resume(r)))
        return st;
    r->batch = r->opt->batch_size < r->n ? r->opt->batch_size : r->n;
    st = dlfs__dist_agree(r->comm, drun_alloc(r));
    if (!st)
        st = dlfs__dist_reducer_init(&r->red, r->comm, r->n_params + 1, DLFS__DIST_AUTO, r->fn);
    if (!st) {
        r->params = (double *)dlfs_model_params(r->model, NULL);
        st = dlfs__train_start(r->model, r->opt, &r->state);
        if (!st && !r->opt->init_weights && !r->opt->resume) {
            /* Continuing from the model's weights: make the replicas the same, rank 0's. */
            MPI_Bcast(r->params, (int)r->n_params, MPI_DOUBLE, 0, r->comm);
        }
        if (!st) {
            res->iterations = r->state.first_it;
            st = dloop(r, res);
        }
    }
    drun_free(r);
    return st;
}

dlfs_status dlfs_dist_train(MPI_Comm comm, dlfs_model *model, const dlfs_matrix *X_local,
                            const dlfs_matrix *y_local, const dlfs_train_options *opt,
                            dlfs_train_result *result)
{
    static const char fn[] = "dlfs_dist_train";
    dlfs_train_result res = {.final_loss = NAN, .final_val_loss = NAN};
    if (result)
        *result = res;
    if (comm == MPI_COMM_NULL)
        return dlfs__fail(DLFS_ENULL, "%s: comm is MPI_COMM_NULL", fn);
    dlfs_status st = dlfs__dist_agree(comm, dlfs__model_check(model, fn));
    if (st)
        return st;
    const unsigned long long shape[] = {model->kind, model->k, model->h, model->m};
    if (!dlfs__dist_same(comm, shape, 4))
        return dlfs__fail(DLFS_EINVAL, "%s: the ranks' models differ in kind or shape", fn);
    if (model->kind == DLFS_MODEL_OLS)
        return dlfs__dist_ols_fit(comm, &model->linreg, X_local, y_local, fn);
    struct drun r = {.comm = comm, .fn = fn, .model = model, .X = X_local, .y = y_local,
                     .opt = opt, .n_local = X_local ? X_local->rows : 0};
    st = train_gd(&r, &res);
    if (result)
        *result = res;
    return st;
}
