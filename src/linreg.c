/* src/linreg.c - linear regression, step by step. See dlfs/linreg.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/linreg.h>
#include "block.h"
#include "gemm.h"
#include "internal.h"
#include "kernels.h"
#include "model_passes.h"
#include "xsmm.h"

dlfs_status dlfs_linreg_alloc(dlfs_linreg *model, size_t k, size_t m)
{
    size_t km, n;
    if (!model)
        return dlfs__fail(DLFS_ENULL, "dlfs_linreg_alloc: model is NULL");
    *model = (dlfs_linreg){0};
    if (k == 0 || m == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_linreg_alloc: k = %zu and m = %zu must both be >= 1", k, m);
    if (!dlfs__mul(k, m, &km) || !dlfs__add(km, m, &n))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_linreg_alloc: %zu x %zu parameters overflow", k, m);
    double *p;
    dlfs_status st = dlfs__alloc_doubles(n, &p, "dlfs_linreg_alloc");
    if (st)
        return st;
    memset(p, 0, n * sizeof *p);
    model->k = k;
    model->m = m;
    model->params = p;
    model->n_params = n;
    model->backend = DLFS_BACKEND_BLAS;
    dlfs__carve(&p, &model->W, k, m);
    dlfs__carve(&p, &model->B, 1, m);
    return DLFS_OK;
}

void dlfs_linreg_free(dlfs_linreg *model)
{
    if (!model)
        return;
    free(model->params);
    *model = (dlfs_linreg){0};
}

static dlfs_status check_model(const dlfs_linreg *model, const char *fn, const char *name)
{
    return dlfs__check_model(model != NULL, model ? model->params : NULL,
                             model ? model->backend : DLFS_BACKEND_BLAS, fn, name);
}

static dlfs_status check_same_shape(const dlfs_linreg *a, const dlfs_linreg *b, const char *fn,
                                    const char *nb)
{
    if (a->k != b->k || a->m != b->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: %s is %zu -> %zu but the model is %zu -> %zu",
                          fn, nb, b->k, b->m, a->k, a->m);
    return DLFS_OK;
}

dlfs_status dlfs_linreg_init(dlfs_linreg *model, dlfs_rng *rng, dlfs_init init)
{
    dlfs_status st = check_model(model, "dlfs_linreg_init", "model");
    if (st)
        return st;
    if (!rng)
        return dlfs__fail(DLFS_ENULL, "dlfs_linreg_init: rng is NULL");
    if ((st = dlfs_rng_fill_init(rng, init, model->k, 0, model->W.data, model->k * model->m)))
        return st;
    return dlfs_rng_fill_init(rng, init, model->k, 1, model->B.data, model->m);
}

dlfs_status dlfs_linreg_copy(dlfs_linreg *dst, const dlfs_linreg *src)
{
    dlfs_status st;
    if ((st = check_model(dst, "dlfs_linreg_copy", "dst")) ||
        (st = check_model(src, "dlfs_linreg_copy", "src")) ||
        (st = check_same_shape(dst, src, "dlfs_linreg_copy", "src")))
        return st;
    memcpy(dst->params, src->params, src->n_params * sizeof(double));
    dst->backend = src->backend;
    return DLFS_OK;
}

dlfs_status dlfs_linreg_forward_info_alloc(dlfs_linreg_forward_info *info, size_t max_rows, size_t m)
{
    size_t bm, n;
    if (!info)
        return dlfs__fail(DLFS_ENULL, "dlfs_linreg_forward_info_alloc: info is NULL");
    *info = (dlfs_linreg_forward_info){0};
    if (max_rows == 0 || m == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_linreg_forward_info_alloc: max_rows = %zu, m = %zu", max_rows, m);
    /* N, P, dL_dP: bs x m each, each on its own line boundary */
    if (!dlfs__mul(max_rows, m, &bm) || !dlfs__line_round(bm, &bm) || !dlfs__mul(bm, 3, &n))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_linreg_forward_info_alloc: %zu x %zu overflows", max_rows, m);
    double *p;
    dlfs_status st = dlfs__alloc_doubles(n, &p, "dlfs_linreg_forward_info_alloc");
    if (st)
        return st;
    info->block = p;
    info->capacity = max_rows;
    dlfs__carve_lines(&p, &info->N, max_rows, m);
    dlfs__carve_lines(&p, &info->P, max_rows, m);
    dlfs__carve_lines(&p, &info->dL_dP, max_rows, m);
    info->loss = NAN;
    return DLFS_OK;
}

void dlfs_linreg_forward_info_free(dlfs_linreg_forward_info *info)
{
    if (!info)
        return;
    free(info->block);
    *info = (dlfs_linreg_forward_info){0};
}

void dlfs__linreg_forward(const dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                          dlfs_linreg_forward_info *info, int summed, const dlfs__step_mm *mm)
{
    const size_t bs = X->rows;
    info->X = *X;
    info->y = *y;
    info->N.rows = info->P.rows = info->dL_dP.rows = bs;

    dlfs__gemm_k(mm ? &mm->fwd1 : NULL, model->backend, DLFS_NO_TRANS, DLFS_NO_TRANS, X, &model->W,
                 &info->N); /* N = X.W */
    info->loss = dlfs__bias_mse_grad(&info->dL_dP, &info->P, &info->N, model->B.data, y, summed); /* P = N + B; L, dL/dP */
}

void dlfs__linreg_gradients(const dlfs_linreg *model, const dlfs_linreg_forward_info *info,
                            dlfs_linreg *grad, const dlfs__step_mm *mm)
{
    /* dL/dN = dL/dP . dP/dN = dL/dP, since dP/dN is all ones. */
    const dlfs_matrix *dL_dN = &info->dL_dP;
    /* dL/dW = dN/dW^T . dL/dN = X^T . dL/dN */
    dlfs__gemm_k(mm ? &mm->grad1 : NULL, model->backend, DLFS_TRANS, DLFS_NO_TRANS, &info->X, dL_dN,
                 &grad->W);
    /* dL/dB = dL/dP summed over the rows the bias was broadcast to */
    dlfs__row_sum(grad->B.data, &info->dL_dP);
}

dlfs_status dlfs_linreg_forward(const dlfs_linreg *model, const dlfs_matrix *X, const dlfs_matrix *y,
                                dlfs_linreg_forward_info *info, double *loss)
{
    static const char fn[] = "dlfs_linreg_forward";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")))
        return st;
    if (!info || !info->block)
        return dlfs__fail(DLFS_ENULL, "%s: info is %s", fn, info ? "not allocated" : "NULL");
    if ((st = dlfs_matrix_check(X, "dlfs_linreg_forward: X")) ||
        (st = dlfs_matrix_check(y, "dlfs_linreg_forward: y")))
        return st;
    if (X->cols != model->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the model has k = %zu inputs",
                          fn, X->cols, model->k);
    if (y->cols != model->m || y->rows != X->rows)
        return dlfs__fail(DLFS_ESHAPE, "%s: y is %zu x %zu, expected %zu x %zu",
                          fn, y->rows, y->cols, X->rows, model->m);
    if (info->N.cols != model->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: info was allocated for m = %zu outputs, the model has %zu",
                          fn, info->N.cols, model->m);
    if (X->rows > info->capacity)
        return dlfs__fail(DLFS_ESHAPE, "%s: batch of %zu rows exceeds info capacity %zu",
                          fn, X->rows, info->capacity);
    if ((st = dlfs_matrix_check_finite(X, "dlfs_linreg_forward: X")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_linreg_forward: y")))
        return st;
    dlfs__linreg_forward(model, X, y, info, 0, NULL);
    if (loss)
        *loss = info->loss;
    return DLFS_OK;
}

dlfs_status dlfs_linreg_gradients(const dlfs_linreg *model, const dlfs_linreg_forward_info *info,
                                  dlfs_linreg *grad)
{
    static const char fn[] = "dlfs_linreg_gradients";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")) || (st = check_model(grad, fn, "grad")) ||
        (st = check_same_shape(model, grad, fn, "grad")))
        return st;
    if (!info || !info->block)
        return dlfs__fail(DLFS_ENULL, "%s: info is %s", fn, info ? "not allocated" : "NULL");
    if (!info->X.data || info->X.cols != model->k || info->N.cols != model->m)
        return dlfs__fail(DLFS_EINVAL, "%s: info does not hold a forward pass of this model", fn);
    dlfs__linreg_gradients(model, info, grad, NULL);
    return DLFS_OK;
}

dlfs_status dlfs_linreg_update(dlfs_linreg *model, const dlfs_linreg *grad, double lr)
{
    dlfs_status st;
    if ((st = check_model(model, "dlfs_linreg_update", "model")) ||
        (st = check_model(grad, "dlfs_linreg_update", "grad")) ||
        (st = check_same_shape(model, grad, "dlfs_linreg_update", "grad")))
        return st;
    if (!isfinite(lr))
        return dlfs__fail(DLFS_EINVAL, "dlfs_linreg_update: learning rate %g is not finite", lr);
    dlfs__sgd_update(model->params, grad->params, model->n_params, lr);
    return DLFS_OK;
}

void dlfs__linreg_predict(const dlfs_linreg *model, const dlfs_matrix *X, dlfs_matrix *P)
{
    dlfs__gemm(model->backend, DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, X, &model->W, 0.0, P);  /* N = X.W */
    dlfs__bias_add(P, P, model->B.data);                                                  /* P = N + B */
}

dlfs_status dlfs_linreg_predict(const dlfs_linreg *model, const dlfs_matrix *X, dlfs_matrix *P)
{
    static const char fn[] = "dlfs_linreg_predict";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")) ||
        (st = dlfs__check_prediction(fn, X, P, model->k, model->m)))
        return st;
    dlfs__linreg_predict(model, X, P);
    return DLFS_OK;
}
