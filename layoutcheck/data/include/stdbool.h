/* layoutcheck's freestanding <stdbool.h> (used only without a compiler). */
#ifndef _LAYOUTCHECK_STDBOOL_H
#define _LAYOUTCHECK_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1
#endif
