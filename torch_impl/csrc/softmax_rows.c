/* Row-wise softmax pieces for the index-target softmax losses (cross-entropy with smoothing, focal loss),
 * float32, for contiguous (N, C) logits: the log-sum-exp of every row in the forward pass (nothing N x C is
 * written or kept) and the whole gradient in the backward pass, each in one read of the logits.
 *
 *   forward:  m_i = max_j x_ij,  s_i = log(sum_j exp(x_ij - m_i))   (log_softmax(x)_ij = (x_ij - m_i) - s_i,
 *             exactly as rounded by torch.log_softmax; m_i + s_i would lose low digits for large logits);
 *             smooth_i = sum_j w_j ((x_ij - m_i) - s_i)          (only when asked for)
 *   backward: dx_ij = exp((x_ij - m_i) - s_i) k_i - b_i w_j + a_i [j = t_i]    (k, a, b: one value per row)
 *
 * A NaN in a row makes its s NaN, as does +inf (inf - inf) or a row of -inf, as in torch.log_softmax.
 * Columns are processed 16 lanes at a time with lane-wise maxima and sums (the tail padded), so the loops
 * vectorise without reordering a reduction; exp and log use branch-free polynomials (exp_nonpositive and
 * log1p_unit from lossref_math.h), a few float32 ulp.
 */
#include <stdint.h>
#include <string.h>

#include "lossref_math.h"
#include "lossref_parallel.h"

#define LANES 16

typedef struct {
    const float *x;
    const float *w; /* class weights (ones without weights) */
    const float *a, *b, *k; /* backward: per-row values (b may be NULL: no smoothing term) */
    const int64_t *t;       /* backward: target class per row */
    float *m, *s; /* row maxima and log-sums (outputs of the forward, inputs of the backward) */
    float *smooth; /* forward: sum_j w_j log_softmax(x)_ij, or NULL */
    float *dx;     /* backward output, or NULL for the forward pass */
    int64_t begin, end, c;
} Rows;

/* log(s) for s >= 1 (NaN and +inf pass through): s = 2^e m, m in [1, 2), log s = e ln 2 + log1p(m - 1). */
static inline float log_at_least_one(float s) {
    uint32_t bits;
    memcpy(&bits, &s, sizeof bits);
    const int32_t e = (int32_t)((bits >> 23) & 0xff) - 127;
    const float m = from_bits((bits & 0x007fffffu) | 0x3f800000u);
    const float r = (float)e * 0.693359375f + ((float)e * -2.12194440e-4f + log1p_unit(m - 1.0f));
    return s == s && s != INFINITY ? r : s;
}

static inline float row_max(const float *x, int64_t c) {
    float mx[LANES], pad[LANES];
    int nan[LANES];
    for (int l = 0; l < LANES; ++l) {
        mx[l] = -INFINITY;
        nan[l] = 0;
    }
    int64_t j = 0;
    for (; j + LANES <= c; j += LANES) {
        for (int l = 0; l < LANES; ++l) {
            const float v = x[j + l];
            mx[l] = v > mx[l] ? v : mx[l];
            nan[l] |= v != v;
        }
    }
    for (int l = 0; l < LANES; ++l) pad[l] = j + l < c ? x[j + l] : -INFINITY;
    float m = -INFINITY;
    int any_nan = 0;
    for (int l = 0; l < LANES; ++l) {
        m = pad[l] > m ? pad[l] : m;
        any_nan |= nan[l] | (pad[l] != pad[l]);
        m = mx[l] > m ? mx[l] : m;
    }
    return any_nan ? NAN : m;
}

/* sum_j exp(x_j - m) (m >= every x_j, or NaN) */
static inline float row_sum_exp(const float *x, int64_t c, float m) {
    float acc[LANES] = {0}, pad[LANES];
    int64_t j = 0;
    for (; j + LANES <= c; j += LANES)
        for (int l = 0; l < LANES; ++l) acc[l] += exp_nonpositive(x[j + l] - m);
    for (int l = 0; l < LANES; ++l) pad[l] = j + l < c ? x[j + l] - m : -INFINITY;
    float s = 0.0f;
    for (int l = 0; l < LANES; ++l) s += acc[l] + exp_nonpositive(pad[l]);
    return s;
}

/* sum_j w_j ((x_j - m) - ls) */
static inline float row_weighted_sum(const float *x, const float *w, int64_t c, float m, float ls) {
    float acc[LANES] = {0}, pad[LANES];
    int64_t j = 0;
    for (; j + LANES <= c; j += LANES)
        for (int l = 0; l < LANES; ++l) acc[l] += w[j + l] * ((x[j + l] - m) - ls);
    for (int l = 0; l < LANES; ++l) pad[l] = j + l < c ? w[j + l] * ((x[j + l] - m) - ls) : 0.0f;
    float sum = 0.0f;
    for (int l = 0; l < LANES; ++l) sum += acc[l] + pad[l];
    return sum;
}

/* dx_j = exp((x_j - m) - ls) k - b w_j for every j (the target's a_i is added by the caller) */
static inline void row_grad(const float *restrict x, const float *restrict w, int64_t c, float m, float ls, float k,
                            float b, float *restrict dx) {
    for (int64_t j = 0; j < c; ++j) dx[j] = exp_nonpositive((x[j] - m) - ls) * k - b * w[j];
}

#define SMALL_C 256 /* up to this many classes, LANES rows are processed side by side (transposed) */

/* LANES rows side by side: xt[j][l] = x[row l][class j] (rows past the end are 0).  Every per-row quantity
 * is then one lane of a vector, so maxima, sums and exps run LANES rows at a time. */
static inline void block_forward(const float (*xt)[LANES], int64_t c, const float *w, float *m, float *ls,
                                 float *smooth) {
    float s[LANES] = {0};
    int nan[LANES] = {0};
    for (int l = 0; l < LANES; ++l) m[l] = -INFINITY;
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) {
            m[l] = xt[j][l] > m[l] ? xt[j][l] : m[l];
            nan[l] |= xt[j][l] != xt[j][l];
        }
    for (int l = 0; l < LANES; ++l) m[l] = nan[l] ? NAN : m[l];
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) s[l] += exp_nonpositive(xt[j][l] - m[l]);
    for (int l = 0; l < LANES; ++l) ls[l] = log_at_least_one(s[l]);
    if (smooth) {
        float acc[LANES] = {0};
        for (int64_t j = 0; j < c; ++j)
            for (int l = 0; l < LANES; ++l) acc[l] += w[j] * ((xt[j][l] - m[l]) - ls[l]);
        memcpy(smooth, acc, sizeof acc);
    }
}

static inline void block_grad(float (*xt)[LANES], int64_t c, const float *w, const float *m, const float *ls,
                              const float *k, const float *b) {
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) xt[j][l] = exp_nonpositive((xt[j][l] - m[l]) - ls[l]) * k[l] - b[l] * w[j];
}

/* One thread's rows; the helpers above are inlined into each clone. */
LOSSREF_CLONES static void process_rows(Rows *r) {
    const int64_t c = r->c;
    int64_t i = r->begin;
    if (c <= SMALL_C) {
        float xt[SMALL_C][LANES];
        float m[LANES], ls[LANES], smooth[LANES], k[LANES], b[LANES];
        for (; i < r->end; i += LANES) {
            const int rows = r->end - i < LANES ? (int)(r->end - i) : LANES;
            for (int l = 0; l < LANES; ++l)
                for (int64_t j = 0; j < c; ++j) xt[j][l] = l < rows ? r->x[(i + l) * c + j] : 0.0f;
            if (r->dx == NULL) {
                block_forward((const float (*)[LANES])xt, c, r->w, m, ls, r->smooth ? smooth : NULL);
                memcpy(r->m + i, m, (size_t)rows * sizeof(float));
                memcpy(r->s + i, ls, (size_t)rows * sizeof(float));
                if (r->smooth) memcpy(r->smooth + i, smooth, (size_t)rows * sizeof(float));
            } else {
                for (int l = 0; l < LANES; ++l) {
                    m[l] = l < rows ? r->m[i + l] : 0.0f;
                    ls[l] = l < rows ? r->s[i + l] : 0.0f;
                    k[l] = l < rows ? r->k[i + l] : 0.0f;
                    b[l] = l < rows && r->b ? r->b[i + l] : 0.0f;
                }
                block_grad(xt, c, r->w, m, ls, k, b);
                for (int l = 0; l < rows; ++l) {
                    float *dx = r->dx + (i + l) * c;
                    for (int64_t j = 0; j < c; ++j) dx[j] = xt[j][l];
                    dx[r->t[i + l]] += r->a[i + l];
                }
            }
        }
        return;
    }
    for (; i < r->end; ++i) { /* many classes: one row at a time, LANES classes side by side */
        const float *x = r->x + i * c;
        if (r->dx == NULL) {
            const float m = row_max(x, c);
            const float ls = log_at_least_one(row_sum_exp(x, c, m));
            r->m[i] = m;
            r->s[i] = ls;
            if (r->smooth) r->smooth[i] = row_weighted_sum(x, r->w, c, m, ls);
        } else {
            float *dx = r->dx + i * c;
            row_grad(x, r->w, c, r->m[i], r->s[i], r->k[i], r->b ? r->b[i] : 0.0f, dx);
            dx[r->t[i]] += r->a[i];
        }
    }
}

static void run_rows(void *arg, int part) { process_rows((Rows *)arg + part); }

#define MAX_THREADS 256

static int run_parallel(const Rows *proto, int64_t n, int threads) {
    Rows rows[MAX_THREADS];
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    for (int t = 0; t < threads; ++t) {
        rows[t] = *proto;
        rows[t].begin = n * t / threads;
        rows[t].end = n * (t + 1) / threads;
    }
    return lossref_run(run_rows, rows, threads);
}

/* Forward: m and s (n values each) and, when smooth is not NULL, sum_j w_j log_softmax(x)_ij.  Returns 0, or
 * -1 if a thread could not be started (then the outputs are incomplete). */
int lossref_softmax_rows_f32(const float *x, int64_t n, int64_t c, const float *w, float *m, float *s, float *smooth,
                             int threads) {
    Rows proto = {x, w, NULL, NULL, NULL, NULL, m, s, smooth, NULL, 0, 0, c};
    return run_parallel(&proto, n, threads);
}

/* Backward: dx (n x c) from the forward's m and s and the per-row k, a, b (b NULL: 0); t[i] in [0, c). */
int lossref_softmax_grad_f32(const float *x, int64_t n, int64_t c, const float *w, const float *m, const float *s,
                             const float *k, const float *a, const float *b, const int64_t *t, float *dx,
                             int threads) {
    Rows proto = {x, w, a, b, k, t, (float *)m, (float *)s, NULL, dx, 0, 0, c};
    return run_parallel(&proto, n, threads);
}
