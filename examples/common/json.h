/* examples/common/json.h - a small JSON writer: one object on one line, the
 * last line of a program's stdout. */
#ifndef DLFS_EXAMPLES_JSON_H
#define DLFS_EXAMPLES_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_json {
    FILE *out;
    int first;  /* no member written yet at this nesting level */
} cli_json;

void cli_json_begin(cli_json *j, FILE *out);
void cli_json_string(cli_json *j, const char *key, const char *value); /* NULL: null */
void cli_json_number(cli_json *j, const char *key, double value);     /* %.17g; NaN, Inf: null */
void cli_json_size(cli_json *j, const char *key, size_t value);
void cli_json_u64(cli_json *j, const char *key, uint64_t value);
void cli_json_bool(cli_json *j, const char *key, int value);
void cli_json_null(cli_json *j, const char *key);
/* Nested containers: key NULL inside an array. */
void cli_json_open(cli_json *j, const char *key, char bracket);  /* '{' or '[' */
void cli_json_close(cli_json *j, char bracket);                  /* '}' or ']' */
/* Ends the outer object and the line. */
void cli_json_end(cli_json *j);

#endif
