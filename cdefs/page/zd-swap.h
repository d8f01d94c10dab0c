/*
 * zd-swap.h - v4.20 struct page with John Hubbard's reshuffle of the
 * ZONE_DEVICE member, on top of his lru/dma_pinned overlay.
 *
 * Source: John Hubbard, Re: [PATCH 1/2] mm: introduce put_user_page*(),
 * placeholder versions, linux-mm/LKML, Thu, 6 Dec 2018 18:45:49 -0800,
 * Message-ID: <7b4733be-13d3-c790-ff1b-ac51b505e9a6@nvidia.com>; diff
 * "index 017ab82e36ca..b5dcd9398cae", i.e. on top of the Oct 2018
 * "[PATCH 4/6] mm: introduce page->dma_pinned_flags, _count"
 * (<20181012060014.10242-5-jhubbard@nvidia.com>, see lru-dma-pinned.h).
 * Applied to v4.20 (see v4.20.h).
 *
 * What it changes: the lru overlay of dma_pinned_flags/dma_pinned_count
 * is kept (flags on lru.next, count on lru.prev); in the ZONE_DEVICE
 * member _zd_pad_1 moves up to lru.prev so the pin count is free there,
 * and hmm_data moves down onto mapping.  Jerome Glisse replied
 * (<20181207191620.GD3293@redhat.com>) that hmm_data must stay on
 * lru.prev because HMM pages use mapping.
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_ZD_SWAP_H
#define LAYOUTCHECK_PAGE_ZD_SWAP_H

struct page {
	unsigned long flags;		/* page-flags bits plus section/node/zone */
	/*
	 * Five words shared by the page's current users.  Bit 0 of the
	 * first word is PageTail(); nothing else may set it.
	 */
	union {
		struct {	/* file-backed or anonymous memory */
			union {
				struct list_head lru;	/* LRU or owner's list */
				/*
				 * get_user_pages() takes the page off the LRU
				 * before using these two.
				 */
				struct {
					unsigned long dma_pinned_flags;	/* word of lru.next */
					atomic_t      dma_pinned_count;	/* word of lru.prev */
				};
			};
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
			struct dev_pagemap *pgmap;	/* on lru.next */
			unsigned long _zd_pad_1;	/* on lru.prev: dma_pinned_count */
			unsigned long hmm_data;		/* on mapping */
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

#endif /* LAYOUTCHECK_PAGE_ZD_SWAP_H */
