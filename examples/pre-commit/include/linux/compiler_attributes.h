/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_COMPILER_ATTRIBUTES_H
#define __LINUX_COMPILER_ATTRIBUTES_H

/* The attributes struct page's declaration uses, as the kernel spells them. */
#define __aligned(x)	__attribute__((__aligned__(x)))
#define __packed	__attribute__((__packed__))
#define __always_inline	inline __attribute__((__always_inline__))

#endif /* __LINUX_COMPILER_ATTRIBUTES_H */
