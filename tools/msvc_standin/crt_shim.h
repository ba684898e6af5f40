/* Force-included first by tools/portability.sh's MSVC stand-in. mingw-w64's CRT headers stand
 * in for MSVC's; in MSVC mode they put __declspec(noreturn) and __declspec(deprecated) after
 * the declarator, which clang (and MSVC) reject. Those attributes do not matter to this check. */
#include <_mingw.h>
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED
