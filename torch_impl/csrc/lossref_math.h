/* Shared pieces of lossref's C kernels: function multiversioning and branch-free float32 exp and log1p on
 * the ranges the kernels need, written so that loops calling them vectorise. */
#ifndef LOSSREF_MATH_H
#define LOSSREF_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define LOSSREF_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LOSSREF_CLONES
#endif

static inline float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* exp(a) for a <= 0 (NaN passes through): a = k ln2 + r, |r| <= ln2/2, degree-7 Taylor polynomial
 * (truncation < 6e-9), 2^k applied in two halves so that results down to the subnormals round once. */
static inline float exp_nonpositive(float a) {
    const float clamped = a < -160.0f ? -160.0f : a;
    const float safe = clamped == clamped ? clamped : 0.0f;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    const float k = (safe * 1.44269504088896341f + shifter) - shifter;
    const float r = (safe - k * 0.693359375f) - k * -2.12194440e-4f; /* ln 2 split: k * hi is exact */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t ki = (int32_t)k; /* in [-231, 0] */
    const int32_t k1 = ki / 2;
    const int32_t k2 = ki - k1;
    const float result = p * from_bits((uint32_t)(k1 + 127) << 23) * from_bits((uint32_t)(k2 + 127) << 23);
    return a == a ? result : a;
}

/* log1p(u) for u in [0, 1] (NaN passes through): 2 atanh(s) with s = u / (2 + u) in [0, 1/3], odd series to
 * s^15 (truncation < 2e-9 relative); relative accuracy holds down to the smallest u (s ~ u / 2). */
static inline float log1p_unit(float u) {
    const float s = u / (2.0f + u);
    const float t = s * s;
    float p = 1.0f / 15.0f;
    p = p * t + 1.0f / 13.0f;
    p = p * t + 1.0f / 11.0f;
    p = p * t + 1.0f / 9.0f;
    p = p * t + 1.0f / 7.0f;
    p = p * t + 1.0f / 5.0f;
    p = p * t + 1.0f / 3.0f;
    p = p * t + 1.0f;
    return 2.0f * s * p;
}

#endif
