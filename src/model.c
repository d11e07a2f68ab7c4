/* src/model.c - the model handle: one dlfs_model for every kind. See dlfs/model.h.
 *
 * The handle answers "which model?" once: every function below dispatches on
 * model->kind to the step-by-step layer (dlfs_linreg_*, dlfs_nn_*), the
 * training loop (train.c) or the closed form (ols.c). The file codec is in
 * model_file.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/model.h>
#include <dlfs/ols.h>
#include "block.h"
#include "internal.h"
#include "model_impl.h"
#include "model_passes.h"
#include "names.h"
#include "standardize_impl.h"

/* ---- Kinds ---------------------------------------------------------------- */

static const char *const kind_names[] = {
    [DLFS_MODEL_LINREG] = "linreg",
    [DLFS_MODEL_NN] = "nn",
    [DLFS_MODEL_OLS] = "ols",
};

const char *dlfs_model_kind_name(dlfs_model_kind kind)
{
    return kind >= DLFS_MODEL_LINREG && kind <= DLFS_MODEL_OLS ? kind_names[kind] : NULL;
}

dlfs_status dlfs_model_kind_parse(const char *name, dlfs_model_kind *kind)
{
    if (!name || !kind)
        return dlfs__fail(DLFS_ENULL, "dlfs_model_kind_parse: %s is NULL", name ? "kind" : "name");
    for (int k = DLFS_MODEL_LINREG; k <= DLFS_MODEL_OLS; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (dlfs_model_kind)k;
            return DLFS_OK;
        }
    return dlfs__fail(DLFS_EINVAL, "dlfs_model_kind_parse: '%s' is not a model kind "
                      "(linreg, nn or ols)", name);
}

int dlfs__model_is_linear(const dlfs_model *model)
{
    return model->kind == DLFS_MODEL_LINREG || model->kind == DLFS_MODEL_OLS;
}

/* ---- Life cycle ----------------------------------------------------------- */

dlfs_status dlfs_model_alloc(dlfs_model *model, dlfs_model_kind kind, size_t k, size_t h,
                             size_t m)
{
    static const char fn[] = "dlfs_model_alloc";
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    *model = (dlfs_model){0};
    if (!dlfs_model_kind_name(kind))
        return dlfs__fail(DLFS_EINVAL, "%s: kind %d is not linreg (1), nn (2) or ols (3)",
                          fn, (int)kind);
    if (kind != DLFS_MODEL_NN && h != 0)
        return dlfs__fail(DLFS_EINVAL, "%s: a %s model has no hidden layer, but h = %zu "
                          "(pass 0)", fn, kind_names[kind], h);
    dlfs_model tmp = {.kind = kind, .k = k, .h = h, .m = m};
    const dlfs_status st = kind == DLFS_MODEL_NN ? dlfs_nn_alloc(&tmp.nn, k, h, m)
                                                 : dlfs_linreg_alloc(&tmp.linreg, k, m);
    if (st)
        return st;
    *model = tmp;
    return DLFS_OK;
}

void dlfs_model_free(dlfs_model *model)
{
    if (!model)
        return;
    dlfs_linreg_free(&model->linreg);
    dlfs_nn_free(&model->nn);
    dlfs_standardizer_free(&model->scaler);
    dlfs__free_names(model->feature_names, model->k);
    free(model->target_name);
    *model = (dlfs_model){0};
}

/* NULL: DLFS_ENULL; a model that was never allocated (or was freed):
 * DLFS_EINVAL, naming the function. */
dlfs_status dlfs__model_check(const dlfs_model *model, const char *fn)
{
    if (!model)
        return dlfs__fail(DLFS_ENULL, "%s: model is NULL", fn);
    if (!dlfs_model_kind_name(model->kind) || !dlfs_model_params(model, NULL))
        return dlfs__fail(DLFS_EINVAL, "%s: model is empty (kind %d, no parameters)", fn,
                          (int)model->kind);
    return DLFS_OK;
}

const double *dlfs_model_params(const dlfs_model *model, size_t *n_params)
{
    const double *p = NULL;
    size_t n = 0;
    if (model && model->kind == DLFS_MODEL_NN) {
        p = model->nn.params;
        n = model->nn.n_params;
    } else if (model && dlfs__model_is_linear(model)) {
        p = model->linreg.params;
        n = model->linreg.n_params;
    }
    if (n_params)
        *n_params = p ? n : 0;
    return p;
}

dlfs_status dlfs_model_set_backend(dlfs_model *model, dlfs_backend backend)
{
    dlfs_status st = dlfs__model_check(model, "dlfs_model_set_backend");
    if (st)
        return st;
    if (!dlfs_backend_name(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_model_set_backend: unknown backend %d", (int)backend);
    if (!dlfs_backend_available(backend))
        return dlfs__fail(DLFS_EINVAL, "dlfs_model_set_backend: backend %s: this dlfs was built "
                          "without libxsmm (meson option xsmm)", dlfs_backend_name(backend));
    if (model->kind == DLFS_MODEL_NN)
        model->nn.backend = backend;
    else
        model->linreg.backend = backend;
    return DLFS_OK;
}

dlfs_backend dlfs_model_get_backend(const dlfs_model *model)
{
    if (!dlfs_model_params(model, NULL))
        return DLFS_BACKEND_BLAS;
    return model->kind == DLFS_MODEL_NN ? model->nn.backend : model->linreg.backend;
}

dlfs_status dlfs_model_init(dlfs_model *model, uint64_t seed, dlfs_init init)
{
    static const char fn[] = "dlfs_model_init";
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    if (model->kind == DLFS_MODEL_OLS)
        return dlfs__fail(DLFS_EINVAL, "%s: least squares in closed form has no initial weights", fn);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, seed);
    return dlfs__model_init_weights(model, &rng, init);
}

dlfs_status dlfs__model_init_weights(dlfs_model *model, dlfs_rng *rng, dlfs_init init)
{
    return model->kind == DLFS_MODEL_NN ? dlfs_nn_init(&model->nn, rng, init)
                                        : dlfs_linreg_init(&model->linreg, rng, init);
}

/* ---- Training ------------------------------------------------------------- */

dlfs_status dlfs_model_train_options_default(const dlfs_model *model, dlfs_train_options *opt)
{
    static const char fn[] = "dlfs_model_train_options_default";
    if (!opt)
        return dlfs__fail(DLFS_ENULL, "%s: opt is NULL", fn);
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    dlfs_train_options_default(opt);
    if (model->kind == DLFS_MODEL_NN) {
        opt->iterations = 10000;
        opt->learning_rate = 0.0115;
        opt->seed = 180807;
    }
    return DLFS_OK;
}

dlfs_status dlfs_model_train(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                             const dlfs_train_options *opt, dlfs_train_result *result)
{
    static const char fn[] = "dlfs_model_train";
    if (result)
        *result = (dlfs_train_result){.final_loss = NAN, .final_val_loss = NAN};
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    if (model->kind == DLFS_MODEL_OLS)
        return dlfs_ols_fit(&model->linreg, X, y);
    return dlfs__train(model, X, y, opt, result, fn);
}

dlfs_status dlfs_model_prepare(dlfs_model *model, size_t rows, const dlfs_train_options *opt)
{
    static const char fn[] = "dlfs_model_prepare";
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    if (model->kind == DLFS_MODEL_OLS)
        return DLFS_OK;
    if (rows == 0)
        return dlfs__fail(DLFS_EINVAL, "%s: rows must be >= 1", fn);
    return dlfs__train_prepare(model, rows, opt, fn);
}

/* ---- Prediction ----------------------------------------------------------- */

size_t dlfs_model_block_rows(const dlfs_model *model)
{
    if (!dlfs_model_params(model, NULL))
        return 0;
    const size_t width = model->kind == DLFS_MODEL_NN ? model->h : 1;
    const size_t rows = DLFS_MODEL_BLOCK_BYTES / (width * sizeof(double));
    return rows ? rows : 1;
}

static dlfs_status check_predict(const dlfs_model *model, const dlfs_matrix *X,
                                 const dlfs_matrix *P, const char *fn)
{
    dlfs_status st = dlfs__model_check(model, fn);
    return st ? st : dlfs__check_prediction(fn, X, P, model->k, model->m);
}

/* What one call needs besides X and P: a block of standardised rows (with a
 * standardiser) and a block of hidden activations (the network). */
struct predict_work {
    double *block;
    dlfs_matrix Xs;   /* block x k */
    dlfs_matrix O1;   /* block x h */
};

static dlfs_status work_alloc(struct predict_work *w, const dlfs_model *model, size_t rows)
{
    static const char fn[] = "dlfs_model_predict";
    const size_t xs_cols = model->has_scaler ? model->k : 0;
    const size_t h = model->kind == DLFS_MODEL_NN ? model->h : 0;
    size_t nx, nh, n;
    *w = (struct predict_work){0};
    if (!dlfs__mul(rows, xs_cols, &nx) || !dlfs__mul(rows, h, &nh) ||
        !dlfs__line_round(nx, &nx) || !dlfs__add(nx, nh, &n))
        return dlfs__fail(DLFS_EOVERFLOW, "%s: a block of %zu rows overflows", fn, rows);
    if (n == 0)
        return DLFS_OK;
    dlfs_status st = dlfs__alloc_doubles(n, &w->block, fn);
    if (st)
        return st;
    double *cursor = w->block;
    if (xs_cols)
        dlfs__carve_lines(&cursor, &w->Xs, rows, xs_cols);
    if (h)
        dlfs__carve(&cursor, &w->O1, rows, h);
    return DLFS_OK;
}

/* Rows of one block: X (count x k, raw) to P (count x m). */
static void predict_block(const dlfs_model *model, struct predict_work *w, const dlfs_matrix *X,
                          dlfs_matrix *P)
{
    const dlfs_matrix *in = X;
    dlfs_matrix Xs, O1;
    if (model->has_scaler) {
        Xs = w->Xs;
        Xs.rows = X->rows;
        dlfs__standardize_rows(&model->scaler, &Xs, X);
        in = &Xs;
    }
    if (model->kind == DLFS_MODEL_NN) {
        O1 = w->O1;
        O1.rows = X->rows;
        dlfs__nn_predict(&model->nn, in, P, &O1);
    } else {
        dlfs__linreg_predict(&model->linreg, in, P);
    }
}

dlfs_status dlfs_model_predict(const dlfs_model *model, const dlfs_matrix *X, dlfs_matrix *P)
{
    dlfs_status st = check_predict(model, X, P, "dlfs_model_predict");
    if (st)
        return st;
    const size_t n = X->rows, block = dlfs_model_block_rows(model);
    struct predict_work w;
    if ((st = work_alloc(&w, model, n < block ? n : block)))
        return st;
    for (size_t row = 0; row < n; row += block) {
        const size_t count = n - row < block ? n - row : block;
        const dlfs_matrix Xb = dlfs_matrix_view(X->data + row * X->ld, count, X->cols, X->ld);
        dlfs_matrix Pb = dlfs_matrix_view(P->data + row * P->ld, count, P->cols, P->ld);
        predict_block(model, &w, &Xb, &Pb);
    }
    free(w.block);
    return DLFS_OK;
}

/* ---- What a trained model carries ----------------------------------------- */

dlfs_status dlfs_model_set_standardizer(dlfs_model *model, const dlfs_standardizer *s)
{
    static const char fn[] = "dlfs_model_set_standardizer";
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    dlfs_standardizer copy = {0};
    const int none = !s || (s->k == 0 && !s->mean && !s->sd);
    if (!none && (st = dlfs__model_copy_standardizer(model, s, &copy, fn)))
        return st;
    dlfs_standardizer_free(&model->scaler);
    model->scaler = copy;
    model->has_scaler = !none;
    return DLFS_OK;
}

/* *out = copies of names[0..k); on failure *out is NULL. */
static dlfs_status copy_names(const char *const *names, size_t k, char ***out, const char *fn)
{
    dlfs_status st = DLFS_OK;
    char **copy = calloc(k, sizeof *copy);
    *out = NULL;
    if (!copy)
        return dlfs__fail(DLFS_ENOMEM, "%s: could not allocate %zu names", fn, k);
    for (size_t j = 0; j < k && !st; j++) {
        if (!names[j])
            st = dlfs__fail(DLFS_ENULL, "%s: feature_names[%zu] is NULL", fn, j);
        else
            st = dlfs__copy_name(names[j], &copy[j], fn);
    }
    if (st) {
        dlfs__free_names(copy, k);
        return st;
    }
    *out = copy;
    return DLFS_OK;
}

dlfs_status dlfs_model_set_names(dlfs_model *model, const char *const *feature_names,
                                 const char *target_name)
{
    static const char fn[] = "dlfs_model_set_names";
    dlfs_status st = dlfs__model_check(model, fn);
    if (st)
        return st;
    char **names = NULL, *target = NULL;
    if (feature_names && (st = copy_names(feature_names, model->k, &names, fn)))
        return st;
    if (target_name && (st = dlfs__copy_name(target_name, &target, fn))) {
        dlfs__free_names(names, model->k);
        return st;
    }
    dlfs__free_names(model->feature_names, model->k);
    free(model->target_name);
    model->feature_names = names;
    model->target_name = target;
    return DLFS_OK;
}

/* ---- Invariants ----------------------------------------------------------- */

/* Names parameter i of the params block as "W1[r][c]" for error details. */
static void param_name(const dlfs_model *model, size_t i, char *buf, size_t size)
{
    static const char *const lr_names[] = {"W", "B"};
    static const char *const nn_names[] = {"W1", "B1", "W2", "B2"};
    const dlfs_matrix lr[] = {model->linreg.W, model->linreg.B};
    const dlfs_matrix nn[] = {model->nn.W1, model->nn.B1, model->nn.W2, model->nn.B2};
    const int is_nn = model->kind == DLFS_MODEL_NN;
    const dlfs_matrix *mats = is_nn ? nn : lr;
    const char *const *names = is_nn ? nn_names : lr_names;
    const size_t count = is_nn ? 4 : 2;
    for (size_t b = 0; b < count; b++) {
        const size_t n = mats[b].rows * mats[b].cols;
        if (i < n) {
            snprintf(buf, size, "%s[%zu][%zu]", names[b], i / mats[b].cols, i % mats[b].cols);
            return;
        }
        i -= n;
    }
    snprintf(buf, size, "parameter %zu", i);
}

static dlfs_status check_member(const dlfs_model *model, const char *fn)
{
    const size_t k = model->k, h = model->h, m = model->m;
    if (model->kind == DLFS_MODEL_NN) {
        const dlfs_nn *nn = &model->nn;
        if (!nn->params)
            return dlfs__fail(DLFS_ENULL, "%s: model->nn has no parameters", fn);
        if (nn->k != k || nn->h != h || nn->m != m)
            return dlfs__fail(DLFS_ESHAPE, "%s: model is k = %zu, h = %zu, m = %zu but its "
                              "network is %zu -> %zu -> %zu", fn, k, h, m, nn->k, nn->h, nn->m);
        if (nn->n_params != k * h + h + h * m + m)
            return dlfs__fail(DLFS_ESHAPE, "%s: the network has %zu parameters, expected %zu",
                              fn, nn->n_params, k * h + h + h * m + m);
        return DLFS_OK;
    }
    if (!dlfs__model_is_linear(model))
        return dlfs__fail(DLFS_EINVAL, "%s: model kind %d is neither linreg (1), nn (2) nor "
                          "ols (3)", fn, (int)model->kind);
    const dlfs_linreg *lr = &model->linreg;
    if (!lr->params)
        return dlfs__fail(DLFS_ENULL, "%s: model->linreg has no parameters", fn);
    if (lr->k != k || lr->m != m || h != 0)
        return dlfs__fail(DLFS_ESHAPE, "%s: model is k = %zu, h = %zu, m = %zu but its "
                          "regression is %zu -> %zu", fn, k, h, m, lr->k, lr->m);
    if (lr->n_params != k * m + m)
        return dlfs__fail(DLFS_ESHAPE, "%s: the regression has %zu parameters, expected %zu",
                          fn, lr->n_params, k * m + m);
    return DLFS_OK;
}

dlfs_status dlfs__model_check_structure(const dlfs_model *model, const char *fn)
{
    dlfs_status st = check_member(model, fn);
    if (st)
        return st;
    const size_t k = model->k;
    if (model->has_scaler) {
        if (!model->scaler.mean || !model->scaler.sd)
            return dlfs__fail(DLFS_ENULL, "%s: model->scaler has no mean or sd", fn);
        if (model->scaler.k != k)
            return dlfs__fail(DLFS_ESHAPE, "%s: the scaler has %zu columns but the model %zu inputs",
                              fn, model->scaler.k, k);
    }
    if (model->feature_names)
        for (size_t j = 0; j < k; j++) {
            if (!model->feature_names[j])
                return dlfs__fail(DLFS_ENULL, "%s: feature name %zu is NULL", fn, j);
            if (strlen(model->feature_names[j]) > DLFS_MODEL_NAME_MAX)
                return dlfs__fail(DLFS_EINVAL, "%s: feature name %zu is longer than %u bytes",
                                  fn, j, DLFS_MODEL_NAME_MAX);
        }
    if (model->target_name && strlen(model->target_name) > DLFS_MODEL_NAME_MAX)
        return dlfs__fail(DLFS_EINVAL, "%s: the target name is longer than %u bytes",
                          fn, DLFS_MODEL_NAME_MAX);
    return DLFS_OK;
}

/* Every mean and sd finite, every sd positive; bad_sd as below. */
static dlfs_status check_scaler_values(const double *mean, const double *sd, size_t k,
                                       const char *where, dlfs_status bad_sd)
{
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(mean[j]) || !isfinite(sd[j]))
            return dlfs__fail(DLFS_ENONFINITE, "%s: scaler column %zu has mean %g and sd %g",
                              where, j, mean[j], sd[j]);
        if (!(sd[j] > 0.0))
            return dlfs__fail(bad_sd, "%s: scaler column %zu has sd %g; it must be positive",
                              where, j, sd[j]);
    }
    return DLFS_OK;
}

dlfs_status dlfs__model_check_values(const dlfs_model *model, const char *where,
                                     dlfs_status bad_sd)
{
    size_t n;
    const double *p = dlfs_model_params(model, &n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i])) {
            char name[64];
            param_name(model, i, name, sizeof name);
            return dlfs__fail(DLFS_ENONFINITE, "%s: parameter %s is %g", where, name, p[i]);
        }
    if (!model->has_scaler)
        return DLFS_OK;
    return check_scaler_values(model->scaler.mean, model->scaler.sd, model->k, where, bad_sd);
}

dlfs_status dlfs__model_copy_standardizer(const dlfs_model *model, const dlfs_standardizer *s,
                                          dlfs_standardizer *out, const char *fn)
{
    const size_t k = model->k;
    dlfs_status st;
    *out = (dlfs_standardizer){0};
    if (!s->mean || !s->sd)
        return dlfs__fail(DLFS_ENULL, "%s: scaler has no mean or sd", fn);
    if (s->k != k)
        return dlfs__fail(DLFS_ESHAPE, "%s: scaler was fitted on %zu columns but the model "
                          "has k = %zu inputs", fn, s->k, k);
    if ((st = check_scaler_values(s->mean, s->sd, k, fn, DLFS_EINVAL)))
        return st;
    if ((st = dlfs__alloc_doubles(k, &out->mean, fn)) || (st = dlfs__alloc_doubles(k, &out->sd, fn))) {
        dlfs_standardizer_free(out);
        return st;
    }
    out->k = k;
    memcpy(out->mean, s->mean, k * sizeof(double));
    memcpy(out->sd, s->sd, k * sizeof(double));
    return DLFS_OK;
}

/* ---- Copies --------------------------------------------------------------- */

/* tmp = a model of src's kind and shapes holding a copy of params (n of
 * them), with src's backend. */
static dlfs_status copy_parameters(dlfs_model *tmp, dlfs_model_kind kind, size_t k, size_t h,
                                   size_t m, const double *params, dlfs_backend backend)
{
    dlfs_status st = dlfs_model_alloc(tmp, kind, k, h, m);
    if (st)
        return st;
    size_t n;
    double *dst = (double *)dlfs_model_params(tmp, &n);
    memcpy(dst, params, n * sizeof *dst);
    return dlfs_model_set_backend(tmp, backend);
}

/* tmp (parameters set) gets the standardiser and names; on success it is
 * moved to *out, on failure freed. */
static dlfs_status finish_copy(dlfs_model *out, dlfs_model *tmp, dlfs_status st,
                               const dlfs_standardizer *scaler, const char *const *feature_names,
                               const char *target_name, const char *fn)
{
    if (!st) st = dlfs_model_set_standardizer(tmp, scaler);
    if (!st) st = dlfs_model_set_names(tmp, feature_names, target_name);
    if (!st) st = dlfs__model_check_values(tmp, fn, DLFS_EINVAL);
    if (st) {
        dlfs_model_free(tmp);
        return st;
    }
    *out = *tmp;
    return DLFS_OK;
}

dlfs_status dlfs_model_copy(dlfs_model *dst, const dlfs_model *src)
{
    static const char fn[] = "dlfs_model_copy";
    if (!dst)
        return dlfs__fail(DLFS_ENULL, "%s: dst is NULL", fn);
    dlfs_status st = dlfs__model_check(src, fn);
    if (st)
        return st;
    dlfs_model tmp;
    st = copy_parameters(&tmp, src->kind, src->k, src->h, src->m, dlfs_model_params(src, NULL),
                         dlfs_model_get_backend(src));
    if (!st) st = dlfs_model_set_standardizer(&tmp, src->has_scaler ? &src->scaler : NULL);
    if (!st) st = dlfs_model_set_names(&tmp, (const char *const *)src->feature_names,
                                       src->target_name);
    if (st) {
        dlfs_model_free(&tmp);
        return st;
    }
    dlfs_model_free(dst);
    *dst = tmp;
    return DLFS_OK;
}

/* *out = a copy of a step-by-step model, borrowed in `view` (see train.c);
 * arg names it in details. */
static dlfs_status from_member(dlfs_model *out, const dlfs_model *view, const char *arg,
                               const dlfs_standardizer *scaler, const char *const *feature_names,
                               const char *target_name, const char *fn)
{
    if (!dlfs_model_params(view, NULL))
        return dlfs__fail(DLFS_ENULL, "%s: %s has no parameters (not allocated)", fn, arg);
    dlfs_model tmp;
    const dlfs_status st = copy_parameters(&tmp, view->kind, view->k, view->h, view->m,
                                           dlfs_model_params(view, NULL),
                                           dlfs_model_get_backend(view));
    return finish_copy(out, &tmp, st, scaler, feature_names, target_name, fn);
}

dlfs_status dlfs_model_from_linreg(dlfs_model *out, const dlfs_linreg *lr,
                                   const dlfs_standardizer *scaler,
                                   const char *const *feature_names,
                                   const char *target_name)
{
    static const char fn[] = "dlfs_model_from_linreg";
    if (!out || !lr)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, out ? "lr" : "out");
    *out = (dlfs_model){0};
    const dlfs_model view = {.kind = DLFS_MODEL_LINREG, .k = lr->k, .m = lr->m, .linreg = *lr};
    return from_member(out, &view, "lr", scaler, feature_names, target_name, fn);
}

dlfs_status dlfs_model_from_nn(dlfs_model *out, const dlfs_nn *nn,
                               const dlfs_standardizer *scaler,
                               const char *const *feature_names,
                               const char *target_name)
{
    static const char fn[] = "dlfs_model_from_nn";
    if (!out || !nn)
        return dlfs__fail(DLFS_ENULL, "%s: %s is NULL", fn, out ? "nn" : "out");
    *out = (dlfs_model){0};
    const dlfs_model view = {.kind = DLFS_MODEL_NN, .k = nn->k, .h = nn->h, .m = nn->m, .nn = *nn};
    return from_member(out, &view, "nn", scaler, feature_names, target_name, fn);
}
