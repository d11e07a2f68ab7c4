/* examples/dlfs-mpi/main.c - dlfs-mpi: the dlfs program's training and
 * prediction on MPI, started by mpirun; rank 0 speaks for all. */
#include <stdio.h>
#include <string.h>

#include <mpi.h>
#include <dlfs/dlfs.h>

#include "cli.h"
#include "mpi_train.h"

static void print_usage(FILE *out)
{
    fputs("Usage: mpirun -np P dlfs-mpi train [options]\n"
          "       mpirun -np P dlfs-mpi predict --model-file MODEL --data FILE.csv [options]\n"
          "       dlfs-mpi COMMAND --help\n"
          "       dlfs-mpi --version\n"
          "\n"
          "Commands:\n"
          "  train      dlfs train on P processes, each reading its share of the rows;\n"
          "             the same model as one process, to rounding\n"
          "  predict    dlfs predict on P processes, each predicting its share of the\n"
          "             rows; the same predictions, written by rank 0\n", out);
}

static int run(int argc, char **argv, int rank, int ranks)
{
    if (argc < 2) {
        if (rank == 0)
            print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (rank == 0)
            print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        if (rank == 0)
            printf("dlfs-mpi %s\n", DLFS_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "train") == 0)
        return mpi_cmd_train(argc - 2, argv + 2, rank, ranks);
    if (strcmp(argv[1], "predict") == 0)
        return mpi_cmd_predict(argc - 2, argv + 2, rank, ranks);
    return cli_error(CLI_EXIT_USAGE, "unknown command '%s' (commands: train, predict; see --help)",
                     argv[1]);
}

int main(int argc, char **argv)
{
    int rank = 0, ranks = 1;
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "dlfs-mpi: MPI_Init failed\n");
        return CLI_EXIT_FAILURE;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    cli_set_program("dlfs-mpi");
    cli_set_quiet(rank != 0);
    /* --help text goes to stdout on rank 0 only */
    if (rank != 0 && !freopen("/dev/null", "w", stdout))
        fprintf(stderr, "dlfs-mpi: rank %d: cannot silence stdout\n", rank);
    const int rc = run(argc, argv, rank, ranks);
    MPI_Finalize();
    return rc;
}
