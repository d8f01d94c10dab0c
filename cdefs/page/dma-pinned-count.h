/*
 * dma-pinned-count.h - v4.20 struct page plus a dedicated DMA-pin count.
 *
 * Source: John Hubbard, Re: [PATCH 1/2] mm: introduce put_user_page*(),
 * placeholder versions, linux-mm/LKML, Fri, 7 Dec 2018 16:52:42 -0800,
 * Message-ID: <3c4d46c0-aced-f96f-1bf3-725d02f11b60@nvidia.com>, as
 * quoted in the seed mail <20181208022445.GA7024@redhat.com>; diff
 * "index 5ed8f6292a53..1c789e324da8".  Applied to v4.20 (see v4.20.h).
 *
 * What it changes: after the ZONE_DEVICE/HMM users left no free word in
 * the big union, a new atomic_t _dma_pinned_count follows _refcount.
 * On 64-bit with CONFIG_MEMCG this adds 4 bytes plus 4 of padding before
 * mem_cgroup: 64 -> 72 bytes (80 with CONFIG_HAVE_ALIGNED_STRUCT_PAGE);
 * on i386 with CONFIG_MEMCG 36 -> 40.
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_DMA_PINNED_COUNT_H
#define LAYOUTCHECK_PAGE_DMA_PINNED_COUNT_H

struct page {
	unsigned long flags;		/* page-flags bits plus section/node/zone */
	/*
	 * Five words shared by the page's current users.  Bit 0 of the
	 * first word is PageTail(); nothing else may set it.
	 */
	union {
		struct {	/* file-backed or anonymous memory */
			struct list_head lru;	/* LRU or owner's private list */
			struct address_space *mapping;	/* low bits: PAGE_MAPPING_* */
			pgoff_t index;		/* offset in mapping, in pages */
			unsigned long private;	/* buffers, swap entry, buddy order */
		};
		struct {	/* SLAB, SLOB and SLUB allocators */
			union {
				struct list_head slab_list;	/* on lru */
				struct {	/* SLUB per-cpu partial list */
					struct page *next;
#ifdef CONFIG_64BIT
					int pages;	/* pages left on the list */
					int pobjects;	/* rough free-object count */
#else
					short int pages;
					short int pobjects;
#endif
				};
			};
			struct kmem_cache *slab_cache;	/* unused by slob */
			/* freelist starts a double word (cmpxchg_double) */
			void *freelist;		/* head of the free-object chain */
			union {
				void *s_mem;	/* SLAB: address of object 0 */
				unsigned long counters;	/* SLUB: the three below */
				struct {	/* SLUB's split of counters */
					unsigned inuse:16;
					unsigned objects:15;
					unsigned frozen:1;
				};
			};
		};
		struct {	/* every tail page of a compound page */
			unsigned long compound_head;	/* head pointer | 1 */

			/* meaningful in the first tail page only */
			unsigned char compound_dtor;
			unsigned char compound_order;
			atomic_t compound_mapcount;
		};
		struct {	/* page[2] of a compound page */
			unsigned long _compound_pad_1;	/* on compound_head */
			unsigned long _compound_pad_2;
			struct list_head deferred_list;	/* THP split queue */
		};
		struct {	/* pages holding page tables */
			unsigned long _pt_pad_1;	/* on compound_head */
			pgtable_t pmd_huge_pte;	/* guarded by ptl */
			unsigned long _pt_pad_2;	/* on mapping */
			union {
				struct mm_struct *pt_mm;	/* x86 pgd pages */
				atomic_t pt_frag_refcount;	/* powerpc fragments */
			};
#if ALLOC_SPLIT_PTLOCKS
			spinlock_t *ptl;
#else
			spinlock_t ptl;
#endif
		};
		struct {	/* ZONE_DEVICE memory */
			struct dev_pagemap *pgmap;	/* owning device map */
			unsigned long hmm_data;
			unsigned long _zd_pad_1;	/* on mapping, which stays in use */
		};

		struct rcu_head rcu_head;	/* for freeing after a grace period */
	};

	union {		/* one 32-bit word */
		atomic_t _mapcount;	/* page-table mappings, biased by -1 */
		unsigned int page_type;	/* PG_buddy etc. when never mapped */
		unsigned int active;	/* used by SLAB */
		int units;		/* used by SLOB */
	};

	atomic_t _refcount;	/* use the page_ref.h helpers */

	/* pins taken by get_user_pages*(), dropped by put_user_page*() */
	atomic_t _dma_pinned_count;

#ifdef CONFIG_MEMCG
	struct mem_cgroup *mem_cgroup;
#endif

	/* kernel virtual address, for architectures that store it */
#if defined(WANT_PAGE_VIRTUAL)
	void *virtual;
#endif /* WANT_PAGE_VIRTUAL */

#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
	int _last_cpupid;
#endif
} _struct_page_alignment;

#endif /* LAYOUTCHECK_PAGE_DMA_PINNED_COUNT_H */
