/* src/train.c - mini-batch gradient descent for both models. See dlfs/train.h.
 *
 * The loop is written once; each model supplies its forward and backward passes
 * and its workspace through a small table (struct model_ops).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/train.h>
#include "internal.h"

void dlfs_train_options_default(dlfs_train_options *opt)
{
    if (!opt)
        return;
    *opt = (dlfs_train_options){
        .iterations = 1000,
        .batch_size = 23,
        .learning_rate = 0.023,
        .seed = 180708,
        .init_weights = 1,
        .init = DLFS_INIT_NORMAL,
    };
}

dlfs_status dlfs_train_iterations(const dlfs_train_options *opt, size_t n, size_t *iterations)
{
    if (!opt || !iterations)
        return dlfs__fail(DLFS_ENULL, "dlfs_train_iterations: %s is NULL", opt ? "iterations" : "opt");
    if (opt->batch_size == 0)
        return dlfs__fail(DLFS_EINVAL, "dlfs_train_iterations: batch_size must be >= 1");
    if (opt->iterations > 0) {
        *iterations = opt->iterations;
        return DLFS_OK;
    }
    if (opt->epochs == 0)
        return dlfs__fail(DLFS_EINVAL, "dlfs_train_iterations: neither iterations nor epochs is set");
    if (n == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_train_iterations: no rows");
    const size_t per_epoch = n / opt->batch_size + (n % opt->batch_size != 0);
    size_t total;   /* not *iterations: a failed call must leave it as it was */
    if (!dlfs__mul(per_epoch, opt->epochs, &total))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_train_iterations: %zu epochs of %zu batches overflow",
                          opt->epochs, per_epoch);
    *iterations = total;
    return DLFS_OK;
}

/* What the loop needs to know of a model. */
struct model_ops {
    void *model;
    double *params;          /* the model's parameter block */
    size_t n_params;
    size_t k, m;
    dlfs_backend backend;
    dlfs_status (*init)(void *model, dlfs_rng *rng, dlfs_init init);
    /* allocate / free the gradient model and forward infos (train and validation) */
    dlfs_status (*alloc)(struct model_ops *ops, size_t batch, size_t n_val);
    void (*free)(struct model_ops *ops);
    double (*forward)(struct model_ops *ops, const dlfs_matrix *X, const dlfs_matrix *y, int val);
    void (*backward)(struct model_ops *ops);
    const double *grads;     /* set by alloc */
    void *state;             /* model-specific workspace, set by alloc */
};

/* Checks everything a training run reads, before anything is allocated. */
static dlfs_status check_inputs(const char *fn, const struct model_ops *ops, const dlfs_matrix *X,
                                const dlfs_matrix *y, const dlfs_train_options *opt)
{
    dlfs_status st;
    if (!opt)
        return dlfs__fail(DLFS_ENULL, "%s: opt is NULL", fn);
    if ((st = dlfs_matrix_check(X, "train: X")) || (st = dlfs_matrix_check(y, "train: y")))
        return st;
    if (ops->backend != DLFS_BACKEND_BLAS && ops->backend != DLFS_BACKEND_NAIVE)
        return dlfs__fail(DLFS_EINVAL, "%s: the model has unknown backend %d", fn, (int)ops->backend);
    if (X->cols != ops->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the model has k = %zu inputs",
                          fn, X->cols, ops->k);
    if (y->rows != X->rows || y->cols != ops->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: y is %zu x %zu, expected %zu x %zu",
                          fn, y->rows, y->cols, X->rows, ops->m);
    if (opt->batch_size == 0)
        return dlfs__fail(DLFS_EINVAL, "%s: batch_size must be >= 1", fn);
    if (!isfinite(opt->learning_rate) || opt->learning_rate <= 0.0)
        return dlfs__fail(DLFS_EINVAL, "%s: learning_rate %g must be finite and > 0", fn, opt->learning_rate);
    if (opt->init != DLFS_INIT_NORMAL && opt->init != DLFS_INIT_SCALED)
        return dlfs__fail(DLFS_EINVAL, "%s: unknown init %d", fn, (int)opt->init);
    if (opt->loss_history_len > 0 && !opt->loss_history)
        return dlfs__fail(DLFS_ENULL, "%s: loss_history is NULL but loss_history_len is %zu",
                          fn, opt->loss_history_len);
    if (!opt->X_val != !opt->y_val)
        return dlfs__fail(DLFS_ENULL, "%s: X_val and y_val must be given together", fn);
    if (opt->X_val) {
        if ((st = dlfs_matrix_check(opt->X_val, "train: X_val")) ||
            (st = dlfs_matrix_check(opt->y_val, "train: y_val")))
            return st;
        if (opt->X_val->cols != ops->k || opt->y_val->cols != ops->m ||
            opt->y_val->rows != opt->X_val->rows)
            return dlfs__fail(DLFS_ESHAPE, "%s: X_val is %zu x %zu and y_val %zu x %zu; expected n x %zu and n x %zu",
                              fn, opt->X_val->rows, opt->X_val->cols, opt->y_val->rows, opt->y_val->cols,
                              ops->k, ops->m);
        if ((st = dlfs_matrix_check_finite(opt->X_val, "train: X_val")) ||
            (st = dlfs_matrix_check_finite(opt->y_val, "train: y_val")))
            return st;
    }
    if ((st = dlfs_matrix_check_finite(X, "train: X")) || (st = dlfs_matrix_check_finite(y, "train: y")))
        return st;
    return DLFS_OK;
}

static dlfs_status train(const char *fn, struct model_ops *ops, const dlfs_matrix *X, const dlfs_matrix *y,
                         const dlfs_train_options *opt, dlfs_train_result *result)
{
    dlfs_train_result res = {.final_loss = NAN, .final_val_loss = NAN};
    dlfs_status st;
    size_t iters;
    if (result)
        *result = res;
    if ((st = check_inputs(fn, ops, X, y, opt)) || (st = dlfs_train_iterations(opt, X->rows, &iters)))
        return st;

    /* Everything the loop touches is allocated here, before the weights change. */
    const size_t n = X->rows;
    const size_t batch = opt->batch_size < n ? opt->batch_size : n;
    const size_t n_val = opt->X_val ? opt->X_val->rows : 0;
    size_t perm_bytes;
    if (!dlfs__mul(n, sizeof(size_t), &perm_bytes))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: %zu rows overflow", fn, n);
    size_t *perm = malloc(perm_bytes);
    dlfs_matrix Xb = {0}, yb = {0};    /* the batch, each on a line boundary of one block */
    double *batch_block = NULL;
    if (!perm) {
        st = dlfs__fail(DLFS_ENOMEM, "%s: could not allocate the permutation of %zu rows", fn, n);
        goto out;
    }
    size_t bk, bm, nb;
    if (!dlfs__mul(batch, ops->k, &bk) || !dlfs__mul(batch, ops->m, &bm) || !dlfs__line_round(bk, &bk) ||
        !dlfs__line_round(bm, &bm) || !dlfs__add(bk, bm, &nb)) {
        st = dlfs__fail(DLFS_EOVERFLOW, "%s: a batch of %zu rows overflows", fn, batch);
        goto out;
    }
    if ((st = dlfs__alloc_doubles(nb, &batch_block, fn)))
        goto out;
    double *cursor = batch_block;
    dlfs__carve_lines(&cursor, &Xb, batch, ops->k);
    dlfs__carve_lines(&cursor, &yb, batch, ops->m);
    if ((st = ops->alloc(ops, batch, n_val)))
        goto out;

    dlfs_rng rng;
    dlfs_rng_seed(&rng, opt->seed);
    if (opt->init_weights && (st = ops->init(ops->model, &rng, opt->init)))
        goto out_free;
    dlfs_rng_permutation(&rng, perm, n);

    const double lr = opt->learning_rate;
    size_t start = 0;
    for (size_t it = 0; it < iters; it++) {
        if (start >= n) {
            dlfs_rng_shuffle(&rng, perm, n);
            start = 0;
        }
        const size_t bs = n - start < batch ? n - start : batch;
        dlfs__gather_batch(&Xb, &yb, X, y, perm + start, bs);
        start += bs;

        const double loss = ops->forward(ops, &Xb, &yb, 0);
        if (!isfinite(loss)) {
            st = dlfs__fail(DLFS_EDIVERGED, "%s: the loss is %g at iteration %zu", fn, loss, it);
            res.failed_iteration = it;
            break;
        }
        ops->backward(ops);
        if (!dlfs__all_finite(ops->grads, ops->n_params)) {
            st = dlfs__fail(DLFS_EDIVERGED, "%s: a gradient is not finite at iteration %zu", fn, it);
            res.failed_iteration = it;
            break;
        }
        dlfs__sgd_update(ops->params, ops->grads, ops->n_params, lr);
        res.iterations = it + 1;
        res.final_loss = loss;
        if (it < opt->loss_history_len)
            opt->loss_history[it] = loss;
        if (opt->on_loss && opt->on_loss(it, loss, opt->user)) {
            res.stopped_early = 1;
            break;
        }
        if (n_val && opt->eval_every && ((it + 1) % opt->eval_every == 0 || it + 1 == iters)) {
            res.final_val_loss = ops->forward(ops, opt->X_val, opt->y_val, 1);
            if (opt->on_eval && opt->on_eval(it, res.final_val_loss, opt->user)) {
                res.stopped_early = 1;
                break;
            }
        }
    }

out_free:
    ops->free(ops);
out:
    free(batch_block);
    free(perm);
    if (result)
        *result = res;
    return st;
}

/* ---- linear regression ---------------------------------------------------- */

struct linreg_state {
    dlfs_linreg grad;
    dlfs_linreg_forward_info info, val_info;
};

static dlfs_status linreg_init(void *model, dlfs_rng *rng, dlfs_init init)
{
    return dlfs_linreg_init(model, rng, init);
}

static void linreg_free(struct model_ops *ops)
{
    struct linreg_state *s = ops->state;
    if (!s)
        return;
    dlfs_linreg_free(&s->grad);
    dlfs_linreg_forward_info_free(&s->info);
    dlfs_linreg_forward_info_free(&s->val_info);
    free(s);
    ops->state = NULL;
}

static dlfs_status linreg_alloc(struct model_ops *ops, size_t batch, size_t n_val)
{
    struct linreg_state *s = calloc(1, sizeof *s);
    dlfs_status st;
    if (!s)
        return dlfs__fail(DLFS_ENOMEM, "dlfs_linreg_train: could not allocate the workspace");
    ops->state = s;
    if ((st = dlfs_linreg_alloc(&s->grad, ops->k, ops->m)) ||
        (st = dlfs_linreg_forward_info_alloc(&s->info, batch, ops->m)) ||
        (n_val && (st = dlfs_linreg_forward_info_alloc(&s->val_info, n_val, ops->m)))) {
        linreg_free(ops);
        return st;
    }
    ops->grads = s->grad.params;
    return DLFS_OK;
}

static double linreg_forward(struct model_ops *ops, const dlfs_matrix *X, const dlfs_matrix *y, int val)
{
    struct linreg_state *s = ops->state;
    dlfs_linreg_forward_info *info = val ? &s->val_info : &s->info;
    dlfs__linreg_forward(ops->model, X, y, info);
    return info->loss;
}

static void linreg_backward(struct model_ops *ops)
{
    struct linreg_state *s = ops->state;
    dlfs__linreg_gradients(ops->model, &s->info, &s->grad);
}

dlfs_status dlfs_linreg_train(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                              const dlfs_train_options *opt, dlfs_train_result *result)
{
    if (!model || !model->params)
        return dlfs__fail(DLFS_ENULL, "dlfs_linreg_train: model is %s", model ? "not allocated" : "NULL");
    struct model_ops ops = {
        .model = model, .params = model->params, .n_params = model->n_params,
        .k = model->k, .m = model->m, .backend = model->backend,
        .init = linreg_init, .alloc = linreg_alloc, .free = linreg_free,
        .forward = linreg_forward, .backward = linreg_backward,
    };
    return train("dlfs_linreg_train", &ops, X, y, opt, result);
}

/* ---- the network ---------------------------------------------------------- */

struct nn_state {
    dlfs_nn grad;
    dlfs_nn_forward_info info, val_info;
};

static dlfs_status nn_init(void *model, dlfs_rng *rng, dlfs_init init)
{
    return dlfs_nn_init(model, rng, init);
}

static void nn_free(struct model_ops *ops)
{
    struct nn_state *s = ops->state;
    if (!s)
        return;
    dlfs_nn_free(&s->grad);
    dlfs_nn_forward_info_free(&s->info);
    dlfs_nn_forward_info_free(&s->val_info);
    free(s);
    ops->state = NULL;
}

static dlfs_status nn_alloc(struct model_ops *ops, size_t batch, size_t n_val)
{
    const dlfs_nn *model = ops->model;
    struct nn_state *s = calloc(1, sizeof *s);
    dlfs_status st;
    if (!s)
        return dlfs__fail(DLFS_ENOMEM, "dlfs_nn_train: could not allocate the workspace");
    ops->state = s;
    if ((st = dlfs_nn_alloc(&s->grad, model->k, model->h, model->m)) ||
        (st = dlfs_nn_forward_info_alloc(&s->info, batch, model->h, model->m)) ||
        (n_val && (st = dlfs_nn_forward_info_alloc(&s->val_info, n_val, model->h, model->m)))) {
        nn_free(ops);
        return st;
    }
    ops->grads = s->grad.params;
    return DLFS_OK;
}

static double nn_forward(struct model_ops *ops, const dlfs_matrix *X, const dlfs_matrix *y, int val)
{
    struct nn_state *s = ops->state;
    dlfs_nn_forward_info *info = val ? &s->val_info : &s->info;
    dlfs__nn_forward(ops->model, X, y, info);
    return info->loss;
}

static void nn_backward(struct model_ops *ops)
{
    struct nn_state *s = ops->state;
    dlfs__nn_gradients(ops->model, &s->info, &s->grad);
}

dlfs_status dlfs_nn_train(dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                          const dlfs_train_options *opt, dlfs_train_result *result)
{
    if (!model || !model->params)
        return dlfs__fail(DLFS_ENULL, "dlfs_nn_train: model is %s", model ? "not allocated" : "NULL");
    struct model_ops ops = {
        .model = model, .params = model->params, .n_params = model->n_params,
        .k = model->k, .m = model->m, .backend = model->backend,
        .init = nn_init, .alloc = nn_alloc, .free = nn_free,
        .forward = nn_forward, .backward = nn_backward,
    };
    return train("dlfs_nn_train", &ops, X, y, opt, result);
}
