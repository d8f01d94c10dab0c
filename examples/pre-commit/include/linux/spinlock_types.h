/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_SPINLOCK_TYPES_H
#define __LINUX_SPINLOCK_TYPES_H

/* The non-debug lock: one 32-bit word on every architecture. */
typedef struct spinlock {
	unsigned int slock;
} spinlock_t;

#endif /* __LINUX_SPINLOCK_TYPES_H */
