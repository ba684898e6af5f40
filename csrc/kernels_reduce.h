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

RD_FOLD(rd_max_f32, float, float, if (RD_GT(x, a)) a = x)
RD_FOLD(rd_max_f64, double, double, if (RD_GT(x, a)) a = x)
RD_FOLD(rd_max_i64, int64_t, int64_t, if (x > a) a = x)
RD_FOLD(rd_max_u8, unsigned char, unsigned char, a = a | x)
RD_FOLD(rd_min_f32, float, float, if (RD_LT(x, a)) a = x)
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
RD_FOLD(rd_norm_f32, float, double, a = rd_norm_step(a, (double)x, c[0]))
RD_FOLD(rd_norm_f64, double, double, a = rd_norm_step(a, x, c[0]))
static inline double rd_norm_finish(double a, double p)
{
    if (p == 2.0) return sqrt(a);
    if (p == 1.0 || p == 0.0 || isinf(p)) return a;
    return pow(a, 1.0 / p);
}
RD_FIN(rd_norm_fin_f32, double, float, rd_norm_finish(a, c[0]))
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
RD_MAP4(rd_ext_bw_f32, float, (c[0] == 2.0 ? (float)RD_SGN(x) : 1.0f) * ((g / z) * (float)rd_match(x, y, c[0])))
RD_MAP4(rd_ext_bw_f64, double, (c[0] == 2.0 ? RD_SGN(x) : 1.0) * ((g / z) * (double)rd_match(x, y, c[0])))

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

/* norm backward for finite ord (c[0]); y = the norm. Formulas of torch's norm_backward. */
static inline double rd_norm_bw(double g, double x, double y, double p)
{
    double s = RD_SGN(x);
    if (p == 0.0) return 0.0;
    if (p == 1.0) return s * g;
    if (p == 2.0) return g * (y == 0 ? 0.0 : x / y);
    if (p < 1.0) return s * (x == 0 ? 0.0 : pow(fabs(x), p - 1)) * g * pow(y, 1 - p);
    if (p < 2.0) return s * pow(fabs(x), p - 1) * (y == 0 ? 0.0 : g / pow(y, p - 1));
    return x * pow(fabs(x), p - 2) * (y == 0 ? 0.0 : g / pow(y, p - 1));
}
RD_MAP4(rd_norm_bw_f32, float, rd_norm_bw(g, x, y, c[0]))
RD_MAP4(rd_norm_bw_f64, double, rd_norm_bw(g, x, y, c[0]))
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
    case PYAD_F32: rd_argext_f32((const float *)x, (float *)vals, idx, outer, n, inner, is_min); break;
    case PYAD_F64: rd_argext_f64((const double *)x, (double *)vals, idx, outer, n, inner, is_min); break;
    case PYAD_I64: rd_argext_i64((const int64_t *)x, (int64_t *)vals, idx, outer, n, inner, is_min); break;
    default: rd_argext_u8((const unsigned char *)x, (unsigned char *)vals, idx, outer, n, inner, is_min);
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
    case PYAD_F32: rd_cum_f32((const float *)x, (float *)out, outer, n, inner, prod, reverse); break;
    case PYAD_F64: rd_cum_f64((const double *)x, (double *)out, outer, n, inner, prod, reverse); break;
    default: rd_cum_i64((const int64_t *)x, (int64_t *)out, outer, n, inner, prod, reverse);
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
 * Gradient of cumprod along a line: out_k = E_k S_k with E_k = prod_{i<k} x_i and
 * S_k = g_k + x_{k+1} S_{k+1}: sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, exact with zeros.
 */
#define RD_CUMPROD_BW(NAME, T)                                                             \
    static void NAME(const T *g, const T *x, T *out, pyad_ssize_t outer, pyad_ssize_t n,   \
                     pyad_ssize_t inner)                                                   \
    {                                                                                      \
        pyad_ssize_t o, i, k;                                                              \
        RD_LINES {                                                                         \
            T s = 0, e = 1;                                                                \
            for (k = n - 1; k >= 0; k--) {                                                 \
                s = RD_AT(g, k) + (k + 1 < n ? RD_AT(x, k + 1) * s : (T)0);                \
                RD_AT(out, k) = s;                                                         \
            }                                                                              \
            for (k = 0; k < n; k++) { RD_AT(out, k) *= e; e *= RD_AT(x, k); }              \
        }                                                                                  \
    }
RD_CUMPROD_BW(rd_cumprod_bw_f32, float)
RD_CUMPROD_BW(rd_cumprod_bw_f64, double)

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

#endif /* PYAD_KERNELS_REDUCE_H */
