/* Row-wise softmax pieces for the index-target softmax losses (cross-entropy with smoothing, focal loss),
 * float32, for contiguous (N, C) logits: the log-sum-exp of every row in the forward pass (nothing N x C is
 * written or kept) and the whole gradient in the backward pass, each in one read of the logits.
 *
 *   forward:  m_i = max_j x_ij,  s_i = log(sum_j exp(x_ij - m_i))   (log_softmax(x)_ij = (x_ij - m_i) - s_i,
 *             exactly as rounded by torch.log_softmax; m_i + s_i would lose low digits for large logits);
 *             smooth_i = sum_j w_j ((x_ij - m_i) - s_i)          (only when asked for)
 *   backward: dx_ij = exp((x_ij - m_i) - s_i) k_i - b_i w_j + a_i [j = t_i]    (k, a, b: one value per row)
 * and, for losses of the softmax probabilities P linear per class (soft-F1: dL/dP_ij = A_j + [j = t_i] B_j),
 *   forward:  m_i, s_i and the column sums S_j = sum_{kept i} P_ij (float64, one partial sum per part);
 *   backward: dx_ij = P_ij (A_j - r_i) + [j = t_i] P_ij B_j,  r_i = sum_k P_ik A_k + P_it B_t  (0 if not kept)
 *
 * A NaN in a row makes its s NaN, as does +inf (inf - inf) or a row of -inf, as in torch.log_softmax.
 * Rows (up to 256 classes) or columns are processed 16 lanes at a time with lane-wise maxima and float64
 * sums, so the loops vectorise without reordering a reduction; exp and log use branch-free polynomials (exp_nonpositive and
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
    float *u_t;    /* forward: log_softmax(x)_{i, t_i}, or NULL */
    float *dx;     /* backward output, or NULL for the forward pass */
    const float *keep; /* per row 1 (kept) or 0 (ignored): column sums and the linear backward */
    double *colsum;    /* forward: this part's column sums (c values), or NULL */
    const float *ca, *cb; /* linear backward: A and B (c values each); NULL for the row backward */
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
    double acc[LANES] = {0};
    float pad[LANES];
    int64_t j = 0;
    for (; j + LANES <= c; j += LANES)
        for (int l = 0; l < LANES; ++l) acc[l] += (double)exp_nonpositive(x[j + l] - m);
    for (int l = 0; l < LANES; ++l) pad[l] = j + l < c ? x[j + l] - m : -INFINITY;
    double s = 0.0;
    for (int l = 0; l < LANES; ++l) s += acc[l] + (double)exp_nonpositive(pad[l]);
    return (float)s;
}

/* sum_j w_j ((x_j - m) - ls) */
static inline float row_weighted_sum(const float *x, const float *w, int64_t c, float m, float ls) {
    double acc[LANES] = {0};
    float pad[LANES];
    int64_t j = 0;
    for (; j + LANES <= c; j += LANES)
        for (int l = 0; l < LANES; ++l) acc[l] += (double)(w[j + l] * ((x[j + l] - m) - ls));
    for (int l = 0; l < LANES; ++l) pad[l] = j + l < c ? w[j + l] * ((x[j + l] - m) - ls) : 0.0f;
    double sum = 0.0;
    for (int l = 0; l < LANES; ++l) sum += acc[l] + (double)pad[l];
    return (float)sum;
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
    double s[LANES] = {0};
    int nan[LANES] = {0};
    for (int l = 0; l < LANES; ++l) m[l] = -INFINITY;
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) {
            m[l] = xt[j][l] > m[l] ? xt[j][l] : m[l];
            nan[l] |= xt[j][l] != xt[j][l];
        }
    for (int l = 0; l < LANES; ++l) m[l] = nan[l] ? NAN : m[l];
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) s[l] += (double)exp_nonpositive(xt[j][l] - m[l]);
    for (int l = 0; l < LANES; ++l) ls[l] = log_at_least_one((float)s[l]);
    if (smooth) {
        double acc[LANES] = {0};
        for (int64_t j = 0; j < c; ++j)
            for (int l = 0; l < LANES; ++l) acc[l] += (double)(w[j] * ((xt[j][l] - m[l]) - ls[l]));
        for (int l = 0; l < LANES; ++l) smooth[l] = (float)acc[l];
    }
}

static inline void block_grad(float (*xt)[LANES], int64_t c, const float *w, const float *m, const float *ls,
                              const float *k, const float *b) {
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) xt[j][l] = exp_nonpositive((xt[j][l] - m[l]) - ls[l]) * k[l] - b[l] * w[j];
}

/* colsum[j] += sum over the kept lanes of P = exp((x - m) - ls) */
static inline void block_colsum(const float (*xt)[LANES], int64_t c, const float *m, const float *ls,
                                const float *keep, double (*acc)[LANES]) {
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) {
            const float p = exp_nonpositive((xt[j][l] - m[l]) - ls[l]);
            acc[j][l] += keep[l] != 0.0f ? (double)p : 0.0;
        }
}

/* xt <- P (A - r) in place, r = sum_k P_k A_k + P_t B_t; pt[l] <- P_t B_t (added at the target afterwards) */
static inline void block_linear_grad(float (*xt)[LANES], int64_t c, const float *m, const float *ls,
                                     const float *keep, const float *ca, const float *cb, const int64_t *t,
                                     int rows, float *pt) {
    float r[LANES] = {0};
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) {
            const float p = exp_nonpositive((xt[j][l] - m[l]) - ls[l]);
            xt[j][l] = keep[l] != 0.0f ? p : 0.0f;
            r[l] += xt[j][l] * ca[j];
        }
    for (int l = 0; l < LANES; ++l) {
        pt[l] = l < rows ? xt[t[l]][l] * cb[t[l]] : 0.0f;
        r[l] += pt[l];
    }
    for (int64_t j = 0; j < c; ++j)
        for (int l = 0; l < LANES; ++l) xt[j][l] *= ca[j] - r[l];
}

/* xt (LANES rows side by side) back to `rows` row-major rows of c values at dx. */
static inline void store_block(float (*xt)[LANES], int64_t c, int rows, float *dx) {
    if (rows == LANES) {
        for (int64_t j = 0; j < c; ++j)
            for (int l = 0; l < LANES; ++l) dx[l * c + j] = xt[j][l];
        return;
    }
    for (int l = 0; l < rows; ++l)
        for (int64_t j = 0; j < c; ++j) dx[l * c + j] = xt[j][l];
}

/* One thread's rows; the helpers above are inlined into each clone. */
LOSSREF_CLONES static void process_rows(Rows *r) {
    const int64_t c = r->c;
    int64_t i = r->begin;
    if (c <= SMALL_C) {
        float xt[SMALL_C][LANES];
        double acc[SMALL_C][LANES];
        float m[LANES], ls[LANES], smooth[LANES], k[LANES], b[LANES], keep[LANES], pt[LANES];
        if (r->colsum) memset(acc, 0, sizeof acc);
        for (; i < r->end; i += LANES) {
            const int rows = r->end - i < LANES ? (int)(r->end - i) : LANES;
            if (rows == LANES) {
                const float *base = r->x + i * c;
                for (int64_t j = 0; j < c; ++j)
                    for (int l = 0; l < LANES; ++l) xt[j][l] = base[l * c + j];
            } else {
                for (int l = 0; l < LANES; ++l)
                    for (int64_t j = 0; j < c; ++j) xt[j][l] = l < rows ? r->x[(i + l) * c + j] : 0.0f;
            }
            for (int l = 0; l < LANES; ++l) keep[l] = l < rows && r->keep ? r->keep[i + l] : 0.0f;
            if (r->dx == NULL) {
                block_forward((const float (*)[LANES])xt, c, r->w, m, ls, r->smooth ? smooth : NULL);
                memcpy(r->m + i, m, (size_t)rows * sizeof(float));
                memcpy(r->s + i, ls, (size_t)rows * sizeof(float));
                if (r->smooth) memcpy(r->smooth + i, smooth, (size_t)rows * sizeof(float));
                if (r->u_t)
                    for (int l = 0; l < rows; ++l) r->u_t[i + l] = (r->x[(i + l) * c + r->t[i + l]] - m[l]) - ls[l];
                if (r->colsum) block_colsum((const float (*)[LANES])xt, c, m, ls, keep, acc);
            } else if (r->ca) {
                for (int l = 0; l < LANES; ++l) {
                    m[l] = l < rows ? r->m[i + l] : 0.0f;
                    ls[l] = l < rows ? r->s[i + l] : 0.0f;
                }
                block_linear_grad(xt, c, m, ls, keep, r->ca, r->cb, r->t + i, rows, pt);
                store_block(xt, c, rows, r->dx + i * c);
                for (int l = 0; l < rows; ++l) r->dx[(i + l) * c + r->t[i + l]] += pt[l];
            } else {
                for (int l = 0; l < LANES; ++l) {
                    m[l] = l < rows ? r->m[i + l] : 0.0f;
                    ls[l] = l < rows ? r->s[i + l] : 0.0f;
                    k[l] = l < rows ? r->k[i + l] : 0.0f;
                    b[l] = l < rows && r->b ? r->b[i + l] : 0.0f;
                }
                block_grad(xt, c, r->w, m, ls, k, b);
                store_block(xt, c, rows, r->dx + i * c);
                for (int l = 0; l < rows; ++l) r->dx[(i + l) * c + r->t[i + l]] += r->a[i + l];
            }
        }
        if (r->colsum)
            for (int64_t j = 0; j < c; ++j) {
                double total = 0.0;
                for (int l = 0; l < LANES; ++l) total += acc[j][l];
                r->colsum[j] = total;
            }
        return;
    }
    if (r->colsum) memset(r->colsum, 0, (size_t)c * sizeof(double));
    for (; i < r->end; ++i) { /* many classes: one row at a time, LANES classes side by side */
        const float *x = r->x + i * c;
        if (r->dx == NULL) {
            const float m = row_max(x, c);
            const float ls = log_at_least_one(row_sum_exp(x, c, m));
            r->m[i] = m;
            r->s[i] = ls;
            if (r->smooth) r->smooth[i] = row_weighted_sum(x, r->w, c, m, ls);
            if (r->u_t) r->u_t[i] = (x[r->t[i]] - m) - ls;
            if (r->colsum && r->keep[i] != 0.0f)
                for (int64_t j = 0; j < c; ++j) r->colsum[j] += (double)exp_nonpositive((x[j] - m) - ls);
        } else if (r->ca) {
            float *dx = r->dx + i * c;
            const int kept = r->keep[i] != 0.0f;
            float dot = 0.0f;
            for (int64_t j = 0; j < c; ++j) {
                dx[j] = kept ? exp_nonpositive((x[j] - r->m[i]) - r->s[i]) : 0.0f;
                dot += dx[j] * r->ca[j];
            }
            const float pt = dx[r->t[i]] * r->cb[r->t[i]];
            dot += pt;
            for (int64_t j = 0; j < c; ++j) dx[j] *= r->ca[j] - dot;
            dx[r->t[i]] += pt;
        } else {
            float *dx = r->dx + i * c;
            row_grad(x, r->w, c, r->m[i], r->s[i], r->k[i], r->b ? r->b[i] : 0.0f, dx);
            dx[r->t[i]] += r->a[i];
        }
    }
}

static void run_rows(void *arg, int part) { process_rows((Rows *)arg + part); }

/* Splits the rows into lossref_parts(threads) parts; with `scratch`, part t writes its column sums to
 * scratch + t * c. */
static int run_parallel(const Rows *proto, int64_t n, int threads, double *scratch) {
    Rows rows[LOSSREF_MAX_PARTS];
    threads = lossref_parts(threads);
    for (int t = 0; t < threads; ++t) {
        rows[t] = *proto;
        rows[t].begin = n * t / threads;
        rows[t].end = n * (t + 1) / threads;
        rows[t].colsum = scratch ? scratch + t * proto->c : NULL;
    }
    return lossref_run(run_rows, rows, threads);
}

/* Forward: m and s (n values each), and when not NULL, smooth_i = sum_j w_j log_softmax(x)_ij and
 * u_t_i = log_softmax(x)_{i, t_i} (t: n class indices in [0, c)).  Returns 0, or -1 if a thread could not be
 * started (then the outputs are incomplete). */
int lossref_softmax_rows_f32(const float *x, int64_t n, int64_t c, const float *w, const int64_t *t, float *m,
                             float *s, float *smooth, float *u_t, int threads) {
    Rows proto = {x, w, NULL, NULL, NULL, t, m, s, smooth, u_t, NULL, NULL, NULL, NULL, NULL, 0, 0, c};
    return run_parallel(&proto, n, threads, NULL);
}

/* Forward of the linear-in-P losses: m, s and colsum[j] = sum_{i: keep_i != 0} P_ij (c values, float64).
 * `scratch` holds threads * c doubles (one partial sum per part).  Returns 0, or -1 (see above). */
int lossref_softmax_colsum_f32(const float *x, int64_t n, int64_t c, const float *keep, float *m, float *s,
                               double *colsum, double *scratch, int threads) {
    Rows proto = {x, NULL, NULL, NULL, NULL, NULL, m, s, NULL, NULL, NULL, keep, scratch, NULL, NULL, 0, 0, c};
    threads = lossref_parts(threads); /* the parts run_parallel makes: one partial sum each */
    if (run_parallel(&proto, n, threads, scratch) != 0) return -1;
    for (int64_t j = 0; j < c; ++j) {
        double total = 0.0;
        for (int t = 0; t < threads; ++t) total += scratch[t * c + j];
        colsum[j] = total;
    }
    return 0;
}

/* Backward of the linear-in-P losses: dx (n x c) from the forward's m and s, per-class A and B, t[i] in
 * [0, c) (also on rows that are not kept, whose gradient is 0). */
int lossref_softmax_linear_grad_f32(const float *x, int64_t n, int64_t c, const float *keep, const float *m,
                                    const float *s, const float *ca, const float *cb, const int64_t *t, float *dx,
                                    int threads) {
    Rows proto = {x, NULL, NULL, NULL, NULL, t, (float *)m, (float *)s, NULL, NULL, dx, keep, NULL, ca, cb, 0, 0, c};
    return run_parallel(&proto, n, threads, NULL);
}

/* Backward: dx (n x c) from the forward's m and s and the per-row k, a, b (b NULL: 0); t[i] in [0, c). */
int lossref_softmax_grad_f32(const float *x, int64_t n, int64_t c, const float *w, const float *m, const float *s,
                             const float *k, const float *a, const float *b, const int64_t *t, float *dx,
                             int threads) {
    Rows proto = {x, w, a, b, k, t, (float *)m, (float *)s, NULL, NULL, dx, NULL, NULL, NULL, NULL, 0, 0, c};
    return run_parallel(&proto, n, threads, NULL);
}
