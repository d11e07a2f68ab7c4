/* tests/dist_csv/test_dist_csv.c - dlfs_dist_csv_read against dlfs_csv_read
 * of the whole file. Run under mpirun (run.sh) on 1 to 8 ranks: rank 0
 * writes generated files into a temporary directory, every rank reads each
 * one both ways and compares its shard with rows [first_row, first_row + n)
 * of the whole, bit for bit, names too; bad files must fail on every rank
 * with dlfs_csv_read's status, line and column.
 *
 * A failed check on one rank must not leave the others waiting in a
 * collective: checks are made into a flag, the flags are combined with an
 * allreduce, and only then asserted, on every rank alike. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>
#include <dlfs/dist.h>
#include <dlfs/dlfs.h>

static int rank, nproc;
static char dir[64];

/* ---- Generated files --------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = 2 * (b->len + (size_t)n + 1) + 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

enum { BAD_NONE, BAD_MALFORMED, BAD_NAN, BAD_SHORT, BAD_QUOTED_NEWLINE, BAD_UNTERMINATED };

typedef struct gen {
    size_t rows, cols;        /* data rows, fields per row */
    int crlf, final_newline, quoted, blanks, bom;
    uint64_t seed;
    int bad;                  /* BAD_*: what row bad_row gets */
    size_t bad_row;
    size_t bad_at[2];         /* set by gen_text: where the bad field's text starts and, for
                                 BAD_QUOTED_NEWLINE, where its newline is */
} gen;

/* One field of a data row, in one of several spellings. */
static void gen_field(sbuf *b, dlfs_rng *rng, int quoted)
{
    const double v = dlfs_rng_normal(rng) * 100.0;
    switch (dlfs_rng_below(rng, quoted ? 7 : 5)) {
    case 0: sb_printf(b, "%.17g", v); break;
    case 1: sb_printf(b, "%.3f", v); break;
    case 2: sb_printf(b, "%.6e", v); break;
    case 3: sb_printf(b, "%d", (int)v); break;
    case 4: sb_printf(b, " %.2f\t", v); break;
    case 5: sb_printf(b, "\"%.4f\"", v); break;
    default: sb_printf(b, " \" %.9g \" ", v); break;
    }
}

/* The header: plain names, or quoted ones, one holding "" and one a newline
 * (so the body starts a line later than the header's first). */
static void gen_header(sbuf *b, const gen *g, const char *eol)
{
    if (g->bom)
        sb_printf(b, "\xEF\xBB\xBF");
    for (size_t j = 0; j < g->cols; j++) {
        const char *sep = j + 1 < g->cols ? "," : eol;
        if (j + 1 == g->cols)
            sb_printf(b, "%s%s", g->quoted ? "\"y\"" : "y", sep);
        else if (g->quoted && j == 0)
            sb_printf(b, "\"x \"\"0\"\"\"%s", sep);
        else if (g->quoted && j == 1)
            sb_printf(b, "\"x%s1\"%s", eol, sep);
        else
            sb_printf(b, "x%zu%s", j, sep);
    }
}

/* Row i's bad field, when it is the bad row; returns 1 if it wrote one. */
static int gen_bad(sbuf *b, gen *g, size_t i, size_t j)
{
    if (g->bad == BAD_NONE || i != g->bad_row || j != g->cols / 2)
        return 0;
    g->bad_at[0] = b->len;
    /* Long, so that a rank's raw start can be put inside it on either side
     * of its newline. */
    char pad[121];
    memset(pad, ' ', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    switch (g->bad) {
    case BAD_MALFORMED: sb_printf(b, "1.2.3"); break;
    case BAD_NAN: sb_printf(b, "nan"); break;
    case BAD_QUOTED_NEWLINE:
        sb_printf(b, "\"1%s", pad);
        g->bad_at[1] = b->len;
        sb_printf(b, "%s%s5\"", g->crlf ? "\r\n" : "\n", pad);
        break;
    case BAD_UNTERMINATED: sb_printf(b, "\"1.5"); break;
    default: return 0;
    }
    return 1;
}

/* The file's text; row_off (rows entries, or NULL) gets each row's offset. */
static sbuf gen_text(gen *g, size_t *row_off)
{
    sbuf b = {0};
    dlfs_rng rng;
    const char *eol = g->crlf ? "\r\n" : "\n";
    dlfs_rng_seed(&rng, g->seed);
    gen_header(&b, g, eol);
    for (size_t i = 0; i < g->rows; i++) {
        if (g->blanks && (i == 0 || dlfs_rng_below(&rng, 5) == 0))
            sb_printf(&b, "%s%s", i % 2 ? "  \t" : "", eol);
        if (row_off)
            row_off[i] = b.len;
        size_t cols = g->cols - (g->bad == BAD_SHORT && i == g->bad_row);
        for (size_t j = 0; j < cols; j++) {
            /* The bad field replaces a drawn one, so the rest of the file
             * is the same wherever the bad row is. */
            const size_t mark = b.len;
            gen_field(&b, &rng, g->quoted);
            if (g->bad != BAD_NONE && i == g->bad_row && j == g->cols / 2) {
                b.len = mark;
                gen_bad(&b, g, i, j);
            }
            sb_printf(&b, "%s", j + 1 < cols ? "," : eol);
        }
    }
    if (g->blanks && g->final_newline)
        sb_printf(&b, "%s %s", eol, eol);
    if (!g->final_newline && b.len >= strlen(eol))
        b.len -= strlen(eol);
    return b;
}

static void write_file(const char *path, const sbuf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0)
        abort();
}

/* Rank 0 writes the file of g (and text, when not NULL, verbatim instead);
 * every rank gets its path once it is there. */
static void make_file(const char *name, const gen *g, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    if (rank == 0) {
        sbuf b = {0};
        gen copy;
        if (text) {
            sb_printf(&b, "%s", text);
        } else {
            copy = *g;
            b = gen_text(&copy, NULL);
        }
        write_file(path, &b);
        free(b.p);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* ---- Comparisons -------------------------------------------------------------- */

/* 1 on every rank if ok held on every rank. */
static int all(int ok)
{
    int res;
    MPI_Allreduce(&ok, &res, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return res;
}

static int same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* This rank's shard against the rows of the whole file it should hold. */
static int shard_matches(const dlfs_dataset *w, const dlfs_dist_dataset *d)
{
    const dlfs_dataset *l = &d->local;
    const size_t n = l->X.rows, k = w->X.cols;
    if (d->n_global != w->X.rows || l->X.cols != k || l->y.rows != n ||
        l->y.cols != w->y.cols || d->first_row + n > w->X.rows)
        return 0;
    if (n == 0 && (l->X.data || l->y.data))
        return 0;
    if (n && memcmp(l->X.data, w->X.data + d->first_row * k, n * k * sizeof(double)) != 0)
        return 0;
    if (n && w->y.cols && memcmp(l->y.data, w->y.data + d->first_row, n * sizeof(double)) != 0)
        return 0;
    for (size_t j = 0; j < k; j++)
        if (!same_string(l->feature_names[j], w->feature_names[j]))
            return 0;
    return same_string(l->target_name, w->target_name);
}

/* The shards follow one another in rank order and cover every row. */
static int shards_tile(const dlfs_dist_dataset *d)
{
    unsigned long long n = d->local.X.rows, before = 0, total = 0;
    MPI_Exscan(&n, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&n, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        before = 0;
    return d->first_row == before && d->n_global == total;
}

/* Reads path both ways and checks every rank's shard. */
static void check_same(const char *label, const char *path, const char *target, size_t index)
{
    dlfs_dataset whole;
    dlfs_dist_dataset d;
    dlfs_csv_error e1, e2;
    int ok = dlfs_csv_read(path, target, index, &whole, &e1) == DLFS_OK;
    dlfs_status st = dlfs_dist_csv_read(MPI_COMM_WORLD, path, target, index, &d, &e2);
    if (st)
        fprintf(stderr, "rank %d: %s: %s\n", rank, label, e2.message);
    ok = ok && st == DLFS_OK;
    ok = all(ok) && shards_tile(&d) && shard_matches(&whole, &d);
    unsigned long long n = d.local.X.rows;
    unsigned long long *counts = calloc((size_t)nproc, sizeof *counts);
    MPI_Gather(&n, 1, MPI_UNSIGNED_LONG_LONG, counts, 1, MPI_UNSIGNED_LONG_LONG, 0,
               MPI_COMM_WORLD);
    if (rank == 0) {
        printf("# P=%d %-24s %6zu rows, per rank:", nproc, label, d.n_global);
        for (int r = 0; r < nproc; r++)
            printf(" %llu", counts[r]);
        printf("\n");
    }
    free(counts);
    ok = all(ok);
    dlfs_dataset_free(&whole);
    dlfs_dist_dataset_free(&d);
    assert_true(ok);
}

/* The text of a message after "function: ", the part both readers share. */
static const char *after_fn(const char *msg)
{
    const char *p = strchr(msg, ':');
    return p ? p : msg;
}

/* Reading path must fail on every rank as dlfs_csv_read fails on the whole
 * file (with expect, unless it is DLFS_OK), soon, with the same line, column
 * and text, and the same detail on every rank. */
static void check_fails(const char *label, const char *path, const char *target, size_t index,
                        dlfs_status expect)
{
    dlfs_dataset whole;
    dlfs_dist_dataset d;
    dlfs_csv_error e1, e2;
    dlfs_status s1 = dlfs_csv_read(path, target, index, &whole, &e1);
    const double t0 = MPI_Wtime();
    dlfs_status s2 = dlfs_dist_csv_read(MPI_COMM_WORLD, path, target, index, &d, &e2);
    const double secs = MPI_Wtime() - t0;
    int ok = s1 != DLFS_OK && s2 == s1 && (expect == DLFS_OK || s1 == expect) &&
             e2.line == e1.line && e2.column == e1.column &&
             strcmp(after_fn(e1.message), after_fn(e2.message)) == 0 &&
             strcmp(dlfs_error_detail(), e2.message) == 0 && secs < 20.0 &&
             d.local.X.data == NULL && d.local.feature_names == NULL && d.n_global == 0;
    if (!ok)
        fprintf(stderr, "rank %d: %s: whole %d \"%s\"; dist %d \"%s\"\n", rank, label, s1,
                e1.message, s2, e2.message);
    /* Every rank holds rank 0's report. */
    dlfs_csv_error e0 = e2;
    int s0 = (int)s2;
    MPI_Bcast(&e0, (int)sizeof e0, MPI_BYTE, 0, MPI_COMM_WORLD);
    MPI_Bcast(&s0, 1, MPI_INT, 0, MPI_COMM_WORLD);
    e0.message[sizeof e0.message - 1] = '\0';
    ok = ok && s0 == (int)s2 && e0.line == e2.line && e0.column == e2.column &&
         strcmp(e0.message, e2.message) == 0;
    if (rank == 0)
        printf("# P=%d %-24s %.3fs: %s\n", nproc, label, secs, e2.message);
    ok = all(ok);
    dlfs_dataset_free(&whole);
    dlfs_dist_dataset_free(&d);
    assert_true(ok);
}

/* ---- Tests ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    gen g;
    const char *target;
    size_t index;
} layouts[] = {
    {"lf", {.rows = 200, .cols = 5, .final_newline = 1, .seed = 1}, "y", 0},
    {"lf-no-final-newline", {.rows = 201, .cols = 5, .seed = 2}, NULL, (size_t)-1},
    {"crlf-blank-lines", {.rows = 150, .cols = 4, .crlf = 1, .final_newline = 1, .blanks = 1,
                          .seed = 3}, NULL, 0},
    {"crlf-no-final-newline", {.rows = 97, .cols = 6, .crlf = 1, .blanks = 1, .seed = 4},
     NULL, DLFS_CSV_NO_TARGET},
    {"quoted-blank-lines", {.rows = 300, .cols = 5, .quoted = 1, .blanks = 1,
                            .final_newline = 1, .seed = 5}, "y", 0},
    {"quoted-crlf-bom", {.rows = 123, .cols = 3, .quoted = 1, .crlf = 1, .bom = 1, .seed = 6},
     "x\r\n1", 0},
    {"large", {.rows = 60000, .cols = 8, .final_newline = 1, .blanks = 1, .seed = 7}, "y", 0},
    {"three-rows", {.rows = 3, .cols = 3, .final_newline = 1, .seed = 8}, "y", 0},
    {"one-row-crlf", {.rows = 1, .cols = 2, .crlf = 1, .seed = 9}, "y", 0},
};

/* (1) and the small half of (3): the shards put together are the file. */
static void test_same_as_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        char path[128];
        make_file(layouts[i].name, &layouts[i].g, NULL, path, sizeof path);
        check_same(layouts[i].name, path, layouts[i].target, layouts[i].index);
    }
}

/* The raw start of the last rank: the first byte of its equal share of the
 * body (the bytes after the header). */
static size_t last_raw_start(gen *g, size_t len)
{
    sbuf h = {0};
    gen_header(&h, g, g->crlf ? "\r\n" : "\n");
    const size_t body = h.len;
    free(h.p);
    return body + (len - body) / (size_t)nproc * (size_t)(nproc - 1) +
           (len - body) % (size_t)nproc * (size_t)(nproc - 1) / (size_t)nproc;
}

/* Picks g->bad_row (rank 0 only): for a quoted newline on several ranks, the
 * row that puts the last rank's raw start inside the quoted field, before
 * its newline (side 0) or after it (side 1); else a row in the last quarter. */
static void place_bad_row(gen *g, int side)
{
    g->bad_row = g->rows * 4 / 5;
    if (g->bad != BAD_QUOTED_NEWLINE || nproc == 1)
        return;
    for (int tries = 0; tries < 200; tries++) {
        sbuf b = gen_text(g, NULL);
        const size_t raw = last_raw_start(g, b.len);
        free(b.p);
        const size_t lo = side ? g->bad_at[1] + 1 : g->bad_at[0] + 1;
        const size_t hi = side ? g->bad_at[1] + 100 : g->bad_at[1];
        if (raw >= lo && raw < hi)
            return;
        if (raw < lo && g->bad_row > 0)
            g->bad_row--;
        else if (raw >= hi && g->bad_row + 1 < g->rows)
            g->bad_row++;
        else
            break;
    }
    fprintf(stderr, "could not put the quoted newline at the cut\n");
    abort();
}

/* (2): a bad field in the last quarter of the file, or a quoted newline in
 * the row that holds the last rank's raw start. */
static void test_bad_rows(void **state)
{
    (void)state;
    static const struct { const char *name; int bad; dlfs_status st; } kinds[] = {
        {"malformed", BAD_MALFORMED, DLFS_EPARSE},
        {"nan", BAD_NAN, DLFS_ENONFINITE},
        {"short-row", BAD_SHORT, DLFS_EPARSE},
        {"unterminated", BAD_UNTERMINATED, DLFS_EPARSE},
        {"quoted-newline-cut-before", BAD_QUOTED_NEWLINE, DLFS_EPARSE},
        {"quoted-newline-cut-after", BAD_QUOTED_NEWLINE, DLFS_EPARSE},
    };
    for (int crlf = 0; crlf < 2; crlf++)
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            gen g = {.rows = 400, .cols = 5, .crlf = crlf, .final_newline = 1, .blanks = 1,
                     .quoted = 1, .seed = 20 + i, .bad = kinds[i].bad};
            unsigned long long row = 0;
            if (rank == 0) {
                place_bad_row(&g, strstr(kinds[i].name, "after") != NULL);
                row = g.bad_row;
            }
            MPI_Bcast(&row, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
            g.bad_row = (size_t)row;
            char name[64], path[128];
            snprintf(name, sizeof name, "%s%s", kinds[i].name, crlf ? "-crlf" : "");
            make_file(name, &g, NULL, path, sizeof path);
            check_fails(name, path, "y", 0, kinds[i].st);
        }
}

/* (3): files without a data row, missing files, bad headers. */
static void test_no_rows(void **state)
{
    (void)state;
    static const struct { const char *name, *text, *target; dlfs_status st; } files[] = {
        {"header-only", "a,b,y\n", "y", DLFS_EEMPTY},
        {"header-only-no-newline", "a,b,y", "y", DLFS_EEMPTY},
        {"header-blank-lines", "a,b,y\r\n\r\n  \n\t\r\n", "y", DLFS_EEMPTY},
        {"empty", "", "y", DLFS_EEMPTY},
        {"no-such-target", "a,b,y\n1,2,3\n", "z", DLFS_ENOTFOUND},
        {"bad-header", "a,\"b,y\n1,2,3\n", "y", DLFS_EPARSE},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        make_file(files[i].name, NULL, files[i].text, path, sizeof path);
        check_fails(files[i].name, path, files[i].target, 0, files[i].st);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    check_fails("missing", path, "y", 0, DLFS_EIO);
    check_fails("directory", dir, "y", 0, DLFS_EIO);
}

static void test_null_arguments(void **state)
{
    (void)state;
    dlfs_dist_dataset d;
    dlfs_csv_error e;
    int ok = dlfs_dist_csv_read(MPI_COMM_WORLD, NULL, "y", 0, &d, &e) == DLFS_ENULL &&
             dlfs_dist_csv_read(MPI_COMM_NULL, "x", "y", 0, &d, &e) == DLFS_ENULL;
    dlfs_dist_dataset_free(NULL);
    assert_true(all(ok));
}

/* Rank 0 makes the directory of the files; every rank learns its name. */
static int setup(void **state)
{
    (void)state;
    if (rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/dlfs-dist-csv-XXXXXX");
        if (!mkdtemp(dir))
            dir[0] = '\0';
    }
    MPI_Bcast(dir, (int)sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    return dir[0] ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nproc);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_whole),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_no_rows),
        cmocka_unit_test(test_null_arguments),
    };
    const int failed = cmocka_run_group_tests(tests, setup, teardown);
    MPI_Finalize();
    return failed != 0;
}
