/* dlfs/data.h - loading tabular data, standardising it, splitting it, scoring.
 *
 * One include for the data toolbox around the models: dlfs/csv.h reads a CSV
 * file into a dataset, dlfs/standardize.h fits and applies a standardisation,
 * dlfs/split.h splits rows into a training and a test set, and
 * dlfs/metrics.h scores predictions. Each may also be included on its own.
 */
#ifndef DLFS_DATA_H
#define DLFS_DATA_H

#include <dlfs/csv.h>
#include <dlfs/standardize.h>
#include <dlfs/split.h>
#include <dlfs/metrics.h>

#endif
