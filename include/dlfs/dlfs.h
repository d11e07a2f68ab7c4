/* dlfs/dlfs.h - everything: include this one header to use the library.
 *
 * dlfs implements Chapter 2 of "Deep Learning from Scratch": linear regression
 * and a one-hidden-layer network, each written step by step (a forward pass that
 * keeps its intermediates, a backward pass that multiplies local derivatives),
 * trained by mini-batch gradient descent, with the matrix products on BLAS.
 */
#ifndef DLFS_DLFS_H
#define DLFS_DLFS_H

#define DLFS_VERSION_STRING "0.1.0"

#include <dlfs/status.h>
#include <dlfs/matrix.h>
#include <dlfs/gemm.h>
#include <dlfs/kernels.h>
#include <dlfs/rng.h>
#include <dlfs/nprandom.h>
#include <dlfs/linreg.h>
#include <dlfs/nn.h>
#include <dlfs/train.h>
#include <dlfs/data.h>
#include <dlfs/ols.h>
#include <dlfs/blas_info.h>
#include <dlfs/model.h>
#include <dlfs/model_file.h>
#include <dlfs/checkpoint.h>
#include <dlfs/atomic_file.h>

#endif
