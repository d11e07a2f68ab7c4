/* examples/dlfs-mpi/mpi_train.h - the commands of dlfs-mpi. */
#ifndef DLFS_EXAMPLES_MPI_TRAIN_H
#define DLFS_EXAMPLES_MPI_TRAIN_H

/* `dlfs-mpi train`: the arguments after the command's name, this process's
 * rank and the number of ranks; an exit status, the same on every rank. */
int mpi_cmd_train(int argc, char **argv, int rank, int ranks);

#endif
