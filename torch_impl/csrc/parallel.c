/* See lossref_parallel.h. */
#include <pthread.h>

#include "lossref_parallel.h"

/* libgomp's entry points, from the copy torch loaded (the GNU OpenMP ABI) */
typedef void (*GompParallel)(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
typedef int (*OmpInt)(void);
static GompParallel gomp_parallel = 0;
static OmpInt omp_thread_num = 0, omp_num_threads = 0;

/* Called once by torch_impl/_kernel.py with GOMP_parallel, omp_get_thread_num and omp_get_num_threads of
 * torch's libgomp (all three, or none). */
void lossref_use_openmp(void *parallel, void *thread_num, void *num_threads) {
    gomp_parallel = (GompParallel)parallel;
    omp_thread_num = (OmpInt)thread_num;
    omp_num_threads = (OmpInt)num_threads;
}

typedef struct {
    lossref_task task;
    void *ctx;
    int parts;
} Team;

static void run_team(void *arg) {
    const Team *team = (const Team *)arg;
    const int size = omp_num_threads();
    for (int part = omp_thread_num(); part < team->parts; part += size) team->task(team->ctx, part);
}

typedef struct {
    lossref_task task;
    void *ctx;
    int part;
} Part;

static void *run_part(void *arg) {
    const Part *p = (const Part *)arg;
    p->task(p->ctx, p->part);
    return 0;
}

int lossref_parts(int threads) {
    if (threads < 1) return 1;
    return threads > LOSSREF_MAX_PARTS ? LOSSREF_MAX_PARTS : threads;
}

int lossref_run(lossref_task task, void *ctx, int parts) {
    if (parts > 1 && gomp_parallel) {
        Team team = {task, ctx, parts};
        gomp_parallel(run_team, &team, (unsigned)parts, 0);
        return 0;
    }
    Part work[LOSSREF_MAX_PARTS];
    pthread_t ids[LOSSREF_MAX_PARTS];
    int started = 0, failed = 0;
    for (int p = 0; p < parts; ++p) work[p] = (Part){task, ctx, p};
    for (int p = 1; p < parts; ++p) { /* part 0 runs on the calling thread */
        if (pthread_create(&ids[p], 0, run_part, &work[p]) != 0) {
            failed = 1;
            break;
        }
        started = p;
    }
    run_part(&work[0]);
    for (int p = 1; p <= started; ++p) pthread_join(ids[p], 0);
    return failed ? -1 : 0;
}
