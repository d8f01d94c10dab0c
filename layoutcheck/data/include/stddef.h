/* layoutcheck's freestanding <stddef.h>, used only when no C compiler's
   own headers are installed; built from the ABI's predefined macros. */
#ifndef _LAYOUTCHECK_STDDEF_H
#define _LAYOUTCHECK_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;
#define NULL ((void *)0)
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
