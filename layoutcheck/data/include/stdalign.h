/* layoutcheck's freestanding <stdalign.h> (used only without a compiler). */
#ifndef _LAYOUTCHECK_STDALIGN_H
#define _LAYOUTCHECK_STDALIGN_H
#define alignas _Alignas
#define alignof _Alignof
#endif
