/* examples/dlfs/columns.h - `dlfs predict`'s columns: the model's features
 * and the target found by name among a CSV file's columns, and the lists of
 * names its messages print.
 */
#ifndef DLFS_EXAMPLES_COLUMNS_H
#define DLFS_EXAMPLES_COLUMNS_H

#include <stddef.h>
#include <dlfs/dlfs.h>

/* A file column that is not there. */
#define NO_COLUMN ((size_t)-1)

/* Column names for a message: "'a', 'b'", as many as fit in buf. */
struct name_list {
    char buf[400];
    size_t used;      /* bytes in buf */
    size_t count;     /* names added */
    size_t left_out;  /* names that did not fit */
};

/* The list as text: "'a', 'b' and 3 more". */
const char *name_list_text(const struct name_list *l, char *out, size_t size);

/* Where the model's inputs and the target are among the file's columns. */
struct column_map {
    size_t *feature;         /* k file columns, one per model input; owned */
    size_t target;           /* file column of the target, or NO_COLUMN */
    const char *target_name; /* the target looked for; NULL if none is known */
    struct name_list ignored;
};

/* Finds the model's features in the file read from `path` (every column a
 * feature, none the target), by the model's names, or in file order when it
 * has none; and the target: the column named `target`, else the model's
 * target name (NULL: none). 0, or CLI_EXIT_FAILURE after printing why.
 * Free map->feature either way. */
int map_columns(const char *path, const char *target, const dlfs_model *model,
                const dlfs_dataset *file, struct column_map *map);

/* X (n x k, allocated here) = the file's columns in the model's order; y
 * (n x 1, allocated here) = the target column, when there is one. */
dlfs_status gather_columns(const dlfs_dataset *file, const struct column_map *map, size_t k,
                           dlfs_matrix *X, dlfs_matrix *y);

#endif
