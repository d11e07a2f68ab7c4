/* src/model_impl.h - what the model handle's files (model.c, model_file.c,
 * train.c) share; not installed. */
#ifndef DLFS_SRC_MODEL_IMPL_H
#define DLFS_SRC_MODEL_IMPL_H

#include <dlfs/model.h>

/* 1 for the kinds whose member is a dlfs_linreg (LINREG, OLS). */
int dlfs__model_is_linear(const dlfs_model *model);

/* DLFS_ENULL for NULL, DLFS_EINVAL for an empty model; fn in the detail. */
dlfs_status dlfs__model_check(const dlfs_model *model, const char *fn);

/* The shapes agree with kind, k, h and m, everything that should be there
 * is, names fit: what a model must satisfy to be written. */
dlfs_status dlfs__model_check_structure(const dlfs_model *model, const char *fn);

/* Every parameter, mean and sd finite; every sd positive (bad_sd: the status
 * for a non-positive sd, which is a bad argument when building a model and a
 * malformed file when loading one). `where` prefixes the detail. */
dlfs_status dlfs__model_check_values(const dlfs_model *model, const char *where,
                                     dlfs_status bad_sd);

/* *out = a checked copy of s (fitted on the model's k columns, finite,
 * positive sds); on failure *out is empty. */
dlfs_status dlfs__model_copy_standardizer(const dlfs_model *model, const dlfs_standardizer *s,
                                          dlfs_standardizer *out, const char *fn);

/* The training loop (train.c) for the gradient-trained kinds; fn names the
 * public function in details. */
dlfs_status dlfs__train(dlfs_model *model, const dlfs_matrix *X, const dlfs_matrix *y,
                        const dlfs_train_options *opt, dlfs_train_result *result,
                        const char *fn);

#endif
