/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <linux/compiler_attributes.h>

#ifndef __ASSEMBLY__

typedef unsigned long pgoff_t;
typedef _Bool bool;

struct list_head {
	struct list_head *next, *prev;
};

typedef struct {
	int counter;
} atomic_t;

#ifdef CONFIG_64BIT
typedef struct {
	long counter;
} atomic64_t;
#endif

/*
 * Aligned to a pointer so that bit 0 of ->next stays clear: it shares a
 * word with compound_head in struct page.
 */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __aligned(sizeof(void *));
#define rcu_head callback_head

#endif /* __ASSEMBLY__ */
#endif /* _LINUX_TYPES_H */
