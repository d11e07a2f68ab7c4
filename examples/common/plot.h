/* examples/common/plot.h - the figures of the programs and the series behind them.
 *
 * Every figure is kept twice: its series as CSV files (always written, one
 * header row, then one row per point), and a PNG drawn by PLplot's pngcairo
 * device, 800 x 600, when the programs were built with PLplot (meson option
 * -Dplots) and the driver is installed. Without PLplot the same calls write
 * only the CSV files, and plot_dir_report() says once how to get the PNGs.
 *
 * Errors are printed (cli_error) and returned as CLI_EXIT_FAILURE.
 */
#ifndef DLFS_PLOT_H
#define DLFS_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* The output directory and the files written into it. */
typedef struct plot_dir {
    char path[4096];
    int draw;          /* PNGs are drawn (plot_available() at open time) */
    char **files;      /* paths written, in order; owned */
    size_t n_files;
    size_t cap;
} plot_dir;

/* 1 when this program can draw PNGs here: built with PLplot and its pngcairo
 * driver found at run time. */
int plot_available(void);

/* One line for --version: "png (PLplot 5.15.0, pngcairo)" or "off (why)". */
const char *plot_status(void);

/* Creates `path` and its parents (as mkdir -p) and checks it is a directory.
 * 0, or CLI_EXIT_FAILURE after printing why. */
int plot_dir_open(plot_dir *dir, const char *path);
void plot_dir_close(plot_dir *dir);

/* Prints the files written, one path a line, and (once, when PNGs are off)
 * how to turn the figures on. */
void plot_dir_report(const plot_dir *dir, FILE *out);

/* ---- CSV files ---------------------------------------------------------- */

/* Opens dir/name for writing; NULL after printing why. Close it with
 * plot_file_close, which checks the writes and adds it to the list. */
FILE *plot_file_open(plot_dir *dir, const char *name);
int plot_file_close(plot_dir *dir, FILE *f, const char *name);

/* A named numeric column of `rows` values. */
typedef struct plot_column {
    const char *name;
    const double *v;
} plot_column;

/* Writes dir/name: a header of the column names, then `rows` rows. */
int plot_write_csv(plot_dir *dir, const char *name, size_t rows,
                   const plot_column *cols, size_t n_cols);

/* ---- Figures ------------------------------------------------------------ */

typedef enum plot_style {
    PLOT_POINTS,       /* a marker at each point */
    PLOT_LINE,         /* points joined in order */
    PLOT_LINE_POINTS   /* both */
} plot_style;

/* n points (x[i], y[i]); non-finite points (and, on a log axis, points <= 0)
 * are left out. The i-th series of a figure gets the i-th colour. */
typedef struct plot_series {
    const char *label;   /* legend entry; NULL: none */
    const double *x;
    const double *y;
    size_t n;
    plot_style style;
} plot_series;

/* min == max (e.g. both 0): fitted to the data. log: a log10 scale. */
typedef struct plot_axis {
    const char *label;
    double min;
    double max;
    int log;
} plot_axis;

typedef enum plot_legend {
    PLOT_LEGEND_NONE,
    PLOT_LEGEND_TOP_LEFT,
    PLOT_LEGEND_TOP_RIGHT,
    PLOT_LEGEND_BOTTOM_LEFT
} plot_legend;

typedef struct plot_figure {
    const char *name;     /* the file: dir/name */
    const char *title;    /* shrunk to fit the width when long */
    plot_axis x, y;
    int diagonal;         /* draw the line y = x across the window */
    plot_legend legend;
    const char *note;     /* a line of small text under the title; NULL: none */
    const plot_series *series;
    size_t n_series;
} plot_figure;

/* Draws fig into dir/fig->name as a PNG; does nothing (returns 0) when the
 * directory does not draw. */
int plot_draw(plot_dir *dir, const plot_figure *fig);

#endif
