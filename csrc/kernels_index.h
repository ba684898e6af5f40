/*
 * kernels_index.h: loops of the indexing family (ops_index.pxi).
 *
 * take:    out[i] = x[offs[i]]          (every gather-like op: index, index_select, gather,
 *                                        masked_select, take_along_dim)
 * put_add: out[offs[i]] += g[i]         (its adjoint: the scatter-add; scatter_add's forward)
 * masked fill / masked sum: pyad_nd_apply loops over (x, mask, out) with broadcasting.
 */
#ifndef PYAD_KERNELS_INDEX_H
#define PYAD_KERNELS_INDEX_H

#include "pyad_kernels.h"

static void pyad_take(const char *x, char *out, const int64_t *offs, pyad_ssize_t n, int dtype)
{
    pyad_ssize_t i;
    switch (pyad_itemsize[dtype]) {
    case 8:
        for (i = 0; i < n; i++) ((int64_t *)out)[i] = ((const int64_t *)x)[offs[i]];
        break;
    case 4:
        for (i = 0; i < n; i++) ((float *)out)[i] = ((const float *)x)[offs[i]];
        break;
    default:
        for (i = 0; i < n; i++) ((unsigned char *)out)[i] = ((const unsigned char *)x)[offs[i]];
        break;
    }
}

/* out[offs[i]] += g[i]; repeated offsets accumulate (bool: logical or, as torch's scatter_add) */
static void pyad_put_add(char *out, const char *g, const int64_t *offs, pyad_ssize_t n, int dtype)
{
    pyad_ssize_t i;
    switch (dtype) {
    case PYAD_F32:
        for (i = 0; i < n; i++) ((float *)out)[offs[i]] += ((const float *)g)[i];
        break;
    case PYAD_F64:
        for (i = 0; i < n; i++) ((double *)out)[offs[i]] += ((const double *)g)[i];
        break;
    case PYAD_I64:
        for (i = 0; i < n; i++) ((int64_t *)out)[offs[i]] += ((const int64_t *)g)[i];
        break;
    default:
        for (i = 0; i < n; i++) ((unsigned char *)out)[offs[i]] |= ((const unsigned char *)g)[i];
        break;
    }
}

/* args: x, mask (bool), out. The fill value is c[0] (floats, bool) or *(int64_t *)c (int64). */
#define PYAD_MFILL(NAME, T, VALUE)                                                         \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1], *a2 = args[2];                                  \
        const T v = (T)(VALUE);                                                            \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1], a2 += steps[2])           \
            *(T *)a2 = *(const unsigned char *)a1 ? v : *(const T *)a0;                    \
    }
PYAD_MFILL(loop_mfill_f32, float, c[0])
PYAD_MFILL(loop_mfill_f64, double, c[0])
PYAD_MFILL(loop_mfill_i64, int64_t, *(const int64_t *)c)
PYAD_MFILL(loop_mfill_bool, unsigned char, c[0] != 0)

/* args: g, mask (bool), acc (a double, step 0): acc += g where mask */
#define PYAD_MSUM(NAME, T)                                                                 \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                      \
        pyad_ssize_t i;                                                                    \
        char *a0 = args[0], *a1 = args[1];                                                 \
        double acc = *(double *)args[2];                                                   \
        (void)c;                                                                           \
        for (i = 0; i < n; i++, a0 += steps[0], a1 += steps[1])                            \
            if (*(const unsigned char *)a1) acc += (double)*(const T *)a0;                 \
        *(double *)args[2] = acc;                                                          \
    }
PYAD_MSUM(loop_msum_f32, float)
PYAD_MSUM(loop_msum_f64, double)

#endif /* PYAD_KERNELS_INDEX_H */
