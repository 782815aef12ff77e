/* Running a kernel's parts in parallel: on the OpenMP thread pool that torch itself uses, when
 * torch_impl/_kernel.py found it (lossref_use_openmp), else on fresh POSIX threads.  Sharing torch's pool
 * matters: its idle workers spin for a while after every parallel torch op, and threads of our own would
 * compete with them for the cores. */
#ifndef LOSSREF_PARALLEL_H
#define LOSSREF_PARALLEL_H

typedef void (*lossref_task)(void *ctx, int part);

#define LOSSREF_MAX_PARTS 256

/* The number of parts a kernel splits its work into for `threads` threads: in [1, LOSSREF_MAX_PARTS]. */
int lossref_parts(int threads);

/* Runs task(ctx, part) for every part in [0, parts), parts = lossref_parts(...).  Returns 0, or -1 if a thread could not be started
 * (then some parts did not run). */
int lossref_run(lossref_task task, void *ctx, int parts);

#endif
