/* examples/dlfs/columns.c - the model's features and the target among a CSV
 * file's columns; see columns.h. */
#include "columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- Lists of names ------------------------------------------------------ */

/* Appends "'name'" to the list, or counts it among the ones left out. */
static void name_list_add(struct name_list *l, const char *name)
{
    int n;

    l->count++;
    n = snprintf(l->buf + l->used, sizeof l->buf - l->used, "%s'%s'", l->used ? ", " : "", name);
    if (n < 0 || (size_t)n >= sizeof l->buf - l->used) {
        l->buf[l->used] = '\0';
        l->left_out++;
        return;
    }
    l->used += (size_t)n;
}

const char *name_list_text(const struct name_list *l, char *out, size_t size)
{
    if (l->left_out)
        snprintf(out, size, "%s and %zu more", l->buf, l->left_out);
    else
        snprintf(out, size, "%s", l->buf);
    return out;
}

/* ---- Mapping --------------------------------------------------------------- */

/* The column of `names` (n of them) equal to `name`; NO_COLUMN if none.
 * Sets *count to how many columns have that name. */
static size_t find_column(char *const *names, size_t n, const char *name, size_t *count)
{
    size_t at = NO_COLUMN;

    *count = 0;
    for (size_t j = 0; j < n; j++)
        if (strcmp(names[j], name) == 0) {
            if (at == NO_COLUMN)
                at = j;
            ++*count;
        }
    return at;
}

static int map_target(const char *path, const char *target, const dlfs_model *model,
                      const dlfs_dataset *file, struct column_map *map)
{
    size_t count;

    map->target_name = target ? target : model->target_name;
    map->target = NO_COLUMN;
    if (!map->target_name)
        return CLI_EXIT_OK;
    map->target = find_column(file->feature_names, file->X.cols, map->target_name, &count);
    if (count > 1)
        return cli_error(CLI_EXIT_FAILURE, "%s: %zu columns are named '%s'", path, count,
                         map->target_name);
    if (target && map->target == NO_COLUMN)
        return cli_error(CLI_EXIT_FAILURE, "%s has no column '%s' (--target)", path, target);
    return CLI_EXIT_OK;
}

/* Each of the model's named features to the one column of its name. */
static int map_by_name(const char *path, const dlfs_model *model, const dlfs_dataset *file,
                       struct column_map *map, unsigned char *used)
{
    struct name_list missing;
    char list[512];
    size_t count;

    memset(&missing, 0, sizeof missing);
    for (size_t j = 0; j < model->k; j++) {
        const char *name = model->feature_names[j];
        size_t c = find_column(file->feature_names, file->X.cols, name, &count);
        if (count > 1)
            return cli_error(CLI_EXIT_FAILURE, "%s: %zu columns are named '%s'", path, count,
                             name);
        if (c != NO_COLUMN && c == map->target)
            return cli_error(CLI_EXIT_FAILURE, "the target '%s' is one of the model's "
                             "features", name);
        if (c == NO_COLUMN)
            name_list_add(&missing, name);
        else
            used[c] = 1;
        map->feature[j] = c;
    }
    if (missing.count)
        return cli_error(CLI_EXIT_FAILURE, "%s has no column for the model's feature%s %s",
                         path, missing.count > 1 ? "s" : "",
                         name_list_text(&missing, list, sizeof list));
    return CLI_EXIT_OK;
}

/* A model saved without names: every column but the target, in file order. */
static int map_in_order(const char *path, const dlfs_model *model, const dlfs_dataset *file,
                        struct column_map *map, unsigned char *used)
{
    size_t ncol = file->X.cols, k = model->k, j = 0;
    size_t have = ncol - (map->target != NO_COLUMN);

    if (have != k)
        return cli_error(CLI_EXIT_FAILURE, "%s has %zu feature column%s but the model, "
                         "saved without feature names, takes %zu in order", path, have,
                         have == 1 ? "" : "s", k);
    for (size_t c = 0; c < ncol; c++)
        if (c != map->target) {
            map->feature[j++] = c;
            used[c] = 1;
        }
    return CLI_EXIT_OK;
}

int map_columns(const char *path, const char *target, const dlfs_model *model,
                const dlfs_dataset *file, struct column_map *map)
{
    size_t ncol = file->X.cols, k = model->k;
    unsigned char *used;
    int rc;

    memset(map, 0, sizeof *map);
    rc = map_target(path, target, model, file, map);
    if (rc)
        return rc;
    map->feature = malloc((k ? k : 1) * sizeof *map->feature);
    used = calloc(ncol, 1);
    if (!map->feature || !used) {
        free(used);
        return cli_error(CLI_EXIT_FAILURE, "out of memory");
    }
    if (map->target != NO_COLUMN)
        used[map->target] = 1;
    if (model->feature_names)
        rc = map_by_name(path, model, file, map, used);
    else
        rc = map_in_order(path, model, file, map, used);
    for (size_t c = 0; c < ncol && !rc; c++)
        if (!used[c])
            name_list_add(&map->ignored, file->feature_names[c]);
    free(used);
    return rc;
}

dlfs_status gather_columns(const dlfs_dataset *file, const struct column_map *map, size_t k,
                           dlfs_matrix *X, dlfs_matrix *y)
{
    const dlfs_matrix *F = &file->X;
    dlfs_status st = dlfs_matrix_alloc(X, F->rows, k);

    if (!st && map->target != NO_COLUMN)
        st = dlfs_matrix_alloc(y, F->rows, 1);
    if (st)
        return st;
    for (size_t i = 0; i < F->rows; i++) {
        const double *row = F->data + i * F->ld;
        for (size_t j = 0; j < k; j++)
            X->data[i * X->ld + j] = row[map->feature[j]];
        if (map->target != NO_COLUMN)
            y->data[i * y->ld] = row[map->target];
    }
    return DLFS_OK;
}
