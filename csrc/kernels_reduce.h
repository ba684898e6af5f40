/*
 * kernels_reduce.h: C loops of the reduction family (ops_reduce.pxi).
 *
 * Two shapes of loop:
 *  - folds, run by pyad_nd_apply over the input's shape with the accumulator broadcast
 *    (byte step 0 on reduced dims): acc = UPDATE(acc, x[, y]). max/min/prod/all/any/norm
 *    and the two-pass sums of var and logsumexp;
 *  - line loops over a (outer, n, inner) view of one dim: argmax, cumsum, cumprod and the
 *    backward of prod and cumprod (exact with zeros, no division).
 * Elementwise backward formulas are nd_apply loops over the input's shape with the reduced
 * operands broadcast. No Python here.
 */
#ifndef PYAD_KERNELS_REDUCE_H
#define PYAD_KERNELS_REDUCE_H

#include "pyad_kernels.h"

/* ---- folds: args = x, acc  (acc may repeat through a zero step) ---- */
#define RD_FOLD(NAME, TI, TA, UPDATE)                                                      \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        (void)c;                                                                           \
        if (steps[1] == 0) {                                                               \
            TA a = *(TA *)a1;                                                              \
            for (i = 0; i < n; i++, a0 += steps[0]) { TI x = *(const TI *)a0; UPDATE; }    \
            *(TA *)a1 = a;                                                                 \
        } else {                                                                           \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1]) {                      \
                TI x = *(const TI *)a0; TA a = *(TA *)a1; UPDATE; *(TA *)a1 = a;           \
            }                                                                              \
        }                                                                                  \
    }

/* ---- a strided loop over NOPS operands; the body sees their pointers p[0..NOPS) ---- */
#define RD_STRIDED(NAME, NOPS, ...)                                                        \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        int k;                                                                             \
        char *p[NOPS];                                                                     \
        (void)c;                                                                           \
        for (k = 0; k < NOPS; k++) p[k] = args[k];                                         \
        for (i = 0; i < n; i++) {                                                          \
            __VA_ARGS__;                                                                   \
            for (k = 0; k < NOPS; k++) p[k] += steps[k];                                   \
        }                                                                                  \
    }

/* two-operand folds: x, y (reduced shape, broadcast), acc */
#define RD_FOLD2(NAME, TI, TA, UPDATE)                                                     \
    RD_STRIDED(NAME, 3, TI x = *(const TI *)p[0]; TI y = *(const TI *)p[1];               \
               TA a = *(TA *)p[2]; UPDATE; *(TA *)p[2] = a)

/* elementwise with four inputs: g, x, y, z -> out */
#define RD_MAP4(NAME, T, EXPR)                                                             \
    RD_STRIDED(NAME, 5, T g = *(const T *)p[0]; T x = *(const T *)p[1];                   \
               T y = *(const T *)p[2]; T z = *(const T *)p[3]; (void)z;                    \
               *(T *)p[4] = (T)(EXPR))

/* finalisers: acc (TA) [, m (TO)] -> out (TO) */
#define RD_FIN(NAME, TA, TO, EXPR)                                                         \
    RD_STRIDED(NAME, 2, TA a = *(const TA *)p[0]; *(TO *)p[1] = (TO)(EXPR))
#define RD_FIN2(NAME, TA, TO, EXPR)                                                        \
    RD_STRIDED(NAME, 3, TA a = *(const TA *)p[0]; TO m = *(const TO *)p[1];               \
               *(TO *)p[2] = (TO)(EXPR))

/* torch's sgn of a real number: 0 for 0 and for NaN */
#define RD_SGN(x) ((double)(((x) > 0) - ((x) < 0)))

/* max/min propagate NaN, as torch does */
#define RD_GT(x, a) ((x) > (a) || (x) != (x))
#define RD_LT(x, a) ((x) < (a) || (x) != (x))

/* max/min of a contiguous run, vectorised: the float's bits turned into an integer key that
 * orders as the values do (negative floats' magnitude bits flipped), and the extreme key found
 * with 8 partial results (integer compares, which GCC vectorises; it keeps a float compare in
 * a select as a branch). The run is left to the sequential loop (returns 0) when it holds a
 * NaN or its extreme is a zero (-0 and +0 tie, and the sequential loop keeps the first one
 * seen), so the result is always the sequential loop's. The key transform is an involution.
 * float32 only, one copy (the baseline's), which SSE2 vectorises: SSE2 has no 64-bit integer
 * compare for float64's keys, and AVX copies of these cost the wheel 16 kB. */
#define RD_EXTREME_RUN(NAME, T, S, SHIFT, MAGNITUDE, INF, IS_MIN)                          \
    PYAD_ONCE(int, NAME, (const T *restrict x, pyad_ssize_t n, T *out), {                  \
        S p[8], b, k, best, nan = 0;                                                       \
        pyad_ssize_t i;                                                                    \
        int j;                                                                             \
        for (j = 0; j < 8; j++) {                                                          \
            memcpy(&b, &x[j], sizeof b);                                                   \
            nan |= (S)((b & MAGNITUDE) > INF);                                             \
            p[j] = b ^ ((b >> SHIFT) & MAGNITUDE);                                         \
        }                                                                                  \
        for (i = 8; i + 8 <= n; i += 8)                                                    \
            for (j = 0; j < 8; j++) {                                                      \
                memcpy(&b, &x[i + j], sizeof b);                                           \
                nan |= (S)((b & MAGNITUDE) > INF);                                         \
                k = b ^ ((b >> SHIFT) & MAGNITUDE);                                        \
                p[j] = (IS_MIN ? k < p[j] : k > p[j]) ? k : p[j];                          \
            }                                                                              \
        for (; i < n; i++) {                                                               \
            memcpy(&b, &x[i], sizeof b);                                                   \
            nan |= (S)((b & MAGNITUDE) > INF);                                             \
            k = b ^ ((b >> SHIFT) & MAGNITUDE);                                            \
            p[0] = (IS_MIN ? k < p[0] : k > p[0]) ? k : p[0];                              \
        }                                                                                  \
        best = p[0];                                                                       \
        for (j = 1; j < 8; j++) best = (IS_MIN ? p[j] < best : p[j] > best) ? p[j] : best; \
        if (nan || best == 0 || best == -1) return 0;   /* NaN, +0 or -0: sequential */    \
        b = best ^ ((best >> SHIFT) & MAGNITUDE);                                          \
        memcpy(out, &b, sizeof b);                                                         \
        return 1;                                                                          \
    })
RD_EXTREME_RUN(rd_max_run_f32, float, int32_t, 31, 0x7FFFFFFF, 0x7F800000, 0)
RD_EXTREME_RUN(rd_min_run_f32, float, int32_t, 31, 0x7FFFFFFF, 0x7F800000, 1)

/* the fold of max/min: a contiguous run into one accumulator tries the vector run first, and
 * everything else is the plain fold (NAME_seq) */
#define RD_EXTREME_FOLD(NAME, T, RUN, BETTER)                                              \
    RD_FOLD(NAME##_seq, T, T, if (BETTER(x, a)) a = x)                                     \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        T r;                                                                               \
        if (steps[1] == 0 && steps[0] == (pyad_ssize_t)sizeof(T) && n >= 32 &&             \
            RUN((const T *)args[0], n, &r)) {                                              \
            if (BETTER(r, *(T *)args[1])) *(T *)args[1] = r;                               \
        } else {                                                                           \
            NAME##_seq(args, steps, n, c);                                                 \
        }                                                                                  \
    }
RD_EXTREME_FOLD(rd_max_f32, float, rd_max_run_f32, RD_GT)
RD_FOLD(rd_max_f64, double, double, if (RD_GT(x, a)) a = x)
RD_FOLD(rd_max_i64, int64_t, int64_t, if (x > a) a = x)
RD_FOLD(rd_max_u8, unsigned char, unsigned char, a = a | x)
RD_EXTREME_FOLD(rd_min_f32, float, rd_min_run_f32, RD_LT)
RD_FOLD(rd_min_f64, double, double, if (RD_LT(x, a)) a = x)
RD_FOLD(rd_min_i64, int64_t, int64_t, if (x < a) a = x)
RD_FOLD(rd_min_u8, unsigned char, unsigned char, a = a & x)

RD_FOLD(rd_prod_f32, float, double, a *= (double)x)
RD_FOLD(rd_prod_f64, double, double, a *= x)
RD_FOLD(rd_prod_i64, int64_t, int64_t, a *= x)

/* all / any: c[0] = 1 for all, 0 for any; acc is bool */
RD_FOLD(rd_all_f32, float, unsigned char, a = c[0] != 0 ? (a && x != 0) : (a || x != 0))
RD_FOLD(rd_all_f64, double, unsigned char, a = c[0] != 0 ? (a && x != 0) : (a || x != 0))
RD_FOLD(rd_all_i64, int64_t, unsigned char, a = c[0] != 0 ? (a && x != 0) : (a || x != 0))
RD_FOLD(rd_all_u8, unsigned char, unsigned char, a = c[0] != 0 ? (a && x != 0) : (a || x != 0))

/* vector norms: c[0] = ord. Sums accumulate in double. */
static inline double rd_norm_step(double a, double x, double p)
{
    double ax = fabs(x);
    if (p == 2.0) return a + x * x;
    if (p == 1.0) return a + ax;
    if (p == 0.0) return a + (x != 0);
    if (isinf(p)) {
        if (p > 0) return (ax > a || ax != ax) ? ax : a;
        return (ax < a || ax != ax) ? ax : a;
    }
    return a + pow(ax, p);
}
/* float32 as torch computes it (its accumulation type is float): each term |x|^p in float,
   so a term beyond float32 is inf and one below it 0, and the sum rounded to float before the
   root (inf past float32's range); the sum itself is kept in double */
static inline double rd_norm_step_f32(double a, float x, double p)
{
    float ax = fabsf(x);
    if (p == 2.0) return a + (double)(x * x);
    if (p == 1.0 || p == 0.0 || isinf(p)) return rd_norm_step(a, (double)x, p);
    return a + (double)powf(ax, (float)p);
}
RD_FOLD(rd_norm_f32, float, double, a = rd_norm_step_f32(a, x, c[0]))
RD_FOLD(rd_norm_f64, double, double, a = rd_norm_step(a, x, c[0]))
static inline double rd_norm_finish(double a, double p)
{
    if (p == 2.0) return sqrt(a);
    if (p == 1.0 || p == 0.0 || isinf(p)) return a;
    return pow(a, 1.0 / p);
}
static inline double rd_norm_finish_f32(double a, double p)
{
    float af = (float)a;
    if (p == 2.0) return (double)sqrtf(af);
    if (p == 1.0 || p == 0.0 || isinf(p)) return a;
    return (double)powf(af, 1.0f / (float)p);
}
RD_FIN(rd_norm_fin_f32, double, float, rd_norm_finish_f32(a, c[0]))
RD_FIN(rd_norm_fin_f64, double, double, rd_norm_finish(a, c[0]))

/* var: acc += (x - mean)^2 ; lse: acc += exp(x - m) */
RD_FOLD2(rd_sqdev_f32, float, double, double d = (double)x - (double)y; a += d * d)
RD_FOLD2(rd_sqdev_f64, double, double, double d = x - y; a += d * d)
RD_FOLD2(rd_expsum_f32, float, double, a += (double)expf(x - y))
RD_FOLD2(rd_expsum_f64, double, double, a += exp(x - y))

/* var/std finish: out = acc * c[0], then sqrt when c[1] */
RD_FIN(rd_var_fin_f32, double, float, c[1] != 0 ? sqrt(a * c[0]) : a * c[0])
RD_FIN(rd_var_fin_f64, double, double, c[1] != 0 ? sqrt(a * c[0]) : a * c[0])
/* logsumexp finish: out = log(acc) + m */
RD_FIN2(rd_lse_fin_f32, double, float, log(a) + (double)m)
RD_FIN2(rd_lse_fin_f64, double, double, log(a) + m)
/* the shift of logsumexp: an infinite max shifts by 0 */
RD_FIN(rd_lse_shift_f32, float, float, isinf(a) ? 0.0f : a)
RD_FIN(rd_lse_shift_f64, double, double, isinf(a) ? 0.0 : a)

/*
 * Which elements hold the extremum y. c[0]: 0 = x == y (amax: a NaN result matches none),
 * 1 = also both NaN (max()/min()), 2 = compare |x| and count NaN |x| (inf norms).
 */
static inline int rd_match(double x, double y, double mode)
{
    if (mode == 2.0) { x = fabs(x); return x == y || x != x; }
    if (mode == 1.0) return x == y || (x != x && y != y);
    return x == y;
}
RD_FOLD2(rd_count_f32, float, float, a += (float)rd_match(x, y, c[0]))
RD_FOLD2(rd_count_f64, double, double, a += (double)rd_match(x, y, c[0]))

/* extremum backward: (g / count) * match, times sgn(x) for the inf norms (c[0] == 2) */
RD_MAP4(rd_ext_bw_f32, float,
        (c[0] == 2.0 ? (float)RD_SGN(x) : 1.0f) * ((g / z) * (float)rd_match(x, y, c[0])))
RD_MAP4(rd_ext_bw_f64, double,
        (c[0] == 2.0 ? RD_SGN(x) : 1.0) * ((g / z) * (double)rd_match(x, y, c[0])))

/*
 * var/std backward. y = mean, z = std (std mode). c[0] = 2 / dof, c[1] = std mode,
 * c[2] = full reduction with dof <= 0 (torch: g * (x == mean ? nan : inf)).
 */
static inline double rd_var_bw(double g, double x, double m, double s, const double *c)
{
    if (c[1] != 0) g = s == 0 ? 0.0 : g / (s * 2);
    if (c[2] != 0) return g * (x == m ? NAN : INFINITY);
    return c[0] * g * (x - m);
}
RD_MAP4(rd_var_bw_f32, float, rd_var_bw(g, x, y, z, c))
RD_MAP4(rd_var_bw_f64, double, rd_var_bw(g, x, y, z, c))

/*
 * norm backward for finite ord (c[0]); y = the norm. torch's norm_backward, in its order and
 * in the tensor's own precision (float32 overflows where torch's does):
 *   0: 0   1: sgn(x) g   2: g (x / y)   p < 1: sgn(x) |x|^(p-1) g y^(1-p)
 *   p < 2: sgn(x) |x|^(p-1) (g / y^(p-1))   else: x |x|^(p-2) (g / y^(p-1)),
 * with |x|^(p-1) = 0 at x == 0 for p < 1 and x / y, g / ... = 0 where y == 0 (torch's
 * masked_fill: a NaN or inf g times that 0 is NaN for p = 2 only).
 */
#define RD_NORM_BW(NAME, T, POW, FABS)                                                     \
    static inline T NAME(T g, T x, T y, double p)                                          \
    {                                                                                      \
        T s = (T)RD_SGN(x);                                                                \
        if (p == 0.0) return 0;                                                            \
        if (p == 1.0) return s * g;                                                        \
        if (p == 2.0) return g * (y == 0 ? (T)0 : x / y);                                  \
        if (p < 1.0)                                                                       \
            return s * (x == 0 ? (T)0 : POW(FABS(x), (T)(p - 1))) * g * POW(y, (T)(1 - p)); \
        if (p < 2.0)                                                                       \
            return s * POW(FABS(x), (T)(p - 1)) * (y == 0 ? (T)0 : g / POW(y, (T)(p - 1))); \
        return x * POW(FABS(x), (T)(p - 2)) * (y == 0 ? (T)0 : g / POW(y, (T)(p - 1)));    \
    }
RD_NORM_BW(rd_norm_bw_float, float, powf, fabsf)
RD_NORM_BW(rd_norm_bw_double, double, pow, fabs)
RD_MAP4(rd_norm_bw_f32, float, rd_norm_bw_float(g, x, y, c[0]))
RD_MAP4(rd_norm_bw_f64, double, rd_norm_bw_double(g, x, y, c[0]))
/* logsumexp backward: g exp(x - y) */
RD_MAP4(rd_lse_bw_f32, float, g * expf(x - y))
RD_MAP4(rd_lse_bw_f64, double, g * exp(x - y))

/* ------------------------------------------------------------------------------------------
 * Line loops over (outer, n, inner): element (o, k, i) at o*n*inner + k*inner + i.
 * ------------------------------------------------------------------------------------------ */
#define RD_LINES for (o = 0; o < outer; o++) for (i = 0; i < inner; i++)
#define RD_AT(p, k) (p)[o * n * inner + (k) * inner + i]

/* argmax/argmin (is_min) with values: the first extremum; a NaN wins (the first one) */
#define RD_ARGEXT(NAME, T, ISNAN)                                                          \
    static void NAME(const T *x, T *vals, int64_t *idx, pyad_ssize_t outer, pyad_ssize_t n, \
                     pyad_ssize_t inner, int is_min)                                       \
    {                                                                                      \
        pyad_ssize_t o, i, k;                                                              \
        RD_LINES {                                                                         \
            T best = RD_AT(x, 0);                                                          \
            int64_t bi = 0;                                                                \
            for (k = 1; k < n && !ISNAN(best); k++) {                                      \
                T v = RD_AT(x, k);                                                         \
                if (ISNAN(v) || (is_min ? v < best : v > best)) { best = v; bi = k; }      \
            }                                                                              \
            if (vals) vals[o * inner + i] = best;                                          \
            idx[o * inner + i] = bi;                                                       \
        }                                                                                  \
    }
#define RD_ISNAN_F(v) ((v) != (v))
#define RD_ISNAN_NO(v) 0
RD_ARGEXT(rd_argext_f32, float, RD_ISNAN_F)
RD_ARGEXT(rd_argext_f64, double, RD_ISNAN_F)
RD_ARGEXT(rd_argext_i64, int64_t, RD_ISNAN_NO)
RD_ARGEXT(rd_argext_u8, unsigned char, RD_ISNAN_NO)

static void rd_argext(int dtype, const char *x, char *vals, int64_t *idx, pyad_ssize_t outer,
                      pyad_ssize_t n, pyad_ssize_t inner, int is_min)
{
    switch (dtype) {
    case PYAD_F32:
        rd_argext_f32((const float *)x, (float *)vals, idx, outer, n, inner, is_min);
        break;
    case PYAD_F64:
        rd_argext_f64((const double *)x, (double *)vals, idx, outer, n, inner, is_min);
        break;
    case PYAD_I64:
        rd_argext_i64((const int64_t *)x, (int64_t *)vals, idx, outer, n, inner, is_min);
        break;
    default:
        rd_argext_u8((const unsigned char *)x, (unsigned char *)vals, idx, outer, n, inner, is_min);
    }
}

/* cumsum / cumprod (reverse: from the end), accumulating in TA */
#define RD_CUM(NAME, T, TA)                                                                \
    static void NAME(const T *x, T *out, pyad_ssize_t outer, pyad_ssize_t n,               \
                     pyad_ssize_t inner, int prod, int reverse)                            \
    {                                                                                      \
        pyad_ssize_t o, i, j;                                                              \
        RD_LINES {                                                                         \
            TA a = prod ? 1 : 0;                                                           \
            for (j = 0; j < n; j++) {                                                      \
                pyad_ssize_t k = reverse ? n - 1 - j : j;                                  \
                if (prod) a *= (TA)RD_AT(x, k); else a += (TA)RD_AT(x, k);                 \
                RD_AT(out, k) = (T)a;                                                      \
            }                                                                              \
        }                                                                                  \
    }
RD_CUM(rd_cum_f32, float, double)
RD_CUM(rd_cum_f64, double, double)
RD_CUM(rd_cum_i64, int64_t, int64_t)

static void rd_cum(int dtype, const char *x, char *out, pyad_ssize_t outer, pyad_ssize_t n,
                   pyad_ssize_t inner, int prod, int reverse)
{
    switch (dtype) {
    case PYAD_F32:
        rd_cum_f32((const float *)x, (float *)out, outer, n, inner, prod, reverse);
        break;
    case PYAD_F64:
        rd_cum_f64((const double *)x, (double *)out, outer, n, inner, prod, reverse);
        break;
    default:
        rd_cum_i64((const int64_t *)x, (int64_t *)out, outer, n, inner, prod, reverse);
    }
}

/*
 * Gradient of prod along a line: out_k = g * prod_{i != k} x_i (prefix times suffix product,
 * exact with zeros). g has one value per line (g_step 0 for a whole-tensor prod).
 */
#define RD_PROD_BW(NAME, T)                                                                \
    static void NAME(const T *g, const T *x, T *out, pyad_ssize_t outer, pyad_ssize_t n,   \
                     pyad_ssize_t inner)                                                   \
    {                                                                                      \
        pyad_ssize_t o, i, k;                                                              \
        RD_LINES {                                                                         \
            T e = 1, r;                                                                    \
            for (k = 0; k < n; k++) { RD_AT(out, k) = e; e *= RD_AT(x, k); }               \
            r = g[o * inner + i];                                                          \
            for (k = n - 1; k >= 0; k--) { RD_AT(out, k) *= r; r *= RD_AT(x, k); }         \
        }                                                                                  \
    }
RD_PROD_BW(rd_prod_bw_f32, float)
RD_PROD_BW(rd_prod_bw_f64, double)

/*
 * Gradient of cumprod along a line: out_k = sum_{j>=k} g_j C_kj with C_kj = prod_{i<=j, i!=k} x_i
 * multiplied left to right (prod_{i<k} x_i, then x_{k+1}, ..., x_j): torch's division-free
 * formula for inputs holding a zero, and the recorded formula's products (cum_recorded), so
 * both paths give the same NaN/inf wherever 0 meets inf or NaN. O(n^2) per line, no memory.
 */
#define RD_CUMPROD_BW(NAME, T)                                                             \
    static void NAME(const T *g, const T *x, T *out, pyad_ssize_t outer, pyad_ssize_t n,   \
                     pyad_ssize_t inner)                                                   \
    {                                                                                      \
        pyad_ssize_t o, i, k, j;                                                           \
        RD_LINES {                                                                         \
            T e = 1;                                                                       \
            for (k = 0; k < n; k++) {                                                      \
                T c = e, s = RD_AT(g, k) * c;                                              \
                for (j = k + 1; j < n; j++) { c *= RD_AT(x, j); s += RD_AT(g, j) * c; }    \
                RD_AT(out, k) = s;                                                         \
                e *= RD_AT(x, k);                                                          \
            }                                                                              \
        }                                                                                  \
    }
RD_CUMPROD_BW(rd_cumprod_bw_f32, float)
RD_CUMPROD_BW(rd_cumprod_bw_f64, double)

/*
 * torch's formula for prod over an input without a zero, which divides: g (y / x_k) with y the
 * line's product. A NaN or inf anywhere in the line then reaches every element, as in torch and
 * in the recorded path.
 */
#define RD_DIV_BW(NAME, T)                                                                 \
    static void NAME(const T *g, const T *y, const T *x, T *out, pyad_ssize_t outer,       \
                     pyad_ssize_t n, pyad_ssize_t inner)                                   \
    {                                                                                      \
        pyad_ssize_t o, i, k;                                                              \
        RD_LINES {                                                                         \
            T gv = g[o * inner + i], yv = y[o * inner + i];                                \
            for (k = 0; k < n; k++) RD_AT(out, k) = gv * (yv / RD_AT(x, k));               \
        }                                                                                  \
    }
RD_DIV_BW(rd_div_bw_f32, float)
RD_DIV_BW(rd_div_bw_f64, double)

static void rd_line_bw(int which, int dtype, const char *g, const char *x, char *out,
                       pyad_ssize_t outer, pyad_ssize_t n, pyad_ssize_t inner)
{
    if (which == 0 && dtype == PYAD_F32)
        rd_prod_bw_f32((const float *)g, (const float *)x, (float *)out, outer, n, inner);
    else if (which == 0)
        rd_prod_bw_f64((const double *)g, (const double *)x, (double *)out, outer, n, inner);
    else if (dtype == PYAD_F32)
        rd_cumprod_bw_f32((const float *)g, (const float *)x, (float *)out, outer, n, inner);
    else
        rd_cumprod_bw_f64((const double *)g, (const double *)x, (double *)out, outer, n, inner);
}

/* max(dim) backward: out (zeroed by the caller) gets g at the selected index of each line */
static void rd_index_put(int dtype, const char *g, const int64_t *idx, char *out,
                         pyad_ssize_t outer, pyad_ssize_t n, pyad_ssize_t inner)
{
    pyad_ssize_t o, i, sz = pyad_itemsize[dtype];
    RD_LINES {
        pyad_ssize_t j = o * inner + i;
        memcpy(out + (o * n * inner + idx[j] * inner + i) * sz, g + j * sz, sz);
    }
}

/* ---- softmax / log_softmax along the middle axis of (outer, n, inner) --------------------
 * y = exp(x - m) / s, or (x - m) - log(s): m the max along the axis (NaN wins, as amax), s the
 * sum of exp(x - m) in double. exp_loop is the float exp kernel (numpy's SIMD loop where found),
 * run over each contiguous block of n * inner elements at once. m (inner elements of T) and s
 * (inner doubles) are the caller's scratch. The gradients, from the saved y:
 *   softmax      g_x = y (g - sum(g y))        log_softmax  g_x = g - exp(y) sum(g)
 * (torch's formulas); d (inner doubles) is scratch. */
#define RD_SOFTMAX(NAME, NAME_BW, T, MAXFOLD, SUMRUN)                                      \
    static void NAME##_sums(const T *v, double *s, pyad_ssize_t n, pyad_ssize_t inner)    \
    {                                                                                      \
        pyad_ssize_t k, i;                                                                 \
        if (inner == 1) { s[0] = SUMRUN(v, n); return; }                                   \
        for (i = 0; i < inner; i++) s[i] = 0;                                              \
        for (k = 0; k < n; k++)                                                            \
            for (i = 0; i < inner; i++) s[i] += (double)v[k * inner + i];                  \
    }                                                                                      \
    static void NAME(const T *x, T *y, pyad_ssize_t outer, pyad_ssize_t n, pyad_ssize_t inner, \
                     int is_log, pyad_loop exp_loop, T *m, double *s)                      \
    {                                                                                      \
        pyad_ssize_t o, k, i, len = n * inner;                                             \
        pyad_ssize_t unit[2] = {sizeof(T), sizeof(T)}, fold[2] = {sizeof(T), 0};           \
        char *args[2];                                                                     \
        for (o = 0; o < outer; o++) {                                                      \
            const T *xo = x + o * len;                                                     \
            T *yo = y + o * len;                                                           \
            /* m: amax's fold, over the axis (one run) or row by row into m (inner > 1) */ \
            for (i = 0; i < inner; i++) m[i] = xo[i];                                      \
            args[1] = (char *)m;                                                           \
            if (inner == 1) {                                                              \
                args[0] = (char *)xo;                                                      \
                MAXFOLD(args, fold, n, NULL);                                              \
            } else {                                                                       \
                for (k = 1; k < n; k++) {                                                  \
                    args[0] = (char *)(xo + k * inner);                                    \
                    MAXFOLD(args, unit, inner, NULL);                                      \
                }                                                                          \
            }                                                                              \
            if (inner == 1) {           /* rows: loops the compiler vectorises */          \
                const T m0 = m[0];                                                         \
                for (k = 0; k < n; k++) yo[k] = xo[k] - m0;                                \
            } else {                                                                       \
                for (k = 0; k < n; k++)                                                    \
                    for (i = 0; i < inner; i++) yo[k * inner + i] = xo[k * inner + i] - m[i]; \
            }                                                                              \
            args[0] = args[1] = (char *)yo;                                                \
            exp_loop(args, unit, len, NULL);                                               \
            NAME##_sums(yo, s, n, inner);                                                  \
            if (is_log)                                                                    \
                for (i = 0; i < inner; i++) s[i] = (double)(T)log(s[i]);                   \
            if (inner == 1) {                                                              \
                const T s0 = (T)s[0], m0 = m[0];                                           \
                if (!is_log) for (k = 0; k < n; k++) yo[k] = yo[k] / s0;                   \
                else for (k = 0; k < n; k++) yo[k] = (xo[k] - m0) - s0;                    \
            } else if (!is_log) {                                                          \
                for (k = 0; k < n; k++)                                                    \
                    for (i = 0; i < inner; i++) yo[k * inner + i] /= (T)s[i];              \
            } else {                                                                       \
                for (k = 0; k < n; k++)                                                    \
                    for (i = 0; i < inner; i++)                                            \
                        yo[k * inner + i] = (xo[k * inner + i] - m[i]) - (T)s[i];          \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
    static void NAME_BW(const T *g, const T *y, T *out, pyad_ssize_t outer, pyad_ssize_t n, \
                        pyad_ssize_t inner, int is_log, pyad_loop exp_loop, double *d)     \
    {                                                                                      \
        pyad_ssize_t o, k, i, len = n * inner;                                             \
        pyad_ssize_t unit[2] = {sizeof(T), sizeof(T)};                                     \
        char *args[2];                                                                     \
        for (o = 0; o < outer; o++) {                                                      \
            const T *go = g + o * len, *yo = y + o * len;                                  \
            T *oo = out + o * len;                                                         \
            if (!is_log) {                                                                 \
                for (k = 0; k < len; k++) oo[k] = go[k] * yo[k];                           \
                NAME##_sums(oo, d, n, inner);                                              \
                if (inner == 1) {                                                          \
                    const T d0 = (T)d[0];                                                  \
                    for (k = 0; k < n; k++) oo[k] = yo[k] * (go[k] - d0);                  \
                } else {                                                                   \
                    for (k = 0; k < n; k++)                                                \
                        for (i = 0; i < inner; i++)                                        \
                            oo[k * inner + i] = yo[k * inner + i] * (go[k * inner + i] - (T)d[i]); \
                }                                                                          \
            } else {                                                                       \
                NAME##_sums(go, d, n, inner);                                              \
                memcpy(oo, yo, (size_t)len * sizeof(T));                                   \
                args[0] = args[1] = (char *)oo;                                            \
                exp_loop(args, unit, len, NULL);                                           \
                if (inner == 1) {                                                          \
                    const T d0 = (T)d[0];                                                  \
                    for (k = 0; k < n; k++) oo[k] = go[k] - oo[k] * d0;                    \
                } else {                                                                   \
                    for (k = 0; k < n; k++)                                                \
                        for (i = 0; i < inner; i++)                                        \
                            oo[k * inner + i] = go[k * inner + i] - oo[k * inner + i] * (T)d[i]; \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }
RD_SOFTMAX(rd_softmax_f32, rd_softmax_bw_f32, float, rd_max_f32, pyad_sum_f32)
RD_SOFTMAX(rd_softmax_f64, rd_softmax_bw_f64, double, rd_max_f64, pyad_sum_f64)

static void rd_softmax(int dtype, const char *x, char *y, pyad_ssize_t outer, pyad_ssize_t n,
                       pyad_ssize_t inner, int is_log, pyad_loop exp_loop, double *scratch)
{
    if (dtype == PYAD_F32)
        rd_softmax_f32((const float *)x, (float *)y, outer, n, inner, is_log, exp_loop,
                       (float *)scratch, scratch + inner);
    else
        rd_softmax_f64((const double *)x, (double *)y, outer, n, inner, is_log, exp_loop,
                       (double *)scratch, scratch + inner);
}

static void rd_softmax_bw(int dtype, const char *g, const char *y, char *out, pyad_ssize_t outer,
                          pyad_ssize_t n, pyad_ssize_t inner, int is_log, pyad_loop exp_loop,
                          double *scratch)
{
    if (dtype == PYAD_F32)
        rd_softmax_bw_f32((const float *)g, (const float *)y, (float *)out, outer, n, inner,
                          is_log, exp_loop, scratch);
    else
        rd_softmax_bw_f64((const double *)g, (const double *)y, (double *)out, outer, n, inner,
                          is_log, exp_loop, scratch);
}

#endif /* PYAD_KERNELS_REDUCE_H */
