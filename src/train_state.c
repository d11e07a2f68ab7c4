/* src/train_state.c - a training run's state at an iteration boundary, into
 * and out of checkpoints (dlfs/checkpoint.h): how a run starts (fresh or
 * from a checkpoint), whether a checkpoint is due, and writing one. The
 * one-process loop (train.c) and the distributed one (dist/train.c) share
 * it; see model_impl.h.
 *
 * The state is what the next iteration reads besides the data: the
 * weights, the generator (which draws the next permutation), the current
 * permutation and the position in it. Restoring all four makes the resumed
 * iterations the very ones the uninterrupted run would have made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/checkpoint.h>
#include <dlfs/train.h>
#include "checkpoint_impl.h"
#include "internal.h"
#include "model_impl.h"

/* The first difference between the checkpoint c and the run about to
 * continue it, named; DLFS_OK when they match. */
static dlfs_status check_match(const char *fn, const dlfs_checkpoint *c, const dlfs_model *model,
                               const dlfs_train_options *opt, size_t n, size_t ranks,
                               size_t iters)
{
    const dlfs_model *m = &c->model;
    const char *what = NULL;
    char was[96], is[96];
#define DIFF(name, differs, fmt, a, b)                          \
    if (!what && (differs)) {                                   \
        what = name;                                            \
        snprintf(was, sizeof was, fmt, a);                      \
        snprintf(is, sizeof is, fmt, b);                        \
    }
    const dlfs_backend be = dlfs_model_get_backend(model);
    DIFF("model", m->kind != model->kind, "%s", dlfs_model_kind_name(m->kind),
         dlfs_model_kind_name(model->kind))
    DIFF("inputs k", m->k != model->k, "%zu", m->k, model->k)
    DIFF("hidden units h", m->h != model->h, "%zu", m->h, model->h)
    DIFF("outputs m", m->m != model->m, "%zu", m->m, model->m)
    DIFF("training rows", c->rows != n, "%zu", c->rows, n)
    DIFF("ranks", c->ranks != ranks, "%zu", c->ranks, ranks)
    DIFF("batch size", c->batch_size != opt->batch_size, "%zu", c->batch_size, opt->batch_size)
    DIFF("seed", c->seed != opt->seed, "%llu", (unsigned long long)c->seed,
         (unsigned long long)opt->seed)
    DIFF("init", c->init != opt->init, "%s", dlfs_init_name(c->init), dlfs_init_name(opt->init))
    DIFF("backend", c->backend != be, "%s", dlfs_backend_name(c->backend), dlfs_backend_name(be))
#undef DIFF
    if (!what && memcmp(&c->learning_rate, &opt->learning_rate, sizeof(double)) != 0) {
        what = "learning rate";
        snprintf(was, sizeof was, "%.17g", c->learning_rate);
        snprintf(is, sizeof is, "%.17g", opt->learning_rate);
    }
    if (what)
        return dlfs__fail(DLFS_EMISMATCH, "%s: the checkpoint's %s is %s, this run's %s",
                          fn, what, was, is);
    if (iters < c->iteration)
        return dlfs__fail(DLFS_EMISMATCH, "%s: the checkpoint is at iteration %zu, past this "
                          "run's %zu iterations", fn, c->iteration, iters);
    return DLFS_OK;
}

dlfs_status dlfs__train_resume_check(const char *fn, const dlfs_model *model,
                                     const dlfs_train_options *opt, size_t n, size_t ranks,
                                     size_t iters)
{
    const dlfs_checkpoint *c = opt->resume;
    if (!c)
        return DLFS_OK;
    if (!c->perm || !dlfs_model_params(&c->model, NULL))
        return dlfs__fail(DLFS_ENULL, "%s: opt->resume is not a loaded checkpoint", fn);
    return check_match(fn, c, model, opt, n, ranks, iters);
}

dlfs_status dlfs__train_state_alloc(dlfs__train_state *s, size_t n,
                                    const dlfs_train_options *opt, const char *fn)
{
    size_t bytes;
    *s = (dlfs__train_state){.gen = opt->generator, .n = n};
    if (!dlfs__mul(n, sizeof(size_t), &bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows overflow", fn, n);
    s->perm = malloc(bytes);
    if (s->perm && s->gen == DLFS_GENERATOR_NUMPY)
        s->q = malloc(bytes);
    if (!s->perm || (s->gen == DLFS_GENERATOR_NUMPY && !s->q)) {
        dlfs__train_state_free(s);
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate the permutation of %zu rows",
                          fn, n);
    }
    return DLFS_OK;
}

void dlfs__train_state_free(dlfs__train_state *s)
{
    free(s->perm);
    free(s->q);
    s->perm = s->q = NULL;
}

void dlfs__train_next_pass(dlfs__train_state *s)
{
    if (s->gen == DLFS_GENERATOR_NUMPY) {
        /* X = X[q]: the rows in the order they are in now, reordered */
        dlfs_nprandom_permutation(&s->np, s->q, s->n);
        dlfs_nprandom_take(s->perm, s->q, s->n);
    } else {
        dlfs_rng_shuffle(&s->rng, s->perm, s->n);
    }
    s->start = 0;
}

/* The NumPy generator's start, as the chapter's code makes it: seed, every
 * parameter N(0, 1) in the block's order, and the first order a
 * permutation of the rows. Continuing from the model's weights
 * (init_weights 0), the draws are made all the same and dropped, so that
 * the batches are those of a fresh run. The options were checked (seed
 * below 2^32, init normal). */
static void start_numpy(dlfs_model *model, dlfs__train_state *s, const dlfs_train_options *opt)
{
    size_t np;
    double *params = (double *)dlfs_model_params(model, &np);
    dlfs_nprandom_seed(&s->np, opt->seed);
    if (opt->init_weights)
        dlfs_nprandom_fill_normal(&s->np, params, np);
    else
        for (size_t i = 0; i < np; i++)
            (void)dlfs_nprandom_normal(&s->np);
    dlfs_nprandom_permutation(&s->np, s->perm, s->n);
    s->start = 0;
    s->first_it = 0;
}

dlfs_status dlfs__train_start(dlfs_model *model, const dlfs_train_options *opt,
                              dlfs__train_state *s)
{
    if (s->gen == DLFS_GENERATOR_NUMPY) {
        start_numpy(model, s, opt);
        return DLFS_OK;
    }
    const dlfs_checkpoint *c = opt->resume;
    if (c) {
        size_t np;
        double *params = (double *)dlfs_model_params(model, &np);
        memcpy(params, dlfs_model_params(&c->model, NULL), np * sizeof(double));
        memcpy(s->perm, c->perm, s->n * sizeof(size_t));
        s->rng = c->rng;
        s->start = c->position;
        s->first_it = c->iteration;
        return DLFS_OK;
    }
    dlfs_rng_seed(&s->rng, opt->seed);
    if (opt->init_weights) {
        const dlfs_status st = dlfs__model_init_weights(model, &s->rng, opt->init);
        if (st)
            return st;
    }
    dlfs_rng_permutation(&s->rng, s->perm, s->n);
    s->start = 0;
    s->first_it = 0;
    return DLFS_OK;
}

int dlfs__train_checkpoint_due(const dlfs_train_options *opt, size_t it, int flags)
{
    if (!opt->checkpoint_path)
        return 0;
    return flags != 0 || (opt->checkpoint_every && (it + 1) % opt->checkpoint_every == 0);
}

dlfs_status dlfs__train_checkpoint(dlfs__ckpt_writer *w, const dlfs_model *model,
                                   const dlfs_train_options *opt, const dlfs__train_state *s,
                                   size_t done, size_t iters, size_t ranks, const char *fn)
{
    const dlfs_checkpoint c = {
        .model = *model,
        .backend = dlfs_model_get_backend(model),
        .init = opt->init,
        .seed = opt->seed,
        .batch_size = opt->batch_size,
        .learning_rate = opt->learning_rate,
        .iterations = iters,
        .ranks = ranks,
        .iteration = done,
        .rows = s->n,
        .position = s->start,
        .rng = s->rng,
        .perm = s->perm,
    };
    return dlfs__ckpt_writer_write(w, &c, fn);
}
