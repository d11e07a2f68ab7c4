/* examples/common/json.c - one JSON object on one line; see json.h. */
#include "json.h"

#include <math.h>

static void json_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The separator and the key of the next member (no key inside arrays). */
static void json_key(cli_json *j, const char *key)
{
    if (!j->first)
        fputc(',', j->out);
    j->first = 0;
    if (key) {
        json_quoted(j->out, key);
        fputc(':', j->out);
    }
}

void cli_json_begin(cli_json *j, FILE *out)
{
    j->out = out;
    j->first = 1;
    fputc('{', out);
}

void cli_json_string(cli_json *j, const char *key, const char *value)
{
    json_key(j, key);
    if (value)
        json_quoted(j->out, value);
    else
        fputs("null", j->out);
}

void cli_json_number(cli_json *j, const char *key, double value)
{
    json_key(j, key);
    if (isfinite(value))
        fprintf(j->out, "%.17g", value);
    else
        fputs("null", j->out);
}

void cli_json_size(cli_json *j, const char *key, size_t value)
{
    json_key(j, key);
    fprintf(j->out, "%zu", value);
}

void cli_json_u64(cli_json *j, const char *key, uint64_t value)
{
    json_key(j, key);
    fprintf(j->out, "%llu", (unsigned long long)value);
}

void cli_json_bool(cli_json *j, const char *key, int value)
{
    json_key(j, key);
    fputs(value ? "true" : "false", j->out);
}

void cli_json_null(cli_json *j, const char *key)
{
    json_key(j, key);
    fputs("null", j->out);
}

void cli_json_open(cli_json *j, const char *key, char bracket)
{
    json_key(j, key);
    fputc(bracket, j->out);
    j->first = 1;
}

void cli_json_close(cli_json *j, char bracket)
{
    fputc(bracket, j->out);
    j->first = 0;  /* the container just closed is a member of its parent */
}

void cli_json_end(cli_json *j)
{
    fputs("}\n", j->out);
    fflush(j->out);
}
