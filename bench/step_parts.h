/* bench/step_parts.h - dlfs-bench-train --parts (step_parts.c). */
#ifndef DLFS_BENCH_STEP_PARTS_H
#define DLFS_BENCH_STEP_PARTS_H

#include <stdio.h>
#include <dlfs/dlfs.h>

/* Times each part of one training step of the model kind on backend be at
 * batch B, k inputs, h hidden units (network), m outputs, with data of n
 * rows, each part in samples of `inner` calls, and prints the table to out.
 * Returns 0, or an exit status after printing the error. */
int bench_step_parts(FILE *out, dlfs_model_kind kind, dlfs_backend be, const char *size_name,
                     size_t n, size_t B, size_t k, size_t h, size_t m, size_t inner);

#endif
