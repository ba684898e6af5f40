/*
 * pyad_alloc.h: where large buffers come from.
 *
 * A fresh block from malloc above glibc's mmap threshold is new pages: every 4 KiB page
 * faults on first touch, and free() gives the pages back, so a loop that makes an 8 MB
 * temporary per op pays ~2000 page faults per op (perf showed two thirds of the time of
 * (x*x + exp(x)).sum() + grad on 1e6 float64 in the kernel's fault path). Two remedies:
 *   - blocks of 4 MiB or more are 2 MiB-aligned and advised MADV_HUGEPAGE on Linux (as numpy
 *     does), so the kernel faults one transparent huge page per 2 MiB;
 *   - freed blocks of 1 MiB or more go to a small cache (at most PYAD_CACHE_N blocks and
 *     PYAD_CACHE_BYTES in all) and are handed out again for a request of the same rounded
 *     size: a training loop or a backward sweep reuses the same few shapes, so after the first
 *     iteration no page is faulted again. pyad's memory is therefore a little higher than
 *     what is live (at most the cache's cap); pyad._C._empty_cache() frees it.
 * The block size is a pure function of the requested size (rounded up), so free needs no
 * extra field. Callers hold the GIL (the cache is not locked).
 *
 * PYAD_NO_BLOCK_CACHE (defined by setup.py for PYAD_SANITIZE builds): every block is a plain
 * malloc/free, so a sanitizer sees each use after free, overflow and leak of a buffer or node
 * instead of a block recycled by the stacks or the cache.
 */
#ifndef PYAD_ALLOC_H
#define PYAD_ALLOC_H

#include <stdlib.h>
#include <stddef.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define PYAD_BIG ((size_t)1 << 20)
#define PYAD_HUGE ((size_t)4 << 20)
#define PYAD_CACHE_N 16
#define PYAD_CACHE_BYTES ((size_t)256 << 20)

static void *pyad_cache_ptr[PYAD_CACHE_N];
static size_t pyad_cache_size[PYAD_CACHE_N];
static int pyad_cache_n = 0;
static size_t pyad_cache_total = 0;

/* Small and medium blocks (tiny tensors' buffers, graph nodes, vectors of up to 64 KiB) come
 * in power-of-two size classes from 256 bytes, kept on free stacks: a tiny op allocates and
 * frees two or three of them, and malloc/free were a fifth of a small-tensor chain's time (and
 * an eighth of a 1,000-element op's: glibc serves blocks over 1 KiB from its bins, not from its
 * per-thread cache). The two smallest classes keep up to 4096 blocks each, the others 64 (at
 * most 8 MiB held in all). The stacks are touched only with the GIL held. */
#define PYAD_SMALL1 256
#define PYAD_CLASS_MAX ((size_t)64 << 10)
#define PYAD_NCLASS 9 /* 256 B ... 64 KiB */
#define PYAD_SMALL_KEEP 4096
#define PYAD_MEDIUM_KEEP 64
static void *pyad_small_stack[PYAD_NCLASS][PYAD_SMALL_KEEP];
static int pyad_small_n[PYAD_NCLASS];

/* log2 of the power of two >= v, for 256 < v <= 64 KiB: a bit scan where the compiler has one */
static inline int pyad_ceil_log2(size_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    return 64 - __builtin_clzll((unsigned long long)(v - 1));
#else
    int k = 0;
    while (((size_t)1 << k) < v) k++;
    return k;
#endif
}

static inline size_t pyad_block_size(size_t total)
{
    if (total <= PYAD_SMALL1) return PYAD_SMALL1;
    if (total <= PYAD_CLASS_MAX) return (size_t)1 << pyad_ceil_log2(total);
    if (total < PYAD_BIG) return total;
    if (total < PYAD_HUGE) return (total + 0xFFFF) & ~(size_t)0xFFFF;      /* 64 KiB */
    return (total + 0x1FFFFF) & ~(size_t)0x1FFFFF;                          /* 2 MiB */
}

/* class of a block of pyad_block_size() bytes <= PYAD_CLASS_MAX: 0 for 256 B, 1 for 512 B, ... */
static inline int pyad_size_class(size_t size)
{
    return size <= PYAD_SMALL1 ? 0 : pyad_ceil_log2(size) - 8;
}

#ifdef PYAD_NO_BLOCK_CACHE
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PYAD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(PYAD_ASAN)
#include <stdio.h>
/* from <sanitizer/allocator_interface.h> */
size_t __sanitizer_get_allocated_size(const volatile void *p);
#endif
static void *pyad_alloc(size_t total) { return malloc(total ? total : 1); }
static void pyad_free(void *p, size_t total)
{
#if defined(__SANITIZE_ADDRESS__) || defined(PYAD_ASAN)
    /* The caches pick a block's size class from the size given here: it must be the size
     * that was allocated, or a block would be handed out again as a bigger one. */
    if (p != NULL && __sanitizer_get_allocated_size(p) != (total ? total : 1)) {
        fprintf(stderr, "pyad_free: block of %zu bytes freed as %zu bytes\n",
                __sanitizer_get_allocated_size(p), total);
        abort();
    }
#else
    (void)total;
#endif
    free(p);
}
static void pyad_empty_cache(void) {}
#else
static void *pyad_alloc(size_t total)
{
    size_t size = pyad_block_size(total);
    void *p = NULL;
    int i;
    if (size <= PYAD_CLASS_MAX) {
        int c = pyad_size_class(size);
        if (pyad_small_n[c] > 0) return pyad_small_stack[c][--pyad_small_n[c]];
        return malloc(size);
    }
    if (size < PYAD_BIG) return malloc(size);
    for (i = pyad_cache_n - 1; i >= 0; i--) {
        if (pyad_cache_size[i] == size) {
            p = pyad_cache_ptr[i];
            pyad_cache_total -= size;
            pyad_cache_n--;
            pyad_cache_ptr[i] = pyad_cache_ptr[pyad_cache_n];
            pyad_cache_size[i] = pyad_cache_size[pyad_cache_n];
            return p;
        }
    }
#ifdef __linux__
    if (size >= PYAD_HUGE) {
        if (posix_memalign(&p, (size_t)2 << 20, size) != 0) return NULL;
        madvise(p, size, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(size);
}

static void pyad_free(void *p, size_t total)
{
    size_t size = pyad_block_size(total);
    if (p == NULL) return;
    if (size <= PYAD_CLASS_MAX) {
        int c = pyad_size_class(size);
        if (pyad_small_n[c] < (c < 2 ? PYAD_SMALL_KEEP : PYAD_MEDIUM_KEEP)) {
            pyad_small_stack[c][pyad_small_n[c]++] = p;
            return;
        }
        free(p);
        return;
    }
    if (size >= PYAD_BIG && pyad_cache_n < PYAD_CACHE_N &&
        pyad_cache_total + size <= PYAD_CACHE_BYTES) {
        pyad_cache_ptr[pyad_cache_n] = p;
        pyad_cache_size[pyad_cache_n] = size;
        pyad_cache_n++;
        pyad_cache_total += size;
        return;
    }
    free(p);
}

static void pyad_empty_cache(void)
{
    int c;
    for (c = 0; c < PYAD_NCLASS; c++)
        while (pyad_small_n[c] > 0) free(pyad_small_stack[c][--pyad_small_n[c]]);
    while (pyad_cache_n > 0) {
        pyad_cache_n--;
        free(pyad_cache_ptr[pyad_cache_n]);
    }
    pyad_cache_total = 0;
}
#endif /* PYAD_NO_BLOCK_CACHE */

#endif
