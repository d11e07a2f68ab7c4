# tests/mpi_env.sh - the environment of every test that starts mpirun,
# sourced by them (tests/mpirun.sh, tests/test_mpi_cli.sh); SOURCE_ROOT must
# be set.

# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's own allocations outlive MPI_Finalize; nothing of dlfs is suppressed.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SOURCE_ROOT/tests/lsan-mpi.supp"
# Keep Open MPI's plugins loaded past MPI_Finalize, so that LeakSanitizer can
# name their allocations (and the suppressions match them) instead of
# reporting them from an "<unknown module>".
export OMPI_MCA_mca_base_component_disable_dlclose=1
# Open MPI is built without frame pointers: the fast unwinder stops at the
# first frame, too soon for a suppression to see which library allocated.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
