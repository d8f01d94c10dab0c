/*
 * hpage-pinned-refcount.h - struct page of Linux v5.7 (2020-05-31), the
 * first release with FOLL_PIN tracking: pin_user_pages() adds
 * GUP_PIN_COUNTING_BIAS (1024) to _refcount of ordinary pages, and counts
 * pins of compound pages of order > 1 exactly in hpage_pinned_refcount,
 * which lives in the third page (page[2], the second tail page).
 *
 * Sources: upstream commits 3faa52c03f44 ("mm/gup: track FOLL_PIN pages")
 * and 47e29d32afba11b13efb51f03154a8cf22fb4360 ("mm/gup:
 * page->hpage_pinned_refcount: exact pin counts for huge pages"), both
 * merged for v5.7-rc1; posted by John Hubbard as "[PATCH 1/3] mm/gup:
 * track FOLL_PIN pages", 24 Jan 2020,
 * Message-ID: <20200125021115.731629-2-jhubbard@nvidia.com>.
 * Declarations read from include/linux/mm_types.h blob 4aba6c0c2ba8 as
 * found in two linux-5.7.y trees (github.com/HanRunyu/linux-5.7.6-jz2440,
 * v5.7.6; github.com/a5221985/linux-5.7.14, v5.7.14).  Field names,
 * order, types and #if structure are the kernel's; comments are ours.
 *
 * Relative to v4.20: _compound_pad_2 became atomic_t hpage_pinned_refcount;
 * a page_pool member (dma_addr_t dma_addr) joined the big union in 2019
 * (c25fff7171be "mm: add dma_addr_t to struct page", net-next);
 * the ZONE_DEVICE member is pgmap + zone_device_data (hmm_data and
 * _zd_pad_1 are gone); slab_list lost its "uses lru" note.  Sizes are
 * unchanged from v4.20, except on 32-bit ABIs that align 64-bit integers
 * to 8 (arm, mips, ppc, ...) with CONFIG_ARCH_DMA_ADDR_T_64BIT: there the
 * 8-byte dma_addr moves the whole union to offset 8 (fixed in 2021 by
 * Matthew Wilcox's "mm: fix struct page layout on 32-bit systems").
 */
#include "include/prelude.h"

#ifndef LAYOUTCHECK_PAGE_HPAGE_PINNED_REFCOUNT_H
#define LAYOUTCHECK_PAGE_HPAGE_PINNED_REFCOUNT_H

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
		struct {	/* network page_pool pages */
			dma_addr_t dma_addr;	/* 64 bits even on some 32-bit */
		};
		struct {	/* SLAB, SLOB and SLUB allocators */
			union {
				struct list_head slab_list;
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
			atomic_t hpage_pinned_refcount;	/* FOLL_PIN pins, order > 1 */
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
			void *zone_device_data;
			/*
			 * mapping, index and private keep their page-cache
			 * meaning: device-private pages hold the migrated
			 * page's values, and fsdax pages use them directly.
			 */
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

#endif /* LAYOUTCHECK_PAGE_HPAGE_PINNED_REFCOUNT_H */
