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

dlfs_status dlfs__train_start(dlfs_model *model, const dlfs_train_options *opt,
                              dlfs__train_state *s)
{
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

int dlfs__train_checkpoint_due(const dlfs_train_options *opt, size_t it, size_t iters, int flags)
{
    if (!opt->checkpoint_path)
        return 0;
    (void)iters;
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
