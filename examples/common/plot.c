/* examples/common/plot.c - CSV series and PLplot figures; see plot.h.
 *
 * PLplot ends the program (plexit) when it cannot open its output, and asks
 * on stdin for a device when the one requested is missing. So the driver is
 * looked up before the first figure, and each PNG's path is opened here
 * first: PLplot is only ever handed a device it has and a file it can write.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#ifdef DLFS_HAVE_PLPLOT
#include <plplot.h>
#endif

/* ---- Can we draw? ------------------------------------------------------- */

static int checked;
static int available;
static char status_line[160];
static char off_reason[120];  /* why not, when not available */

static void check_plplot(void)
{
    if (checked)
        return;
    checked = 1;
#ifdef DLFS_HAVE_PLPLOT
    {
        const char *menu[128], *names[128];
        const char **pm = menu, **pn = names;
        int n = (int)(sizeof names / sizeof names[0]);
        char version[80] = "";

        plgver(version);
        plgFileDevs(&pm, &pn, &n);
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], "pngcairo") == 0)
                available = 1;
        if (available)
            snprintf(status_line, sizeof status_line, "png (PLplot %s, pngcairo)", version);
        else
            snprintf(off_reason, sizeof off_reason, "PLplot %s has no pngcairo driver",
                     version);
    }
#else
    snprintf(off_reason, sizeof off_reason, "built without PLplot");
#endif
    if (!available)
        snprintf(status_line, sizeof status_line, "off (%s)", off_reason);
}

int plot_available(void)
{
    check_plplot();
    return available;
}

const char *plot_status(void)
{
    check_plplot();
    return status_line;
}

/* ---- The directory and its list of files -------------------------------- */

/* mkdir -p: every prefix ending at a '/', then the whole path. */
static int make_dirs(const char *path)
{
    char buf[sizeof ((plot_dir *)0)->path];
    struct stat st;
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof buf)
        return cli_error(CLI_EXIT_FAILURE, "output directory name is empty or too long");
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cli_error(CLI_EXIT_FAILURE, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return cli_error(CLI_EXIT_FAILURE, "cannot create %s: %s", buf, strerror(errno));
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_error(CLI_EXIT_FAILURE, "%s is not a directory", buf);
    return 0;
}

int plot_dir_open(plot_dir *dir, const char *path)
{
    size_t len = strlen(path);

    memset(dir, 0, sizeof *dir);
    /* "out/" and "out" name the same directory; keep paths in the list clean. */
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len >= sizeof dir->path)
        return cli_error(CLI_EXIT_FAILURE, "output directory name is too long");
    memcpy(dir->path, path, len);
    dir->path[len] = '\0';
    if (make_dirs(dir->path) != 0)
        return CLI_EXIT_FAILURE;
    dir->draw = plot_available();
    return 0;
}

void plot_dir_close(plot_dir *dir)
{
    for (size_t i = 0; i < dir->n_files; i++)
        free(dir->files[i]);
    free(dir->files);
    dir->files = NULL;
    dir->n_files = dir->cap = 0;
}

/* dir/name into buf; -1 if it does not fit. */
static int join(char *buf, size_t size, const plot_dir *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir->path, name);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int remember(plot_dir *dir, const char *path)
{
    char *copy;

    if (dir->n_files == dir->cap) {
        size_t cap = dir->cap ? 2 * dir->cap : 16;
        char **files = realloc(dir->files, cap * sizeof *files);
        if (!files)
            return cli_error(CLI_EXIT_FAILURE, "out of memory");
        dir->files = files;
        dir->cap = cap;
    }
    copy = strdup(path);
    if (!copy)
        return cli_error(CLI_EXIT_FAILURE, "out of memory");
    dir->files[dir->n_files++] = copy;
    return 0;
}

void plot_dir_report(const plot_dir *dir, FILE *out)
{
    check_plplot();
    fprintf(out, "Files written (%zu):\n", dir->n_files);
    for (size_t i = 0; i < dir->n_files; i++)
        fprintf(out, "  %s\n", dir->files[i]);
    if (!dir->draw)
        fprintf(out,
                "Figures are off (%s): only the CSV series were written.\n"
                "To draw them as PNG, install libplplot-dev and plplot-driver-cairo, then\n"
                "  meson setup --reconfigure BUILDDIR -Dplots=enabled && ninja -C BUILDDIR\n",
                off_reason);
}

/* ---- CSV ---------------------------------------------------------------- */

FILE *plot_file_open(plot_dir *dir, const char *name)
{
    char path[sizeof dir->path + 256];
    FILE *f;

    if (join(path, sizeof path, dir, name) != 0) {
        cli_error(CLI_EXIT_FAILURE, "file name too long: %s/%s", dir->path, name);
        return NULL;
    }
    f = fopen(path, "w");
    if (!f)
        cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path, strerror(errno));
    return f;
}

int plot_file_close(plot_dir *dir, FILE *f, const char *name)
{
    char path[sizeof dir->path + 256];
    int bad = ferror(f);

    if (fclose(f) != 0)
        bad = 1;
    join(path, sizeof path, dir, name);  /* fitted when the file was opened */
    if (bad)
        return cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path, strerror(errno));
    return remember(dir, path);
}

int plot_write_csv(plot_dir *dir, const char *name, size_t rows,
                   const plot_column *cols, size_t n_cols)
{
    FILE *f = plot_file_open(dir, name);

    if (!f)
        return CLI_EXIT_FAILURE;
    for (size_t j = 0; j < n_cols; j++)
        fprintf(f, "%s%s", j ? "," : "", cols[j].name);
    fputc('\n', f);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < n_cols; j++)
            fprintf(f, "%s%.10g", j ? "," : "", cols[j].v[i]);
        fputc('\n', f);
    }
    return plot_file_close(dir, f, name);
}

/* ---- Figures ------------------------------------------------------------ */

#ifdef DLFS_HAVE_PLPLOT

/* Colour map 0: white page, black frame, light grid, grey diagonal, then the
 * series in the usual blue, orange, green, red. */
enum { COL_PAGE, COL_FRAME, COL_GRID, COL_DIAGONAL, COL_SERIES };
static const unsigned char series_rgb[][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 },
};
#define N_SERIES_COLOURS (sizeof series_rgb / sizeof series_rgb[0])
#define MAX_SERIES 8

/* The viewport, as fractions of the page: room for labels left and below,
 * for the title and the note above. */
#define VP_LEFT 0.10
#define VP_RIGHT 0.96
#define VP_BOTTOM 0.11
#define VP_TOP 0.86

/* A series after leaving out what cannot be drawn and taking log10s. */
struct drawn {
    double *x, *y;
    PLINT n;
};

static int keep(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

static int transform(const plot_figure *fig, struct drawn *d)
{
    for (size_t s = 0; s < fig->n_series; s++) {
        const plot_series *ps = &fig->series[s];
        size_t n = ps->n ? ps->n : 1;

        d[s].n = 0;
        d[s].x = malloc(n * sizeof *d[s].x);
        d[s].y = malloc(n * sizeof *d[s].y);
        if (!d[s].x || !d[s].y)
            return cli_error(CLI_EXIT_FAILURE, "out of memory");
        for (size_t i = 0; i < ps->n; i++) {
            double x = ps->x[i], y = ps->y[i];
            if (!keep(x, fig->x.log) || !keep(y, fig->y.log))
                continue;
            d[s].x[d[s].n] = fig->x.log ? log10(x) : x;
            d[s].y[d[s].n] = fig->y.log ? log10(y) : y;
            d[s].n++;
        }
    }
    return 0;
}

/* The window along one axis: as given, or around the data (whole decades on
 * a log axis, so that it carries labelled ticks). */
static void axis_range(const plot_axis *ax, const struct drawn *d, size_t n_series,
                       int use_x, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;

    if (ax->min < ax->max) {
        *lo = ax->log ? log10(ax->min) : ax->min;
        *hi = ax->log ? log10(ax->max) : ax->max;
        return;
    }
    for (size_t s = 0; s < n_series; s++)
        for (PLINT i = 0; i < d[s].n; i++) {
            double v = use_x ? d[s].x[i] : d[s].y[i];
            if (v < a) a = v;
            if (v > b) b = v;
        }
    if (!(a <= b)) {
        a = 0;
        b = 1;
    }
    if (ax->log) {
        a = floor(a);
        b = ceil(b);
        if (b <= a)
            b = a + 1;
    } else {
        double pad = b > a ? 0.04 * (b - a) : 0.5 * fabs(a) + 0.5;
        a -= pad;
        b += pad;
    }
    *lo = a;
    *hi = b;
}

/* The width of text in mm at character height ht (mm), estimated: PLplot
 * has no public call that measures a string. An average glyph of the cairo
 * driver's sans font is about 0.65 of the character height (0.70 leaves a
 * margin); UTF-8
 * continuation bytes and PLplot's escapes (#u, #d) take no room. */
static double text_width(const char *text, double ht)
{
    size_t glyphs = 0;

    for (const char *p = text; *p; p++) {
        if (p[0] == '#' && p[1]) {
            p++;
            continue;
        }
        if (((unsigned char)*p & 0xC0) != 0x80)
            glyphs++;
    }
    return 0.70 * ht * (double)glyphs;
}

/* Text centred on the page (not the viewport), `disp` character heights
 * above the viewport, shrunk until it fits the page width. */
static void top_text(const char *text, double disp, double scale)
{
    PLFLT def, ht, xmin, xmax, ymin, ymax, len;
    double pos = (0.5 - VP_LEFT) / (VP_RIGHT - VP_LEFT);

    plschr(0, scale);
    plgchr(&def, &ht);
    plgspa(&xmin, &xmax, &ymin, &ymax);
    len = text_width(text, ht);
    if (len > 0.94 * (xmax - xmin))
        plschr(0, scale * 0.94 * (xmax - xmin) / len);
    plmtex("t", disp, pos, 0.5, text);
    plschr(0, 1.0);
}

static void draw_legend(const plot_figure *fig)
{
    PLINT opts[MAX_SERIES], text_col[MAX_SERIES], line_col[MAX_SERIES];
    PLINT line_sty[MAX_SERIES], sym_col[MAX_SERIES], sym_num[MAX_SERIES];
    PLFLT line_w[MAX_SERIES], sym_scale[MAX_SERIES];
    const char *text[MAX_SERIES], *sym[MAX_SERIES];
    PLFLT w, h;
    PLINT n = 0, position = PL_POSITION_INSIDE | PL_POSITION_VIEWPORT;

    for (size_t s = 0; s < fig->n_series && s < MAX_SERIES; s++) {
        const plot_series *ps = &fig->series[s];
        if (!ps->label)
            continue;
        opts[n] = 0;
        if (ps->style != PLOT_POINTS)
            opts[n] |= PL_LEGEND_LINE;
        if (ps->style != PLOT_LINE)
            opts[n] |= PL_LEGEND_SYMBOL;
        text_col[n] = COL_FRAME;
        text[n] = ps->label;
        line_col[n] = sym_col[n] = COL_SERIES + (PLINT)(s % N_SERIES_COLOURS);
        line_sty[n] = 1;
        line_w[n] = 2;
        sym_num[n] = 1;
        sym_scale[n] = 0.6;
        sym[n] = "●";
        n++;
    }
    if (n == 0 || fig->legend == PLOT_LEGEND_NONE)
        return;
    switch (fig->legend) {
    case PLOT_LEGEND_TOP_RIGHT: position |= PL_POSITION_TOP | PL_POSITION_RIGHT; break;
    case PLOT_LEGEND_BOTTOM_LEFT: position |= PL_POSITION_BOTTOM | PL_POSITION_LEFT; break;
    default: position |= PL_POSITION_TOP | PL_POSITION_LEFT; break;
    }
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position,
             0.02, 0.03, 0.07, COL_PAGE, COL_FRAME, 1, 0, 0, n, opts,
             1.0, 0.85, 2.0, 0.0, text_col, text,
             NULL, NULL, NULL, NULL, line_col, line_sty, line_w,
             sym_col, sym_scale, sym_num, sym);
}

/* plbox() in colour `col` with the options x and y, "l" added on a log axis:
 * the grid first, the frame with its ticks and numbers last. */
static void draw_box(const plot_figure *fig, PLINT col, const char *x, const char *y)
{
    char xopt[16], yopt[16];

    snprintf(xopt, sizeof xopt, "%s%s", x, fig->x.log ? "l" : "");
    snprintf(yopt, sizeof yopt, "%s%s", y, fig->y.log ? "l" : "");
    plcol0(col);
    plwidth(1);
    plbox(xopt, 0, 0, yopt, 0, 0);
}

static void draw(const plot_figure *fig, const struct drawn *d, const char *path,
                 double x0, double x1, double y0, double y1)
{
    plsdev("pngcairo");
    plsfnam(path);
    plspage(0, 0, 800, 600, 0, 0);
    plscolbg(255, 255, 255);
    plscol0(COL_FRAME, 0, 0, 0);
    plscol0(COL_GRID, 225, 225, 225);
    plscol0(COL_DIAGONAL, 110, 110, 110);
    for (size_t i = 0; i < N_SERIES_COLOURS; i++)
        plscol0(COL_SERIES + (PLINT)i, series_rgb[i][0], series_rgb[i][1], series_rgb[i][2]);
    plinit();
    pladv(0);
    plvpor(VP_LEFT, VP_RIGHT, VP_BOTTOM, VP_TOP);
    plwind(x0, x1, y0, y1);
    /* Plain numbers up to 6 digits (iterations), not "0.2 (x10^4)". */
    plsxax(6, 0);
    plsyax(6, 0);

    draw_box(fig, COL_GRID, "g", "g");

    if (fig->diagonal) {
        double lo = x0 < y0 ? x0 : y0, hi = x1 > y1 ? x1 : y1;
        PLFLT dx[2] = { lo, hi }, dy[2] = { lo, hi };
        plcol0(COL_DIAGONAL);
        pllsty(2);
        plwidth(1.5);
        plline(2, dx, dy);
        pllsty(1);
    }

    for (size_t s = 0; s < fig->n_series; s++) {
        const plot_series *ps = &fig->series[s];
        if (d[s].n == 0)
            continue;
        plcol0(COL_SERIES + (PLINT)(s % N_SERIES_COLOURS));
        if (ps->style != PLOT_POINTS) {
            plwidth(2);
            plline(d[s].n, d[s].x, d[s].y);
        }
        if (ps->style != PLOT_LINE) {
            plschr(0, ps->style == PLOT_POINTS ? 0.55 : 0.7);
            plstring(d[s].n, d[s].x, d[s].y, "●");
            plschr(0, 1.0);
        }
    }

    draw_box(fig, COL_FRAME, "bcnst", "bcnstv");
    plmtex("b", 3.0, 0.5, 0.5, fig->x.label);
    plmtex("l", 4.2, 0.5, 0.5, fig->y.label);
    top_text(fig->title, fig->note ? 2.6 : 1.6, 1.05);
    if (fig->note)
        top_text(fig->note, 1.0, 0.8);
    draw_legend(fig);
    plend1();
}

int plot_draw(plot_dir *dir, const plot_figure *fig)
{
    struct drawn d[MAX_SERIES];
    char path[sizeof dir->path + 256];
    double x0, x1, y0, y1;
    struct stat st;
    FILE *probe;
    int rc;

    if (!dir->draw)
        return 0;
    if (fig->n_series > MAX_SERIES)
        return cli_error(CLI_EXIT_FAILURE, "%s: too many series", fig->name);
    if (join(path, sizeof path, dir, fig->name) != 0)
        return cli_error(CLI_EXIT_FAILURE, "file name too long: %s/%s", dir->path, fig->name);
    /* PLplot would end the program on a file it cannot open. */
    probe = fopen(path, "wb");
    if (!probe)
        return cli_error(CLI_EXIT_FAILURE, "cannot write %s: %s", path, strerror(errno));
    fclose(probe);

    memset(d, 0, sizeof d);
    rc = transform(fig, d);
    if (rc == 0) {
        axis_range(&fig->x, d, fig->n_series, 1, &x0, &x1);
        axis_range(&fig->y, d, fig->n_series, 0, &y0, &y1);
        draw(fig, d, path, x0, x1, y0, y1);
        if (stat(path, &st) != 0 || st.st_size == 0)
            rc = cli_error(CLI_EXIT_FAILURE, "PLplot wrote nothing to %s", path);
        else
            rc = remember(dir, path);
    }
    if (rc)
        remove(path);  /* no empty or half-listed figure left behind */
    for (size_t s = 0; s < fig->n_series; s++) {
        free(d[s].x);
        free(d[s].y);
    }
    return rc;
}

#else  /* no PLplot: the CSV files are all there is */

int plot_draw(plot_dir *dir, const plot_figure *fig)
{
    (void)dir;
    (void)fig;
    return 0;
}

#endif
