/* examples/dlfs-mpi/mpi_train.h - the commands of dlfs-mpi. */
#ifndef DLFS_EXAMPLES_MPI_TRAIN_H
#define DLFS_EXAMPLES_MPI_TRAIN_H

/* `dlfs-mpi train`: the arguments after the command's name, this process's
 * rank and the number of ranks; an exit status, the same on every rank. */
int mpi_cmd_train(int argc, char **argv, int rank, int ranks);

/* `dlfs-mpi predict`: as mpi_cmd_train(). */
int mpi_cmd_predict(int argc, char **argv, int rank, int ranks);

/* The worst exit status over the ranks of MPI_COMM_WORLD (collective): what
 * every rank returns after a local step. When a rank other than 0 failed
 * first (and rank 0 did not), rank 0 prints that rank's cli_error message,
 * so that one message says what went wrong wherever it did. */
int mpi_agree(int rc);

#endif
