/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_TYPES_TASK_H
#define _LINUX_MM_TYPES_TASK_H

#include <linux/types.h>
#include <linux/spinlock_types.h>

/*
 * A page-table page keeps a pointer to its lock when spinlock_t is wider
 * than a long (lock debugging); here it never is.
 */
#define ALLOC_SPLIT_PTLOCKS	0

struct page_frag {
	struct page *page;
#if defined(CONFIG_64BIT)
	unsigned int offset;
	unsigned int size;
#else
	unsigned short offset;
	unsigned short size;
#endif
};

#endif /* _LINUX_MM_TYPES_TASK_H */
