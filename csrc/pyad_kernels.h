/*
 * pyad_kernels.h: the numeric kernels of pyad, in plain C.
 *
 * Every elementwise operation is a numpy-style "inner loop": it receives an array of
 * operand pointers, one byte step per operand and a run length, and processes that run.
 * One N-d iterator (pyad_nd_apply) feeds runs to any loop, so broadcasting, strided
 * gathers, scatter-adds and reductions share one piece of index arithmetic.
 * Contiguous runs take a branch the compiler can vectorise.
 *
 * Nothing here touches Python objects; everything is noexcept and safe without the GIL.
 * Portable flags only: no -ffast-math (NaN/Inf semantics must match PyTorch).
 */
#ifndef PYAD_KERNELS_H
#define PYAD_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

/* restrict is C99. setup.py gives MSVC /std:c11; in MSVC's default C mode (C89 plus
 * extensions: no __STDC_VERSION__) the keyword is spelled __restrict. */
#if defined(_MSC_VER) && !defined(__STDC_VERSION__) && !defined(restrict)
#define restrict __restrict
#endif

#ifdef _MSC_VER
#define PYAD_TLS __declspec(thread)
#else
#define PYAD_TLS __thread
#endif

/* Py_ssize_t without pulling Python.h into kernels compiled standalone */
#ifndef PY_SSIZE_T_CLEAN
typedef ptrdiff_t pyad_ssize_t;
#else
typedef Py_ssize_t pyad_ssize_t;
#endif

#define PYAD_MAXDIM 16

enum { PYAD_F32 = 0, PYAD_F64 = 1, PYAD_I64 = 2, PYAD_BOOL = 3, PYAD_NDTYPES = 4 };

static const int pyad_itemsize[PYAD_NDTYPES] = {4, 8, 8, 1};

/* ---- grad mode: one flag per OS thread (Python threads are OS threads) ---- */
static PYAD_TLS int pyad_grad_disabled = 0;
static inline int pyad_is_grad_enabled(void) { return !pyad_grad_disabled; }
static inline void pyad_set_grad_enabled(int on) { pyad_grad_disabled = !on; }

#if defined(__GNUC__) || defined(__clang__)
#define PYAD_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define PYAD_NOINLINE __declspec(noinline)
#else
#define PYAD_NOINLINE
#endif

/* ---- SIMD: the hot contiguous loops are compiled twice, for the baseline ISA and for AVX2 ----
 * A portable wheel is built for the baseline (SSE2 on x86_64), so a loop the compiler vectorises
 * runs two doubles at a time. PYAD_TWICE defines a loop body again under
 * __attribute__((target("avx2"))) (GCC and Clang; no -march flag, no effect on other code) and
 * PYAD_RUN calls that copy when the CPU and OS support AVX2, checked once at import
 * (pyad_simd_init). No FMA and no reassociation (no -ffast-math, -ffp-contract=off), so both
 * copies give the same bits: the choice changes speed, never a value. Only loops whose body
 * the compiler can vectorise (no libm calls) are doubled, to keep the wheel small.
 * PYAD_THRICE/PYAD_RUN3 add an AVX-512F copy for the hottest loops. PYAD_SIMD=0 (or 2) in
 * the environment caps the level (tests compare the copies). */
/* one copy only (and its call): what the dispatch macros below become without x86 */
#define PYAD_ONCE(RET, NAME, PARAMS, ...) static inline RET NAME PARAMS __VA_ARGS__
#define PYAD_RUN_ONCE(NAME, n, ARGS) (NAME ARGS)
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define PYAD_X86_DISPATCH 1
#include <cpuid.h>
/* ELF: the copies live in a section of their own, so a stripped extension can still be checked
 * for VEX code outside them (wheels/build.py disassembles .text alone) */
#if defined(__ELF__)
#define PYAD_SIMD_SECTION __attribute__((section("pyad_simd")))
#else
#define PYAD_SIMD_SECTION
#endif
#define PYAD_TWICE(RET, NAME, PARAMS, ...)                                                  \
    static inline RET NAME PARAMS __VA_ARGS__                                               \
    __attribute__((target("avx2"))) PYAD_SIMD_SECTION static RET NAME##_avx2 PARAMS __VA_ARGS__
/* the same, with the constant `wide` 1 in the AVX2 copy: it has 64-bit integer compares,
 * which SSE2 lacks (a body picks its integer width by it; the results must not depend on it).
 * Its users are long bodies called from several loops: the baseline copy is not inlined. */
#define PYAD_TWICE_WIDE(RET, NAME, PARAMS, ...)                                             \
    PYAD_NOINLINE static RET NAME PARAMS { enum { wide = 0 }; __VA_ARGS__ }                \
    __attribute__((target("avx2"))) PYAD_SIMD_SECTION                                      \
    static RET NAME##_avx2 PARAMS { enum { wide = 1 }; __VA_ARGS__ }
#define PYAD_RUN_FROM(NAME, n, MIN, ARGS)                                                   \
    ((pyad_simd_level >= 2 && (n) >= (MIN)) ? NAME##_avx2 ARGS : NAME ARGS)
/* the hottest loops (add, mul, the fused accumulate-products, float sums, float64 sin/cos)
 * also get an AVX-512 copy: a third more per L1-resident run than AVX2 on CPUs that have it */
#define PYAD_THRICE(RET, NAME, PARAMS, ...)                                                 \
    PYAD_TWICE(RET, NAME, PARAMS, __VA_ARGS__)                                              \
    __attribute__((target("avx512f"))) PYAD_SIMD_SECTION static RET NAME##_avx512 PARAMS __VA_ARGS__
#define PYAD_RUN3(NAME, n, ARGS) PYAD_RUN3_FROM(NAME, n, 16, ARGS)
#define PYAD_RUN3_FROM(NAME, n, MIN, ARGS)                                                  \
    ((pyad_simd_level >= 3 && (n) >= (MIN)) ? NAME##_avx512 ARGS                         \
                                             : PYAD_RUN_FROM(NAME, n, MIN, ARGS))
#define PYAD_THRICE_WIDE(RET, NAME, PARAMS, ...)                                            \
    PYAD_TWICE_WIDE(RET, NAME, PARAMS, __VA_ARGS__)                                         \
    __attribute__((target("avx512f"))) PYAD_SIMD_SECTION static RET NAME##_avx512 PARAMS    \
    { enum { wide = 1 }; __VA_ARGS__ }
#else
#define PYAD_X86_DISPATCH 0
#define PYAD_TWICE PYAD_ONCE
#define PYAD_TWICE_WIDE(RET, NAME, PARAMS, ...)                                             \
    PYAD_NOINLINE static RET NAME PARAMS { enum { wide = 0 }; __VA_ARGS__ }
#define PYAD_RUN_FROM(NAME, n, MIN, ARGS) (NAME ARGS)
#define PYAD_THRICE PYAD_TWICE
#define PYAD_THRICE_WIDE PYAD_TWICE_WIDE
#define PYAD_RUN3 PYAD_RUN_ONCE
#define PYAD_RUN3_FROM(NAME, n, MIN, ARGS) (NAME ARGS)
#endif

/* below 16 elements the call to a loop not inlined costs more than the wider vectors gain */
#define PYAD_RUN(NAME, n, ARGS) PYAD_RUN_FROM(NAME, n, 16, ARGS)

/* 0: baseline loops, 2: AVX2 copies, 3: AVX2 and AVX-512 copies; set by pyad_simd_init */
static int pyad_simd_level = 0;

/* AVX2 needs the CPU flag and the OS saving the ymm registers (XCR0 bits 1-2); AVX-512F also
 * the opmask and zmm state (XCR0 bits 5-7). */
static int pyad_cpu_simd_level(void)
{
#if PYAD_X86_DISPATCH
    unsigned int a, b, c, d, lo, hi;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 6) != 6 || __get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & bit_AVX2)) return 0;
    return ((b & bit_AVX512F) && (lo & 0xE0) == 0xE0) ? 3 : 2;
#else
    return 0;
#endif
}

/* want < 0: the best the CPU has; otherwise at most `want`. Returns the level in use. */
static int pyad_simd_init(int want)
{
    int have = pyad_cpu_simd_level();
    pyad_simd_level = (want < 0 || want > have) ? have : want;
    return pyad_simd_level;
}

/* An int64 scalar parameter kept in a double slot of c[] by its bits (a double would round
 * it above 2**53); the int64 loops read it back with this. */
static inline int64_t pyad_param_i64(const double *c, int i)
{
    int64_t v;
    memcpy(&v, &c[i], sizeof v);
    return v;
}

/* A shape is a few words, copied on every op: inline stores rather than a call to memcpy
 * (and no pointer is touched when ndim is 0). */
static inline void pyad_copy_shape(pyad_ssize_t *dst, const pyad_ssize_t *src, int ndim)
{
    switch (ndim) {
    case 4: dst[3] = src[3]; /* fall through */
    case 3: dst[2] = src[2]; /* fall through */
    case 2: dst[1] = src[1]; /* fall through */
    case 1: dst[0] = src[0]; /* fall through */
    case 0: return;
    default: memcpy(dst, src, (size_t)ndim * sizeof(pyad_ssize_t));
    }
}

/* ---- the loop signature: args[k] advances by steps[k] bytes, n elements, c = constants ---- */
typedef void (*pyad_loop)(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c);

/*
 * Apply `loop` over an N-d index space of `shape` for `nops` operands whose byte strides are
 * strides[k][d]. The innermost dimension becomes the run; outer dimensions are walked with an
 * odometer, so there is no recursion and no per-element call. Size-1 dimensions are dropped
 * and neighbours that every operand walks as one (outer stride = inner stride * inner size)
 * are merged first, so that e.g. a scalar expanded to (256, 1) is one run of 256, not 256
 * runs of one.
 */
static void pyad_nd_apply(int nops, char **base, pyad_ssize_t (*strides_in)[PYAD_MAXDIM],
                          int ndim_in, const pyad_ssize_t *shape_in, pyad_loop loop,
                          const double *c)
{
    char *ptr[8];
    pyad_ssize_t idx[PYAD_MAXDIM];
    pyad_ssize_t steps[8];
    pyad_ssize_t shape[PYAD_MAXDIM];
    pyad_ssize_t strides[8][PYAD_MAXDIM];
    pyad_ssize_t numel = 1, inner, outer, o;
    int k, d, ndim = 0, merge;
    for (d = 0; d < ndim_in; d++) numel *= shape_in[d];
    if (numel == 0) return;
    for (d = 0; d < ndim_in; d++) {
        if (shape_in[d] == 1) continue;
        merge = ndim > 0;
        for (k = 0; k < nops && merge; k++)
            merge = strides[k][ndim - 1] == strides_in[k][d] * shape_in[d];
        if (merge) {
            shape[ndim - 1] *= shape_in[d];
            for (k = 0; k < nops; k++) strides[k][ndim - 1] = strides_in[k][d];
        } else {
            shape[ndim] = shape_in[d];
            for (k = 0; k < nops; k++) strides[k][ndim] = strides_in[k][d];
            ndim++;
        }
    }
    for (k = 0; k < nops; k++) ptr[k] = base[k];
    if (ndim == 0) {
        for (k = 0; k < nops; k++) steps[k] = 0;
        loop(ptr, steps, 1, c);
        return;
    }
    inner = shape[ndim - 1];
    for (k = 0; k < nops; k++) steps[k] = strides[k][ndim - 1];
    outer = numel / inner;
    for (d = 0; d < ndim; d++) idx[d] = 0;
    for (o = 0; o < outer; o++) {
        loop(ptr, steps, inner, c);
        for (d = ndim - 2; d >= 0; d--) {
            idx[d]++;
            for (k = 0; k < nops; k++) ptr[k] += strides[k][d];
            if (idx[d] < shape[d]) break;
            for (k = 0; k < nops; k++) ptr[k] -= strides[k][d] * shape[d];
            idx[d] = 0;
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Loop generators. EXPR sees x (and y, z) of the element type T, and c[0..3] as doubles.
 * The contiguous branch is a plain indexed loop, which GCC and Clang vectorise where the
 * expression allows it.
 * ------------------------------------------------------------------------------------------ */
#define PYAD_UNARY_WITH(NAME, T, EXPR, CONTIG)                                             \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        (void)c;                                                                           \
        if (steps[0] == (pyad_ssize_t)sizeof(T) && steps[1] == (pyad_ssize_t)sizeof(T)) {  \
            const T *restrict px = (const T *)args[0];                                     \
            T *restrict po = (T *)args[1];                                                 \
            CONTIG;                                                                        \
        } else {                                                                           \
            char *a0 = args[0], *a1 = args[1];                                             \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1]) {                      \
                T x = *(const T *)a0; *(T *)a1 = (T)(EXPR);                                \
            }                                                                              \
        }                                                                                  \
    }

#define PYAD_UNARY_RUN(T, EXPR) for (i = 0; i < n; i++) { T x = px[i]; po[i] = (T)(EXPR); }
#define PYAD_UNARY(NAME, T, EXPR) PYAD_UNARY_WITH(NAME, T, EXPR, PYAD_UNARY_RUN(T, EXPR))
/* A vectorisable unary op: its contiguous run also has an AVX2 copy. */
#define PYAD_UNARY_V(NAME, T, EXPR)                                                        \
    PYAD_TWICE(void, NAME##_run, (const T *restrict px, T *restrict po, pyad_ssize_t n,    \
                                  const double *c),                                        \
               { pyad_ssize_t i; (void)c; PYAD_UNARY_RUN(T, EXPR) })                           \
    PYAD_UNARY_WITH(NAME, T, EXPR, PYAD_RUN(NAME##_run, n, (px, po, n, c)))

#define PYAD_BINARY_WITH(NAME, T, EXPR, CC, CS)                                            \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        (void)c;                                                                           \
        if (steps[0] == (pyad_ssize_t)sizeof(T) && steps[1] == (pyad_ssize_t)sizeof(T) &&  \
            steps[2] == (pyad_ssize_t)sizeof(T)) {                                         \
            const T *restrict px = (const T *)args[0];                                     \
            const T *restrict py = (const T *)args[1];                                     \
            T *restrict po = (T *)args[2];                                                 \
            CC;                                                                            \
        } else if (steps[0] == (pyad_ssize_t)sizeof(T) && steps[1] == 0 &&                 \
                   steps[2] == (pyad_ssize_t)sizeof(T)) {                                  \
            const T *restrict px = (const T *)args[0];                                     \
            const T y = *(const T *)args[1];                                               \
            T *restrict po = (T *)args[2];                                                 \
            CS;                                                                            \
        } else {                                                                           \
            char *a0 = args[0], *a1 = args[1], *a2 = args[2];                              \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2]) {      \
                T x = *(const T *)a0; T y = *(const T *)a1; *(T *)a2 = (T)(EXPR);          \
            }                                                                              \
        }                                                                                  \
    }

#define PYAD_BINARY_CC(T, EXPR)                                                             \
    for (i = 0; i < n; i++) { T x = px[i]; T y = py[i]; po[i] = (T)(EXPR); }
#define PYAD_BINARY_CS(T, EXPR) for (i = 0; i < n; i++) { T x = px[i]; po[i] = (T)(EXPR); }
#define PYAD_BINARY(NAME, T, EXPR)                                                          \
    PYAD_BINARY_WITH(NAME, T, EXPR, PYAD_BINARY_CC(T, EXPR), PYAD_BINARY_CS(T, EXPR))
/* A vectorisable binary op: its contiguous and broadcast-second-operand runs have AVX2 copies
 * (PYAD_BINARY_V) or AVX2 and AVX-512 ones (PYAD_BINARY_V3, the arithmetic). */
#define PYAD_BINARY_V(NAME, T, EXPR) PYAD_BINARY_VEC(NAME, T, EXPR, PYAD_TWICE, PYAD_RUN)
#define PYAD_BINARY_V3(NAME, T, EXPR) PYAD_BINARY_VEC(NAME, T, EXPR, PYAD_THRICE, PYAD_RUN3)
#define PYAD_BINARY_VEC(NAME, T, EXPR, DEFINE, RUN)                                        \
    DEFINE(void, NAME##_cc, (const T *restrict px, const T *restrict py, T *restrict po,   \
                             pyad_ssize_t n, const double *c),                             \
           { pyad_ssize_t i; (void)c; PYAD_BINARY_CC(T, EXPR) })                           \
    DEFINE(void, NAME##_cs, (const T *restrict px, const T y, T *restrict po,              \
                             pyad_ssize_t n, const double *c),                             \
           { pyad_ssize_t i; (void)c; PYAD_BINARY_CS(T, EXPR) })                           \
    PYAD_BINARY_WITH(NAME, T, EXPR, RUN(NAME##_cc, n, (px, py, po, n, c)),                 \
                     RUN(NAME##_cs, n, (px, y, po, n, c)))

/* Three operands x, y, z (a binary op's derivative k(g, a, b); a ternary op's forward): a
 * contiguous run as one restrict loop, anything else strided. */
#define PYAD_TERNARY(NAME, T, EXPR)                                                        \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1], *a2 = args[2], *a3 = args[3];                   \
        (void)c;                                                                           \
        if (steps[0] == (pyad_ssize_t)sizeof(T) && steps[1] == (pyad_ssize_t)sizeof(T) &&  \
            steps[2] == (pyad_ssize_t)sizeof(T) && steps[3] == (pyad_ssize_t)sizeof(T)) {  \
            const T *px = (const T *)a0; /* no restrict: the output may be x (lerp_) */    \
            const T *py = (const T *)a1;                                                   \
            const T *pz = (const T *)a2;                                                   \
            T *po = (T *)a3;                                                               \
            for (i = 0; i < n; i++) {                                                      \
                T x = px[i]; T y = py[i]; T z = pz[i];                                     \
                po[i] = (T)(EXPR);                                                         \
            }                                                                              \
            return;                                                                        \
        }                                                                                  \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2], a3 += steps[3]) { \
            T x = *(const T *)a0; T y = *(const T *)a1; T z = *(const T *)a2;              \
            *(T *)a3 = (T)(EXPR);                                                          \
        }                                                                                  \
    }

/* Four operands g, x, y, z: a ternary op's derivative k(g, a, b, w). */
#define PYAD_QUATERNARY(NAME, T, EXPR)                                                     \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1], *a2 = args[2], *a3 = args[3], *a4 = args[4];    \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2],             \
             a3 += steps[3], a4 += steps[4]) {                                             \
            T g = *(const T *)a0; T x = *(const T *)a1; T y = *(const T *)a2;              \
            T z = *(const T *)a3;                                                          \
            *(T *)a4 = (T)(EXPR);                                                          \
        }                                                                                  \
    }

/* acc += g x, or for x * x (acc + g x) + g x: a product's gradient added straight into the
 * engine's gradient slot, bit for bit what computing g x and then accumulating it gives.
 * args = (acc, g, x, acc); g may be one broadcast value (step 0). */
#define PYAD_ACC_PRODUCT(NAME, T, TWICE)                                                   \
    PYAD_THRICE(void, NAME##_run, (T *restrict acc, const T *restrict pg,                   \
                                  const T *restrict px, pyad_ssize_t gstep, pyad_ssize_t n), { \
        pyad_ssize_t i;                                                                    \
        if (gstep == 0) {                                                                  \
            const T g = pg[0];                                                             \
            for (i = 0; i < n; i++) {                                                      \
                T b = g * px[i]; T s = acc[i] + b; acc[i] = TWICE ? s + b : s;             \
            }                                                                              \
        } else {                                                                           \
            for (i = 0; i < n; i++) {                                                      \
                T b = pg[i] * px[i]; T s = acc[i] + b; acc[i] = TWICE ? s + b : s;         \
            }                                                                              \
        }                                                                                  \
    })                                                                                     \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        (void)c;                                                                           \
        if (args[0] == args[3] && steps[0] == (pyad_ssize_t)sizeof(T) &&                   \
            steps[2] == (pyad_ssize_t)sizeof(T) && steps[3] == (pyad_ssize_t)sizeof(T) &&  \
            (steps[1] == 0 || steps[1] == (pyad_ssize_t)sizeof(T))) {                      \
            PYAD_RUN3(NAME##_run, n, ((T *)args[3], (const T *)args[1], (const T *)args[2], \
                                      steps[1], n));                                       \
        } else {                                                                           \
            char *a0 = args[0], *a1 = args[1], *a2 = args[2], *a3 = args[3];               \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2],        \
                                    a3 += steps[3]) {                                      \
                T b = *(const T *)a1 * *(const T *)a2; T s = *(const T *)a0 + b;           \
                *(T *)a3 = TWICE ? s + b : s;                                              \
            }                                                                              \
        }                                                                                  \
    }
PYAD_ACC_PRODUCT(loop_acc_mul_f32, float, 0)
PYAD_ACC_PRODUCT(loop_acc_mul_f64, double, 0)
PYAD_ACC_PRODUCT(loop_acc_mul_twice_f32, float, 1)
PYAD_ACC_PRODUCT(loop_acc_mul_twice_f64, double, 1)

/* accumulate: out[.] += x  (out may repeat itself through stride 0: reductions).
 * A contiguous reduction run keeps 8 partial sums: one accumulator is a chain of dependent
 * adds (4 cycles each), 8 independent ones let the compiler vectorise. */
#define PYAD_ACCUM(NAME, TO, TI) PYAD_ACCUM_WITH(NAME, TO, TI, PYAD_TWICE, PYAD_RUN)
/* integer sums are rarely hot: one copy (PYAD_ONCE), to keep the wheel small */
#define PYAD_ACCUM_WITH(NAME, TO, TI, DEFINE, RUN)                                         \
    DEFINE(TO, NAME##_reduce, (const TI *restrict px, pyad_ssize_t n), {               \
        TO p[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                \
        pyad_ssize_t i;                                                                    \
        int j;                                                                             \
        for (i = 0; i + 8 <= n; i += 8)                                                    \
            for (j = 0; j < 8; j++) p[j] += (TO)px[i + j];                                 \
        for (; i < n; i++) p[0] += (TO)px[i];                                              \
        return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));          \
    })                                                                                     \
    DEFINE(void, NAME##_run, (const TI *restrict px, TO *restrict po, pyad_ssize_t n), {     \
        pyad_ssize_t i;                                                                    \
        for (i = 0; i < n; i++) po[i] += (TO)px[i];                                        \
    })                                                                                     \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        (void)c;                                                                           \
        if (steps[1] == 0 && steps[0] == (pyad_ssize_t)sizeof(TI) && n >= 16) {            \
            *(TO *)a1 += RUN(NAME##_reduce, n, ((const TI *)a0, n));                       \
        } else if (steps[1] == 0) {                                                        \
            TO acc = *(TO *)a1;                                                            \
            for (i = 0; i < n; i++, a0 += steps[0]) acc += (TO)(*(const TI *)a0);          \
            *(TO *)a1 = acc;                                                               \
        } else if (steps[0] == (pyad_ssize_t)sizeof(TI) && steps[1] == (pyad_ssize_t)sizeof(TO)) { \
            RUN(NAME##_run, n, ((const TI *)a0, (TO *)a1, n));                             \
        } else {                                                                           \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1])                        \
                *(TO *)a1 += (TO)(*(const TI *)a0);                                        \
        }                                                                                  \
    }

/* cast / copy: out[.] = (TO)x; contiguous and broadcast (stride 0) runs vectorise */
#define PYAD_CAST(NAME, TI, TO)                                                            \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        (void)c;                                                                           \
        if (steps[1] == (pyad_ssize_t)sizeof(TO) && steps[0] == (pyad_ssize_t)sizeof(TI)) { \
            const TI *restrict px = (const TI *)a0;                                        \
            TO *restrict po = (TO *)a1;                                                    \
            for (i = 0; i < n; i++) po[i] = (TO)px[i];                                     \
        } else if (steps[1] == (pyad_ssize_t)sizeof(TO) && steps[0] == 0) {                \
            const TO v = (TO)(*(const TI *)a0);                                            \
            TO *restrict po = (TO *)a1;                                                    \
            for (i = 0; i < n; i++) po[i] = v;                                             \
        } else {                                                                           \
            for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1])                        \
                *(TO *)a1 = (TO)(*(const TI *)a0);                                         \
        }                                                                                  \
    }

static inline double pyad_sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}
static inline float pyad_sigmoidf(float x)
{
    return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
}
/* sign(NaN) is 0, as torch.sign gives (and abs's gradient at NaN is then 0, as torch's) */
static inline double pyad_sign(double x) { return (double)((x > 0) - (x < 0)); }
/* relu keeps NaN, as torch's clamp_min(0) does */
#define PYAD_RELU(x) ((x) > 0 ? (x) : ((x) != (x) ? (x) : 0))
static inline int64_t pyad_ipow(int64_t b, int64_t e)
{
    int64_t r = 1;
    if (e < 0) return b == 1 ? 1 : (b == -1 ? ((e & 1) ? -1 : 1) : 0);
    while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }
    return r;
}

/* x ** c for a Python scalar c, as torch's pow(Tensor, Scalar) computes it: c = 2 is x * x,
 * c = 0.5 is sqrt and c = -0.5 is 1 / sqrt (so -inf gives NaN and -0 gives -0 / -inf, where
 * C's pow gives +inf and +0 / +inf); the gradient c x^(c-1) goes through the same function,
 * so x ** 1.5 has torch's NaN slope at -inf. */
static inline double pyad_powc(double x, double c)
{
    if (c == 2.0) return x * x;
    if (c == 0.5) return sqrt(x);
    if (c == -0.5) return 1.0 / sqrt(x);
    return pow(x, c);
}
static inline float pyad_powcf(float x, float c)
{
    if (c == 2.0f) return x * x;
    if (c == 0.5f) return sqrtf(x);
    if (c == -0.5f) return 1.0f / sqrtf(x);
    return powf(x, c);
}

/* One macro body per dtype family: F = function suffix (f for float, empty for double). */
#define PYAD_FLOAT_LOOPS(S, T, F)                                                               \
    PYAD_UNARY_V(loop_neg_##S, T, -x)                                                          \
    PYAD_UNARY(loop_exp_##S, T, exp##F(x))                                                     \
    PYAD_UNARY(loop_log_##S, T, log##F(x))                                                     \
    PYAD_UNARY_V(loop_sqrt_##S, T, sqrt##F(x))                                                 \
    PYAD_UNARY(loop_tanh_##S, T, tanh##F(x))                                                   \
    PYAD_UNARY(loop_sigmoid_##S, T, pyad_sigmoid##F(x))                                        \
    PYAD_UNARY_V(loop_relu_##S, T, PYAD_RELU(x))                                               \
    PYAD_UNARY_V(loop_abs_##S, T, fabs##F(x))                                                  \
    PYAD_UNARY(loop_sign_##S, T, pyad_sign(x))                                                 \
    PYAD_UNARY_V(loop_reciprocal_##S, T, (T)1 / x)                                             \
    PYAD_UNARY(loop_fill_##S, T, (T)c[0] + 0 * x)                                              \
    PYAD_UNARY_V(loop_adds_##S, T, x + (T)c[0])                                                \
    PYAD_UNARY_V(loop_muls_##S, T, x *(T)c[0])                                                 \
    PYAD_UNARY(loop_divs_##S, T, x / (T)c[0])                                                  \
    PYAD_UNARY(loop_rsubs_##S, T, (T)c[0] - (T)c[1] * x)                                       \
    PYAD_UNARY(loop_pows_##S, T, pyad_powc##F(x, (T)c[0]))                                     \
    PYAD_UNARY(loop_rpows_##S, T, pow##F((T)c[0], x))                                          \
    PYAD_BINARY_V3(loop_add_##S, T, x + (T)c[0] * y)                                           \
    PYAD_BINARY_V(loop_sub_##S,  T, x - (T)c[0] * y)                                           \
    PYAD_BINARY_V3(loop_mul_##S, T, x *y)                                                      \
    PYAD_BINARY_V(loop_mul_twice_##S, T, (x * y) * (T)2) /* g x + g x, bit for bit */          \
    PYAD_BINARY_V(loop_div_##S,  T, x / y)                                                     \
    PYAD_BINARY(loop_pow_##S, T, pow##F(x, y))                                                 \
    /* backward helpers: x = incoming gradient, y = saved value */                             \
    PYAD_BINARY_V(loop_tanh_bw_##S, T, x *((T)1 - y * y))                                      \
    PYAD_BINARY_V(loop_sigmoid_bw_##S, T, x *y *((T)1 - y))                                    \
    PYAD_BINARY_V(loop_relu_bw_##S, T, y <= 0 ? (T)0 : x) /* NaN passes g, as torch */         \
    PYAD_BINARY(loop_abs_bw_##S, T, x *(T)pyad_sign(y))                                        \
    PYAD_BINARY(loop_sqrt_bw_##S, T, x / ((T)2 * y))                                           \
    PYAD_BINARY(loop_reciprocal_bw_##S, T, -x * y * y)                                         \
    PYAD_BINARY(loop_pows_bw_##S, T,                                                           \
                c[0] == 0.0 ? (T)0 : x * ((T)c[0] * pyad_powc##F(y, (T)(c[0] - 1.0))))          \
    PYAD_BINARY(loop_rpows_bw_##S, T,                                                          \
                (c[0] == 0.0 && isfinite(y)) ? (T)0 : x * y * (T)log((double)c[0]))             \
    /* torch's order of operations: -g ((a / b) / b), g (b a^(b-1)), g (a^b log a) */          \
    PYAD_TERNARY(loop_div_bw_b_##S, T, -x * ((y / z) / z))                                     \
    PYAD_TERNARY(loop_pow_bw_a_##S, T, z == 0 ? (T)0 : x * (z * pow##F(y, z - (T)1)))           \
    PYAD_TERNARY(loop_pow_bw_b_##S, T, (y == 0 && z >= 0) ? (T)0 : x * (pow##F(y, z) * log##F(y)))

PYAD_FLOAT_LOOPS(f32, float, f)
PYAD_FLOAT_LOOPS(f64, double, )
/* float32 sin and cos are libm's (numpy's SIMD loops replace them at import); float64's are
 * pyad_trig.h's vector code */
PYAD_UNARY(loop_sin_f32, float, sinf(x))
PYAD_UNARY(loop_cos_f32, float, cosf(x))
PYAD_BINARY(loop_sin_bw_f32, float, x *cosf(y))
PYAD_BINARY(loop_cos_bw_f32, float, -x * sinf(y))
#include "pyad_trig.h"

/* Integer tensors support the arithmetic that keeps them integral, as torch does. */
PYAD_UNARY(loop_neg_i64, int64_t, -x)
PYAD_UNARY(loop_abs_i64, int64_t, x < 0 ? -x : x)
PYAD_UNARY(loop_relu_i64, int64_t, x > 0 ? x : 0)
PYAD_UNARY(loop_adds_i64, int64_t, x + (int64_t)c[0])
PYAD_UNARY(loop_muls_i64, int64_t, x *(int64_t)c[0])
PYAD_UNARY(loop_rsubs_i64, int64_t, (int64_t)c[0] - (int64_t)c[1] * x)
PYAD_UNARY(loop_pows_i64, int64_t, pyad_ipow(x, (int64_t)c[0]))
PYAD_UNARY(loop_rpows_i64, int64_t, pyad_ipow((int64_t)c[0], x))
PYAD_BINARY(loop_add_i64, int64_t, x + (int64_t)c[0] * y)
PYAD_BINARY(loop_sub_i64, int64_t, x - (int64_t)c[0] * y)
PYAD_BINARY(loop_mul_i64, int64_t, x *y)
PYAD_BINARY(loop_pow_i64, int64_t, pyad_ipow(x, y))

PYAD_ACCUM(loop_accum_f32, float, float)
PYAD_ACCUM(loop_accum_f64, double, double)
PYAD_ACCUM(loop_accum_f32_in_f64, double, float) /* float32 sums accumulate in double */
PYAD_ACCUM_WITH(loop_accum_i64, int64_t, int64_t, PYAD_ONCE, PYAD_RUN_ONCE)
PYAD_ACCUM_WITH(loop_accum_bool_in_i64, int64_t, unsigned char, PYAD_ONCE, PYAD_RUN_ONCE)

#define PYAD_CAST_FROM(S, TI)                     \
    PYAD_CAST(loop_cast_##S##_f32, TI, float)     \
    PYAD_CAST(loop_cast_##S##_f64, TI, double)    \
    PYAD_CAST(loop_cast_##S##_i64, TI, int64_t)
PYAD_CAST_FROM(f32, float)
PYAD_CAST_FROM(f64, double)
PYAD_CAST_FROM(i64, int64_t)
PYAD_CAST_FROM(bool, unsigned char)
#define PYAD_TO_BOOL(NAME, TI)                                                             \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1])                            \
            *(unsigned char *)a1 = (*(const TI *)a0) != 0;                                 \
    }
PYAD_TO_BOOL(loop_tobool_f32, float)
PYAD_TO_BOOL(loop_tobool_f64, double)
PYAD_TO_BOOL(loop_tobool_i64, int64_t)
PYAD_TO_BOOL(loop_tobool_bool, unsigned char)

/* cast table [from][to] */
static pyad_loop pyad_cast_loop(int from, int to)
{
    static const pyad_loop table[PYAD_NDTYPES][PYAD_NDTYPES] = {
        {loop_cast_f32_f32, loop_cast_f32_f64, loop_cast_f32_i64, loop_tobool_f32},
        {loop_cast_f64_f32, loop_cast_f64_f64, loop_cast_f64_i64, loop_tobool_f64},
        {loop_cast_i64_f32, loop_cast_i64_f64, loop_cast_i64_i64, loop_tobool_i64},
        {loop_cast_bool_f32, loop_cast_bool_f64, loop_cast_bool_i64, loop_tobool_bool},
    };
    return table[from][to];
}

/* Sum of a contiguous run, in double, with error growing like log(n) as numpy's and torch's
 * pairwise sums: blocks of 128 are summed with 16 partial sums (independent adds, which the
 * compiler vectorises: 4 chains of AVX2 adds, 8 of SSE2), and block sums are combined pairwise
 * by a binary counter, without recursion. */
#define PYAD_PAIRWISE(NAME, T)                                                             \
    PYAD_THRICE(double, NAME##_run, (const T *restrict x, pyad_ssize_t n), {                \
        double stack[64], v;                                                               \
        pyad_ssize_t b, i, m, count;                                                       \
        int top = 0, j, k;                                                                 \
        for (b = 0; b * 128 < n; b++) {                                                    \
            const T *restrict xb = x + b * 128;                                            \
            double p[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};               \
            m = n - b * 128 < 128 ? n - b * 128 : 128;                                     \
            for (i = 0; i + 16 <= m; i += 16)                                              \
                for (j = 0; j < 16; j++) p[j] += xb[i + j];                                \
            for (; i < m; i++) p[0] += xb[i];                                              \
            for (k = 0; k < 8; k++) p[k] += p[k + 8];                                      \
            for (k = 0; k < 4; k++) p[k] += p[k + 4];                                      \
            v = (p[0] + p[2]) + (p[1] + p[3]);                                             \
            for (count = b + 1; (count & 1) == 0; count >>= 1) v = stack[--top] + v;       \
            stack[top++] = v;                                                              \
        }                                                                                  \
        v = 0;                                                                             \
        while (top > 0) v = stack[--top] + v;                                              \
        return v;                                                                          \
    })                                                                                     \
    static double NAME(const T *x, pyad_ssize_t n)                                        \
    {                                                                                      \
        double s = 0; /* under 16: the cascade's sum, without its set-up (p[1..] stay 0) */ \
        pyad_ssize_t i;                                                                    \
        if (n >= 16) return PYAD_RUN3(NAME##_run, n, (x, n));                              \
        for (i = 0; i < n; i++) s += x[i];                                                 \
        return s;                                                                          \
    }
PYAD_PAIRWISE(pyad_sum_f32, float)
PYAD_PAIRWISE(pyad_sum_f64, double)

/*
 * Batched matrix product on strided operands: C[b,i,j] = sum_k A[b,i,k] * B[b,k,j].
 * Strides are in elements, so transposed operands (the backward's A^T, B^T) need no copy.
 * C is contiguous (B, M, N). The loop order follows the operands' layout so that the inner
 * loop runs over contiguous memory with independent iterations, which compilers vectorise:
 *  - N >= 4 and B row-major: i-k-j, the inner loop an axpy along rows of B and C, four
 *    values of k per pass so each element of C is loaded and stored once per four products
 *    (K = 1, an outer product, writes C directly);
 *  - narrow C with A column-major (A^T read in place): k outer, the inner loop an axpy along
 *    a column of A into a contiguous column accumulator, four columns per pass;
 *  - otherwise: dot products along k with partial sums (eight over adjacent elements when
 *    both operands are contiguous along k, so they vectorise), so the loop is not bound by
 *    the latency of one running sum (matrix-vector products).
 */
#define PYAD_BMM(NAME, T)                                                                  \
    static void NAME(const T *A, const T *B, T *C, pyad_ssize_t nb, pyad_ssize_t M,        \
                     pyad_ssize_t K, pyad_ssize_t N, const pyad_ssize_t *sa,               \
                     const pyad_ssize_t *sb)                                               \
    {                                                                                      \
        pyad_ssize_t b, i, k, j;                                                           \
        const pyad_ssize_t a1 = sa[1], a2 = sa[2], b1 = sb[1], b2 = sb[2];                 \
        for (b = 0; b < nb; b++) {                                                         \
            const T *Ab = A + b * sa[0];                                                   \
            const T *Bb = B + b * sb[0];                                                   \
            T *Cb = C + b * M * N;                                                         \
            if (N >= 4 && b2 == 1) {                                                       \
                for (i = 0; i < M; i++) {                                                  \
                    T *restrict crow = Cb + i * N;                                         \
                    const T *arow = Ab + i * a1;                                           \
                    k = 0;                                                                 \
                    if (K == 1) {                                                          \
                        const T a0 = arow[0];                                              \
                        const T *restrict r0 = Bb;                                         \
                        for (j = 0; j < N; j++) crow[j] = a0 * r0[j];                      \
                        continue;                                                          \
                    }                                                                      \
                    for (j = 0; j < N; j++) crow[j] = 0;                                   \
                    for (; k + 4 <= K; k += 4) {                                           \
                        const T a0 = arow[k * a2], a1_ = arow[(k + 1) * a2];               \
                        const T a2_ = arow[(k + 2) * a2], a3 = arow[(k + 3) * a2];         \
                        const T *restrict r0 = Bb + k * b1, *restrict r1 = r0 + b1;        \
                        const T *restrict r2 = r1 + b1, *restrict r3 = r2 + b1;            \
                        for (j = 0; j < N; j++)                                            \
                            crow[j] += (a0 * r0[j] + a1_ * r1[j]) + (a2_ * r2[j] + a3 * r3[j]); \
                    }                                                                      \
                    for (; k < K; k++) {                                                   \
                        const T aik = arow[k * a2];                                        \
                        const T *restrict brow = Bb + k * b1;                              \
                        for (j = 0; j < N; j++) crow[j] += aik * brow[j];                  \
                    }                                                                      \
                }                                                                          \
            } else if (N == 1 && a1 == 1) {                                                \
                T *restrict ccol = Cb;                                                     \
                for (i = 0; i < M; i++) ccol[i] = 0;                                       \
                for (k = 0; k + 4 <= K; k += 4) {                                          \
                    const T c0 = Bb[k * b1], c1 = Bb[(k + 1) * b1];                        \
                    const T c2 = Bb[(k + 2) * b1], c3 = Bb[(k + 3) * b1];                  \
                    const T *restrict p0 = Ab + k * a2, *restrict p1 = p0 + a2;            \
                    const T *restrict p2 = p1 + a2, *restrict p3 = p2 + a2;                \
                    for (i = 0; i < M; i++)                                                \
                        ccol[i] += (p0[i] * c0 + p1[i] * c1) + (p2[i] * c2 + p3[i] * c3);  \
                }                                                                          \
                for (; k < K; k++) {                                                       \
                    const T bk = Bb[k * b1];                                               \
                    const T *restrict acol = Ab + k * a2;                                  \
                    for (i = 0; i < M; i++) ccol[i] += acol[i] * bk;                       \
                }                                                                          \
            } else if (a2 == 1 && b1 == 1) {                                               \
                /* both operands contiguous along k: eight partial sums over adjacent     \
                 * elements, which the compiler packs into vector registers */            \
                for (i = 0; i < M; i++) {                                                  \
                    const T *restrict arow = Ab + i * a1;                                  \
                    for (j = 0; j < N; j++) {                                              \
                        const T *restrict bcol = Bb + j * b2;                              \
                        T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                 \
                        int u;                                                             \
                        for (k = 0; k + 8 <= K; k += 8)                                    \
                            for (u = 0; u < 8; u++) s[u] += arow[k + u] * bcol[k + u];     \
                        for (; k < K; k++) s[0] += arow[k] * bcol[k];                      \
                        Cb[i * N + j] = ((s[0] + s[1]) + (s[2] + s[3])) +                  \
                                        ((s[4] + s[5]) + (s[6] + s[7]));                   \
                    }                                                                      \
                }                                                                          \
            } else {                                                                       \
                for (i = 0; i < M; i++) {                                                  \
                    const T *arow = Ab + i * a1;                                           \
                    for (j = 0; j < N; j++) {                                              \
                        const T *bcol = Bb + j * b2;                                       \
                        T s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                  \
                        for (k = 0; k + 4 <= K; k += 4) {                                  \
                            s0 += arow[k * a2] * bcol[k * b1];                             \
                            s1 += arow[(k + 1) * a2] * bcol[(k + 1) * b1];                 \
                            s2 += arow[(k + 2) * a2] * bcol[(k + 2) * b1];                 \
                            s3 += arow[(k + 3) * a2] * bcol[(k + 3) * b1];                 \
                        }                                                                  \
                        for (; k < K; k++) s0 += arow[k * a2] * bcol[k * b1];              \
                        Cb[i * N + j] = (s0 + s1) + (s2 + s3);                             \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }
PYAD_BMM(pyad_bmm_f32, float)
PYAD_BMM(pyad_bmm_f64, double)
PYAD_BMM(pyad_bmm_i64, int64_t) /* integer products wrap, as torch's */

/* ---- the elementwise catalogue (ops_elementwise.pxi) ---- */
#define PYAD_LN2 0.693147180559945309417232121458176568
#define PYAD_LN10 2.30258509299404568401799145468436421
#define PYAD_2_SQRTPI 1.12837916709551257389615890312154517

static inline double pyad_round_half_even(double x) { return nearbyint(x); }
/* Python's remainder (the sign of the divisor) in the element type, as torch's kernel */
#define PYAD_REMAINDER(NAME, T, F)                                                         \
    static inline T NAME(T a, T b)                                                         \
    {                                                                                      \
        T r = fmod##F(a, b);                                                               \
        if (r != 0 && ((r < 0) != (b < 0))) r += b;                                        \
        return r;                                                                          \
    }
PYAD_REMAINDER(pyad_remainder_f64, double, )
PYAD_REMAINDER(pyad_remainder_f32, float, f)
/* a // b for floats as torch computes it (c10::div_floor_floating): from fmod, so that
 * -2.5 // inf is -1 (floor(a / b) gives -0) and inf // 1 is NaN; x / 0 is the IEEE quotient.
 * In the element type: a float32 quotient is rounded as float32, as torch's. */
#define PYAD_DIV_FLOOR(NAME, T, F)                                                         \
    static inline T NAME(T a, T b)                                                         \
    {                                                                                      \
        T mod, div, fd;                                                                    \
        if (b == 0) return a / b;                                                          \
        mod = fmod##F(a, b);                                                               \
        div = (a - mod) / b;                                                               \
        if (mod != 0 && ((b < 0) != (mod < 0))) div -= (T)1;                               \
        if (div != 0) {                                                                    \
            fd = floor##F(div);                                                            \
            if (div - fd > (T)0.5) fd += (T)1;                                             \
        } else {                                                                           \
            fd = copysign##F((T)0, a / b);                                                 \
        }                                                                                  \
        return fd;                                                                         \
    }
PYAD_DIV_FLOOR(pyad_div_floor_f64, double, )
PYAD_DIV_FLOOR(pyad_div_floor_f32, float, f)
/* Integer division and remainder. x86's idiv traps (SIGFPE) on INT64_MIN / -1, so a divisor of
 * -1 never reaches it: the quotient is the wrapped negation (INT64_MIN stays INT64_MIN, as
 * torch gives) and the remainder 0. A divisor of 0 gives 0 here; callers raise before. */
static inline int64_t pyad_ineg_wrap(int64_t a) { return (int64_t)(0u - (uint64_t)a); }
static inline int64_t pyad_iadd_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}
static inline int64_t pyad_isub_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}
static inline int64_t pyad_imul_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}
static inline int64_t pyad_itruncdiv(int64_t a, int64_t b)
{
    if (b == 0) return 0;
    if (b == -1) return pyad_ineg_wrap(a);
    return a / b;
}
static inline int64_t pyad_ifmod(int64_t a, int64_t b)
{
    if (b == 0 || b == -1) return 0;
    return a % b;
}
static inline int64_t pyad_iremainder(int64_t a, int64_t b)
{
    int64_t r;
    if (b == 0 || b == -1) return 0;
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline int64_t pyad_ifloordiv(int64_t a, int64_t b)
{
    int64_t q;
    if (b == 0) return 0;
    if (b == -1) return pyad_ineg_wrap(a);
    q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
/* clamp keeps NaN; with min > max every value becomes max, as torch does */
static inline double pyad_clamp(double x, double lo, double hi)
{
    double t;
    if (x != x) return x;
    t = x < lo ? lo : x;
    return t > hi ? hi : t;
}

#define PYAD_FLOAT_LOOPS2(S, T, F)                                                              \
    PYAD_UNARY(loop_clamp_##S, T, pyad_clamp(x, (T)c[0], (T)c[1]))                             \
    PYAD_UNARY(loop_nan_to_num_##S, T,                                                         \
               x != x ? (T)c[0]                                                                \
                      : (x == (T)INFINITY ? (T)c[1] : (x == -(T)INFINITY ? (T)c[2] : x)))      \
    /* backward helpers: x = incoming gradient, y = saved value */                             \
    PYAD_BINARY(loop_clamp_bw_##S, T, (y >= (T)c[0] && y <= (T)c[1]) ? x : (T)0)               \
    PYAD_BINARY(loop_finite_mask_##S, T, isfinite(y) ? x : (T)0)

PYAD_FLOAT_LOOPS2(f32, float, f)
PYAD_FLOAT_LOOPS2(f64, double, )

PYAD_UNARY(loop_sign_i64, int64_t, (int64_t)((x > 0) - (x < 0)))
PYAD_BINARY(loop_bitand_i64, int64_t, x & y)
PYAD_BINARY(loop_bitor_i64, int64_t, x | y)
PYAD_BINARY(loop_bitxor_i64, int64_t, x ^ y)
PYAD_UNARY(loop_bitnot_i64, int64_t, ~x)

/* comparisons and predicates write bool (unsigned char) */
#define PYAD_TO_U8_2(NAME, T, EXPR)                                                        \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1], *a2 = args[2];                                  \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2]) {          \
            T x = *(const T *)a0; T y = *(const T *)a1;                                    \
            *(unsigned char *)a2 = (unsigned char)(EXPR);                                  \
        }                                                                                  \
    }
#define PYAD_TO_U8_1(NAME, T, EXPR)                                                        \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1]) {                          \
            T x = *(const T *)a0;                                                          \
            *(unsigned char *)a1 = (unsigned char)(EXPR);                                  \
        }                                                                                  \
    }
#define PYAD_CMP_LOOPS(S, T)                  \
    PYAD_TO_U8_2(loop_eq_##S, T, x == y)      \
    PYAD_TO_U8_2(loop_ne_##S, T, x != y)      \
    PYAD_TO_U8_2(loop_lt_##S, T, x < y)       \
    PYAD_TO_U8_2(loop_le_##S, T, x <= y)      \
    PYAD_TO_U8_2(loop_gt_##S, T, x > y)       \
    PYAD_TO_U8_2(loop_ge_##S, T, x >= y)
PYAD_CMP_LOOPS(f32, float)
PYAD_CMP_LOOPS(f64, double)
PYAD_CMP_LOOPS(i64, int64_t)
PYAD_CMP_LOOPS(bool, unsigned char)
PYAD_TO_U8_2(loop_and_bool, unsigned char, x && y)
PYAD_TO_U8_2(loop_or_bool, unsigned char, x || y)
PYAD_TO_U8_2(loop_xor_bool, unsigned char, (!x) != (!y))
PYAD_TO_U8_1(loop_not_bool, unsigned char, !x)
PYAD_TO_U8_1(loop_isnan_f32, float, x != x)
PYAD_TO_U8_1(loop_isnan_f64, double, x != x)
PYAD_TO_U8_1(loop_isinf_f32, float, isinf(x))
PYAD_TO_U8_1(loop_isinf_f64, double, isinf(x))
PYAD_TO_U8_1(loop_isfinite_f32, float, isfinite(x))
PYAD_TO_U8_1(loop_isfinite_f64, double, isfinite(x))

/* where(cond, a, b): args = cond (bool), a, b, out */
#define PYAD_WHERE(NAME, T)                                                                \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1], *a2 = args[2], *a3 = args[3];                   \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2], a3 += steps[3]) \
            *(T *)a3 = *(const unsigned char *)a0 ? *(const T *)a1 : *(const T *)a2;       \
    }
PYAD_WHERE(loop_where_f32, float)
PYAD_WHERE(loop_where_f64, double)
PYAD_WHERE(loop_where_i64, int64_t)
PYAD_WHERE(loop_where_bool, unsigned char)

#endif /* PYAD_KERNELS_H */
