/* A stand-in for CPython's PC/pyconfig.h (64-bit Windows, MSVC), for tools/portability.sh:
 * the Cython-generated C is compiled against this machine's Python headers with this
 * configuration in place of the Linux one. Only what the headers need to parse as they do on
 * Windows: the platform macros, the LLP64 type sizes, no POSIX headers (no HAVE_UNISTD_H ...),
 * symbols imported from python3X.dll. Not a build configuration: nothing is linked. */
#ifndef Py_CONFIG_H
#define Py_CONFIG_H

#define MS_WIN32
#define MS_WIN64
#define MS_WINDOWS
#define NT_THREADS
#define WITH_THREAD
#define Py_ENABLE_SHARED 1
#define HAVE_DECLSPEC_DLL
#define PLATFORM "win32"

#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_DOUBLE 8
#define SIZEOF_FLOAT 4
#define SIZEOF_VOID_P 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_WCHAR_T 2
#define SIZEOF__BOOL 1
#define SIZEOF_HKEY 8
#define ALIGNOF_SIZE_T 8
#define ALIGNOF_LONG 4
#define ALIGNOF_MAX_ALIGN_T 8

typedef __int64 Py_ssize_t;
#define PY_SSIZE_T_MAX LLONG_MAX
#define HAVE_PY_SSIZE_T 1

#define DOUBLE_IS_LITTLE_ENDIAN_IEEE754 1
#define PY_HAVE_PERF_TRAMPOLINE 0
#define HAVE_STDARG_PROTOTYPES
#define HAVE_WCHAR_H 1
#define HAVE_STDDEF_H 1
#define HAVE_ERRNO_H 1
#define HAVE_FCNTL_H 1
#define HAVE_SIGNAL_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_DYNAMIC_LOADING
#define HAVE_FTIME
#define HAVE_PUTENV
#define HAVE_CLOCK
#define USE_SOCKET

#endif /* Py_CONFIG_H */
