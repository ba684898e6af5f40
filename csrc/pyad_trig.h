/*
 * pyad_trig.h: float64 sin and cos in a form the compiler vectorises.
 *
 * libm's sin and cos are one call per element with branches inside (about 7 ns each here),
 * and numpy's float64 sin/cos loops call them; torch runs SLEEF's vector code. This is the
 * classic fdlibm method written without branches:
 *   - reduce: n = nearest integer to x * 2/pi, r = x - n * pi/2 with pi/2 split in three
 *     33-bit parts (n * part is exact for |n| < 2^20) and a fourth for the tail; the second
 *     subtraction is a TwoSum, so r is kept as a double-double (y, yy);
 *   - evaluate fdlibm's __kernel_sin / __kernel_cos polynomials on (y, yy) (error < 1 ulp on
 *     |y| <= pi/4), pick sin or cos by n's parity and the sign by its second bit.
 * An element the fast path cannot do to that accuracy comes back as NaN and is recomputed by
 * libm in a second pass: |x| >= 1e5, NaN and inf, and x within 2^-20 of a nonzero multiple of
 * pi/2 (where the reduction cancels and needs more bits of pi/2; about one element in a
 * million of random input). |x| < 2^-26 returns x (sin) or 1 (cos) exactly, as libm does,
 * which also keeps the sign of -0.
 * The results are within 1 ulp of the correctly rounded value (libm's are within 1 ulp too;
 * the two differ in the last bit for a few percent of inputs, as torch's SLEEF does).
 */
#ifndef PYAD_TRIG_H
#define PYAD_TRIG_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__STDC_VERSION__) && !defined(restrict)
#define restrict __restrict   /* as in pyad_kernels.h: MSVC's default C mode */
#endif

/* fdlibm's constants (k_sin.c, k_cos.c, e_rem_pio2.c) */
#define PYAD_INV_PIO2 6.36619772367581382433e-01
#define PYAD_PIO2_1 1.57079632673412561417e+00  /* first 33 bits of pi/2 */
#define PYAD_PIO2_2 6.07710050630396597660e-11  /* next 33 bits */
#define PYAD_PIO2_3 2.02226624871116645580e-21  /* next 33 bits */
#define PYAD_PIO2_3T 8.47842766036889956997e-32 /* pi/2 - (pio2_1 + pio2_2 + pio2_3) */
#define PYAD_ROUND_SHIFT 6755399441055744.0     /* 1.5 * 2^52: v + it - it rounds v */

/* |v| < the double whose bits are `bound` (its low 32 bits zero), as an integer compare of
 * bit patterns (for |v| they order as the values do; NaN's are above inf's). wide: a 64-bit
 * compare (AVX2 has one); otherwise of the high 32 bits, which SSE2 can; same answer. */
static inline int pyad_abs_below(double v, uint64_t bound, int wide)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b &= ~((uint64_t)1 << 63);
    return wide ? (int64_t)b < (int64_t)bound : (int32_t)(b >> 32) < (int32_t)(bound >> 32);
}

/* sin(x) (cosine = 0) or cos(x) (cosine = 1), or NaN where libm must redo it; wide: see
 * pyad_abs_below */
static inline double pyad_sincos_fast(double x, int cosine, int wide)
{
    double shifted = x * PYAD_INV_PIO2 + PYAD_ROUND_SHIFT;
    double fn = shifted - PYAD_ROUND_SHIFT;
    uint64_t quadrant, sbits, cbits, xbits, rbits, mask;
    double r1, w, hi, bb, err, lo, y, yy, z, zz, v, r, hz, one_minus, s, c, res;
    memcpy(&quadrant, &shifted, sizeof quadrant);   /* n mod 4 sits in the low mantissa bits */
    quadrant += (uint64_t)cosine;                   /* cos(x) = sin(x + pi/2) */
    r1 = x - fn * PYAD_PIO2_1;                      /* exact */
    w = fn * PYAD_PIO2_2;                           /* exact */
    hi = r1 - w;                                    /* TwoSum(r1, -w) */
    bb = hi - r1;
    err = (r1 - (hi - bb)) + (-w - bb);
    lo = (err - fn * PYAD_PIO2_3) - fn * PYAD_PIO2_3T;
    y = hi + lo;
    yy = (hi - y) + lo;
    z = y * y;
    zz = z * z;
    /* __kernel_sin(y, yy) */
    r = 8.33333333332248946124e-03 +
        z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06) +
        z * zz * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
    v = z * y;
    s = y - ((z * (0.5 * yy - v * r) - yy) - v * -1.66666666666666324348e-01);
    /* __kernel_cos(y, yy) */
    r = z * (4.16666666666666019037e-02 +
             z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) +
        zz * zz * (-2.75573143513906633035e-07 +
                   z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
    hz = 0.5 * z;
    one_minus = 1.0 - hz;
    c = one_minus + (((1.0 - one_minus) - hz) + (z * r - y * yy));
    /* Quadrant 0: s, 1: c, 2: -s, 3: -c. Tests and selects work on bit patterns as integers:
     * a floating-point compare may trap under the default -ftrapping-math, and GCC then keeps
     * branches, which stop the loop from vectorising. */
    memcpy(&sbits, &s, sizeof sbits);
    memcpy(&cbits, &c, sizeof cbits);
    memcpy(&xbits, &x, sizeof xbits);
    mask = (uint64_t)0 - (quadrant & 1);
    rbits = ((cbits & mask) | (sbits & ~mask)) ^ ((quadrant & 2) << 62);
    /* |x| < 2^-26: x itself (sin) or 1 (cos) */
    mask = (uint64_t)0 - (uint64_t)pyad_abs_below(x, 0x3E50000000000000ULL, wide);
    rbits = ((cosine ? 0x3FF0000000000000ULL : xbits) & mask) | (rbits & ~mask);
    /* NaN (libm redoes it) unless |x| < 1e5 and x is not within 2^-20 of n pi/2, n != 0
     * (fn is a whole number: zero exactly when below 1) */
    mask = (uint64_t)0 - (uint64_t)(pyad_abs_below(x, 0x40F86A0000000000ULL, wide) &
                                    (pyad_abs_below(fn, 0x3FF0000000000000ULL, wide) |
                                     !pyad_abs_below(hi, 0x3EB0000000000000ULL, wide)));
    rbits = (rbits & mask) | (0x7FF8000000000000ULL & ~mask);
    memcpy(&res, &rbits, sizeof res);
    return res;
}

/* The contiguous runs: the fast path over the run, then libm for the elements it left NaN
 * (NaN inputs included, which libm returns as NaN). */
PYAD_THRICE_WIDE(void, pyad_sin_run, (const double *restrict px, double *restrict po,
                                       pyad_ssize_t n), {
    pyad_ssize_t i;
    for (i = 0; i < n; i++) po[i] = pyad_sincos_fast(px[i], 0, wide);
})
PYAD_THRICE_WIDE(void, pyad_cos_run, (const double *restrict px, double *restrict po,
                                       pyad_ssize_t n), {
    pyad_ssize_t i;
    for (i = 0; i < n; i++) po[i] = pyad_sincos_fast(px[i], 1, wide);
})
/* sin's gradient g cos(x), cos's -g sin(x) */
PYAD_TWICE_WIDE(void, pyad_sin_bw_run, (const double *restrict pg, const double *restrict px,
                                   double *restrict po, pyad_ssize_t n), {
    pyad_ssize_t i;
    for (i = 0; i < n; i++) po[i] = pg[i] * pyad_sincos_fast(px[i], 1, wide);
})
PYAD_TWICE_WIDE(void, pyad_cos_bw_run, (const double *restrict pg, const double *restrict px,
                                   double *restrict po, pyad_ssize_t n), {
    pyad_ssize_t i;
    for (i = 0; i < n; i++) po[i] = -pg[i] * pyad_sincos_fast(px[i], 0, wide);
})

/* One element: the fast path, or libm where it declines. Strided runs and the second pass
 * use these, so sin(x) is the same bits whatever the layout. Not inlined: they are the slow
 * path, and each inlined copy of the whole method cost the wheel a kilobyte. */
PYAD_NOINLINE static double pyad_sin(double x)
{
    double v = pyad_sincos_fast(x, 0, 0);
    return v == v ? v : sin(x);
}
PYAD_NOINLINE static double pyad_cos(double x)
{
    double v = pyad_sincos_fast(x, 1, 0);
    return v == v ? v : cos(x);
}

/* URUN: the vector run of the function, ORUN: of the other one (its derivative up to SIGN),
 * BWRUN: of the gradient SIGN g ORUN(x) */
#define PYAD_TRIG_LOOPS(NAME, URUN, ORUN, BWRUN, SCALAR, BW_SCALAR, SIGN)                  \
    static void NAME##_f64(char **args, const pyad_ssize_t *steps, pyad_ssize_t n,         \
                           const double *c)                                                \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        (void)c;                                                                           \
        if (steps[0] == 8 && steps[1] == 8) {                                              \
            const double *px = (const double *)args[0];                                    \
            double *po = (double *)args[1];                                                \
            PYAD_RUN3_FROM(URUN, n, 4, (px, po, n));                                       \
            for (i = 0; i < n; i++)                                                        \
                if (po[i] != po[i]) po[i] = SCALAR(px[i]);                                 \
        } else {                                                                           \
            char *a0 = args[0], *a1 = args[1];                                             \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1])                        \
                *(double *)a1 = SCALAR(*(const double *)a0);                               \
        }                                                                                  \
    }                                                                                      \
    /* args = (g, x, out): out = SIGN g BW_SCALAR(x); g may be one broadcast value */      \
    static void NAME##_bw_f64(char **args, const pyad_ssize_t *steps, pyad_ssize_t n,      \
                              const double *c)                                             \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        (void)c;                                                                           \
        if (steps[1] == 8 && steps[2] == 8 && (steps[0] == 8 || steps[0] == 0)) {          \
            const double *pg = (const double *)args[0], *px = (const double *)args[1];     \
            double *po = (double *)args[2];                                                \
            if (steps[0] == 8) {                                                           \
                PYAD_RUN_FROM(BWRUN, n, 4, (pg, px, po, n));                               \
                for (i = 0; i < n; i++)                                                    \
                    if (po[i] != po[i]) po[i] = SIGN pg[i] * BW_SCALAR(px[i]);             \
            } else {                                                                       \
                const double g = SIGN pg[0];                                               \
                PYAD_RUN3_FROM(ORUN, n, 4, (px, po, n));                                   \
                for (i = 0; i < n; i++)                                                    \
                    po[i] = g * (po[i] == po[i] ? po[i] : BW_SCALAR(px[i]));               \
            }                                                                              \
        } else {                                                                           \
            char *a0 = args[0], *a1 = args[1], *a2 = args[2];                              \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2])        \
                *(double *)a2 = SIGN *(const double *)a0 * BW_SCALAR(*(const double *)a1); \
        }                                                                                  \
    }
PYAD_TRIG_LOOPS(loop_sin, pyad_sin_run, pyad_cos_run, pyad_sin_bw_run, pyad_sin, pyad_cos, +)
PYAD_TRIG_LOOPS(loop_cos, pyad_cos_run, pyad_sin_run, pyad_cos_bw_run, pyad_cos, pyad_sin, -)

#endif /* PYAD_TRIG_H */
