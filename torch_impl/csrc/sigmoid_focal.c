/* Sigmoid focal loss for 0/1 targets, float32: value and closed-form gradient in one fused pass.
 *
 * Plain C (no Python or torch headers), loaded by torch_impl/_kernel.py through ctypes and called on the
 * data pointers of contiguous CPU tensors.  Per element, with s = 2y - 1, z = s x (so p_t = sigmoid(z)):
 *     e  = exp(-|z|) in [0, 1],   L = log1p(e),   r = 1 / (1 + e)
 *     log p_t = min(z, 0) - L,    log q = min(-z, 0) - L,   q = 1 - p_t = (z >= 0 ? e r : r),  p_t = 1 - q
 *     loss = alpha_t q^g (-log p_t)
 *     dloss/dx = s alpha_t q^g (g p_t log p_t - q)        (both terms <= 0: no cancellation)
 * with p_t log p_t set to its limit 0 where p_t = 0 (z = -inf).  exp and log1p are the branch-free polynomials
 * of lossref_math.h (relative error a few float32 ulp), so the loop vectorises; every other quantity is one
 * rounding from them.  Sums are accumulated in double, one partial sum per thread.
 * A target other than exactly 0 or 1 stops the work (at the end of its block): the caller then takes the
 * general path.
 */
#include <stdint.h>
#include <string.h>

#include "lossref_math.h"
#include "lossref_parallel.h"

#define BLOCK 64 /* elements per call of a block function */

enum { GAMMA_0, GAMMA_1, GAMMA_2, GAMMA_3, GAMMA_ANY };

typedef struct {
    float loss;
    float grad;
    int bad;
} Element;

static inline Element element(float x, float y, float gamma, float alpha_pos, float alpha_neg, int mode) {
    Element out;
    const int pos = y == 1.0f;
    out.bad = !(pos || y == 0.0f);
    const float z = pos ? x : -x;
    const int zpos = z >= 0.0f;
    const float e = exp_nonpositive(zpos ? -z : z);
    const float big_l = log1p_unit(e);
    const float r = 1.0f / (1.0f + e);
    const float log_pt = (zpos ? 0.0f : z) - big_l;
    const float q = zpos ? e * r : r;
    const float pt = zpos ? r : e * r;
    float qg;
    switch (mode) {
        case GAMMA_0: qg = 1.0f; break;
        case GAMMA_1: qg = q; break;
        case GAMMA_2: qg = q * q; break;
        case GAMMA_3: qg = q * q * q; break;
        default: qg = exp_nonpositive(gamma * ((zpos ? -z : 0.0f) - big_l)); break; /* q^g = exp(g log q) */
    }
    const float at = pos ? alpha_pos : alpha_neg;
    const float w = at * qg;
    const float pt_log_pt = pt == 0.0f ? 0.0f : pt * log_pt;
    out.loss = -(w * log_pt);
    out.grad = (pos ? w : -w) * (gamma * pt_log_pt - q);
    return out;
}

/* BLOCK elements of one gamma mode.  Every element, the tail's included, goes through this same machine code
 * (not inlined), so elementwise results do not depend on where a thread's chunk starts. */
#define DEFINE_BLOCK(name, mode)                                                                        \
    LOSSREF_CLONES __attribute__((noinline)) static void name(                                         \
        const float *restrict x, const float *restrict y, const float *restrict cot, float gamma,       \
        float alpha_pos, float alpha_neg, float scale, float *restrict loss, float *restrict grad,      \
        int *restrict bad) {                                                                            \
        for (int j = 0; j < BLOCK; ++j) {                                                               \
            const Element el = element(x[j], y[j], gamma, alpha_pos, alpha_neg, mode);                  \
            loss[j] = el.loss;                                                                          \
            grad[j] = el.grad * scale * cot[j];                                                         \
            bad[j] = el.bad;                                                                            \
        }                                                                                               \
    }

DEFINE_BLOCK(block_gamma_0, GAMMA_0)
DEFINE_BLOCK(block_gamma_1, GAMMA_1)
DEFINE_BLOCK(block_gamma_2, GAMMA_2)
DEFINE_BLOCK(block_gamma_3, GAMMA_3)
DEFINE_BLOCK(block_gamma_any, GAMMA_ANY)

typedef void (*BlockFn)(const float *, const float *, const float *, float, float, float, float, float *, float *,
                        int *);

static const float ONES[BLOCK] = {[0 ... BLOCK - 1] = 1.0f};

typedef struct {
    const float *x;
    const float *y;
    float *loss; /* elementwise losses, or NULL */
    float *grad; /* elementwise gradient (times scale and cot), or NULL */
    const float *cot; /* elementwise factor of the gradient, or NULL */
    int64_t begin, end;
    float gamma, alpha_pos, alpha_neg, scale;
    BlockFn block;
    double sum;
    int64_t bad;
} Chunk;

/* One part (a thread's share): blocks of BLOCK elements (the last one zero-padded), lane-wise float64 partial sums,
 * stopping at the first block that holds a target other than 0 or 1. */
static void run_chunk(void *arg, int part) {
    Chunk *c = (Chunk *)arg + part;
    double acc[BLOCK] = {0};
    float loss[BLOCK], grad[BLOCK], xs[BLOCK], ys[BLOCK], cs[BLOCK];
    int bad[BLOCK];
    c->bad = 0;
    for (int64_t i = c->begin; i < c->end; i += BLOCK) {
        const int m = c->end - i < BLOCK ? (int)(c->end - i) : BLOCK;
        const float *xp = c->x + i, *yp = c->y + i, *cp = c->cot ? c->cot + i : ONES;
        if (m < BLOCK) {
            memset(xs, 0, sizeof xs);
            memset(ys, 0, sizeof ys);
            memcpy(cs, ONES, sizeof cs);
            memcpy(xs, xp, (size_t)m * sizeof(float));
            memcpy(ys, yp, (size_t)m * sizeof(float));
            memcpy(cs, cp, (size_t)m * sizeof(float));
            xp = xs;
            yp = ys;
            cp = cs;
        }
        c->block(xp, yp, cp, c->gamma, c->alpha_pos, c->alpha_neg, c->scale, loss, grad, bad);
        int any_bad = 0;
        for (int j = 0; j < m; ++j) {
            acc[j] += (double)loss[j];
            any_bad |= bad[j];
        }
        if (any_bad) {
            c->bad = 1;
            break;
        }
        if (c->loss) memcpy(c->loss + i, loss, (size_t)m * sizeof(float));
        if (c->grad) memcpy(c->grad + i, grad, (size_t)m * sizeof(float));
    }
    c->sum = 0.0;
    for (int j = 0; j < BLOCK; ++j) c->sum += acc[j];
}

/* Evaluates n elements on up to `threads` threads.  Writes the elementwise losses to `loss` and
 * scale * cot * dloss/dx (cot = 1 where it is NULL) to `grad` when they are not NULL, and the sum of the losses
 * to *sum.  Returns 0 on success; a positive count if a target is not exactly 0 or 1 (then the outputs are
 * incomplete), or -1 if a thread could not be started. */
int64_t lossref_sigmoid_focal_f32(const float *x, const float *y, float *loss, float *grad, const float *cot,
                                  int64_t n, double gamma, double alpha_pos, double alpha_neg, double scale,
                                  int threads, double *sum) {
    Chunk chunks[LOSSREF_MAX_PARTS];
    BlockFn block = block_gamma_any;
    if (gamma == 0.0) block = block_gamma_0;
    else if (gamma == 1.0) block = block_gamma_1;
    else if (gamma == 2.0) block = block_gamma_2;
    else if (gamma == 3.0) block = block_gamma_3;
    threads = lossref_parts(threads);
    for (int t = 0; t < threads; ++t) {
        Chunk *c = &chunks[t];
        c->x = x;
        c->y = y;
        c->loss = loss;
        c->grad = grad;
        c->cot = cot;
        c->begin = n * t / threads;
        c->end = n * (t + 1) / threads;
        c->gamma = (float)gamma;
        c->alpha_pos = (float)alpha_pos;
        c->alpha_neg = (float)alpha_neg;
        c->scale = (float)scale;
        c->block = block;
    }
    if (lossref_run(run_chunk, chunks, threads) != 0) return -1;
    double total = 0.0;
    int64_t bad = 0;
    for (int t = 0; t < threads; ++t) {
        total += chunks[t].sum;
        bad += chunks[t].bad;
    }
    *sum = total;
    return bad;
}
