/* src/standardize_impl.h - the standardisation without its checks, for the
 * model handle's prediction (model.c); not installed. */
#ifndef DLFS_SRC_STANDARDIZE_IMPL_H
#define DLFS_SRC_STANDARDIZE_IMPL_H

#include <dlfs/matrix.h>
#include <dlfs/standardize.h>

/* dst = (src - mean) / sd, element by element (dst may be src; both of s's
 * k columns and src's rows): what dlfs_standardizer_apply() computes, so rows
 * standardised here are the same bits as rows standardised in place. */
void dlfs__standardize_rows(const dlfs_standardizer *s, dlfs_matrix *dst, const dlfs_matrix *src);

#endif
