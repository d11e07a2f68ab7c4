/* dlfs/model.h - one handle for every model dlfs fits.
 *
 * A dlfs_model is a linear regression trained by gradient descent, the
 * one-hidden-layer network, or least squares fitted in closed form, together
 * with what a trained model carries to predict from raw rows: the
 * standardisation fitted on its training rows and the names of its columns.
 * It is the layer to use when the question is "fit a model to these rows and
 * predict those"; the step-by-step layer underneath (dlfs/linreg.h,
 * dlfs/nn.h: forward info, gradients, update) is the chapter itself and
 * stays available through the handle's members.
 *
 *     dlfs_model model;
 *     dlfs_model_alloc(&model, DLFS_MODEL_NN, k, 13, 1);   (k inputs, 13 hidden, 1 output)
 *     dlfs_train_options opt;
 *     dlfs_model_train_options_default(&model, &opt);      (the chapter's settings for an nn)
 *     dlfs_model_train(&model, &X, &y, &opt, NULL);
 *     dlfs_model_predict(&model, &X_new, &P);
 *     dlfs_model_save(&model, "house.dlfs");               (dlfs/model_file.h)
 *     dlfs_model_free(&model);
 *
 * Rows and units. dlfs_model_train() fits the rows it is given as they are.
 * dlfs_model_predict() takes rows in the same units, except when the model
 * holds a standardiser (dlfs_model_set_standardizer(), or a loaded model
 * saved with one): then it takes rows in the original units and standardises
 * them first, as the training rows were. A usual run therefore standardises
 * its training rows, trains, scores its (standardised) test rows, and only
 * then attaches the standardiser before saving the model.
 *
 * Kinds and files. A model file stores a regression or a network; a least
 * squares fit is a linear regression's W and B, so it is saved as one and
 * loads as DLFS_MODEL_LINREG (the coefficients are the same). The backend is
 * not stored: a loaded model computes its products with DLFS_BACKEND_BLAS
 * until dlfs_model_set_backend() says otherwise.
 */
#ifndef DLFS_MODEL_H
#define DLFS_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <dlfs/gemm.h>
#include <dlfs/linreg.h>
#include <dlfs/matrix.h>
#include <dlfs/nn.h>
#include <dlfs/rng.h>
#include <dlfs/standardize.h>
#include <dlfs/status.h>
#include <dlfs/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dlfs_model_kind {
    DLFS_MODEL_ANY = 0,      /* for `expected` in the loaders: accept any kind */
    DLFS_MODEL_LINREG = 1,   /* linear regression trained by gradient descent */
    DLFS_MODEL_NN = 2,       /* the one-hidden-layer network */
    DLFS_MODEL_OLS = 3       /* linear regression fitted in closed form (LAPACK dgels) */
} dlfs_model_kind;

/* A model and what it needs to predict from raw rows. Owns all of its
 * memory. An empty dlfs_model is all zeros (dlfs_model_free() leaves one).
 * Read the members freely; change them through the functions below. */
typedef struct dlfs_model {
    dlfs_model_kind kind;
    size_t k;                    /* inputs */
    size_t h;                    /* hidden units; 0 for the linear kinds */
    size_t m;                    /* outputs */
    dlfs_linreg linreg;          /* DLFS_MODEL_LINREG and DLFS_MODEL_OLS; else empty */
    dlfs_nn nn;                  /* DLFS_MODEL_NN; else empty */
    int has_scaler;              /* nonzero: scaler holds k means and sds */
    dlfs_standardizer scaler;    /* applied by dlfs_model_predict(); empty if not */
    char **feature_names;        /* k NUL-terminated names, or NULL */
    char *target_name;           /* or NULL */
} dlfs_model;

/* Allocates a model of `kind` (not DLFS_MODEL_ANY) with k inputs, h hidden
 * units (the network; 0 for the linear kinds) and m outputs, its parameters
 * zero, its backend DLFS_BACKEND_BLAS, without standardiser or names.
 * Errors: DLFS_ENULL, DLFS_EINVAL (unknown kind, or h nonzero for a linear
 * kind), DLFS_EEMPTY (k, m, or a network's h zero), DLFS_EOVERFLOW,
 * DLFS_ENOMEM. On failure *model is empty and needs no free. */
dlfs_status dlfs_model_alloc(dlfs_model *model, dlfs_model_kind kind, size_t k, size_t h,
                             size_t m);

/* Frees everything *model owns and resets it to empty. NULL is fine. */
void dlfs_model_free(dlfs_model *model);

/* Makes dst a deep copy of src (parameters, backend, standardiser, names).
 * dst must be empty or allocated; what it held is freed only on success.
 * DLFS_ENULL, DLFS_EINVAL (src empty), DLFS_ENOMEM. */
dlfs_status dlfs_model_copy(dlfs_model *dst, const dlfs_model *src);

/* Sets how every later product of the model is computed (the backend field
 * of its member; see dlfs/gemm.h). DLFS_ENULL, DLFS_EINVAL (empty model,
 * unknown backend, or xsmm in a build without libxsmm, which the detail
 * says), the model unchanged. */
dlfs_status dlfs_model_set_backend(dlfs_model *model, dlfs_backend backend);

/* The backend the model's products use; DLFS_BACKEND_BLAS for NULL or an
 * empty model. */
dlfs_backend dlfs_model_get_backend(const dlfs_model *model);

/* Draws the parameters from a generator seeded with `seed`, as training does
 * when it initialises (dlfs_linreg_init(), dlfs_nn_init()). A closed-form fit
 * has no initial weights: DLFS_EINVAL for DLFS_MODEL_OLS. */
dlfs_status dlfs_model_init(dlfs_model *model, uint64_t seed, dlfs_init init);

/* The chapter's settings for this model's kind, on top of
 * dlfs_train_options_default():
 *     DLFS_MODEL_LINREG  1,000 iterations, lr 0.023,  seed 180708
 *     DLFS_MODEL_NN     10,000 iterations, lr 0.0115, seed 180807
 *     DLFS_MODEL_OLS     the regression's (a closed-form fit reads none of them)
 * batch 23, normal init, weights drawn from the seed. DLFS_ENULL,
 * DLFS_EINVAL (empty model). */
dlfs_status dlfs_model_train_options_default(const dlfs_model *model, dlfs_train_options *opt);

/* Fits the model to X (n x k) and y (n x m): mini-batch gradient descent
 * (dlfs/train.h) for the regression and the network, LAPACK dgels for
 * DLFS_MODEL_OLS (opt may then be NULL and is not read; result, if given,
 * reports 0 iterations and a NaN loss). Errors as dlfs_linreg_train() and
 * dlfs_ols_fit(); DLFS_EINVAL for an empty model. The standardiser, if any,
 * is not applied: X is fitted as given. */
dlfs_status dlfs_model_train(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                             const dlfs_train_options *opt, dlfs_train_result *result);

/* Makes ahead of time what dlfs_model_train() on `rows` rows with these
 * options would make before its first iteration and keep: on the xsmm and
 * auto backends, libxsmm's kernels for the step's products (a JIT compile of
 * about 0.1 ms each, five for the network's full batch and five for its short
 * last one). Training then finds them made, so a timed dlfs_model_train()
 * times the iterations alone. Nothing to do (DLFS_OK) on blas and naive and
 * for DLFS_MODEL_OLS. Call dlfs_backend_init() first to keep libxsmm's own
 * set-up out of this call as well. The model is not changed. DLFS_ENULL,
 * DLFS_EINVAL (empty model, rows 0, options training would refuse),
 * DLFS_ENOMEM. */
dlfs_status dlfs_model_prepare(dlfs_model *model, size_t rows, const dlfs_train_options *opt);

/* The rows dlfs_model_predict() computes in one go: as many as fit in
 * DLFS_MODEL_BLOCK_BYTES of hidden activations (10,082 rows of a 13-unit
 * network; 131,072 of a linear model). A BLAS may round a row's product
 * differently in calls of other sizes, so predicting in fixed blocks makes a
 * row's prediction independent of how many rows are predicted with it. */
#define DLFS_MODEL_BLOCK_BYTES ((size_t)1 << 20)

/* Rows per block for this model (>= 1); 0 for NULL or an empty model. */
size_t dlfs_model_block_rows(const dlfs_model *model);

/* P (n x m, the caller's) = the model's predictions for X (n x k, any n, any
 * ld; not modified), computed a block of dlfs_model_block_rows() rows at a
 * time. With a standardiser the rows are standardised first (X itself is left
 * as it is). Memory: one workspace per call, freed before it returns, of at
 * most block x (k + h) doubles (about 1 MiB for the network, plus a block of
 * standardised rows when there is a standardiser); nothing per block.
 * Errors: DLFS_ENULL, DLFS_EINVAL (empty model), DLFS_EEMPTY, DLFS_ESHAPE
 * (X not k columns, P not n x m), DLFS_ENONFINITE (X holds NaN or Inf),
 * DLFS_EOVERFLOW, DLFS_ENOMEM. P is unchanged on failure, except that a
 * DLFS_ENOMEM can only happen before anything is written. */
dlfs_status dlfs_model_predict(const dlfs_model *model, const dlfs_matrix *X, dlfs_matrix *P);

/* Copies s into the model, replacing the one it had: from then on
 * dlfs_model_predict() standardises its rows with it. NULL, or an empty (never
 * fitted) standardizer, removes it. Errors: DLFS_ENULL, DLFS_EINVAL (empty
 * model, an sd not positive), DLFS_ESHAPE (s->k differs from the model's k),
 * DLFS_ENONFINITE, DLFS_ENOMEM; the model is unchanged on failure. */
dlfs_status dlfs_model_set_standardizer(dlfs_model *model, const dlfs_standardizer *s);

/* Copies the k feature names (NULL: none) and the target name (NULL: none)
 * into the model, replacing the ones it had. Names are at most
 * DLFS_MODEL_NAME_MAX bytes. Errors: DLFS_ENULL (a NULL name inside
 * feature_names), DLFS_EINVAL (empty model, a name too long), DLFS_ENOMEM;
 * the model is unchanged on failure. */
dlfs_status dlfs_model_set_names(dlfs_model *model, const char *const *feature_names,
                                 const char *target_name);

/* Longest feature or target name a model holds, in bytes. */
#define DLFS_MODEL_NAME_MAX 4096u

/* The model's parameter block (the member's params) and its length; NULL
 * and 0 for NULL or an empty model. */
const double *dlfs_model_params(const dlfs_model *model, size_t *n_params);

/* A model built from a trained regression or network, copying everything:
 * the caller keeps (and still frees) its arguments. scaler NULL or empty:
 * none; feature_names NULL or k names; target_name NULL or a name.
 * Errors: DLFS_ENULL (out, the model, its parameters, a name in
 * feature_names); DLFS_ESHAPE (scaler->k differs from k); DLFS_EINVAL (a
 * name too long, an sd not positive); DLFS_ENONFINITE (a parameter, mean or
 * sd is NaN or infinite: such a model could not be saved and loaded back);
 * DLFS_ENOMEM. On failure *out is empty and needs no free. */
dlfs_status dlfs_model_from_linreg(dlfs_model *out, const dlfs_linreg *lr,
                                   const dlfs_standardizer *scaler,
                                   const char *const *feature_names,
                                   const char *target_name);
dlfs_status dlfs_model_from_nn(dlfs_model *out, const dlfs_nn *nn,
                               const dlfs_standardizer *scaler,
                               const char *const *feature_names,
                               const char *target_name);

/* "linreg", "nn" or "ols"; NULL for anything else. */
const char *dlfs_model_kind_name(dlfs_model_kind kind);

/* Parses "linreg", "nn" or "ols". DLFS_ENULL, DLFS_EINVAL for anything else
 * (*kind unchanged). */
dlfs_status dlfs_model_kind_parse(const char *name, dlfs_model_kind *kind);

#ifdef __cplusplus
}
#endif
#endif
