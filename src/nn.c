/* src/nn.c - a one-hidden-layer network, step by step. See dlfs/nn.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/nn.h>
#include "block.h"
#include "gemm.h"
#include "internal.h"
#include "kernels.h"
#include "model_passes.h"
#include "xsmm.h"

dlfs_status dlfs_nn_alloc(dlfs_nn *model, size_t k, size_t h, size_t m)
{
    size_t kh, hm, n;
    if (!model)
        return dlfs__fail(DLFS_ENULL, "dlfs_nn_alloc: model is NULL");
    *model = (dlfs_nn){0};
    if (k == 0 || h == 0 || m == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_nn_alloc: k = %zu, h = %zu, m = %zu must all be >= 1", k, h, m);
    if (!dlfs__mul(k, h, &kh) || !dlfs__mul(h, m, &hm) || !dlfs__add(kh, h, &n) ||
        !dlfs__add(n, hm, &n) || !dlfs__add(n, m, &n))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_nn_alloc: %zu -> %zu -> %zu parameters overflow", k, h, m);
    double *p;
    dlfs_status st = dlfs__alloc_doubles(n, &p, "dlfs_nn_alloc");
    if (st)
        return st;
    memset(p, 0, n * sizeof *p);
    *model = (dlfs_nn){.k = k, .h = h, .m = m, .params = p, .n_params = n,
                       .backend = DLFS_BACKEND_BLAS};
    dlfs__carve(&p, &model->W1, k, h);
    dlfs__carve(&p, &model->B1, 1, h);
    dlfs__carve(&p, &model->W2, h, m);
    dlfs__carve(&p, &model->B2, 1, m);
    return DLFS_OK;
}

void dlfs_nn_free(dlfs_nn *model)
{
    if (!model)
        return;
    free(model->params);
    *model = (dlfs_nn){0};
}

static dlfs_status check_model(const dlfs_nn *model, const char *fn, const char *name)
{
    return dlfs__check_model(model != NULL, model ? model->params : NULL,
                             model ? model->backend : DLFS_BACKEND_BLAS, fn, name);
}

static dlfs_status check_same_shape(const dlfs_nn *a, const dlfs_nn *b, const char *fn, const char *nb)
{
    if (a->k != b->k || a->h != b->h || a->m != b->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: %s is %zu -> %zu -> %zu but the model is %zu -> %zu -> %zu",
                          fn, nb, b->k, b->h, b->m, a->k, a->h, a->m);
    return DLFS_OK;
}

dlfs_status dlfs_nn_init(dlfs_nn *model, dlfs_rng *rng, dlfs_init init)
{
    dlfs_status st = check_model(model, "dlfs_nn_init", "model");
    if (st)
        return st;
    if (!rng)
        return dlfs__fail(DLFS_ENULL, "dlfs_nn_init: rng is NULL");
    if ((st = dlfs_rng_fill_init(rng, init, model->k, 0, model->W1.data, model->k * model->h)) ||
        (st = dlfs_rng_fill_init(rng, init, model->k, 1, model->B1.data, model->h)) ||
        (st = dlfs_rng_fill_init(rng, init, model->h, 0, model->W2.data, model->h * model->m)))
        return st;
    return dlfs_rng_fill_init(rng, init, model->h, 1, model->B2.data, model->m);
}

dlfs_status dlfs_nn_copy(dlfs_nn *dst, const dlfs_nn *src)
{
    dlfs_status st;
    if ((st = check_model(dst, "dlfs_nn_copy", "dst")) || (st = check_model(src, "dlfs_nn_copy", "src")) ||
        (st = check_same_shape(dst, src, "dlfs_nn_copy", "src")))
        return st;
    memcpy(dst->params, src->params, src->n_params * sizeof(double));
    dst->backend = src->backend;
    return DLFS_OK;
}

dlfs_status dlfs_nn_forward_info_alloc(dlfs_nn_forward_info *info, size_t max_rows, size_t h, size_t m)
{
    size_t bh, bm, n;
    if (!info)
        return dlfs__fail(DLFS_ENULL, "dlfs_nn_forward_info_alloc: info is NULL");
    *info = (dlfs_nn_forward_info){0};
    if (max_rows == 0 || h == 0 || m == 0)
        return dlfs__fail(DLFS_EEMPTY, "dlfs_nn_forward_info_alloc: max_rows = %zu, h = %zu, m = %zu",
                          max_rows, h, m);
    /* M1, N1, O1, dL_dN1: bs x h each; M2, P, dL_dP: bs x m each; each on its
     * own line boundary. */
    if (!dlfs__mul(max_rows, h, &bh) || !dlfs__mul(max_rows, m, &bm) || !dlfs__line_round(bh, &bh) ||
        !dlfs__line_round(bm, &bm) || !dlfs__mul(bh, 4, &bh) || !dlfs__mul(bm, 3, &bm) ||
        !dlfs__add(bh, bm, &n))
        return dlfs__fail(DLFS_EOVERFLOW, "dlfs_nn_forward_info_alloc: %zu rows x %zu hidden overflow",
                          max_rows, h);
    double *p;
    dlfs_status st = dlfs__alloc_doubles(n, &p, "dlfs_nn_forward_info_alloc");
    if (st)
        return st;
    info->block = p;
    info->capacity = max_rows;
    dlfs__carve_lines(&p, &info->M1, max_rows, h);
    dlfs__carve_lines(&p, &info->N1, max_rows, h);
    dlfs__carve_lines(&p, &info->O1, max_rows, h);
    dlfs__carve_lines(&p, &info->dL_dN1, max_rows, h);
    dlfs__carve_lines(&p, &info->M2, max_rows, m);
    dlfs__carve_lines(&p, &info->P, max_rows, m);
    dlfs__carve_lines(&p, &info->dL_dP, max_rows, m);
    info->loss = NAN;
    return DLFS_OK;
}

void dlfs_nn_forward_info_free(dlfs_nn_forward_info *info)
{
    if (!info)
        return;
    free(info->block);
    *info = (dlfs_nn_forward_info){0};
}

void dlfs__nn_forward(const dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                      dlfs_nn_forward_info *info, int summed, const dlfs__step_mm *mm)
{
    const dlfs_backend be = model->backend;
    const size_t bs = X->rows;
    info->X = *X;
    info->y = *y;
    info->M1.rows = info->N1.rows = info->O1.rows = info->dL_dN1.rows = bs;
    info->M2.rows = info->P.rows = info->dL_dP.rows = bs;

    /* B1 made ready for the hidden layer's step before the product, so that
     * the stores this takes have landed by the time the step reads them */
    dlfs__hidden_bias b1_ready;
    dlfs__hidden_bias_ready(&b1_ready, model->B1.data, model->h);

    dlfs__gemm_k(mm ? &mm->fwd1 : NULL, be, DLFS_NO_TRANS, DLFS_NO_TRANS, X, &model->W1, &info->M1); /* M1 = X.W1 */
    dlfs__bias_sigmoid(&info->N1, &info->O1, &info->M1, &b1_ready);             /* N1 = M1 + B1, O1 = sigmoid(N1) */
    dlfs__gemm_k(mm ? &mm->fwd2 : NULL, be, DLFS_NO_TRANS, DLFS_NO_TRANS, &info->O1, &model->W2, &info->M2); /* M2 = O1.W2 */
    info->loss = dlfs__bias_mse_grad(&info->dL_dP, &info->P, &info->M2, model->B2.data, y, summed); /* P = M2 + B2; L, dL/dP */
}

void dlfs__nn_gradients(const dlfs_nn *model, dlfs_nn_forward_info *info, dlfs_nn *grad,
                        const dlfs__step_mm *mm)
{
    const dlfs_backend be = model->backend;
    const dlfs_matrix *dL_dP = &info->dL_dP;   /* = dL/dM2, since P = M2 + B2 */
    dlfs_matrix *dL_dN1 = &info->dL_dN1;

    /* P = M2 + B2, M2 = O1.W2:  dL/dW2 = O1^T . dL/dP,  dL/dB2 = row sums of dL/dP */
    dlfs__gemm_k(mm ? &mm->grad2 : NULL, be, DLFS_TRANS, DLFS_NO_TRANS, &info->O1, dL_dP, &grad->W2);
    dlfs__row_sum(grad->B2.data, dL_dP);
    /* M2 = O1.W2:  dL/dO1 = dL/dP . W2^T  (held in dL_dN1 until the next line) */
    dlfs__gemm_k(mm ? &mm->back : NULL, be, DLFS_NO_TRANS, DLFS_TRANS, dL_dP, &model->W2, dL_dN1);
    /* O1 = sigmoid(N1):  dL/dN1 = dL/dO1 * O1 * (1 - O1), in place */
    dlfs__sigmoid_backward(dL_dN1, dL_dN1, &info->O1);
    /* N1 = X.W1 + B1:  dL/dW1 = X^T . dL/dN1,  dL/dB1 = row sums of dL/dN1 */
    dlfs__gemm_k(mm ? &mm->grad1 : NULL, be, DLFS_TRANS, DLFS_NO_TRANS, &info->X, dL_dN1, &grad->W1);
    dlfs__row_sum(grad->B1.data, dL_dN1);
}

dlfs_status dlfs_nn_forward(const dlfs_nn *model, const dlfs_matrix *X, const dlfs_matrix *y,
                            dlfs_nn_forward_info *info, double *loss)
{
    static const char fn[] = "dlfs_nn_forward";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")))
        return st;
    if (!info || !info->block)
        return dlfs__fail(DLFS_ENULL, "%s: info is %s", fn, info ? "not allocated" : "NULL");
    if ((st = dlfs_matrix_check(X, "dlfs_nn_forward: X")) || (st = dlfs_matrix_check(y, "dlfs_nn_forward: y")))
        return st;
    if (X->cols != model->k)
        return dlfs__fail(DLFS_ESHAPE, "%s: X has %zu columns but the model has k = %zu inputs",
                          fn, X->cols, model->k);
    if (y->cols != model->m || y->rows != X->rows)
        return dlfs__fail(DLFS_ESHAPE, "%s: y is %zu x %zu, expected %zu x %zu",
                          fn, y->rows, y->cols, X->rows, model->m);
    if (info->M1.cols != model->h || info->P.cols != model->m)
        return dlfs__fail(DLFS_ESHAPE, "%s: info was allocated for h = %zu, m = %zu; the model has %zu, %zu",
                          fn, info->M1.cols, info->P.cols, model->h, model->m);
    if (X->rows > info->capacity)
        return dlfs__fail(DLFS_ESHAPE, "%s: batch of %zu rows exceeds info capacity %zu",
                          fn, X->rows, info->capacity);
    if ((st = dlfs_matrix_check_finite(X, "dlfs_nn_forward: X")) ||
        (st = dlfs_matrix_check_finite(y, "dlfs_nn_forward: y")))
        return st;
    dlfs__nn_forward(model, X, y, info, 0, NULL);
    if (loss)
        *loss = info->loss;
    return DLFS_OK;
}

dlfs_status dlfs_nn_gradients(const dlfs_nn *model, dlfs_nn_forward_info *info, dlfs_nn *grad)
{
    static const char fn[] = "dlfs_nn_gradients";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")) || (st = check_model(grad, fn, "grad")) ||
        (st = check_same_shape(model, grad, fn, "grad")))
        return st;
    if (!info || !info->block)
        return dlfs__fail(DLFS_ENULL, "%s: info is %s", fn, info ? "not allocated" : "NULL");
    if (!info->X.data || info->X.cols != model->k || info->M1.cols != model->h || info->P.cols != model->m)
        return dlfs__fail(DLFS_EINVAL, "%s: info does not hold a forward pass of this model", fn);
    dlfs__nn_gradients(model, info, grad, NULL);
    return DLFS_OK;
}

dlfs_status dlfs_nn_update(dlfs_nn *model, const dlfs_nn *grad, double lr)
{
    dlfs_status st;
    if ((st = check_model(model, "dlfs_nn_update", "model")) || (st = check_model(grad, "dlfs_nn_update", "grad")) ||
        (st = check_same_shape(model, grad, "dlfs_nn_update", "grad")))
        return st;
    if (!isfinite(lr))
        return dlfs__fail(DLFS_EINVAL, "dlfs_nn_update: learning rate %g is not finite", lr);
    dlfs__sgd_update(model->params, grad->params, model->n_params, lr);
    return DLFS_OK;
}

void dlfs__nn_predict(const dlfs_nn *model, const dlfs_matrix *X, dlfs_matrix *P, dlfs_matrix *O1)
{
    dlfs__hidden_bias b1_ready;
    dlfs__hidden_bias_ready(&b1_ready, model->B1.data, model->h);
    dlfs__gemm(model->backend, DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, X, &model->W1, 0.0, O1);
    dlfs__bias_sigmoid(O1, O1, O1, &b1_ready);                 /* O1 = sigmoid(X.W1 + B1) */
    dlfs__gemm(model->backend, DLFS_NO_TRANS, DLFS_NO_TRANS, 1.0, O1, &model->W2, 0.0, P);
    dlfs__bias_add(P, P, model->B2.data);                      /* P = O1.W2 + B2 */
}

dlfs_status dlfs_nn_predict(const dlfs_nn *model, const dlfs_matrix *X, dlfs_matrix *P)
{
    static const char fn[] = "dlfs_nn_predict";
    dlfs_status st;
    if ((st = check_model(model, fn, "model")) ||
        (st = dlfs__check_prediction(fn, X, P, model->k, model->m)))
        return st;
    dlfs_matrix O1;
    if ((st = dlfs_matrix_alloc(&O1, X->rows, model->h)))
        return st;
    dlfs__nn_predict(model, X, P, &O1);
    dlfs_matrix_free(&O1);
    return DLFS_OK;
}
