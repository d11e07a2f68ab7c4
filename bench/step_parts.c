/* bench/step_parts.c - dlfs-bench-train --parts: where a step's time goes.
 *
 * Each part of the step the trainer runs (the batch gather, every product,
 * every elementwise pass, the finiteness check, the update, and the
 * reshuffle each pass makes, shown per iteration) is called alone, in a loop
 * on the buffers of a real step, and timed: the median over samples of
 * `inner` calls. The parts run on the model's backend exactly as training
 * runs them (for xsmm and auto, kernels made once). Their sum leaves out
 * only the loop's own bookkeeping and what the parts lose or gain from
 * running one after another rather than each on warm caches.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#include "bench_util.h"
#include "cli.h"
#include "internal.h"
#include "kernels.h"
#include "model_passes.h"
#include "step_parts.h"
#include "xsmm.h"

#define SAMPLES 9
#define MAX_PARTS 16

typedef struct part {
    const char *name;
    double ns;          /* median per call */
    double per_step;    /* calls per step (the reshuffle: one per pass) */
} part;

typedef struct parts {
    part p[MAX_PARTS];
    size_t n;
    size_t inner;
} parts;

/* Times `body` as a part: SAMPLES samples of ps->inner calls. */
#define TIME_PART(ps, label, calls_per_step, body)                                   \
    do {                                                                           \
        double s_[SAMPLES];                                                        \
        for (size_t k_ = 0; k_ < SAMPLES; k_++) {                                  \
            const double t0_ = cli_now();                                          \
            for (size_t r_ = 0; r_ < (ps)->inner; r_++) {                          \
                body;                                                              \
            }                                                                      \
            s_[k_] = (cli_now() - t0_) / (double)(ps)->inner;                      \
        }                                                                          \
        (ps)->p[(ps)->n++] = (part){label, 1e9 * bench_median(s_, SAMPLES),        \
                                    calls_per_step};                               \
    } while (0)

/* The step's buffers: data of n rows, the batch, model, gradient, forward info. */
typedef struct bufs {
    dlfs_matrix X, y, Xb, yb;
    size_t *perm;
    dlfs_rng rng;
    dlfs_nn nn, nn_grad;
    dlfs_nn_forward_info nn_info;
    dlfs_linreg lr, lr_grad;
    dlfs_linreg_forward_info lr_info;
} bufs;

static void bufs_free(bufs *b)
{
    dlfs_matrix_free(&b->X);
    dlfs_matrix_free(&b->y);
    dlfs_matrix_free(&b->Xb);
    dlfs_matrix_free(&b->yb);
    free(b->perm);
    dlfs_nn_free(&b->nn);
    dlfs_nn_free(&b->nn_grad);
    dlfs_nn_forward_info_free(&b->nn_info);
    dlfs_linreg_free(&b->lr);
    dlfs_linreg_free(&b->lr_grad);
    dlfs_linreg_forward_info_free(&b->lr_info);
}

static dlfs_status bufs_alloc(bufs *b, dlfs_model_kind kind, size_t n, size_t B, size_t k,
                              size_t h, size_t m)
{
    dlfs_status st;
    memset(b, 0, sizeof *b);
    dlfs_rng_seed(&b->rng, 2019);
    if ((st = dlfs_matrix_alloc(&b->X, n, k)) || (st = dlfs_matrix_alloc(&b->y, n, m)) ||
        (st = dlfs_matrix_alloc(&b->Xb, B, k)) || (st = dlfs_matrix_alloc(&b->yb, B, m)))
        return st;
    if (!(b->perm = malloc(n * sizeof *b->perm)))
        return DLFS_ENOMEM;
    for (size_t i = 0; i < n * k; i++)
        b->X.data[i] = dlfs_rng_normal(&b->rng);
    for (size_t i = 0; i < n * m; i++)
        b->y.data[i] = dlfs_rng_normal(&b->rng);
    for (size_t i = 0; i < n; i++)
        b->perm[i] = i;
    dlfs_rng_shuffle(&b->rng, b->perm, n);
    if (kind == DLFS_MODEL_NN) {
        if ((st = dlfs_nn_alloc(&b->nn, k, h, m)) || (st = dlfs_nn_alloc(&b->nn_grad, k, h, m)) ||
            (st = dlfs_nn_forward_info_alloc(&b->nn_info, B, h, m)))
            return st;
        return dlfs_nn_init(&b->nn, &b->rng, DLFS_INIT_SCALED);
    }
    if ((st = dlfs_linreg_alloc(&b->lr, k, m)) || (st = dlfs_linreg_alloc(&b->lr_grad, k, m)) ||
        (st = dlfs_linreg_forward_info_alloc(&b->lr_info, B, m)))
        return st;
    return dlfs_linreg_init(&b->lr, &b->rng, DLFS_INIT_SCALED);
}

static void time_nn(bufs *b, dlfs_backend be, size_t n, size_t B, parts *ps)
{
    dlfs_nn *model = &b->nn, *g = &b->nn_grad;
    dlfs_nn_forward_info *f = &b->nn_info;
    volatile double sink = 0;
    model->backend = be;
    dlfs__step_mm s;
    dlfs__step_mm_nn(&s, model, f, g, b->Xb.ld, B);
    dlfs__gather_batch(&b->Xb, &b->yb, &b->X, &b->y, b->perm, B);
    dlfs__nn_forward(model, &b->Xb, &b->yb, f, 0, &s);
    dlfs__nn_gradients(model, f, g, &s);
    dlfs__hidden_bias hb;
    dlfs__hidden_bias_ready(&hb, model->B1.data, model->h);
    const size_t batches = n / B;

    TIME_PART(ps, "gather the batch", 1,
              dlfs__gather_batch(&b->Xb, &b->yb, &b->X, &b->y, b->perm + (r_ % batches) * B, B));
    TIME_PART(ps, "B1 laid out", 1, dlfs__hidden_bias_ready(&hb, model->B1.data, model->h));
    TIME_PART(ps, "M1 = X.W1", 1, dlfs__gemm_k(&s.fwd1, be, DLFS_NO_TRANS, DLFS_NO_TRANS,
                                               &b->Xb, &model->W1, &f->M1));
    TIME_PART(ps, "N1 = M1 + B1, O1 = sigmoid", 1, dlfs__bias_sigmoid(&f->N1, &f->O1, &f->M1, &hb));
    TIME_PART(ps, "M2 = O1.W2", 1, dlfs__gemm_k(&s.fwd2, be, DLFS_NO_TRANS, DLFS_NO_TRANS,
                                                &f->O1, &model->W2, &f->M2));
    TIME_PART(ps, "P = M2 + B2, loss, dL/dP", 1,
              sink = dlfs__bias_mse_grad(&f->dL_dP, &f->P, &f->M2, model->B2.data, &b->yb, 0));
    TIME_PART(ps, "dW2 = O1^T.dL/dP", 1, dlfs__gemm_k(&s.grad2, be, DLFS_TRANS, DLFS_NO_TRANS,
                                                      &f->O1, &f->dL_dP, &g->W2));
    TIME_PART(ps, "dB2 = row sums", 1, dlfs__row_sum(g->B2.data, &f->dL_dP));
    TIME_PART(ps, "dO1 = dL/dP.W2^T", 1, dlfs__gemm_k(&s.back, be, DLFS_NO_TRANS, DLFS_TRANS,
                                                      &f->dL_dP, &model->W2, &f->dL_dN1));
    TIME_PART(ps, "dN1 = dO1 * O1 (1 - O1)", 1,
              dlfs__sigmoid_backward(&f->dL_dN1, &f->dL_dN1, &f->O1));
    TIME_PART(ps, "dW1 = X^T.dN1", 1, dlfs__gemm_k(&s.grad1, be, DLFS_TRANS, DLFS_NO_TRANS,
                                                   &b->Xb, &f->dL_dN1, &g->W1));
    TIME_PART(ps, "dB1 = row sums", 1, dlfs__row_sum(g->B1.data, &f->dL_dN1));
    TIME_PART(ps, "gradient finite?", 1, sink = dlfs__all_finite(g->params, g->n_params));
    TIME_PART(ps, "update", 1, dlfs__sgd_update(model->params, g->params, g->n_params, 0.0));
    TIME_PART(ps, "reshuffle (once a pass)", 1.0 / (double)((n + B - 1) / B),
              dlfs_rng_shuffle(&b->rng, b->perm, n));
    (void)sink;
}

static void time_linreg(bufs *b, dlfs_backend be, size_t n, size_t B, parts *ps)
{
    dlfs_linreg *model = &b->lr, *g = &b->lr_grad;
    dlfs_linreg_forward_info *f = &b->lr_info;
    volatile double sink = 0;
    model->backend = be;
    dlfs__step_mm s;
    dlfs__step_mm_linreg(&s, model, f, g, b->Xb.ld, B);
    dlfs__gather_batch(&b->Xb, &b->yb, &b->X, &b->y, b->perm, B);
    dlfs__linreg_forward(model, &b->Xb, &b->yb, f, 0, &s);
    const size_t batches = n / B;

    TIME_PART(ps, "gather the batch", 1,
              dlfs__gather_batch(&b->Xb, &b->yb, &b->X, &b->y, b->perm + (r_ % batches) * B, B));
    TIME_PART(ps, "N = X.W", 1, dlfs__gemm_k(&s.fwd1, be, DLFS_NO_TRANS, DLFS_NO_TRANS, &b->Xb,
                                             &model->W, &f->N));
    TIME_PART(ps, "P = N + B, loss, dL/dP", 1,
              sink = dlfs__bias_mse_grad(&f->dL_dP, &f->P, &f->N, model->B.data, &b->yb, 0));
    TIME_PART(ps, "dW = X^T.dL/dP", 1, dlfs__gemm_k(&s.grad1, be, DLFS_TRANS, DLFS_NO_TRANS,
                                                    &b->Xb, &f->dL_dP, &g->W));
    TIME_PART(ps, "dB = row sums", 1, dlfs__row_sum(g->B.data, &f->dL_dP));
    TIME_PART(ps, "gradient finite?", 1, sink = dlfs__all_finite(g->params, g->n_params));
    TIME_PART(ps, "update", 1, dlfs__sgd_update(model->params, g->params, g->n_params, 0.0));
    TIME_PART(ps, "reshuffle (once a pass)", 1.0 / (double)((n + B - 1) / B),
              dlfs_rng_shuffle(&b->rng, b->perm, n));
    (void)sink;
}

int bench_step_parts(FILE *out, dlfs_model_kind kind, dlfs_backend be, const char *size_name,
                     size_t n, size_t B, size_t k, size_t h, size_t m, size_t inner)
{
    bufs b;
    parts ps = {.n = 0, .inner = inner};
    dlfs_status st = bufs_alloc(&b, kind, n, B, k, h, m);
    if (st) {
        bufs_free(&b);
        return cli_fail(st, "allocating the step's buffers");
    }
    if (kind == DLFS_MODEL_NN)
        time_nn(&b, be, n, B, &ps);
    else
        time_linreg(&b, be, n, B, &ps);
    bufs_free(&b);

    double total = 0, products = 0;
    for (size_t i = 0; i < ps.n; i++) {
        total += ps.p[i].ns * ps.p[i].per_step;
        if (strchr(ps.p[i].name, '.'))
            products += ps.p[i].ns * ps.p[i].per_step;
    }
    fprintf(out, "\n%s %s %s (B=%zu k=%zu h=%zu m=%zu, %zu rows): the step's parts, median "
            "of %d x %zu calls\n", dlfs_model_kind_name(kind), dlfs_backend_name(be), size_name,
            B, k, kind == DLFS_MODEL_NN ? h : 0, m, n, SAMPLES, inner);
    fprintf(out, "  %-28s %10s %7s\n", "part", "ns/step", "share");
    for (size_t i = 0; i < ps.n; i++) {
        const double v = ps.p[i].ns * ps.p[i].per_step;
        fprintf(out, "  %-28s %10.1f %6.1f%%\n", ps.p[i].name, v, 100 * v / total);
    }
    fprintf(out, "  %-28s %10.1f %6.1f%%\n", "sum: the products", products,
            100 * products / total);
    fprintf(out, "  %-28s %10.1f %6.1f%%\n", "sum: the rest", total - products,
            100 * (total - products) / total);
    fprintf(out, "  %-28s %10.1f\n", "sum of the parts", total);
    return 0;
}
