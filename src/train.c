/* src/train.c - mini-batch gradient descent for both models. See dlfs/train.h.
 *
 * The loop is written once, on the model handle (dlfs/model.h): it asks the
 * handle's kind which forward and backward passes to run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/model.h>
#include <dlfs/train.h>
#include "block.h"
#include "checkpoint_impl.h"
#include "internal.h"
#include "kernels.h"
#include "model_impl.h"
#include "model_passes.h"

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
    if (opt->iterations > 0 && opt->epochs > 0)
        return dlfs__fail(DLFS_EINVAL, "dlfs_train_iterations: iterations = %zu and epochs = %zu "
                          "are both set; set one and leave the other 0 (the defaults set "
                          "iterations)", opt->iterations, opt->epochs);
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

/* What the loop works in (dlfs__train_work, model_impl.h), allocated before
 * the first iteration. The passes below stay static so that the loop can
 * inline them; the distributed loop reaches them through the dlfs__train_*
 * wrappers at the end of this file. */
typedef dlfs__train_work workspace;

static void workspace_free(workspace *w)
{
    dlfs_linreg_free(&w->lr_grad);
    dlfs_linreg_forward_info_free(&w->lr_info);
    dlfs_linreg_forward_info_free(&w->lr_val);
    dlfs_nn_free(&w->nn_grad);
    dlfs_nn_forward_info_free(&w->nn_info);
    dlfs_nn_forward_info_free(&w->nn_val);
}

static dlfs_status workspace_alloc(workspace *w, const dlfs_model *model, size_t batch,
                                   size_t n_val)
{
    const size_t k = model->k, h = model->h, m = model->m;
    dlfs_status st;
    *w = (workspace){0};
    if (model->kind == DLFS_MODEL_NN) {
        if ((st = dlfs_nn_alloc(&w->nn_grad, k, h, m)) ||
            (st = dlfs_nn_forward_info_alloc(&w->nn_info, batch, h, m)) ||
            (n_val && (st = dlfs_nn_forward_info_alloc(&w->nn_val, n_val, h, m)))) {
            workspace_free(w);
            return st;
        }
        w->grads = w->nn_grad.params;
    } else {
        if ((st = dlfs_linreg_alloc(&w->lr_grad, k, m)) ||
            (st = dlfs_linreg_forward_info_alloc(&w->lr_info, batch, m)) ||
            (n_val && (st = dlfs_linreg_forward_info_alloc(&w->lr_val, n_val, m)))) {
            workspace_free(w);
            return st;
        }
        w->grads = w->lr_grad.params;
    }
    return DLFS_OK;
}

/* The forward pass and the loss, on the batch or (val) the validation set. */
/* The kernels made for a batch of X's rows, if any (a comparison, not a dispatch). */
static const dlfs__step_mm *kernels_for(const workspace *w, const dlfs_matrix *X)
{
    for (int i = 0; i < 2; i++)
        if (w->mm[i].rows == X->rows)
            return &w->mm[i];
    return NULL;
}

static double forward(const dlfs_model *model, workspace *w, const dlfs_matrix *X,
                      const dlfs_matrix *y, int val)
{
    const dlfs__step_mm *mm = val ? NULL : kernels_for(w, X);
    if (!val)
        w->mm_cur = mm;
    if (model->kind == DLFS_MODEL_NN) {
        dlfs_nn_forward_info *info = val ? &w->nn_val : &w->nn_info;
        dlfs__nn_forward(&model->nn, X, y, info, w->summed, mm);
        return info->loss;
    }
    dlfs_linreg_forward_info *info = val ? &w->lr_val : &w->lr_info;
    dlfs__linreg_forward(&model->linreg, X, y, info, w->summed, mm);
    return info->loss;
}

void dlfs__train_work_kernels(dlfs__train_work *w, const dlfs_model *model, size_t x_ld,
                              size_t batch, size_t last)
{
    const dlfs_backend be = dlfs_model_get_backend(model);
    if (be != DLFS_BACKEND_XSMM && be != DLFS_BACKEND_AUTO)
        return;
    const size_t rows[2] = {batch, last};
    for (int i = 0; i < 2; i++) {
        if (rows[i] == 0)
            continue;
        if (model->kind == DLFS_MODEL_NN)
            dlfs__step_mm_nn(&w->mm[i], &model->nn, &w->nn_info, &w->nn_grad, x_ld, rows[i]);
        else
            dlfs__step_mm_linreg(&w->mm[i], &model->linreg, &w->lr_info, &w->lr_grad, x_ld,
                                 rows[i]);
    }
}

/* The backward pass of the last batch: w's gradient. */
static void backward(const dlfs_model *model, workspace *w)
{
    if (model->kind == DLFS_MODEL_NN)
        dlfs__nn_gradients(&model->nn, &w->nn_info, &w->nn_grad, w->mm_cur);
    else
        dlfs__linreg_gradients(&model->linreg, &w->lr_info, &w->lr_grad, w->mm_cur);
}

/* The validation set, when there is one: given whole, of the model's shape, finite. */
static dlfs_status check_validation(const char *fn, const dlfs_model *model,
                                    const dlfs_train_options *opt)
{
    dlfs_status st;
    if (!opt->X_val != !opt->y_val)
        return dlfs__fail(DLFS_ENULL, "%s: X_val and y_val must be given together", fn);
    if (!opt->X_val)
        return DLFS_OK;
    if ((st = dlfs_matrix_check(opt->X_val, "train: X_val")) ||
        (st = dlfs_matrix_check(opt->y_val, "train: y_val")))
        return st;
    if (opt->X_val->cols != model->k || opt->y_val->cols != model->m ||
        opt->y_val->rows != opt->X_val->rows)
        return dlfs__fail(DLFS_ESHAPE, "%s: X_val is %zu x %zu and y_val %zu x %zu; expected n x %zu and n x %zu",
                          fn, opt->X_val->rows, opt->X_val->cols, opt->y_val->rows, opt->y_val->cols,
                          model->k, model->m);
    if ((st = dlfs_matrix_check_finite(opt->X_val, "train: X_val")) ||
        (st = dlfs_matrix_check_finite(opt->y_val, "train: y_val")))
        return st;
    return DLFS_OK;
}

/* The generator and the loss reduction, and what the NumPy generator
 * cannot do. */
static dlfs_status check_generator(const char *fn, const dlfs_train_options *opt)
{
    if (opt->loss_reduction != DLFS_LOSS_MEAN && opt->loss_reduction != DLFS_LOSS_SUM)
        return dlfs__fail(DLFS_EINVAL, "%s: unknown loss_reduction %d", fn, (int)opt->loss_reduction);
    if (opt->generator == DLFS_GENERATOR_XOSHIRO)
        return DLFS_OK;
    if (opt->generator != DLFS_GENERATOR_NUMPY)
        return dlfs__fail(DLFS_EINVAL, "%s: unknown generator %d", fn, (int)opt->generator);
    if (opt->seed > UINT32_MAX)
        return dlfs__fail(DLFS_EINVAL, "%s: the NumPy generator takes seeds below 2^32; got %llu",
                          fn, (unsigned long long)opt->seed);
    if (opt->init != DLFS_INIT_NORMAL)
        return dlfs__fail(DLFS_EINVAL, "%s: the NumPy generator draws N(0, 1) weights only "
                          "(init normal), not init %s", fn, dlfs_init_name(opt->init));
    if (opt->checkpoint_path || opt->resume)
        return dlfs__fail(DLFS_EINVAL, "%s: checkpoints record the library's own generator; "
                          "the NumPy generator's state is not kept in them", fn);
    return DLFS_OK;
}

/* The options' values (not the data): batch, learning rate, init, history,
 * validation set. */
static dlfs_status check_options(const char *fn, const dlfs_model *model,
                                 const dlfs_train_options *opt)
{
    dlfs_status st;
    if (opt->batch_size == 0)
        return dlfs__fail(DLFS_EINVAL, "%s: batch_size must be >= 1", fn);
    if (!isfinite(opt->learning_rate) || opt->learning_rate <= 0.0)
        return dlfs__fail(DLFS_EINVAL, "%s: learning_rate %g must be finite and > 0", fn, opt->learning_rate);
    if (!dlfs_init_name(opt->init))
        return dlfs__fail(DLFS_EINVAL, "%s: unknown init %d", fn, (int)opt->init);
    if ((st = check_generator(fn, opt)))
        return st;
    if (opt->loss_history_len > 0 && !opt->loss_history)
        return dlfs__fail(DLFS_ENULL, "%s: loss_history is NULL but loss_history_len is %zu",
                          fn, opt->loss_history_len);
    return check_validation(fn, model, opt);
}

/* Checks everything a training run reads, before anything is allocated. */
static dlfs_status check_inputs(const char *fn, const dlfs_model *model, const dlfs_matrix *X,
                                const dlfs_matrix *y, const dlfs_train_options *opt)
{
    dlfs_status st;
    const dlfs_backend backend = dlfs_model_get_backend(model);
    if (!opt)
        return dlfs__fail(DLFS_ENULL, "%s: opt is NULL", fn);
    if ((st = dlfs_matrix_check(X, "train: X")) || (st = dlfs_matrix_check(y, "train: y")))
        return st;
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "%s: the model has unknown backend %d", fn, (int)backend);
    if (!dlfs_backend_available(backend))
        return dlfs__fail(DLFS_EINVAL, "%s: backend %s: this dlfs was built without libxsmm "
                          "(meson option xsmm)", fn, dlfs_backend_name(backend));
    if (X->cols != model->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the model has k = %zu inputs",
                          fn, X->cols, model->k);
    if (y->rows != X->rows || y->cols != model->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: y is %zu x %zu, expected %zu x %zu",
                          fn, y->rows, y->cols, X->rows, model->m);
    if ((st = check_options(fn, model, opt)))
        return st;
    if ((st = dlfs_matrix_check_finite(X, "train: X")) || (st = dlfs_matrix_check_finite(y, "train: y")))
        return st;
    return DLFS_OK;
}

/* The batch: X and y rows of up to `batch` rows, each on a line boundary of
 * one block (*block, to free). */
static dlfs_status batch_alloc(const char *fn, const dlfs_model *model, size_t batch,
                               double **block, dlfs_matrix *Xb, dlfs_matrix *yb)
{
    size_t bk, bm, nb;
    if (!dlfs__mul(batch, model->k, &bk) || !dlfs__mul(batch, model->m, &bm) ||
        !dlfs__line_round(bk, &bk) || !dlfs__line_round(bm, &bm) || !dlfs__add(bk, bm, &nb))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: a batch of %zu rows overflows", fn, batch);
    dlfs_status st = dlfs__alloc_doubles(nb, block, fn);
    if (st)
        return st;
    double *cursor = *block;
    dlfs__carve_lines(&cursor, Xb, batch, model->k);
    dlfs__carve_lines(&cursor, yb, batch, model->m);
    return DLFS_OK;
}

/* Everything the loop reads and writes. */
struct run {
    const char *fn;
    dlfs_model *model;
    const dlfs_matrix *X, *y;
    const dlfs_train_options *opt;
    size_t iters;
    size_t batch;              /* rows of a full batch */
    dlfs__train_state state;   /* generator, permutation, position */
    dlfs__ckpt_writer ckpt;    /* when opt->checkpoint_path is set */
    dlfs_matrix Xb, yb;        /* the batch */
    workspace w;
    double *params;            /* the model's parameter block */
    size_t n_params;
};

/* What the callbacks say after iteration it (DLFS_TRAIN_* flags; a stop
 * as DLFS_TRAIN_STOP), and the validation loss when it is due. */
static int callbacks(struct run *r, size_t it, double loss, dlfs_train_result *res)
{
    const dlfs_train_options *opt = r->opt;
    const size_t n_val = opt->X_val ? opt->X_val->rows : 0;
    int flags = opt->on_loss ? opt->on_loss(it, loss, opt->user) : 0;
    if (flags & ~DLFS_TRAIN_CHECKPOINT)
        return DLFS_TRAIN_STOP | (flags & DLFS_TRAIN_CHECKPOINT);
    if (n_val && opt->eval_every && ((it + 1) % opt->eval_every == 0 || it + 1 == r->iters)) {
        res->final_val_loss = forward(r->model, &r->w, opt->X_val, opt->y_val, 1);
        if (opt->on_eval && opt->on_eval(it, res->final_val_loss, opt->user))
            flags |= DLFS_TRAIN_STOP;
    }
    return flags;
}

/* The iterations: the chapter's train() with the checks of dlfs/train.h.
 * Allocates nothing. */
static dlfs_status loop(struct run *r, dlfs_train_result *res)
{
    const dlfs_train_options *opt = r->opt;
    dlfs__train_state *s = &r->state;
    const size_t n = r->X->rows, batch = r->batch;
    const double lr = opt->learning_rate;
    for (size_t it = s->first_it; it < r->iters; it++) {
        if (s->start >= n)
            dlfs__train_next_pass(s);
        const size_t bs = n - s->start < batch ? n - s->start : batch;
        dlfs__gather_batch(&r->Xb, &r->yb, r->X, r->y, s->perm + s->start, bs);
        s->start += bs;

        const double loss = forward(r->model, &r->w, &r->Xb, &r->yb, 0);
        if (!isfinite(loss)) {
            res->failed_iteration = it;
            return dlfs__fail(DLFS_EDIVERGED, "%s: the loss is %g at iteration %zu", r->fn, loss, it);
        }
        backward(r->model, &r->w);
        if (!dlfs__all_finite(r->w.grads, r->n_params)) {
            res->failed_iteration = it;
            return dlfs__fail(DLFS_EDIVERGED, "%s: a gradient is not finite at iteration %zu", r->fn, it);
        }
        dlfs__sgd_update(r->params, r->w.grads, r->n_params, lr);
        res->iterations = it + 1;
        res->final_loss = loss;
        if (it < opt->loss_history_len)
            opt->loss_history[it] = loss;
        const int flags = callbacks(r, it, loss, res);
        if (dlfs__train_checkpoint_due(opt, it, flags)) {
            const dlfs_status st = dlfs__train_checkpoint(&r->ckpt, r->model, opt, s, it + 1,
                                                          r->iters, 1, r->fn);
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

/* The permutation, the batch, the workspace and the checkpoint writer. */
static dlfs_status run_alloc(struct run *r, double **batch_block)
{
    const size_t n = r->X->rows, n_val = r->opt->X_val ? r->opt->X_val->rows : 0;
    dlfs_status st;
    if ((st = dlfs__train_state_alloc(&r->state, n, r->opt, r->fn)) ||
        (st = batch_alloc(r->fn, r->model, r->batch, batch_block, &r->Xb, &r->yb)) ||
        (st = workspace_alloc(&r->w, r->model, r->batch, n_val)))
        return st;
    r->w.summed = r->opt->loss_reduction == DLFS_LOSS_SUM;
    dlfs__train_work_kernels(&r->w, r->model, r->Xb.ld, r->batch, n % r->batch);
    if (r->opt->checkpoint_path)
        return dlfs__ckpt_writer_init(&r->ckpt, r->opt->checkpoint_path, r->model, n, r->fn);
    return DLFS_OK;
}

dlfs_status dlfs__train(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                        const dlfs_train_options *opt, dlfs_train_result *result, const char *fn)
{
    dlfs_train_result res = {.final_loss = NAN, .final_val_loss = NAN};
    struct run r = {.fn = fn, .model = model, .X = X, .y = y, .opt = opt};
    dlfs_status st;
    if (result)
        *result = res;
    if ((st = check_inputs(fn, model, X, y, opt)) ||
        (st = dlfs_train_iterations(opt, X->rows, &r.iters)) ||
        (st = dlfs__train_resume_check(fn, model, opt, X->rows, 1, r.iters)))
        return st;

    /* Everything the loop touches is allocated here, before the weights change. */
    double *batch_block = NULL;
    r.batch = opt->batch_size < X->rows ? opt->batch_size : X->rows;
    st = run_alloc(&r, &batch_block);
    if (!st) {
        r.params = (double *)dlfs_model_params(model, &r.n_params);
        if (!(st = dlfs__train_start(model, opt, &r.state))) {
            res.iterations = r.state.first_it;
            st = loop(&r, &res);
        }
    }
    dlfs__ckpt_writer_free(&r.ckpt);
    workspace_free(&r.w);
    free(batch_block);
    dlfs__train_state_free(&r.state);
    if (result)
        *result = res;
    return st;
}

/* The step-by-step models train through a handle that borrows them: the
 * handle's member is a copy of the struct, its parameter block the caller's. */
dlfs_status dlfs_linreg_train(dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                              const dlfs_train_options *opt, dlfs_train_result *result)
{
    static const char fn[] = "dlfs_linreg_train";
    if (!model || !model->params)
        return dlfs__fail(DLFS_ENULL, "%s: model is %s", fn, model ? "not allocated" : "NULL");
    dlfs_model borrowed = {.kind = DLFS_MODEL_LINREG, .k = model->k, .m = model->m,
                           .linreg = *model};
    return dlfs__train(&borrowed, X, y, opt, result, fn);
}

dlfs_status dlfs_nn_train(dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                          const dlfs_train_options *opt, dlfs_train_result *result)
{
    static const char fn[] = "dlfs_nn_train";
    if (!model || !model->params)
        return dlfs__fail(DLFS_ENULL, "%s: model is %s", fn, model ? "not allocated" : "NULL");
    dlfs_model borrowed = {.kind = DLFS_MODEL_NN, .k = model->k, .h = model->h, .m = model->m,
                           .nn = *model};
    return dlfs__train(&borrowed, X, y, opt, result, fn);
}

dlfs_status dlfs__train_prepare(const dlfs_model *model, size_t rows, const dlfs_train_options *opt,
                                const char *fn)
{
    dlfs_status st = dlfs__train_check_options(fn, model, opt);
    const dlfs_backend be = dlfs_model_get_backend(model);
    if (st || (be != DLFS_BACKEND_XSMM && be != DLFS_BACKEND_AUTO))
        return st;
    /* The layouts training will have: its batch block and its workspace. The
     * kernels made for them stay in libxsmm's registry, where training's own
     * dispatch finds them. */
    const size_t batch = opt->batch_size < rows ? opt->batch_size : rows;
    double *block = NULL;
    dlfs_matrix Xb, yb;
    workspace w;
    if ((st = batch_alloc(fn, model, batch, &block, &Xb, &yb)))
        return st;
    if (!(st = workspace_alloc(&w, model, batch, 0))) {
        dlfs__train_work_kernels(&w, model, Xb.ld, batch, rows % batch);
        workspace_free(&w);
    }
    free(block);
    return st;
}

/* ---- The pieces of the loop, for the distributed loop (src/dist/train.c) ---- */

dlfs_status dlfs__train_check_inputs(const char *fn, const dlfs_model *model, const dlfs_matrix *X,
                                     const dlfs_matrix *y, const dlfs_train_options *opt)
{
    return check_inputs(fn, model, X, y, opt);
}

dlfs_status dlfs__train_check_options(const char *fn, const dlfs_model *model,
                                      const dlfs_train_options *opt)
{
    const dlfs_backend backend = dlfs_model_get_backend(model);
    if (!opt)
        return dlfs__fail(DLFS_ENULL, "%s: opt is NULL", fn);
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "%s: the model has unknown backend %d", fn, (int)backend);
    if (!dlfs_backend_available(backend))
        return dlfs__fail(DLFS_EINVAL, "%s: backend %s: this dlfs was built without libxsmm "
                          "(meson option xsmm)", fn, dlfs_backend_name(backend));
    return check_options(fn, model, opt);
}

dlfs_status dlfs__train_work_alloc(dlfs__train_work *w, const dlfs_model *model, size_t batch,
                                   size_t n_val)
{
    return workspace_alloc(w, model, batch, n_val);
}

void dlfs__train_work_free(dlfs__train_work *w)
{
    workspace_free(w);
}

dlfs_status dlfs__train_batch_alloc(const char *fn, const dlfs_model *model, size_t batch,
                                    double **block, dlfs_matrix *Xb, dlfs_matrix *yb)
{
    return batch_alloc(fn, model, batch, block, Xb, yb);
}

double dlfs__train_forward(const dlfs_model *model, dlfs__train_work *w, const dlfs_matrix *X,
                           const dlfs_matrix *y, int val)
{
    return forward(model, w, X, y, val);
}

double *dlfs__train_backward(const dlfs_model *model, dlfs__train_work *w)
{
    backward(model, w);
    return w->grads;
}
