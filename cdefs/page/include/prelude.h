/*
 * prelude.h - the kernel types that the struct page definitions in this
 * directory refer to, reduced to what decides their layout.
 *
 * Sources (facts only; wording here is ours):
 *   include/linux/types.h        atomic_t, atomic64_t, struct callback_head,
 *                                pgoff_t, dma_addr_t (v4.20, v5.7, v5.18)
 *   include/asm-generic/atomic-long.h   atomic_long_t (v4.20)
 *   include/linux/mm_types.h     _struct_page_alignment (identical text in
 *                                v4.20, v5.7 and v5.18)
 *   include/linux/mm_types_task.h  ALLOC_SPLIT_PTLOCKS
 *
 * Configuration is decided by the caller (-D on the command line); nothing
 * here defines a CONFIG_* macro.  Macros consulted: CONFIG_64BIT,
 * CONFIG_HAVE_ALIGNED_STRUCT_PAGE, CONFIG_ARCH_DMA_ADDR_T_64BIT,
 * ALLOC_SPLIT_PTLOCKS.
 */
#ifndef LAYOUTCHECK_PAGE_PRELUDE_H
#define LAYOUTCHECK_PAGE_PRELUDE_H

#define __aligned(x) __attribute__((__aligned__(x)))

/*
 * struct page is aligned to two words when the architecture selects
 * HAVE_ALIGNED_STRUCT_PAGE (SLUB's cmpxchg_double on freelist/counters
 * needs a double-word boundary).  Same definition in every era used here.
 */
#ifdef CONFIG_HAVE_ALIGNED_STRUCT_PAGE
#define _struct_page_alignment	__aligned(2 * sizeof(unsigned long))
#else
#define _struct_page_alignment
#endif

/*
 * In the kernel this is (SPINLOCK_SIZE > BITS_PER_LONG/8): a page-table
 * page keeps a pointer to an out-of-line lock when spinlock_t is wider
 * than a long (lock debugging).  The spinlock_t below is the 4-byte
 * non-debug lock, so the default is 0; pass -DALLOC_SPLIT_PTLOCKS (=1)
 * to model the split-lock configuration.
 */
#ifndef ALLOC_SPLIT_PTLOCKS
#define ALLOC_SPLIT_PTLOCKS 0
#endif

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
typedef atomic64_t atomic_long_t;
#else
typedef atomic_t atomic_long_t;
#endif

/*
 * The kernel forces pointer alignment on callback_head so that bit 0 of
 * ->next is always clear: it shares its first word with compound_head in
 * struct page, whose bit 0 means PageTail().  This matters on m68k, where
 * pointers are only 2-byte aligned by the ABI.  The kernel spells
 * "struct rcu_head" as a macro for "struct callback_head", so after
 * preprocessing the struct page member is named callback_head, as in
 * pahole and BTF output.
 */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __aligned(sizeof(void *));
#define rcu_head callback_head

/* Non-debug SMP lock: one 32-bit word on every architecture. */
typedef struct spinlock {
	unsigned int slock;
} spinlock_t;

typedef unsigned long pgoff_t;

struct page;
typedef struct page *pgtable_t;

/*
 * Used by the v5.7 page_pool member.  Kconfig sets ARCH_DMA_ADDR_T_64BIT
 * on every 64-bit kernel and on 32-bit kernels with 64-bit physical
 * addresses (PAE, LPAE, ...); the kernel's u64/u32 are
 * unsigned long long / unsigned int on all architectures.
 */
#if defined(CONFIG_64BIT) || defined(CONFIG_ARCH_DMA_ADDR_T_64BIT)
typedef unsigned long long dma_addr_t;
#else
typedef unsigned int dma_addr_t;
#endif

/* Only ever pointed to from struct page. */
struct address_space;
struct kmem_cache;
struct mem_cgroup;
struct dev_pagemap;
struct mm_struct;
struct page_pool;

#endif /* LAYOUTCHECK_PAGE_PRELUDE_H */
